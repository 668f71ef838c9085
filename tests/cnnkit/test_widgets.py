"""The explorers build, redraw for any setting of their controls, and say
what is wrong with a kernel typed badly instead of raising."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import widgets


def test_parse_kernel_reads_rows_and_rejects_ragged_or_non_numeric_text():
    np.testing.assert_array_equal(
        widgets.parse_kernel("1, 0\n\n0 -1\n"), [[1, 0], [0, -1]]
    )
    with pytest.raises(ValueError, match="rows of equally many numbers"):
        widgets.parse_kernel("1 2\n3")
    with pytest.raises(ValueError, match="only numbers"):
        widgets.parse_kernel("1 a")


def _controls(box):
    import ipywidgets as w

    return [c for c in box.children if not isinstance(c, w.Output)]


def test_convolution_explorer_redraws_each_window_position(capsys):
    import matplotlib.pyplot as plt

    box = widgets.convolution_explorer(
        np.arange(1, 10).reshape(3, 3), [[1, 0], [0, -1]]
    )
    row, col, text = _controls(box)
    assert (row.max, col.max) == (1, 1)
    for i in range(2):
        for j in range(2):
            box.redraw(row=i, col=j, text=text.value)
            assert plt.gcf()._suptitle.get_text().endswith("= -4")
    box.redraw(row=0, col=0, text="1 2\n3")
    assert "rows of equally many numbers" in capsys.readouterr().out


def test_kernel_explorer_picks_a_classic_kernel_into_the_text_box():
    from cnnkit.kernels import KERNELS

    box = widgets.kernel_explorer(np.random.default_rng(0).random((12, 12)))
    pick, text = _controls(box)
    pick.value = "sharpen"
    np.testing.assert_array_equal(widgets.parse_kernel(text.value), KERNELS["sharpen"])


def test_output_size_explorer_prints_the_size_and_explains_impossible_settings(capsys):
    box = widgets.output_size_explorer()
    box.redraw(n=7, k=3, padding="valid", stride=2, dilation=1)
    assert "output size = 3" in capsys.readouterr().out
    box.redraw(n=2, k=5, padding="valid", stride=1, dilation=1)
    assert "output size" not in capsys.readouterr().out
