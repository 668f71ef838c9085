"""Tests for cnnkit.shapes: output sizes, "same" padding and parameter counts.

Each formula is checked three ways: on the numbers the lecture notes use, by
brute force (counting window positions one by one), and against TensorFlow
and Keras on random sizes. Every error path has a test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnkit import shapes
from cnnkit.shapes import (
    batchnorm_params,
    conv2d_params,
    dense_params,
    depthwise_conv2d_params,
    output_size,
    padding_amounts,
    same_padding,
    separable_conv2d_params,
)

# The Keras comparisons build a layer per example (a few milliseconds each),
# so they take a quarter of the profile's examples: 50 under make test's
# standard profile, 500 under the thorough one (make bench).
KERAS_EXAMPLES = max(10, settings().max_examples // 4)


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip(
        "tensorflow", reason="TensorFlow is the reference these counts are checked on"
    )


@pytest.fixture(scope="module")
def keras(tf):
    return pytest.importorskip("keras", reason="Keras layers are the reference")


def test_public_names_are_exported_from_the_package():
    import cnnkit

    for name in shapes.__all__:
        assert getattr(cnnkit, name) is getattr(shapes, name)


# --------------------------------------------------------------------------- #
# Output sizes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((5, 3), {}, 3),  # notes 003: (5 - 3 + 0) / 1 + 1 = 3
        ((200, 5), {}, 196),  # notes 004: (200, 200, 3) -> (196, 196, 10)
        ((32, 3), {"padding": 1}, 32),  # notes 002: 32 x 32, 3 x 3, padding 1
        ((28, 3), {}, 26),  # notes 000: the MNIST model's first convolution
        ((26, 2), {"stride": 2}, 13),
        ((11, 2), {"stride": 2}, 5),  # (11 - 2) / 2 + 1 = 5.5: the floor matters
        ((64, 3), {"padding": "same"}, 64),
        ((64, 3), {"stride": 2, "padding": "same"}, 32),
        ((7, 3), {"stride": 2, "padding": "same"}, 4),
        ((9, 3), {"dilation": 2}, 5),  # the kernel spans 2 * (3 - 1) + 1 = 5
    ],
)
def test_output_size_on_worked_examples(args, kwargs, expected):
    assert output_size(*args, **kwargs) == expected


def _count_positions(n: int, span: int, stride: int) -> int:
    """Slide a window of ``span`` along ``n`` cells, counting where it fits."""
    count, start = 0, 0
    while start + span <= n:
        count += 1
        start += stride
    return count


@given(
    n=st.integers(1, 80),
    k=st.integers(1, 9),
    s=st.integers(1, 6),
    d=st.integers(1, 4),
    p=st.integers(0, 5),
)
def test_output_size_counts_the_window_positions(n, k, s, d, p):
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        with pytest.raises(ValueError, match="does not fit"):
            output_size(n, k, stride=s, padding=p, dilation=d)
    else:
        expected = _count_positions(n + 2 * p, span, s)
        assert output_size(n, k, stride=s, padding=p, dilation=d) == expected
        if p == 0:
            assert output_size(n, k, stride=s, dilation=d) == expected


@given(n=st.integers(1, 300), k=st.integers(1, 9), s=st.integers(1, 8))
def test_same_output_is_ceil_and_matches_the_padded_valid_formula(n, k, s):
    """The identity Summary.explain() shows: ceil(n / s) = floor(...) + 1."""
    out = output_size(n, k, stride=s, padding="same")
    assert out == math.ceil(n / s)
    before, after = same_padding(n, k, stride=s)
    assert after - before in (0, 1)  # the odd zero goes after
    assert (n + before + after - k) // s + 1 == out


@given(
    n=st.integers(1, 24),
    k=st.integers(1, 6),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_same_padding_and_output_size_match_tensorflow(tf, n, k, s, d, seed):
    if s > 1 and d > 1:
        d = 1  # TensorFlow's CPU convolution does not combine them
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=(1, n, 1, 1)), tf.float32)
    w = tf.constant(rng.normal(size=(k, 1, 1, 1)), tf.float32)
    conv = dict(strides=(s, 1), dilations=(d, 1))
    same = tf.nn.conv2d(x, w, padding="SAME", **conv)
    assert same.shape[1] == output_size(n, k, stride=s, padding="same", dilation=d)
    before, after = same_padding(n, k, stride=s, dilation=d)
    padded = tf.nn.conv2d(
        x, w, padding=[[0, 0], [before, after], [0, 0], [0, 0]], **conv
    )
    np.testing.assert_allclose(padded.numpy(), same.numpy(), rtol=1e-5, atol=1e-5)
    if d * (k - 1) + 1 <= n:
        valid = tf.nn.conv2d(x, w, padding="VALID", **conv)
        assert valid.shape[1] == output_size(n, k, stride=s, dilation=d)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0, "kernel_size": 3}, "n must be a positive integer, got 0"),
        ({"n": 5, "kernel_size": 0}, "kernel_size must be a positive integer, got 0"),
        ({"n": 5, "kernel_size": 3, "stride": 0}, "stride must be a positive integer"),
        ({"n": 5, "kernel_size": 3, "stride": -2}, "stride must be a positive integer"),
        ({"n": 5, "kernel_size": 3, "dilation": 0}, "dilation must be a positive"),
        ({"n": 5, "kernel_size": 3, "padding": -1}, "padding must not be negative"),
        ({"n": 5, "kernel_size": 3, "padding": "full"}, 'padding must be "valid"'),
        ({"n": 3, "kernel_size": 5}, "kernel of size 5 does not fit input of size 3"),
        (
            {"n": 4, "kernel_size": 3, "dilation": 2},
            r"dilation 2 makes it span 5\) does not fit input of size 4",
        ),
    ],
)
def test_output_size_rejects_bad_input_with_a_reason(kwargs, message):
    with pytest.raises(ValueError, match=message):
        output_size(**kwargs)


@pytest.mark.parametrize("bad", [2.0, "5", True, None])
def test_output_size_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="n must be a positive integer"):
        output_size(bad, 3)


def test_same_padding_puts_the_odd_zero_after():
    assert same_padding(5, 3) == (1, 1)
    assert same_padding(3, 2) == (0, 1)
    assert same_padding(6, 3, stride=2) == (0, 1)
    assert same_padding(5, 1, stride=2) == (0, 0)
    assert same_padding(7, 3, dilation=2) == (2, 2)


def test_same_padding_rejects_bad_input():
    with pytest.raises(ValueError, match="stride must be a positive integer, got 0"):
        same_padding(5, 3, stride=0)
    with pytest.raises(TypeError, match="kernel_size must be a positive integer"):
        same_padding(5, 2.5)


def test_padding_amounts_accepts_every_form():
    assert padding_amounts("valid", (5, 5), (3, 3)) == ((0, 0), (0, 0))
    assert padding_amounts("same", (3, 3), (2, 2)) == ((0, 1), (0, 1))
    assert padding_amounts("same", (6, 5), (3, 3), (2, 1)) == ((0, 1), (1, 1))
    assert padding_amounts(2, (5, 5), (3, 3)) == ((2, 2), (2, 2))
    assert padding_amounts((1, 2), (5, 5), (3, 3)) == ((1, 1), (2, 2))
    assert padding_amounts(((0, 1), (2, 3)), (5, 5), (3, 3)) == ((0, 1), (2, 3))


def test_padding_amounts_takes_an_int_or_a_pair_for_every_size():
    assert padding_amounts("same", (6, 5), (3, 3), 2) == ((0, 1), (1, 1))
    assert padding_amounts("same", (6, 5), (3, 3), (2, 2)) == ((0, 1), (1, 1))
    assert padding_amounts("same", 6, 3, 2, 2) == ((1, 2), (1, 2))
    assert padding_amounts("same", (6, 6), 3, dilation=(2, 1)) == ((2, 2), (1, 1))


@pytest.mark.parametrize(
    "args, error, message",
    [
        (((5, 5, 5), (3, 3)), ValueError, r"input_hw must be an int or a pair"),
        (((5, 5), (3, 3, 1)), ValueError, r"kernel_hw must be an int or a pair"),
        (((5, 5), (3, 3), (1, 2, 3)), ValueError, r"stride must be an int or a pair"),
        (((5, 5), (3, 3), 1, (1,)), ValueError, r"dilation must be an int or a pair"),
        (((5, 5), (3, 3), 1.5), TypeError, "stride must be a positive integer"),
        (((5, 5), (3, 3), 0), ValueError, "stride must be a positive integer"),
    ],
)
def test_padding_amounts_rejects_sizes_that_are_not_pairs(args, error, message):
    for padding in ("same", "valid", 1):
        with pytest.raises(error, match=message):
            padding_amounts(padding, *args)


def test_kernel_span_is_the_dilated_kernels_reach():
    assert [shapes.kernel_span(3, d) for d in (1, 2, 3)] == [3, 5, 7]
    assert shapes.kernel_span(1, 4) == 1
    with pytest.raises(ValueError, match="dilation must be a positive integer"):
        shapes.kernel_span(3, 0)


@pytest.mark.parametrize(
    "padding, error, message",
    [
        ("full", ValueError, 'padding must be "valid", "same"'),
        ((1, 2, 3), ValueError, r"padding must be \(rows, cols\)"),
        (((1,), (2, 3)), ValueError, r"padding must be \(\(top, bottom\)"),
        (-1, ValueError, "padding must not be negative, got -1"),
        ((1, -2), ValueError, "padding must not be negative, got -2"),
        (1.5, TypeError, "padding must be a non-negative integer, got 1.5"),
    ],
)
def test_padding_amounts_rejects_bad_padding(padding, error, message):
    with pytest.raises(error, match=message):
        padding_amounts(padding, (5, 5), (3, 3))


# --------------------------------------------------------------------------- #
# Parameter counts
# --------------------------------------------------------------------------- #


def test_parameter_counts_on_the_lecture_notes_numbers():
    # Notes 004: 10 filters of 5 x 5 on an RGB image, 5 x 5 x 3 x 10 + 10.
    assert conv2d_params(5, 3, 10) == 760
    # Notes 002, the 64 x 64 x 3 model: (3 x 3 x 3 + 1) x 32 and (3 x 3 x 32 + 1) x 64.
    assert conv2d_params(3, 3, 32) == 896
    assert conv2d_params(3, 32, 64) == 18_496
    # ... and its dense layers: n x m + m.
    assert dense_params(16 * 16 * 64, 128) == 2_097_280
    assert dense_params(128, 2) == 258
    # Notes 000, the MNIST model.
    assert conv2d_params(3, 1, 25) == 250
    assert conv2d_params(3, 25, 50) == 11_300
    assert dense_params(5 * 5 * 50, 100) == 125_100
    # Batch normalisation: 4 per channel, 2 of them trainable.
    assert batchnorm_params(32) == (64, 64)
    assert batchnorm_params(128) == (256, 256)


@given(m1=st.integers(1, 11), m2=st.integers(1, 11))
def test_conv2d_params_is_the_notes_formula_m1_m2_3_5_plus_5(m1, m2):
    """Notes 000: m1 x m2 x 3 x 5 + 5 for 5 filters on an RGB image."""
    assert conv2d_params((m1, m2), 3, 5) == m1 * m2 * 3 * 5 + 5


def _weights(layer) -> tuple[int, int]:
    count = lambda ws: sum(int(np.prod(w.shape)) for w in ws)  # noqa: E731
    return count(layer.trainable_weights), count(layer.non_trainable_weights)


@settings(max_examples=KERAS_EXAMPLES)
@given(
    kh=st.integers(1, 5),
    kw=st.integers(1, 5),
    groups=st.integers(1, 3),
    cin_per_group=st.integers(1, 4),
    filters_per_group=st.integers(1, 4),
    use_bias=st.booleans(),
)
def test_conv2d_params_matches_keras(
    keras, kh, kw, groups, cin_per_group, filters_per_group, use_bias
):
    cin, filters = groups * cin_per_group, groups * filters_per_group
    layer = keras.layers.Conv2D(filters, (kh, kw), groups=groups, use_bias=use_bias)
    layer.build((None, 8, 8, cin))
    expected = conv2d_params((kh, kw), cin, filters, use_bias=use_bias, groups=groups)
    assert layer.count_params() == expected
    assert _weights(layer) == (expected, 0)


@settings(max_examples=KERAS_EXAMPLES)
@given(
    k=st.integers(1, 5),
    cin=st.integers(1, 12),
    mult=st.integers(1, 3),
    filters=st.integers(1, 12),
    use_bias=st.booleans(),
)
def test_depthwise_and_separable_params_match_keras(
    keras, k, cin, mult, filters, use_bias
):
    depthwise = keras.layers.DepthwiseConv2D(
        k, depth_multiplier=mult, use_bias=use_bias
    )
    depthwise.build((None, 8, 8, cin))
    assert depthwise.count_params() == depthwise_conv2d_params(
        k, cin, depth_multiplier=mult, use_bias=use_bias
    )
    separable = keras.layers.SeparableConv2D(
        filters, k, depth_multiplier=mult, use_bias=use_bias
    )
    separable.build((None, 8, 8, cin))
    assert separable.count_params() == separable_conv2d_params(
        k, cin, filters, depth_multiplier=mult, use_bias=use_bias
    )


@settings(max_examples=KERAS_EXAMPLES)
@given(
    n=st.integers(1, 300),
    units=st.integers(1, 64),
    use_bias=st.booleans(),
    center=st.booleans(),
    scale=st.booleans(),
)
def test_dense_and_batchnorm_params_match_keras(
    keras, n, units, use_bias, center, scale
):
    dense = keras.layers.Dense(units, use_bias=use_bias)
    dense.build((None, n))
    assert _weights(dense) == (dense_params(n, units, use_bias=use_bias), 0)
    bn = keras.layers.BatchNormalization(center=center, scale=scale)
    bn.build((None, 4, 4, n))
    assert _weights(bn) == batchnorm_params(n, center=center, scale=scale)


def test_separable_convolution_needs_fewer_parameters():
    assert separable_conv2d_params(3, 32, 64) == 3 * 3 * 32 + (32 + 1) * 64
    assert separable_conv2d_params(3, 32, 64) < conv2d_params(3, 32, 64)
    assert depthwise_conv2d_params((3, 5), 4, depth_multiplier=2) == (15 + 1) * 8


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: conv2d_params(3, 0, 8), ValueError, "in_channels must be a positive"),
        (lambda: conv2d_params(3, 3, -1), ValueError, "filters must be a positive"),
        (
            lambda: conv2d_params((3, 3, 3), 3, 8),
            ValueError,
            "kernel_size must be an int or a pair",
        ),
        (
            lambda: conv2d_params((3, 0), 3, 8),
            ValueError,
            "kernel_size must be a positive",
        ),
        (
            lambda: conv2d_params(3, 6, 8, groups=4),
            ValueError,
            "in_channels must be a multiple of groups=4, got 6",
        ),
        (
            lambda: conv2d_params(3, 8, 6, groups=4),
            ValueError,
            "filters must be a multiple of groups=4, got 6",
        ),
        (
            lambda: conv2d_params(3, 3, 8, use_bias="yes"),
            TypeError,
            "use_bias must be True or False",
        ),
        (
            lambda: depthwise_conv2d_params(3, 4, depth_multiplier=0),
            ValueError,
            "depth_multiplier must be a positive",
        ),
        (
            lambda: separable_conv2d_params(3, 4, 2.0),
            TypeError,
            "filters must be a positive integer, got 2.0",
        ),
        (
            lambda: dense_params(0, 10),
            ValueError,
            "n_in must be a positive integer, got 0",
        ),
        (
            lambda: dense_params(10, None),
            TypeError,
            "units must be a positive integer, got None",
        ),
        (
            lambda: batchnorm_params(0),
            ValueError,
            "channels must be a positive integer",
        ),
        (
            lambda: batchnorm_params(4, center=2),
            TypeError,
            "center must be True or False, got 2",
        ),
    ],
)
def test_parameter_counts_reject_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
