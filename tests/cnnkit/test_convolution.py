"""cnnkit.convolution: exact against TensorFlow, naive equals fast, bad input fails.

The property tests draw shapes, channels, strides, dilations, every padding
form and both float dtypes, and compare with ``tf.nn.conv2d`` and with
TensorFlow's gradients. Array values come from a seeded NumPy generator
(drawn by Hypothesis), either continuous or small integers, which makes
exact ties and exact zeros common.

TensorFlow always computes the reference in float64: its default float32 CPU
path (oneDNN) returns garbage for some small strided convolutions, e.g.
``tf.nn.conv2d(x, k, strides=(1, 2), padding="VALID")`` with ``x`` of shape
(2, 2, 3, 1) and ``k`` of shape (1, 2, 1, 1) (TensorFlow 2.21), so cnnkit's
float32 results are checked against the exact float64 answer instead, which
is the stricter test. Each result may differ from the reference by ``RTOL``
times the sum of the magnitudes of the terms it adds up, the textbook bound
on the rounding error of a sum.
"""

from __future__ import annotations

import numpy as np
import pytest
from _tf_reference import assert_matches, pads_of, values
from hypothesis import given
from hypothesis import strategies as st

import cnnkit
from cnnkit import conv2d, conv2d_backward, conv2d_backward_naive, conv2d_naive

tf = pytest.importorskip("tensorflow", reason="TensorFlow is the reference")


# ---------------------------------------------------------------- strategies

small = st.integers(1, 3)
pad_amount = st.integers(0, 2)
paddings = st.one_of(
    st.sampled_from(["valid", "same"]),
    pad_amount,
    st.tuples(pad_amount, pad_amount),
    st.tuples(st.tuples(pad_amount, pad_amount), st.tuples(pad_amount, pad_amount)),
)


def pair_or_int(pair):
    """Pass an int when both entries agree, so both forms get exercised."""
    return pair[0] if pair[0] == pair[1] else pair


