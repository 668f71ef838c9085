"""cnnkit.kernels: the classic kernels, their values and what they do."""

from __future__ import annotations

import numpy as np
import pytest

import cnnkit
from cnnkit import kernels
from cnnkit.kernels import KERNELS

tf = pytest.importorskip("tensorflow", reason="TensorFlow is the reference")

# The values as the lecture notes' table (and any image-processing text) gives them.
EXPECTED = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt_x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt_y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "box_blur": np.ones((3, 3)) / 9,
    "gaussian_blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}


def test_every_kernel_is_listed_with_its_values():
    assert set(KERNELS) == set(EXPECTED)
    for name, values in EXPECTED.items():
        np.testing.assert_array_equal(KERNELS[name], values, err_msg=name)
        assert getattr(kernels, name) is KERNELS[name]


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernels_are_read_only_float_3x3(name):
    k = KERNELS[name]
    assert k.shape == (3, 3)
    assert k.dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        k[1, 1] = 0


def test_reachable_from_the_package():
    assert cnnkit.kernels.sobel_x is kernels.sobel_x
    assert kernels.edge is kernels.outline


@pytest.mark.parametrize(
    ("name", "total"),
    [("identity", 1), ("outline", 0), ("sobel_x", 0), ("sobel_y", 0),
     ("prewitt_x", 0), ("prewitt_y", 0), ("sharpen", 1), ("box_blur", 1),
     ("gaussian_blur", 1), ("emboss", 1), ("laplacian", 0)],
)  # fmt: skip
def test_weights_sum_to_what_the_kernel_keeps_of_a_flat_image(name, total):
    flat = np.full((6, 6), 7.0)
    np.testing.assert_allclose(cnnkit.conv2d(flat, KERNELS[name]), 7.0 * total)


def test_x_and_y_versions_are_transposes():
    np.testing.assert_array_equal(kernels.sobel_y, kernels.sobel_x.T)
    np.testing.assert_array_equal(kernels.prewitt_y, kernels.prewitt_x.T)


def test_sobel_x_answers_where_the_image_gets_brighter_to_the_right():
    step = np.repeat([[0, 0, 0, 1, 1, 1]], 5, axis=0).astype(float)  # dark | light
    gx = cnnkit.conv2d(step, kernels.sobel_x)
    gy = cnnkit.conv2d(step, kernels.sobel_y)
    np.testing.assert_array_equal(gx, np.repeat([[0, 4, 4, 0]], 3, axis=0))
    np.testing.assert_array_equal(gy, 0)
    np.testing.assert_array_equal(cnnkit.conv2d(step.T, kernels.sobel_y), gx.T)


def test_identity_leaves_the_image_unchanged():
    image = np.random.default_rng(0).standard_normal((5, 7))
    np.testing.assert_array_equal(
        cnnkit.conv2d(image, kernels.identity, padding="same"), image
    )


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_conv2d_with_each_kernel_matches_tensorflow(name):
    image = np.random.default_rng(1).uniform(0, 255, size=(1, 12, 10, 1))
    k = KERNELS[name][:, :, None, None]
    expected = tf.nn.conv2d(image, k, strides=1, padding="SAME").numpy()
    np.testing.assert_allclose(cnnkit.conv2d(image, k, padding="same"), expected)
