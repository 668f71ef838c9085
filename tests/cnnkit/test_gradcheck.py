"""cnnkit.gradcheck: the numerical gradient and the relative error it is judged by."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import numerical_gradient, rel_error


@st.composite
def vectors(draw, max_size=6):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = tuple(draw(st.lists(st.integers(1, max_size), min_size=1, max_size=3)))
    return rng, rng.standard_normal(shape)


@given(vectors())
def test_gradient_of_a_quadratic(case):
    rng, x = case
    a = rng.uniform(0.5, 2.0, size=x.shape)
    grad = numerical_gradient(lambda v: np.sum(a * v**2 + np.sin(v)), x)
    assert rel_error(grad, 2 * a * x + np.cos(x)) < 1e-6


@given(vectors())
def test_gradient_of_an_array_function_with_dout(case):
    rng, x = case
    v = x.reshape(-1)
    m = rng.standard_normal((4, v.size))
    dout = rng.standard_normal(4)
    grad = numerical_gradient(lambda u: m @ np.tanh(u), v, dout)
    assert rel_error(grad, (m.T @ dout) * (1 - np.tanh(v) ** 2)) < 1e-6


def test_x_is_not_modified_and_integers_are_fine():
    x = np.array([1, 2, 3])
    grad = numerical_gradient(lambda v: float(v @ v), x)
    np.testing.assert_array_equal(x, [1, 2, 3])
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [2, 4, 6], rtol=1e-9)


def test_f_that_changes_its_argument_in_place_gets_the_right_gradient():
    """A student's ReLU written ``v[v < 0] = 0`` must not corrupt the nudges."""

    def relu_in_place(v):
        v[v < 0] = 0
        return v

    x = np.array([-1.5, -0.5, 0.5, 2.0])
    dout = np.array([1.0, 2.0, 3.0, 4.0])
    grad = numerical_gradient(relu_in_place, x, dout)
    np.testing.assert_allclose(grad, [0, 0, 3, 4], rtol=1e-9)
    np.testing.assert_array_equal(x, [-1.5, -0.5, 0.5, 2.0])


def test_f_returning_none_is_named():
    def forgot_to_return(v):
        np.sum(v**2)

    with pytest.raises(TypeError, match=r"f \(forgot_to_return\) returned None"):
        numerical_gradient(forgot_to_return, np.ones(2))
    with pytest.raises(TypeError, match=r"f \(<lambda>\) returned None"):
        numerical_gradient(lambda v: None, np.ones(2), np.ones(2))


def test_step_size_is_used():
    # a cubic's central difference is off by exactly h**2 (the third derivative / 6)
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), np.zeros(2), h=0.1)
    np.testing.assert_allclose(grad, [0.01, 0.01])


@given(vectors(), st.floats(1e-3, 1e3))
def test_rel_error_is_symmetric_and_scale_free(case, scale):
    rng, a = case
    b = a + 1e-3 * rng.standard_normal(a.shape)
    assert rel_error(a, b) == rel_error(b, a)
    assert rel_error(a, a) == 0
    assert rel_error(scale * a, scale * b) == pytest.approx(rel_error(a, b), rel=1e-9)


def test_rel_error_values():
    assert rel_error([4.0, 0.0], [3.0, 1.0]) == 0.25
    assert rel_error(np.zeros(3), np.zeros(3)) == 0
    assert rel_error([1.0, 0.0], [1.0, 1e-12]) == pytest.approx(1e-12)  # 0 vs 1e-12
    assert np.isnan(rel_error([np.nan, 1.0], [1.0, 1.0]))
    assert np.isnan(rel_error([1.0, 1.0], [1.0, np.nan]))


BAD = [
    ("f-not-callable", numerical_gradient, (3, np.ones(2)), {}, TypeError,
     "f must be a function of x, got int"),
    ("h-zero", numerical_gradient, (np.sum, np.ones(2)), {"h": 0}, ValueError,
     "h must be a positive number, got 0"),
    ("h-text", numerical_gradient, (np.sum, np.ones(2)), {"h": "small"}, ValueError,
     "h must be a positive number"),
    ("h-bool", numerical_gradient, (np.sum, np.ones(2)), {"h": True}, ValueError,
     "h must be a positive number"),
    ("x-text", numerical_gradient, (np.sum, np.array(["a"])), {}, TypeError,
     "x must hold numbers"),
    ("x-empty", numerical_gradient, (np.sum, np.ones(0)), {}, ValueError,
     "x must not be empty"),
    ("f-array", numerical_gradient, (np.cumsum, np.ones(2)), {}, ValueError,
     r"f must return a single number when dout is not given, got an array of "
     r"shape \(2,\)"),
    ("dout-shape", numerical_gradient, (np.cumsum, np.ones(2), np.ones(3)), {},
     ValueError, r"dout must have the shape of f\(x\), \(2,\), got shape \(3,\)"),
    ("dout-text", numerical_gradient, (np.cumsum, np.ones(2), np.array(["a"])), {},
     TypeError, "dout must hold numbers"),
    ("rel-shape", rel_error, (np.ones(2), np.ones(3)), {}, ValueError,
     r"a and b must have the same shape, got \(2,\) and \(3,\)"),
    ("rel-text", rel_error, (np.ones(2), ["a", "b"]), {}, TypeError,
     "b must hold numbers"),
    ("rel-empty", rel_error, (np.ones(0), np.ones(0)), {}, ValueError,
     "a must not be empty"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("f", "args", "kwargs", "error", "match"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_rejects_bad_input(f, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        f(*args, **kwargs)
