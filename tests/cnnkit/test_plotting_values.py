"""show_values writes every value in its cell; show_kernel centres its colours
at zero."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import plotting


def test_show_values_writes_every_value_and_labels_the_axes():
    ax = plotting.show_values([[1, -2.5], [3, 4]], title="t", highlight=(0, 0, 1, 2))
    assert [t.get_text() for t in ax.texts] == ["1", "-2.50", "3", "4"]
    assert ax.get_title() == "t"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("column j", "row i")
    assert len(ax.patches) == 1  # the highlighted block
    assert len(ax.figure.axes) == 2  # the axes and its colour bar


def test_show_values_refuses_arrays_too_big_to_read():
    with pytest.raises(ValueError, match=r"shape \(17, 3\).*at most 16 x 16"):
        plotting.show_values(np.zeros((17, 3)))
    with pytest.raises(ValueError, match=r"values must have shape \(H, W\)"):
        plotting.show_values(np.zeros((2, 2, 2)))


def test_show_kernel_centres_its_colours_at_zero():
    ax = plotting.show_kernel([[1.0, 0.0], [0.0, -3.0]])
    low, high = ax.images[0].get_clim()
    assert low == -high == -3.0
    assert ax.get_title() == "kernel (2 x 2)"
