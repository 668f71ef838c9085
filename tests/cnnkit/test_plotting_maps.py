"""show_image shows grey and RGB images, show_maps one panel per map, and
show_kernel_effects each kernel beside the feature map it makes."""

from __future__ import annotations

import numpy as np
import pytest

import cnnkit
from cnnkit import plotting
from cnnkit.kernels import KERNELS


def _panels(fig):
    """The kernel and map panels, without the colour bars."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


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


def test_kernel_effects_draw_each_kernel_beside_its_feature_map():
    image = np.random.default_rng(0).random((20, 24))
    fig = plotting.show_kernel_effects(
        image, {"sobel_x": KERNELS["sobel_x"], "box": KERNELS["box_blur"]}, ncols=1
    )
    k0, map0, k1, map1 = _panels(fig)
    assert [k0.get_title(), k1.get_title()] == ["sobel_x", "box"]
    assert map0.get_title() == "feature map, weights sum to 0"
    assert map1.get_title() == "feature map, weights sum to 1"
    weights = [t.get_text() for t in k0.texts]
    assert weights == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    shown = map0.images[0].get_array()
    np.testing.assert_allclose(
        shown, cnnkit.conv2d(image, KERNELS["sobel_x"], padding="same")
    )
    assert map0.get_xlabel() == "x (pixels)"
    assert len(fig.axes) == 6  # two colour bars, one per feature map


def test_kernel_effects_colours_span_the_1st_to_99th_percentile_unless_told_otherwise():
    image = np.zeros((30, 30))
    image[15, 15] = 1000.0  # one extreme value
    image[:, :10] = 1.0
    k = KERNELS["identity"]
    robust = _panels(plotting.show_kernel_effects(image, [k]))[1]
    full = _panels(plotting.show_kernel_effects(image, [k], robust=False))[1]
    assert robust.images[0].get_clim() == (0.0, 1.0)
    assert full.images[0].get_clim() == (0.0, 1000.0)


def test_kernel_effects_number_a_sequence_and_pass_padding_on():
    image = np.ones((10, 12))
    fig = plotting.show_kernel_effects(
        image, [np.ones((1, 3)), np.ones((5, 5))], padding="valid", ncols=3
    )
    k0, map0, k1, map1 = _panels(fig)
    assert [k0.get_title(), k1.get_title()] == ["kernel 0", "kernel 1"]
    assert map0.images[0].get_array().shape == (10, 10)
    assert map1.images[0].get_array().shape == (6, 8)


def test_kernel_effects_hide_leftover_panels_and_set_the_title():
    fig = plotting.show_kernel_effects(
        np.ones((8, 8)),
        [KERNELS[n] for n in ("sharpen", "emboss", "laplacian")],
        suptitle="three kernels",
    )
    visible = [ax for ax in _panels(fig) if ax.get_visible()]
    assert len(visible) == 6 and len(_panels(fig)) == 8
    assert fig.get_suptitle() == "three kernels"


@pytest.mark.parametrize(
    ("image", "kernels", "message"),
    [
        (np.ones((8, 8)), {}, "at least one kernel"),
        (np.ones((8, 8, 3)), [KERNELS["identity"]], "image must have shape"),
        (np.ones((8, 8)), [np.ones(3)], r"kernels\[0\] must have shape"),
        (np.ones((8, 8)), {"k": np.ones((3, 3))}, None),
    ],
)
def test_kernel_effects_reject_bad_input_naming_the_argument(image, kernels, message):
    if message is None:  # the control: good input passes
        plotting.show_kernel_effects(image, kernels)
        return
    with pytest.raises(ValueError, match=message):
        plotting.show_kernel_effects(image, kernels)


def test_kernel_effects_ncols_must_be_a_positive_int():
    with pytest.raises(ValueError, match="ncols"):
        plotting.show_kernel_effects(np.ones((8, 8)), [KERNELS["identity"]], ncols=0)


def test_kernel_effects_round_the_sum_and_print_big_kernels_smaller():
    fig = plotting.show_kernel_effects(np.ones((12, 12)), [np.eye(7) / 7])
    kernel, fmap = _panels(fig)
    assert fmap.get_title() == "feature map, weights sum to 1"
    assert {t.get_fontsize() for t in kernel.texts} == {36.0 / 7}
