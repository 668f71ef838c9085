"""The recurring figures draw what they say, and reject what they cannot show."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnkit import conv2d, plotting


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


def test_show_image_accepts_grey_and_rgb_only():
    plotting.show_image(np.zeros((4, 5)), title="grey", colorbar=True)
    plotting.show_image(np.zeros((4, 5, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, 3\)"):
        plotting.show_image(np.zeros((4, 5, 2)))


def test_show_maps_draws_one_panel_per_channel_and_hides_the_rest():
    fig = plotting.show_maps(np.zeros((3, 3, 5)), ncols=3, suptitle="five maps")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5 and len(fig.axes) == 6
    assert fig._suptitle.get_text() == "five maps"
    with pytest.raises(ValueError, match="titles has 1 entries for 2 maps"):
        plotting.show_maps([np.zeros((2, 2))] * 2, titles=["one"])


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
