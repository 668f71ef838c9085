"""cnnkit.pooling: exact against TensorFlow, naive equals fast, bad input fails.

References come from ``tf.nn.max_pool2d`` and ``tf.nn.avg_pool2d`` (and
their ``tf.GradientTape`` gradients) in float64; min pooling is checked
against ``-max_pool2d(-x)``. TensorFlow pools only with "valid" and "same",
so explicit padding is checked against TensorFlow pooling of the padded
input: ``-inf`` padding for max, and for averages the mean of the zero-padded
input divided by the mean of a padded mask of ones (the share of real
pixels). Small-integer inputs make ties common, which checks that the
gradient goes to the first maximum in row-major order, as in TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pytest
from _tf_reference import assert_matches, pads_of, values
from hypothesis import given
from hypothesis import strategies as st

import cnnkit
from cnnkit import (
    global_pool,
    pool2d,
    pool2d_backward,
    pool2d_backward_naive,
    pool2d_naive,
)

tf = pytest.importorskip("tensorflow", reason="TensorFlow is the reference")


# ---------------------------------------------------------------- strategies


@st.composite
def pool_paddings(draw, window):
    """ "valid", "same", or explicit padding smaller than the window."""
    (kh, kw) = window
    side_h, side_w = st.integers(0, kh - 1), st.integers(0, kw - 1)
    return draw(
        st.one_of(
            st.sampled_from(["valid", "same"]),
            st.integers(0, min(kh, kw) - 1),
            st.tuples(side_h, side_w),
            st.tuples(st.tuples(side_h, side_h), st.tuples(side_w, side_w)),
        )
    )


@st.composite
def pool_cases(draw, max_batch=2, max_extra=6, max_channels=3, kinds=None):
    window = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    padding = draw(pool_paddings(window))
    hw = []
    for k, (before, after) in zip(window, pads_of(padding), strict=True):
        smallest = 1 if padding == "same" else max(1, k - before - after)
        hw.append(draw(st.integers(smallest, smallest + max_extra)))
    return dict(
        n=draw(st.integers(1, max_batch)),
        hw=tuple(hw),
        c=draw(st.integers(1, max_channels)),
        pool_size=window[0] if window[0] == window[1] else window,
        stride=stride,
        padding=padding,
        mode=draw(st.sampled_from(["max", "min", "avg"])),
        dtype=np.dtype(draw(st.sampled_from([np.float64, np.float32]))),
        kind=draw(st.sampled_from(kinds or ["normal", "integers"])),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def input_for(case):
    rng = np.random.default_rng(case["seed"])
    shape = (case["n"], *case["hw"], case["c"])
    return rng, values(rng, shape, case["kind"], case["dtype"])


def options(case):
    return {k: case[k] for k in ("pool_size", "stride", "padding", "mode")}


# ------------------------------------------------------------ TF references


def as_pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def tf_pool(x, pool_size, stride, padding, mode):
    """TensorFlow's pooling of a float64 tensor, with gradients everywhere."""
    if mode == "min":
        return -tf_pool(-x, pool_size, stride, padding, "max")
    window = as_pair(pool_size)
    stride = window if stride is None else as_pair(stride)
    if isinstance(padding, str):
        pool = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
        return pool(x, window, stride, padding.upper())
    pads = [[0, 0], *map(list, pads_of(padding)), [0, 0]]
    if mode == "max":
        xp = tf.pad(x, pads, constant_values=-np.inf)
        return tf.nn.max_pool2d(xp, window, stride, "VALID")
    total = tf.nn.avg_pool2d(tf.pad(x, pads), window, stride, "VALID")
    share = tf.nn.avg_pool2d(tf.pad(tf.ones_like(x), pads), window, stride, "VALID")
    return total / share


