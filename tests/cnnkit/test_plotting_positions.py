"""conv_animation plays one frame per output value, offline and the same every
time; show_positions draws one row per position a kernel takes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnkit import conv2d, plotting


@pytest.mark.parametrize(("padding", "positions"), [("valid", 4), ("same", 9)])
def test_conv_animation_has_one_frame_per_output_value(padding, positions):
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    html = plotting.conv_animation(x, [[1, 0], [0, -1]], padding=padding).data
    assert conv2d(x, [[1, 0], [0, -1]], padding=padding).size == positions
    assert len(re.findall(r"frames\[\d+\] = ", html)) == positions
    assert "http" not in html  # no CDN: the player plays offline
    assert 'alt="' in html


def test_conv_animation_is_the_same_html_every_time():
    args = ([[1, 2], [3, 4]], [[1]])
    assert plotting.conv_animation(*args).data == plotting.conv_animation(*args).data


def test_conv_animation_refuses_inputs_too_big_to_follow():
    with pytest.raises(ValueError, match="too big to animate"):
        plotting.conv_animation(np.zeros((9, 9)), np.ones((3, 3)))


@pytest.mark.parametrize(
    ("n", "k", "kwargs", "rows"),
    [
        (5, 3, {}, 3),
        (5, 3, {"padding": "same"}, 5),
        (7, 3, {"stride": 2}, 3),
        (7, 3, {"dilation": 2}, 3),
        (6, 2, {"padding": 1, "stride": 2}, 4),
    ],
)
def test_show_positions_draws_one_row_per_output_value(n, k, kwargs, rows):
    ax = plotting.show_positions(n, k, **kwargs)
    assert len(ax.get_yticks()) == rows
    filled = [p for p in ax.patches if p.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert len(filled) == rows * k  # every position covers k taps
