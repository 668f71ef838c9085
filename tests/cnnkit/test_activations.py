"""cnnkit.activations: values and gradients equal TensorFlow's and Keras's.

Values are compared with ``tf.nn`` and with Keras's loss objects (in
float64), gradients with ``tf.GradientTape`` and with cnnkit's own
numerical gradient. Keras's categorical cross-entropy first divides each
row of ``y_pred`` by its sum; cnnkit expects rows that already sum to 1, so
on those the values agree, and the probability gradient is compared with the
tape of the plain formula (the extra term Keras's division adds vanishes
once the gradient passes through a softmax, which is checked below).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnkit
from cnnkit.activations import (
    EPSILON,
    binary_cross_entropy,
    binary_cross_entropy_backward,
    categorical_cross_entropy,
    categorical_cross_entropy_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
)

tf = pytest.importorskip("tensorflow", reason="TensorFlow is the reference")
keras = pytest.importorskip("keras", reason="Keras's losses are the reference")

RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def assert_matches(actual, expected, dtype, scale=None):
    """Equal to ``RTOL`` relative to ``scale``, by default the largest entry.

    Gradients pass ``scale=max|dout|``: every derivative here is at most 1,
    and TensorFlow's ``s * (1 - s)`` for the sigmoid rounds to 0 far out where
    cnnkit keeps the tiny true value. Values below the dtype's smallest normal
    number (``sigmoid(-195)`` in float32) may underflow to 0.
    """
    actual = np.asarray(actual)
    assert actual.dtype == dtype
    rtol = RTOL[np.dtype(dtype)]
    if scale is None:
        scale = float(np.abs(expected).max(initial=0.0))
    atol = rtol * scale + np.finfo(dtype).tiny
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


@st.composite
def arrays(draw, min_dims=1, max_dims=3, kind=None):
    """(array, rng): scores from a seeded generator, float64 or float32."""
    shape = tuple(
        draw(st.lists(st.integers(1, 5), min_size=min_dims, max_size=max_dims))
    )
    dtype = np.dtype(draw(st.sampled_from([np.float64, np.float32])))
    kind = kind or draw(st.sampled_from(["normal", "wide", "integers"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "integers":  # exact zeros: the ReLU kink
        x = rng.integers(-3, 4, size=shape)
    elif kind == "wide":  # large scores: overflow in a naive exp
        x = rng.standard_normal(shape) * 300
    else:
        x = rng.standard_normal(shape)
    return x.astype(dtype), rng


def tf_grad(f, x, dout):
    x = tf.constant(x, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x, output_gradients=tf.constant(dout, tf.float64)).numpy()


# ------------------------------------------------------------ activations

ACTIVATIONS = [
    (relu, relu_backward, tf.nn.relu),
    (sigmoid, sigmoid_backward, tf.math.sigmoid),
    (softmax, softmax_backward, tf.nn.softmax),
]


@pytest.mark.parametrize(
    ("f", "f_backward", "reference"), ACTIVATIONS, ids=["relu", "sigmoid", "softmax"]
)
@given(case=arrays())
def test_activation_and_gradient_match_tensorflow(f, f_backward, reference, case):
    x, rng = case
    dout = rng.standard_normal(x.shape).astype(x.dtype)
    assert_matches(f(x), reference(x.astype(np.float64)).numpy(), x.dtype)
    expected = tf_grad(reference, x, dout)
    assert_matches(f_backward(dout, x), expected, x.dtype, np.abs(dout).max())


@given(case=arrays(min_dims=2), axis=st.integers(-2, 1))
def test_softmax_along_any_axis(case, axis):
    x, rng = case
    dout = rng.standard_normal(x.shape).astype(x.dtype)
    expected = tf.nn.softmax(x.astype(np.float64), axis=axis).numpy()
    assert_matches(softmax(x, axis=axis), expected, x.dtype)
    grad = tf_grad(lambda v: tf.nn.softmax(v, axis=axis), x, dout)
    assert_matches(
        softmax_backward(dout, x, axis=axis), grad, x.dtype, np.abs(dout).max()
    )


@pytest.mark.parametrize(
    ("f", "f_backward"),
    [(sigmoid, sigmoid_backward), (softmax, softmax_backward), (relu, relu_backward)],
    ids=["sigmoid", "softmax", "relu"],
)
@given(case=arrays(kind="normal"))
def test_activation_gradients_pass_numerical_gradient_check(f, f_backward, case):
    x, rng = case
    x = x.astype(np.float64)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    dout = rng.standard_normal(x.shape)
    numeric = cnnkit.numerical_gradient(f, x, dout)
    assert cnnkit.rel_error(f_backward(dout, x), numeric) < 1e-7


def test_relu_gradient_at_zero_is_zero_as_in_tensorflow():
    x = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(relu_backward(np.ones(3), x), [0, 0, 1])
    np.testing.assert_array_equal(tf_grad(tf.nn.relu, x, np.ones(3)), [0, 0, 1])


def test_no_overflow_for_huge_scores():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        np.testing.assert_array_equal(sigmoid(np.array([-1e4, 1e4])), [0, 1])
        np.testing.assert_array_equal(softmax(np.array([1e4, 0.0])), [1, 0])
        assert binary_cross_entropy([1.0], [-1e4], from_logits=True) == 1e4
        assert categorical_cross_entropy([0, 1], [1e4, 0.0], from_logits=True) == 1e4


# ----------------------------------------------------------------- losses


@st.composite
def loss_cases(draw, from_logits=None):
    n, k = draw(st.integers(1, 6)), draw(st.integers(2, 5))
    dtype = np.dtype(draw(st.sampled_from([np.float64, np.float32])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    logits = rng.standard_normal((n, k)) * draw(st.sampled_from([1, 5, 40]))
    labels = np.eye(k)[rng.integers(0, k, size=n)]
    if draw(st.booleans()):  # soft targets, e.g. label smoothing
        labels = labels * 0.8 + 0.2 / k
    if from_logits is None:
        from_logits = draw(st.booleans())
    return dict(
        logits=logits.astype(dtype),
        labels=labels.astype(dtype),
        dtype=dtype,
        from_logits=from_logits,
    )


def assert_loss_matches(got, expected, dtype):
    """A loss adds logarithms of probabilities, each rounded to the dtype: near
    ``p = 1`` an absolute error of a few ``eps`` is all the input supports."""
    assert isinstance(got, float)
    np.testing.assert_allclose(
        got, expected, rtol=RTOL[dtype], atol=10 * np.finfo(dtype).eps
    )


def binary_inputs(case):
    """Binary tasks use the same numbers, one independent probability each."""
    z = case["logits"]
    y = (case["labels"] > 0.5).astype(case["dtype"])
    return y, (z if case["from_logits"] else sigmoid(z))


def categorical_inputs(case):
    z = case["logits"]
    return case["labels"], (z if case["from_logits"] else softmax(z))


@given(loss_cases())
def test_binary_cross_entropy_matches_keras(case):
    y, p = binary_inputs(case)
    # Keras in the same dtype: 1 - EPSILON rounds differently in float32
    loss = keras.losses.BinaryCrossentropy(
        from_logits=case["from_logits"], dtype=case["dtype"].name
    )
    expected = float(loss(y, p))
    got = binary_cross_entropy(y, p, from_logits=case["from_logits"])
    assert_loss_matches(got, expected, case["dtype"])


@given(loss_cases())
def test_categorical_cross_entropy_matches_keras(case):
    y, p = categorical_inputs(case)
    loss = keras.losses.CategoricalCrossentropy(
        from_logits=case["from_logits"], dtype=case["dtype"].name
    )
    expected = float(loss(y, p))
    got = categorical_cross_entropy(y, p, from_logits=case["from_logits"])
    assert_loss_matches(got, expected, case["dtype"])


def logits_scale(case, y):
    """For logits every entry of the gradient is at most ``1 / N`` (``p - y``
    over the samples), and ``sigmoid(z) - 1`` rounds to 0 for large ``z``."""
    return 1 / (y.size // y.shape[-1]) if case["from_logits"] else None


def tf_bce(y, from_logits):
    return lambda p: keras.losses.binary_crossentropy(y, p, from_logits=from_logits)


@given(loss_cases())
def test_binary_cross_entropy_gradient_matches_tensorflow(case):
    y, p = binary_inputs(case)
    y64 = tf.constant(y, tf.float64)
    # Keras's function averages over the last axis; the loss object then over rows
    expected = tf_grad(
        lambda v: tf.reduce_mean(tf_bce(y64, case["from_logits"])(v)), p, np.float64(1)
    )
    got = binary_cross_entropy_backward(y, p, from_logits=case["from_logits"])
    assert_matches(got, expected, case["dtype"], logits_scale(case, y))


@given(loss_cases())
def test_categorical_cross_entropy_gradient_matches_tensorflow(case):
    y, p = categorical_inputs(case)
    y64 = tf.constant(y, tf.float64)
    n = y.shape[0]
    if case["from_logits"]:

        def loss(v):
            return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y64, v))
    else:

        def loss(v):
            clipped = tf.clip_by_value(v, EPSILON, 1 - EPSILON)
            return -tf.reduce_sum(y64 * tf.math.log(clipped)) / n

    expected = tf_grad(loss, p, np.float64(1))
    got = categorical_cross_entropy_backward(y, p, from_logits=case["from_logits"])
    assert_matches(got, expected, case["dtype"], logits_scale(case, y))


@given(loss_cases(from_logits=False))
def test_softmax_then_cross_entropy_gradient_is_p_minus_y(case):
    """Chaining the two backward passes gives the logits gradient directly."""
    y, z = case["labels"].astype(np.float64), case["logits"].astype(np.float64)
    y /= y.sum(axis=-1, keepdims=True)  # a distribution again after float32
    if np.any(softmax(z) < EPSILON) or np.any(softmax(z) > 1 - EPSILON):
        z = z / 40  # clipping would (rightly) cut the gradient
    chained = softmax_backward(categorical_cross_entropy_backward(y, softmax(z)), z)
    direct = categorical_cross_entropy_backward(y, z, from_logits=True)
    assert cnnkit.rel_error(chained, direct) < 1e-10
    np.testing.assert_allclose(direct, (softmax(z) - y) / len(y), atol=1e-15)


@pytest.mark.parametrize("from_logits", [False, True])
@given(case=loss_cases())
def test_loss_gradients_pass_numerical_gradient_check(from_logits, case):
    # scores in [-4, 4] keep every probability far from the clipping bounds
    y = case["labels"].astype(np.float64)
    z = np.clip(case["logits"], -4, 4).astype(np.float64)
    for loss, backward, p in (
        (binary_cross_entropy, binary_cross_entropy_backward, sigmoid(z)),
        (categorical_cross_entropy, categorical_cross_entropy_backward, softmax(z)),
    ):
        x = z if from_logits else p
        numeric = cnnkit.numerical_gradient(
            lambda v, loss=loss: loss(y, v, from_logits=from_logits), x, h=1e-7
        )
        assert cnnkit.rel_error(backward(y, x, from_logits=from_logits), numeric) < 1e-5


def test_probabilities_are_clipped_as_in_keras():
    assert binary_cross_entropy([1.0], [0.0]) == pytest.approx(-np.log(EPSILON))
    assert categorical_cross_entropy([1.0, 0.0], [0.0, 1.0]) == pytest.approx(
        -np.log(EPSILON)
    )
    # clipped entries have no gradient, as with tf.clip_by_value
    assert binary_cross_entropy_backward([1.0], [0.0])[0] == 0
    assert categorical_cross_entropy_backward([1.0, 0.0], [0.0, 1.0])[0] == 0


def test_single_sample_categorical():
    assert categorical_cross_entropy([0, 1, 0], [0.2, 0.5, 0.3]) == pytest.approx(
        -np.log(0.5)
    )
    np.testing.assert_allclose(
        categorical_cross_entropy_backward([0, 1, 0], [0.2, 0.5, 0.3]), [0, -2, 0]
    )


@pytest.mark.parametrize(
    "f", [categorical_cross_entropy, categorical_cross_entropy_backward]
)
@pytest.mark.parametrize(
    ("y_pred", "message"),
    [
        ([[0.5, 0.8]], r"row 0 sums to 1\.3"),
        ([[0.5, 0.5], [0.0, 0.5]], r"row 1 sums to 0\.5"),
        ([0.2, 0.2], r"row 0 sums to 0\.4"),
    ],
)
def test_categorical_rows_that_do_not_sum_to_one_are_rejected(f, y_pred, message):
    """Keras divides such rows by their sum (0.4855 for the first, where the
    plain formula gives 0.2231); cnnkit names the row instead."""
    y_true = np.zeros(np.shape(y_pred))
    y_true[..., 1] = 1
    with pytest.raises(
        ValueError, match=r"each row of y_pred must sum to 1 .*" + message
    ):
        f(y_true, y_pred)
    # scores are not probabilities: any row is fine with from_logits
    f(y_true, y_pred, from_logits=True)


def test_categorical_rows_off_by_rounding_or_a_nudge_are_accepted():
    p = softmax(np.array([[0.1, 2.0, -1.0, 0.3]] * 2, np.float32))
    p[1] *= np.float32(1 + 1e-6)  # float32 rounding
    y = np.eye(4, dtype=np.float32)[[1, 2]]
    expected = keras.losses.CategoricalCrossentropy(dtype="float32")(y, p)
    assert_loss_matches(categorical_cross_entropy(y, p), float(expected), p.dtype)
    nudged = p.astype(np.float64)
    nudged[0, 0] += 1e-5  # numerical_gradient's default step
    categorical_cross_entropy(y, nudged)
    categorical_cross_entropy_backward(y, nudged)


def test_every_docstring_places_relu_and_the_losses_in_part_ii():
    """The book meets activations and losses in Part II, never in Part I."""
    import re

    from cnnkit import activations

    docs = [activations.__doc__] + [
        getattr(activations, name).__doc__ for name in activations.__all__[1:]
    ]
    for doc in docs:
        assert "Part II" in doc
        assert not re.search(r"Part I\b", doc), doc


# -------------------------------------------------------------- bad input

BAD = [
    ("relu-text", relu, (np.array(["a"]),), TypeError, "x must hold numbers"),
    ("relu-empty", relu, (np.ones(0),), ValueError, "x must not be empty"),
    ("sigmoid-ragged", sigmoid, ([[1], [1, 2]],), TypeError, "x must be an array"),
    ("sigmoid-complex", sigmoid, (np.ones(2) * 1j,), TypeError, "x must hold real"),
    ("softmax-axis", softmax, (np.ones((2, 3)), 2), ValueError,
     r"axis must be in \[-2, 1\] for x with 2 dimension\(s\), got 2"),
    ("softmax-axis-type", softmax, (np.ones(3), 0.5), TypeError, "axis must be an int"),
    ("softmax-scalar", softmax, (3.0,), ValueError,
     r"x must have an axis to take the softmax along, got a scalar \(3.0\)"),
    ("softmax-back-scalar", softmax_backward, (1.0, 3.0), ValueError,
     "x must have an axis to take the softmax along, got a scalar"),
    ("relu-back-shape", relu_backward, (np.ones(3), np.ones(4)), ValueError,
     r"dout must have the shape of x, \(4,\), got shape \(3,\)"),
    ("sigmoid-back-shape", sigmoid_backward, (np.ones((2, 1)), np.ones(2)), ValueError,
     "dout must have the shape of x"),
    ("softmax-back-shape", softmax_backward, (np.ones(2), np.ones(3)), ValueError,
     "dout must have the shape of x"),
    ("softmax-back-text", softmax_backward, (np.array(["a"]), np.ones(1)), TypeError,
     "dout must hold numbers"),
    ("bce-shape", binary_cross_entropy, ([1, 0], [0.5]), ValueError,
     r"y_true and y_pred must have the same shape, got \(2,\) and \(1,\)"),
    ("bce-prob", binary_cross_entropy, ([1, 0], [0.5, 1.5]), ValueError,
     r"y_pred must hold probabilities in \[0, 1\] \(pass from_logits=True"),
    ("bce-label", binary_cross_entropy, ([2, 0], [0.5, 0.5]), ValueError,
     r"y_true must hold labels or probabilities in \[0, 1\], got values from 0"),
    ("bce-logits-flag", binary_cross_entropy, ([1], [0.5]), TypeError,
     "from_logits must be True or False"),
    ("bce-back-shape", binary_cross_entropy_backward, ([1, 0], [0.5]), ValueError,
     "y_true and y_pred must have the same shape"),
    ("bce-back-text", binary_cross_entropy_backward, (["a"], [0.5]), TypeError,
     "y_true must hold numbers"),
    ("cce-shape", categorical_cross_entropy, ([[0, 1]], [[0.5, 0.5, 0]]), ValueError,
     "y_true and y_pred must have the same shape"),
    ("cce-scalar", categorical_cross_entropy, (1, 0.5), ValueError,
     r"y_pred must have a class axis \(K,\) or \(N, K\), got a scalar"),
    ("cce-prob", categorical_cross_entropy, ([0, 1], [-0.5, 1.5]), ValueError,
     "y_pred must hold probabilities"),
    ("cce-empty", categorical_cross_entropy, ([], []), ValueError,
     "y_true must not be empty"),
    ("cce-back-prob", categorical_cross_entropy_backward, ([0, 1], [0.5, 2]),
     ValueError, "y_pred must hold probabilities"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("f", "args", "error", "match"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_rejects_bad_input(f, args, error, match):
    kwargs = {"from_logits": "yes"} if "from_logits must" in match else {}
    with pytest.raises(error, match=match):
        f(*args, **kwargs)