def tf_pool_and_grad(x, dout, case):
    x = tf.constant(x, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf_pool(x, *[case[k] for k in ("pool_size", "stride", "padding", "mode")])
    if dout is None:
        return y.numpy(), None
    return y.numpy(), tape.gradient(
        y, x, output_gradients=tf.constant(dout, tf.float64)
    )


# ------------------------------------------------------ properties against TF


@given(pool_cases())
def test_pool2d_matches_tensorflow(case):
    _, x = input_for(case)
    expected, _ = tf_pool_and_grad(x, None, case)
    scale = pool2d(abs(x), **{**options(case), "mode": "avg"})  # mean of |x|
    assert_matches(pool2d(x, **options(case)), expected, scale, case["dtype"])


@given(pool_cases())
def test_pool2d_backward_matches_tensorflow_gradients(case):
    rng, x = input_for(case)
    dout = values(rng, pool2d(x, **options(case)).shape, case["kind"], case["dtype"])
    _, expected = tf_pool_and_grad(x, dout, case)
    scale = pool2d_backward(abs(dout), x, **options(case))  # same routing, |dout|
    assert_matches(pool2d_backward(dout, x, **options(case)), expected, scale, x.dtype)


@given(pool_cases())
def test_min_pool_is_minus_max_pool_of_minus_x(case):
    """The identity the TensorFlow reference for min pooling relies on, in cnnkit."""
    rng, x = input_for(case)
    as_max, as_min = {**options(case), "mode": "max"}, {**options(case), "mode": "min"}
    np.testing.assert_array_equal(pool2d(x, **as_min), -pool2d(-x, **as_max))
    dout = values(rng, pool2d(x, **as_max).shape, "normal", x.dtype)
    np.testing.assert_array_equal(
        pool2d_backward(dout, x, **as_min), pool2d_backward(dout, -x, **as_max)
    )


# -------------------------------------------------- naive equals fast, gradcheck


@given(pool_cases(max_extra=4))
def test_pool2d_naive_equals_fast(case):
    _, x = input_for(case)
    scale = pool2d(abs(x), **{**options(case), "mode": "avg"})
    assert_matches(
        pool2d_naive(x, **options(case)), pool2d(x, **options(case)), scale, x.dtype
    )


@given(pool_cases(max_extra=4))
def test_pool2d_backward_naive_equals_fast(case):
    rng, x = input_for(case)
    dout = values(rng, pool2d(x, **options(case)).shape, case["kind"], case["dtype"])
    fast = pool2d_backward(dout, x, **options(case))
    scale = pool2d_backward(abs(dout), x, **options(case))
    assert_matches(
        pool2d_backward_naive(dout, x, **options(case)), fast, scale, x.dtype
    )


@given(pool_cases(max_batch=1, max_extra=3, max_channels=2, kinds=["distinct"]))
def test_pool2d_backward_passes_numerical_gradient_check(case):
    rng, x = input_for(case)
    x = x.astype(np.float64)
    dout = rng.standard_normal(pool2d(x, **options(case)).shape)
    numeric = cnnkit.numerical_gradient(lambda v: pool2d(v, **options(case)), x, dout)
    assert cnnkit.rel_error(pool2d_backward(dout, x, **options(case)), numeric) < 1e-6


# ------------------------------------------------------------ worked examples

A = np.array([[1, 3, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [9, 8, 6, 5]])
B = np.arange(1, 17).reshape(4, 4)


@pytest.mark.parametrize(
    ("x", "mode", "expected"),
    [
        (A, "max", [[6, 8], [9, 6]]),
        (A, "avg", [[3.75, 5.25], [5.5, 3.0]]),
        (A, "min", [[1, 2], [2, 0]]),
        (B, "min", [[1, 3], [9, 11]]),
        (B, "max", [[6, 8], [14, 16]]),
        (B, "avg", [[3.5, 5.5], [11.5, 13.5]]),
    ],
)
def test_lecture_examples(x, mode, expected):
    np.testing.assert_array_equal(pool2d(x, 2, stride=2, mode=mode), expected)
    np.testing.assert_array_equal(pool2d_naive(x, 2, stride=2, mode=mode), expected)


def test_global_pooling_of_the_lecture_example():
    assert global_pool(B) == 136 / 16 == 8.5
    assert global_pool(B, mode="max") == 16
    assert global_pool(B, mode="min") == 1


def test_same_padding_never_wins_and_is_not_counted():
    x = -np.arange(1, 10).reshape(3, 3)  # all negative: a zero pad would win
    np.testing.assert_array_equal(pool2d(x, padding="same"), [[-1, -3], [-7, -9]])
    np.testing.assert_array_equal(
        pool2d(-x, padding="same", mode="avg"), [[3, 4.5], [7.5, 9]]
    )


def test_max_gradient_goes_to_the_first_of_tied_maxima():
    x = np.array([[1, 3, 3, 0], [3, 2, 1, 1], [0, 0, 5, 5], [5, 5, 0, 0]])
    expected = [[0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]
    for f in (pool2d_backward, pool2d_backward_naive):
        np.testing.assert_array_equal(f(np.ones((2, 2)), x), expected)
    _, tf_grad = tf_pool_and_grad(
        x[None, :, :, None], np.ones((1, 2, 2, 1)),
        dict(pool_size=2, stride=None, padding="valid", mode="max"),
    )  # fmt: skip
    np.testing.assert_array_equal(np.asarray(tf_grad)[0, :, :, 0], expected)


@pytest.mark.parametrize("shape", [(6, 7), (6, 7, 3), (2, 6, 7, 3)])
@pytest.mark.parametrize("mode", ["max", "min", "avg"])
def test_global_pool_matches_tensorflow(shape, mode):
    x = np.random.default_rng(3).standard_normal(shape)
    reduce = {"max": tf.reduce_max, "min": tf.reduce_min, "avg": tf.reduce_mean}[mode]
    axes = (1, 2) if x.ndim == 4 else (0, 1)
    np.testing.assert_allclose(global_pool(x, mode), reduce(x, axis=axes).numpy())


# ------------------------------------------------------- shapes and dtypes


@pytest.mark.parametrize(
    ("shape", "out"),
    [((5, 6), (2, 3)), ((5, 6, 3), (2, 3, 3)), ((4, 5, 6, 3), (4, 2, 3, 3))],
)
def test_output_keeps_the_input_rank(shape, out):
    x = np.random.default_rng(0).standard_normal(shape)
    for mode in ("max", "min", "avg"):
        assert pool2d(x, mode=mode).shape == out
        assert pool2d_naive(x, mode=mode).shape == out
        assert pool2d_backward(np.ones(out), x, mode=mode).shape == shape
        assert pool2d_backward_naive(np.ones(out), x, mode=mode).shape == shape


@pytest.mark.parametrize(
    ("dtype", "out"),
    [(np.float32, np.float32), (np.float64, np.float64), (np.int32, np.float64)],
)
def test_dtypes(dtype, out):
    x = np.arange(16).reshape(4, 4).astype(dtype)
    for mode in ("max", "min", "avg"):
        assert pool2d(x, mode=mode).dtype == out
        assert pool2d_backward(np.ones((2, 2)), x, mode=mode).dtype == out
    assert global_pool(x[None, :, :, None]).dtype == out


def test_stride_defaults_to_the_pool_size():
    x = np.random.default_rng(1).standard_normal((1, 9, 9, 2))
    np.testing.assert_array_equal(pool2d(x, 3), pool2d(x, 3, stride=3))
    np.testing.assert_array_equal(pool2d(x, (3, 2)), pool2d(x, (3, 2), stride=(3, 2)))


# -------------------------------------------------------------- bad input

X = np.ones((1, 4, 4, 2))
DOUT = np.ones((1, 2, 2, 2))

BAD = [
    # (id, x, kwargs, exception, message)
    ("x-1d", np.ones(5), {}, ValueError, r"x must have shape \(H, W\).*\(5,\)"),
    ("x-5d", np.ones((1, 1, 4, 4, 1)), {}, ValueError, "x must have shape"),
    ("x-text", np.array([["a", "b"]]), {}, TypeError, "x must hold numbers"),
    ("x-empty", np.ones((0, 4, 4, 1)), {}, ValueError, "x must not be empty"),
    ("x-ragged", [[1, 2], [3]], {}, TypeError, "x must be an array of numbers"),
    ("pool-0", X, {"pool_size": 0}, ValueError, "pool_size must be a positive int"),
    ("pool-float", X, {"pool_size": 2.0}, TypeError, "pool_size must be a positive"),
    ("pool-triple", X, {"pool_size": (2, 2, 2)}, ValueError, "pool_size must be an"),
    ("stride-0", X, {"stride": 0}, ValueError, "stride must be a positive integer"),
    ("stride-str", X, {"stride": "2"}, TypeError, "stride must be a positive"),
    ("padding-str", X, {"padding": "full"}, ValueError, r"padding must be .*'full'"),
    ("padding-neg", X, {"padding": -1}, ValueError, "padding must not be negative"),
    ("padding-float", X, {"padding": 0.5}, TypeError, "padding must be a non-neg"),
    (
        "padding-too-big",
        X,
        {"padding": ((2, 0), (0, 0))},
        ValueError,
        r"puts a whole window in the padding; each side must be smaller than "
        r"pool_size \(2, 2\)",
    ),
    (
        "too-big",
        X,
        {"pool_size": 5},
        ValueError,
        r"pool_size \(5, 5\) does not fit input \(4, 4\) with padding='valid'",
    ),
    ("mode", X, {"mode": "median"}, ValueError, r"mode must be one of 'max', 'min'"),
    ("mode-int", X, {"mode": 1}, ValueError, r"mode must be one of .*got 1"),
]


@pytest.mark.parametrize("f", [pool2d, pool2d_naive], ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("x", "kwargs", "error", "match"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_forward_rejects_bad_input(f, x, kwargs, error, match):
    with pytest.raises(error, match=match):
        f(x, **kwargs)


@pytest.mark.parametrize(
    "f", [pool2d_backward, pool2d_backward_naive], ids=lambda f: f.__name__
)
@pytest.mark.parametrize(
    ("x", "kwargs", "error", "match"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_backward_rejects_bad_input(f, x, kwargs, error, match):
    with pytest.raises(error, match=match):
        f(DOUT, x, **kwargs)


@pytest.mark.parametrize(
    "f", [pool2d_backward, pool2d_backward_naive], ids=lambda f: f.__name__
)
@pytest.mark.parametrize(
    ("dout", "error", "match"),
    [
        (np.ones((1, 2, 2, 3)), ValueError,
         r"dout must have the shape of pool2d's output, \(1, 2, 2, 2\), got shape"),
        (np.ones((2, 2, 2)), ValueError, "dout must have the shape"),
        (np.array(["a"]), TypeError, "dout must hold numbers"),
        (np.ones((1, 0, 2, 2)), ValueError, "dout must not be empty"),
    ],
    ids=["shape", "rank", "text", "empty"],
)  # fmt: skip
def test_backward_rejects_bad_dout(f, dout, error, match):
    with pytest.raises(error, match=match):
        f(dout, X)


@pytest.mark.parametrize(
    ("x", "mode", "error", "match"),
    [
        (np.ones(5), "avg", ValueError, r"x must have shape \(H, W\)"),
        (np.ones((4, 4)), "median", ValueError, "mode must be one of 'avg'"),
        (np.array([["a"]]), "avg", TypeError, "x must hold numbers"),
        (np.ones((0, 3)), "avg", ValueError, "x must not be empty"),
    ],
    ids=["x-1d", "mode", "x-text", "x-empty"],
)
def test_global_pool_rejects_bad_input(x, mode, error, match):
    with pytest.raises(error, match=match):
        global_pool(x, mode)


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=5).map(tuple)


@given(shapes, shapes, st.integers(1, 5), st.sampled_from(["valid", "same", 1, (0, 2)]))
def test_any_shapes_either_work_or_raise_value_or_type_error(xs, ds, k, padding):
    """No IndexError, broadcasting error or assert leaks out, whatever the shapes."""
    for call in (
        lambda: pool2d(np.ones(xs), k, padding=padding),
        lambda: pool2d_backward(np.ones(ds), np.ones(xs), k, padding=padding),
        lambda: global_pool(np.ones(xs)),
    ):
        try:
            call()
        except (ValueError, TypeError) as err:
            assert type(err) in (ValueError, TypeError), type(err)


# ------------------------------------------- infinities, NaN and float16


@pytest.mark.parametrize(
    "f", [pool2d_backward, pool2d_backward_naive], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("mode", ["max", "min"])
def test_an_infinite_or_nan_gradient_reaches_the_winner_only(f, bad, mode):
    x = np.arange(16.0).reshape(4, 4)
    dx = f(np.array([[bad, 1], [1, 1]]), x, mode=mode)
    expected = f(np.ones((2, 2)), x, mode=mode)  # 1 on each window's winner
    expected[(1, 1) if mode == "max" else (0, 0)] = bad
    np.testing.assert_array_equal(dx, expected)


@pytest.mark.parametrize("mode", ["max", "min"])
def test_infinite_and_nan_gradients_of_overlapping_windows_match_tensorflow(mode):
    rng = np.random.default_rng(5)
    case = dict(pool_size=3, stride=2, padding="same", mode=mode)
    x = rng.standard_normal((2, 7, 6, 3))
    dout = rng.standard_normal(pool2d(x, **case).shape)
    dout[0, 1, 1, 0], dout[1, 2, 0, 2], dout[1, 0, 2, 1] = np.inf, -np.inf, np.nan
    _, expected = tf_pool_and_grad(x, dout, case)
    np.testing.assert_allclose(pool2d_backward(dout, x, **case), expected, 1e-12)
    np.testing.assert_allclose(pool2d_backward_naive(dout, x, **case), expected, 1e-12)


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize(
    "options",
    [
        dict(pool_size=2),
        dict(pool_size=3, stride=2, padding="same"),
        dict(pool_size=(3, 2), stride=1, padding=((2, 1), (0, 1))),
    ],
    ids=["2x2", "3x3-overlapping-same", "3x2-stride-1-padded"],
)
def test_nan_in_x_takes_its_windows_gradient_and_none_is_lost(mode, options):
    rng = np.random.default_rng(6)
    x = rng.integers(-3, 4, size=(2, 7, 6, 3)).astype(float)  # ties too
    x[0, 2, 3, 1] = x[0, 2, 4, 1] = x[1, 0, 0, 2] = x[1, 6, 5, 0] = np.nan
    dout = rng.standard_normal(pool2d(x, mode=mode, **options).shape)
    fast = pool2d_backward(dout, x, mode=mode, **options)
    loop = pool2d_backward_naive(dout, x, mode=mode, **options)
    np.testing.assert_allclose(fast, loop, rtol=1e-12)
    assert fast.sum() == pytest.approx(dout.sum(), rel=1e-12)


def test_the_first_nan_of_a_window_wins_it():
    x = np.array([[1.0, np.nan], [np.nan, 2.0]])
    for f in (pool2d_backward, pool2d_backward_naive):
        for mode in ("max", "min"):
            np.testing.assert_array_equal(f([[5.0]], x, mode=mode), [[0, 5], [0, 0]])


def test_float16_average_does_not_overflow():
    """NumPy sums float16 in float32 (``np.mean``); the fast version must too."""
    x = np.full((4, 4), 60000, np.float16)  # a 2x2 window sums to 240000
    for f in (pool2d, pool2d_naive):
        out = f(x, mode="avg")
        assert out.dtype == np.float16
        np.testing.assert_array_equal(out, np.full((2, 2), 60000, np.float16))
    assert global_pool(x) == 60000 and global_pool(x).dtype == np.float16


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_global_pool_of_one_map_is_a_numpy_scalar_of_its_dtype(dtype):
    """What the docstring's Returns section promises."""
    value = global_pool(np.ones((3, 3), dtype))
    assert isinstance(value, np.floating) and value.dtype == dtype
    assert "numpy.floating" in global_pool.__doc__