@st.composite
def conv_cases(draw, max_batch=2, max_extra=6, max_channels=3, max_kernel=4):
    """A consistent set of conv2d arguments with the kernel fitting its input."""
    kernel_hw = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(small), draw(small))
    dilation = (draw(small), draw(small))
    padding = draw(paddings)
    hw = []
    for k, d, (before, after) in zip(
        kernel_hw, dilation, pads_of(padding), strict=True
    ):
        smallest = 1 if padding == "same" else max(1, d * (k - 1) + 1 - before - after)
        hw.append(draw(st.integers(smallest, smallest + max_extra)))
    return dict(
        n=draw(st.integers(1, max_batch)),
        hw=tuple(hw),
        c_in=draw(st.integers(1, max_channels)),
        c_out=draw(st.integers(1, max_channels)),
        kernel_hw=kernel_hw,
        stride=pair_or_int(stride),
        dilation=pair_or_int(dilation),
        padding=padding,
        dtype=np.dtype(draw(st.sampled_from([np.float64, np.float32]))),
        kind=draw(st.sampled_from(["normal", "integers"])),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def arrays_for(case):
    rng = np.random.default_rng(case["seed"])
    dtype, kind = case["dtype"], case["kind"]
    x = values(rng, (case["n"], *case["hw"], case["c_in"]), kind, dtype)
    k = values(rng, (*case["kernel_hw"], case["c_in"], case["c_out"]), kind, dtype)
    b = values(rng, (case["c_out"],), kind, dtype)
    return rng, x, k, b


def options(case):
    return dict(
        stride=case["stride"], padding=case["padding"], dilation=case["dilation"]
    )


# ------------------------------------------------------------ TF references


def as_pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def tf_padding(padding):
    if isinstance(padding, str):
        return padding.upper()
    return [[0, 0], *map(list, pads_of(padding)), [0, 0]]


def tf_same_pads(n, k, s, d):
    """TensorFlow's documented "same" rule (checked against TF by the forward
    property): ceil(n / s) outputs, any odd zero going after."""
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def tf_conv2d(x, k, b, stride, padding, dilation):
    """TensorFlow's conv2d plus bias, in float64."""
    x, k, b = (np.asarray(a, np.float64) for a in (x, k, b))
    y = tf.nn.conv2d(
        x, k, strides=as_pair(stride), padding=tf_padding(padding),
        dilations=as_pair(dilation),
    )  # fmt: skip
    return tf.nn.bias_add(y, b).numpy()


def tf_conv2d_with_scale(x, k, b, stride, padding, dilation):
    """The reference and the magnitudes of its terms (the same conv of |x|)."""
    args = (stride, padding, dilation)
    return tf_conv2d(x, k, b, *args), tf_conv2d(abs(x), abs(k), abs(b), *args)


def tf_conv2d_differentiable(x, k, b, stride, padding, dilation):
    """conv2d as TensorFlow ops that all have CPU gradients.

    TensorFlow's CPU kernels have no gradient for dilation > 1, so for those
    the same convolution is built from ``with_space_to_batch`` (stride 1, on
    the explicitly padded input) and the stride is applied by subsampling.
    """
    (sh, sw), (dh, dw) = as_pair(stride), as_pair(dilation)
    if (dh, dw) == (1, 1):
        y = tf.nn.conv2d(x, k, strides=(sh, sw), padding=tf_padding(padding))
        return tf.nn.bias_add(y, b)
    if padding == "same":
        (kh, kw), (h, w) = k.shape[:2], x.shape[1:3]
        pads = (tf_same_pads(h, kh, sh, dh), tf_same_pads(w, kw, sw, dw))
    else:
        pads = pads_of(padding)
    xp = tf.pad(x, [[0, 0], *map(list, pads), [0, 0]])

    def conv(inp, num_spatial_dims, padding):
        return tf.nn.conv2d(inp, k, strides=1, padding=padding)

    y = tf.nn.with_space_to_batch(xp, dilation_rate=[dh, dw], padding="VALID", op=conv)
    return tf.nn.bias_add(y[:, ::sh, ::sw], b)


def tf_conv2d_grads(x, k, b, dout, stride, padding, dilation):
    """TensorFlow's output and gradients (x, kernel, bias), in float64."""
    x, k, b, dout = (tf.constant(a, tf.float64) for a in (x, k, b, dout))
    with tf.GradientTape() as tape:
        tape.watch([x, k, b])
        y = tf_conv2d_differentiable(x, k, b, stride, padding, dilation)
    grads = tape.gradient(y, [x, k, b], output_gradients=dout)
    return y.numpy(), [g.numpy() for g in grads]


# ------------------------------------------------------ properties against TF


def tf_args(case):
    return case["stride"], case["padding"], case["dilation"]


@given(conv_cases())
def test_conv2d_matches_tensorflow(case):
    _, x, k, b = arrays_for(case)
    expected, scale = tf_conv2d_with_scale(x, k, b, *tf_args(case))
    assert_matches(conv2d(x, k, b, **options(case)), expected, scale, case["dtype"])


@given(conv_cases())
def test_conv2d_backward_matches_tensorflow_gradients(case):
    rng, x, k, b = arrays_for(case)
    y = conv2d(x, k, b, **options(case))
    dout = values(rng, y.shape, case["kind"], case["dtype"])
    tf_y, expected = tf_conv2d_grads(x, k, b, dout, *tf_args(case))
    _, scales = tf_conv2d_grads(abs(x), abs(k), abs(b), abs(dout), *tf_args(case))
    # the gradients' reference computes the same convolution as conv2d
    assert_matches(y, tf_y, tf_conv2d(abs(x), abs(k), abs(b), *tf_args(case)), y.dtype)
    grads = conv2d_backward(dout, x, k, **options(case))
    for got, want, scale in zip(grads, expected, scales, strict=True):
        assert_matches(got, want, scale, case["dtype"])


@given(conv_cases(), st.booleans())
def test_conv2d_flip_is_true_convolution(case, flip):
    """flip=True equals cross-correlating with the kernel turned 180 degrees."""
    _, x, k, b = arrays_for(case)
    turned = k[::-1, ::-1] if flip else k
    expected, scale = tf_conv2d_with_scale(x, turned, b, *tf_args(case))
    out = conv2d(x, k, b, flip=flip, **options(case))
    assert_matches(out, expected, scale, case["dtype"])


# -------------------------------------------------- naive equals fast, gradcheck


@given(conv_cases(max_extra=4), st.booleans())
def test_conv2d_naive_equals_fast(case, flip):
    _, x, k, b = arrays_for(case)
    opts = dict(flip=flip, **options(case))
    fast = conv2d(x, k, b, **opts)
    scale = conv2d(abs(x), abs(k), abs(b), **opts)
    assert_matches(conv2d_naive(x, k, b, **opts), fast, scale, case["dtype"])


@given(conv_cases(max_extra=4))
def test_conv2d_backward_naive_equals_fast(case):
    rng, x, k, _ = arrays_for(case)
    dout = values(rng, conv2d(x, k, **options(case)).shape, case["kind"], case["dtype"])
    fast = conv2d_backward(dout, x, k, **options(case))
    naive = conv2d_backward_naive(dout, x, k, **options(case))
    scales = conv2d_backward(abs(dout), abs(x), abs(k), **options(case))
    for got, want, scale in zip(naive, fast, scales, strict=True):
        assert_matches(got, want, scale, case["dtype"])


@given(conv_cases(max_extra=4))
def test_conv2d_backward_flip_is_the_gradient_of_conv2d_flip(case):
    """flip=True: the gradients of cross-correlating with the turned kernel,
    the kernel's turned back; the loops agree."""
    rng, x, k, _ = arrays_for(case)
    dout = values(rng, conv2d(x, k, **options(case)).shape, case["kind"], case["dtype"])
    dx, dk, db = conv2d_backward(dout, x, k[::-1, ::-1], **options(case))
    expected = (dx, dk[::-1, ::-1], db)
    # Each entry's scale sums the magnitudes of the same terms as its expected
    # value, so it is computed with the kernel turned the same way.
    sdx, sdk, sdb = conv2d_backward(
        abs(dout), abs(x), abs(k)[::-1, ::-1], **options(case)
    )
    scales = (sdx, sdk[::-1, ::-1], sdb)
    for f in (conv2d_backward, conv2d_backward_naive):
        grads = f(dout, x, k, flip=True, **options(case))
        for got, want, scale in zip(grads, expected, scales, strict=True):
            assert_matches(got, want, scale, case["dtype"])


@given(
    conv_cases(max_batch=1, max_extra=3, max_channels=2, max_kernel=3), st.booleans()
)
def test_conv2d_backward_passes_numerical_gradient_check(case, flip):
    rng, x, k, b = arrays_for(case)
    x, k, b = x.astype(np.float64), k.astype(np.float64), b.astype(np.float64)
    opts = dict(flip=flip, **options(case))
    dout = rng.standard_normal(conv2d(x, k, **opts).shape)
    dx, dk, db = conv2d_backward(dout, x, k, **opts)
    num = cnnkit.numerical_gradient
    assert cnnkit.rel_error(dx, num(lambda v: conv2d(v, k, b, **opts), x, dout)) < 1e-6
    assert cnnkit.rel_error(dk, num(lambda v: conv2d(x, v, b, **opts), k, dout)) < 1e-6
    assert cnnkit.rel_error(db, num(lambda v: conv2d(x, k, v, **opts), b, dout)) < 1e-6


# ------------------------------------------------------------ worked examples

X3 = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
K2 = np.array([[1, 0], [0, -1]])


def test_worked_example_valid_is_2x2_of_minus_four():
    # The lecture notes claim a 3x3 result "with no padding"; valid gives 2x2.
    out = conv2d(X3, K2)
    np.testing.assert_array_equal(out, [[-4, -4], [-4, -4]])
    assert out.shape == (cnnkit.output_size(3, 2),) * 2


def test_worked_example_same_pads_bottom_and_right():
    out = conv2d(X3, K2, padding="same")
    np.testing.assert_array_equal(out, [[-4, -4, 3], [-4, -4, 6], [7, 8, 9]])
    explicit = conv2d(X3, K2, padding=((0, 1), (0, 1)))
    np.testing.assert_array_equal(out, explicit)


def test_padding_forms_agree():
    x = np.random.default_rng(0).standard_normal((2, 6, 7, 3))
    k = np.random.default_rng(1).standard_normal((3, 3, 3, 4))
    np.testing.assert_array_equal(conv2d(x, k, padding=1), conv2d(x, k, padding=(1, 1)))
    np.testing.assert_array_equal(
        conv2d(x, k, padding=(1, 2)), conv2d(x, k, padding=((1, 1), (2, 2)))
    )
    np.testing.assert_array_equal(
        conv2d(x, k, padding="same"), conv2d(x, k, padding=((1, 1), (1, 1)))
    )


# ------------------------------------------------------- shapes and dtypes

RNG = np.random.default_rng(7)
IMG = RNG.standard_normal((5, 6))
KER = RNG.standard_normal((2, 3))


@pytest.mark.parametrize(
    ("x", "kernel", "shape"),
    [
        (IMG, KER, (4, 4)),
        (IMG[:, :, None], KER, (4, 4, 1)),
        (IMG[None, :, :, None], KER, (1, 4, 4, 1)),
        (IMG, KER[:, :, None, None], (4, 4, 1)),
        (IMG[:, :, None], np.ones((2, 3, 1, 5)), (4, 4, 5)),
        (np.ones((3, 5, 6, 2)), np.ones((2, 3, 2, 5)), (3, 4, 4, 5)),
    ],
    ids=["2d-2d", "3d-2d", "4d-2d", "2d-4d", "3d-4d", "4d-4d"],
)
def test_output_keeps_the_input_rank(x, kernel, shape):
    out = conv2d(x, kernel)
    assert out.shape == shape
    np.testing.assert_allclose(out.reshape(-1), conv2d_naive(x, kernel).reshape(-1))
    dx, dk, db = conv2d_backward(np.ones(shape), x, kernel)
    assert dx.shape == np.shape(x)
    assert dk.shape == np.shape(kernel)
    assert db.shape == ((np.shape(kernel)[3],) if np.ndim(kernel) == 4 else ())


def test_2d_result_equals_the_4d_one():
    out4 = conv2d(IMG[None, :, :, None], KER[:, :, None, None], 0.5, padding="same")
    np.testing.assert_array_equal(
        conv2d(IMG, KER, 0.5, padding="same"), out4[0, :, :, 0]
    )


@pytest.mark.parametrize(
    ("x_dtype", "k_dtype", "out_dtype"),
    [
        (np.float32, np.float32, np.float32),
        (np.float64, np.float64, np.float64),
        (np.int64, np.int64, np.float64),
        (np.uint8, np.float32, np.float32),
        (np.float32, np.float64, np.float64),
        # NumPy's promotion (np.result_type), however unusual the pair
        (np.int64, np.float16, np.float64),
        (np.int32, np.float32, np.float64),
        (np.uint8, np.float16, np.float16),
    ],
)
def test_dtypes(x_dtype, k_dtype, out_dtype):
    x = np.arange(16).reshape(4, 4).astype(x_dtype)
    k = np.ones((2, 2), dtype=k_dtype)
    assert conv2d(x, k).dtype == out_dtype
    assert conv2d_naive(x, k).dtype == out_dtype
    assert all(g.dtype == out_dtype for g in conv2d_backward(np.ones((3, 3)), x, k))


def test_integer_input_and_float16_kernel_compute_in_float64():
    """int64 and float16 promote to float64 in NumPy; float16 would overflow."""
    x = np.full((3, 3), 30000, np.int64)
    k = np.ones((2, 2), np.float16)
    for out in (
        conv2d(x, k),
        conv2d_naive(x, k),
        *conv2d_backward(np.ones((2, 2)), x, k),
    ):
        assert out.dtype == np.float64 and np.isfinite(out).all()
    np.testing.assert_array_equal(conv2d(x, k), np.full((2, 2), 120000.0))


def test_conv2d_docstring_says_how_the_dtype_is_chosen():
    returns = conv2d.__doc__.split("Returns")[1].split("Examples")[0]
    assert "np.result_type" in returns
    assert "Integers\n" not in returns  # a sentence once broke off there


def test_scalar_bias_is_added_everywhere():
    out = conv2d(np.zeros((1, 3, 3, 2)), np.zeros((2, 2, 2, 4)), bias=1.5)
    np.testing.assert_array_equal(out, np.full((1, 2, 2, 4), 1.5))


def test_lists_are_accepted():
    assert conv2d([[1, 2], [3, 4]], [[1]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_inputs_are_not_modified():
    x, k = RNG.standard_normal((1, 5, 5, 2)), RNG.standard_normal((3, 3, 2, 2))
    x0, k0 = x.copy(), k.copy()
    dout = np.ones((1, 3, 3, 2))
    for f in (conv2d_backward, conv2d_backward_naive):
        f(dout, x, k)
    conv2d(x, k, flip=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(k, k0)


# -------------------------------------------------------------- bad input

FORWARD = [conv2d, conv2d_naive]
X = np.ones((1, 5, 5, 2))
K = np.ones((3, 3, 2, 4))

BAD_FORWARD = [
    # (id, args, kwargs, exception, message)
    ("x-1d", (np.ones(5), K), {}, ValueError, r"x must have shape \(H, W\).*\(5,\)"),
    ("x-5d", (np.ones((1, 1, 5, 5, 2)), K), {}, ValueError, r"x must have shape"),
    ("x-strings", (np.array([["a"]]), K), {}, TypeError, "x must hold numbers"),
    ("x-bool", (np.ones((5, 5), bool), K), {}, TypeError, "x must hold numbers"),
    ("x-complex", (np.ones((5, 5)) * 1j, K), {}, TypeError, "x must hold real"),
    ("x-ragged", ([[1, 2], [3]], K), {}, TypeError, "x must be an array"),
    ("x-empty", (np.ones((1, 0, 5, 2)), K), {}, ValueError, "x must not be empty"),
    ("kernel-3d", (X, np.ones((3, 3, 2))), {}, ValueError, r"kernel must have shape"),
    ("kernel-empty", (X, np.ones((0, 3, 2, 4))), {}, ValueError, "kernel must not be"),
    ("kernel-text", (X, "sobel"), {}, TypeError, "kernel must hold numbers"),
    (
        "channels",
        (np.ones((1, 5, 5, 3)), K),
        {},
        ValueError,
        r"kernel of shape \(3, 3, 2, 4\) has 2 input channel\(s\) but x .* has 3",
    ),
    (
        "2d-kernel-rgb",
        (np.ones((5, 5, 3)), np.ones((3, 3))),
        {},
        ValueError,
        r"expected a kernel of shape \(kh, kw, 3, C_out\)",
    ),
    (
        "too-big",
        (np.ones((1, 2, 5, 2)), K),
        {},
        ValueError,
        r"kernel of shape \(3, 3, 2, 4\) does not fit input \(2, 5\) "
        r"with padding='valid'",
    ),
    (
        "too-big-dilated",
        (X, K),
        {"dilation": 3},
        ValueError,
        r"dilation \(3, 3\) spreads it over \(7, 7\)\) does not fit input \(5, 5\)",
    ),
    ("stride-0", (X, K), {"stride": 0}, ValueError, "stride must be a positive int"),
    ("stride-float", (X, K), {"stride": 1.5}, TypeError, "stride must be a positive"),
    ("stride-triple", (X, K), {"stride": (1, 2, 3)}, ValueError, r"stride must be"),
    ("dilation-0", (X, K), {"dilation": (1, 0)}, ValueError, "dilation must be a pos"),
    ("dilation-str", (X, K), {"dilation": "2"}, TypeError, "dilation must be a pos"),
    ("padding-str", (X, K), {"padding": "full"}, ValueError, r"padding must be .*full"),
    ("padding-neg", (X, K), {"padding": -1}, ValueError, "padding must not be neg"),
    (
        "padding-neg-side",
        (X, K),
        {"padding": ((0, -1), (0, 0))},
        ValueError,
        "padding must not be negative",
    ),
    ("padding-float", (X, K), {"padding": 1.5}, TypeError, "padding must be a non-neg"),
    ("padding-triple", (X, K), {"padding": (1, 2, 3)}, ValueError, "padding must be"),
    ("padding-none", (X, K), {"padding": None}, TypeError, "padding must be a non-neg"),
    (
        "bias-shape",
        (X, K, np.ones(3)),
        {},
        ValueError,
        r"bias must be a scalar or have shape \(C_out,\) = \(4,\), got shape \(3,\)",
    ),
    ("bias-text", (X, K, "b"), {}, TypeError, "bias must hold numbers"),
    ("bias-empty", (X, K, []), {}, ValueError, "bias must not be empty"),
    ("flip-str", (X, K), {"flip": "yes"}, TypeError, "flip must be True or False"),
]


@pytest.mark.parametrize("f", FORWARD, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [case[1:] for case in BAD_FORWARD],
    ids=[case[0] for case in BAD_FORWARD],
)
def test_forward_rejects_bad_input(f, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        f(*args, **kwargs)


BACKWARD = [conv2d_backward, conv2d_backward_naive]
DOUT = np.ones((1, 3, 3, 4))
BAD_BACKWARD = [
    ("dout-shape", (np.ones((1, 3, 3, 3)), X, K), {}, ValueError,
     r"dout must have the shape of conv2d's output, \(1, 3, 3, 4\), got shape"),
    ("dout-rank", (np.ones((3, 3, 4)), X, K), {}, ValueError, "dout must have"),
    ("dout-text", (np.array([["a"]]), X, K), {}, TypeError, "dout must hold numbers"),
    ("x-1d", (DOUT, np.ones(5), K), {}, ValueError, "x must have shape"),
    ("channels", (DOUT, np.ones((1, 5, 5, 3)), K), {}, ValueError, "input channel"),
    ("kernel-3d", (DOUT, X, np.ones((3, 3, 2))), {}, ValueError, "kernel must have"),
    ("stride-0", (DOUT, X, K), {"stride": 0}, ValueError, "stride must be a positive"),
    ("padding-str", (DOUT, X, K), {"padding": "full"}, ValueError, "padding must be"),
    ("too-big", (DOUT, X, K), {"dilation": 4}, ValueError, "does not fit input"),
    ("flip-str", (DOUT, X, K), {"flip": "yes"}, TypeError,
     "flip must be True or False"),
]  # fmt: skip


@pytest.mark.parametrize("f", BACKWARD, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [case[1:] for case in BAD_BACKWARD],
    ids=[case[0] for case in BAD_BACKWARD],
)
def test_backward_rejects_bad_input(f, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        f(*args, **kwargs)


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=5).map(tuple)


@given(shapes, shapes, st.one_of(st.none(), shapes), shapes, paddings)
def test_any_shapes_either_work_or_raise_value_or_type_error(xs, ks, bs, ds, padding):
    """No IndexError, broadcasting error or assert leaks out, whatever the shapes."""
    bias = None if bs is None else np.ones(bs)
    for call in (
        lambda: conv2d(np.ones(xs), np.ones(ks), bias, padding=padding),
        lambda: conv2d_backward(np.ones(ds), np.ones(xs), np.ones(ks), padding=padding),
    ):
        try:
            call()
        except (ValueError, TypeError) as err:
            assert type(err) in (ValueError, TypeError), type(err)
