"""cnnkit._validation: one rule for each kind of argument, and every public
function that takes such an argument follows it."""

from __future__ import annotations

import numpy as np
import pytest

import cnnkit
from cnnkit import _validation, datasets, shapes

# ------------------------------------------------------------------ flags


@pytest.mark.parametrize("value", [True, False, np.True_, np.False_])
def test_boolean_accepts_python_and_numpy_booleans(value):
    result = _validation.boolean(value, "flag")
    assert type(result) is bool and result == bool(value)


@pytest.mark.parametrize(
    "value", [0, 1, np.int64(1), 1.0, "True", None, np.array([True]), np.array(True)]
)
def test_boolean_rejects_everything_else_naming_argument_and_value(value):
    with pytest.raises(TypeError, match=r"^flag must be True or False, got .* of type"):
        _validation.boolean(value, "flag")


X, K = np.ones((3, 3)), np.ones((2, 2))

#: Every public flag of the modules that share _validation, as
#: (name, call with the flag set to `value`).
FLAGS = [
    ("flip", lambda value: cnnkit.conv2d(X, K, flip=value)),
    ("flip", lambda value: cnnkit.conv2d_naive(X, K, flip=value)),
    ("flip", lambda value: cnnkit.conv2d_backward(K, X, K, flip=value)),
    ("flip", lambda value: cnnkit.conv2d_backward_naive(K, X, K, flip=value)),
    ("from_logits", lambda v: cnnkit.binary_cross_entropy([1], [0.5], from_logits=v)),
    (
        "from_logits",
        lambda v: cnnkit.binary_cross_entropy_backward([1], [0.5], from_logits=v),
    ),
    (
        "from_logits",
        lambda v: cnnkit.categorical_cross_entropy([0, 1], [0.5, 0.5], from_logits=v),
    ),
    (
        "from_logits",
        lambda v: cnnkit.categorical_cross_entropy_backward(
            [0, 1], [0.5, 0.5], from_logits=v
        ),
    ),
    ("use_bias", lambda value: shapes.conv2d_params(3, 3, 8, use_bias=value)),
    ("use_bias", lambda value: shapes.depthwise_conv2d_params(3, 3, use_bias=value)),
    ("use_bias", lambda value: shapes.separable_conv2d_params(3, 3, 8, use_bias=value)),
    ("use_bias", lambda value: shapes.dense_params(3, 8, use_bias=value)),
    ("center", lambda value: shapes.batchnorm_params(8, center=value)),
    ("scale", lambda value: shapes.batchnorm_params(8, scale=value)),
    ("grey", lambda value: datasets.sample_image("camera", grey=value)),
    ("download", lambda value: datasets.load_mnist("/nowhere", download=value)),
    ("verbose", lambda value: datasets.load_mnist("/nowhere", verbose=value)),
    ("download", lambda value: datasets.load_fashion_mnist("/nowhere", download=value)),
    ("verbose", lambda value: datasets.load_fashion_mnist("/nowhere", verbose=value)),
    ("verbose", lambda value: datasets.load_faces(verbose=value)),
    ("verbose", lambda value: datasets.load_digits_28(verbose=value)),
]


@pytest.mark.parametrize(("name", "call"), FLAGS, ids=[f[0] for f in FLAGS])
@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_every_flag_rejects_what_is_not_a_boolean(name, call, value):
    with pytest.raises(
        TypeError, match=rf"^{name} must be True or False, got {value!r}"
    ):
        call(value)


@pytest.mark.parametrize(("name", "call"), FLAGS, ids=[f[0] for f in FLAGS])
@pytest.mark.parametrize("value", [np.True_, np.False_, True])
def test_every_flag_accepts_numpy_booleans(name, call, value):
    try:
        call(value)
    except datasets.DataUnavailableError:
        pass  # "/nowhere" has no data: the flag itself was accepted


# ------------------------------------------------------- counts and sizes


@pytest.mark.parametrize("value", [0, 3, np.int64(2)])
def test_non_negative_int_accepts_whole_numbers_from_zero(value):
    assert _validation.non_negative_int(value, "n") == value
    assert type(_validation.non_negative_int(value, "n")) is int


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1, ValueError, "n must not be negative, got -1"),
        (1.0, TypeError, "n must be a non-negative integer, got 1.0"),
        (True, TypeError, "n must be a non-negative integer, got True"),
        (np.True_, TypeError, "n must be a non-negative integer"),
        ("2", TypeError, "n must be a non-negative integer, got '2'"),
    ],
)
def test_non_negative_int_rejects_the_rest(value, error, message):
    with pytest.raises(error, match=message):
        _validation.non_negative_int(value, "n")


def test_dout_must_have_the_shape_of_what_it_is_the_gradient_of():
    d = _validation.dout_of([[1, 2]], (1, 2), "x")
    assert d.dtype == np.float64 and d.shape == (1, 2)
    with pytest.raises(
        ValueError, match=r"dout must have the shape of x, \(2, 1\), got shape \(1, 2\)"
    ):
        _validation.dout_of([[1, 2]], (2, 1), "x")
    with pytest.raises(TypeError, match="dout must hold numbers"):
        _validation.dout_of(["a"], (1,), "x")
