"""One-line expectations: the assignments' test cells use these, so that a
failing test says in one line what was expected and what came back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["expect_close", "expect_equal", "expect_true", "expect_unchanged"]


def _short(value: Any, limit: int = 160) -> str:
    """``value`` on one line, cut to ``limit`` characters."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        text = np.array2string(
            value, precision=4, separator=", ", threshold=30, max_line_width=10**6
        )
        text = f"array {text} of shape {value.shape}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_true(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds.

    Parameters
    ----------
    condition : bool
        What the test requires.
    message : str
        One line saying what was expected and what came back.

    Raises
    ------
    AssertionError
        With ``message`` when ``condition`` is false.

    Examples
    --------
    >>> expect_true(2 + 2 == 4, "2 + 2: expected 4")
    >>> expect_true(False, "out_length(5, 3): expected 3, got 2")
    Traceback (most recent call last):
    AssertionError: out_length(5, 3): expected 3, got 2
    """
    if not condition:
        raise AssertionError(message)


def expect_unchanged(now: Any, before: Any, call: str, name: str) -> None:
    """Fail, naming the argument, if a call changed an array it was given.

    Parameters
    ----------
    now : array_like
        The argument after the call.
    before : array_like
        A copy of it taken before the call.
    call : str
        The call, as the message names it, e.g. ``"numerical_grad(f, x)"``.
    name : str
        The argument's name.

    Raises
    ------
    AssertionError
        Saying ``"<call>: your function changed <name>"`` when it did.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros(3)
    >>> expect_unchanged(x, x.copy(), "f(x)", "x")
    >>> before = x.copy(); x[0] = 1.0
    >>> expect_unchanged(x, before, "f(x)", "x")
    Traceback (most recent call last):
    AssertionError: f(x): your function changed x (leave it as it was)
    """
    same = np.shape(now) == np.shape(before) and np.array_equal(now, before)
    expect_true(same, f"{call}: your function changed {name} (leave it as it was)")


def expect_equal(got: Any, expected: Any, what: str) -> None:
    """Fail unless ``got`` equals ``expected`` exactly (arrays: shape and values).

    Parameters
    ----------
    got : object
        What the student's code returned.
    expected : object
        The right answer: a number, string, tuple or array.
    what : str
        The call or quantity being checked, e.g. ``"out_length(5, 3)"``.

    Raises
    ------
    AssertionError
        ``"<what>: expected <expected>, got <got>"`` on one line.

    Examples
    --------
    >>> expect_equal((3, 3), (3, 3), "shape")
    >>> expect_equal(2, 3, "out_length(5, 3)")
    Traceback (most recent call last):
    AssertionError: out_length(5, 3): expected 3, got 2
    """
    if isinstance(expected, np.ndarray):
        _expect_array(got, expected, what, exact=True)
        return
    same = type(got) is type(expected) or (
        isinstance(got, (int, np.integer)) and isinstance(expected, (int, np.integer))
    )
    if isinstance(got, (bool, np.bool_)) != isinstance(expected, (bool, np.bool_)):
        same = False
    if not same and isinstance(expected, (tuple, list, str)):
        raise AssertionError(
            f"{what}: expected {_short(expected)} ({type(expected).__name__}), "
            f"got {_short(got)} ({type(got).__name__})"
        )
    equal = got == expected
    if isinstance(equal, np.ndarray) or not equal:
        raise AssertionError(f"{what}: expected {_short(expected)}, got {_short(got)}")


def expect_close(
    got: Any,
    expected: Any,
    what: str,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """Fail unless ``got`` is an array of ``expected``'s shape and close to it.

    Parameters
    ----------
    got : array_like or float
        What the student's code returned.
    expected : array_like or float
        The right answer.
    what : str
        The call being checked.
    rtol, atol : float
        Tolerances, as in :func:`numpy.allclose`.

    Raises
    ------
    AssertionError
        Naming the wrong type, the wrong shape, or the first entry that
        differs, on one line.

    Examples
    --------
    >>> expect_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), "f(x)")
    >>> expect_close(np.zeros((2, 2)), np.eye(2), "f(x)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: f(x): expected 1.0 at index (0, 0), got 0.0 (expected array ...
    """
    if np.ndim(expected) == 0 and np.ndim(got) == 0:
        try:
            g = float(got)
        except (TypeError, ValueError):
            raise AssertionError(
                f"{what}: expected a number close to {_short(expected)}, "
                f"got {_short(got)}"
            ) from None
        if not np.isclose(g, float(expected), rtol=rtol, atol=atol):
            raise AssertionError(
                f"{what}: expected {_short(expected)}, got {_short(got)}"
            )
        return
    _expect_array(got, np.asarray(expected), what, exact=False, rtol=rtol, atol=atol)


def _expect_array(got, expected, what, *, exact, rtol=0.0, atol=0.0) -> None:
    if not isinstance(got, np.ndarray):
        raise AssertionError(
            f"{what}: expected a NumPy array of shape {expected.shape}, "
            f"got {type(got).__name__} {_short(got)}"
        )
    if got.shape != expected.shape:
        raise AssertionError(
            f"{what}: expected shape {expected.shape}, got shape {got.shape}"
        )
    if exact:
        wrong = got != expected
    else:
        try:
            wrong = ~np.isclose(got, expected, rtol=rtol, atol=atol)
        except TypeError:
            raise AssertionError(
                f"{what}: expected numbers, got an array of dtype {got.dtype}"
            ) from None
    if np.any(wrong):
        where = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise AssertionError(
            f"{what}: expected {_short(expected[where])} at index {where}, "
            f"got {_short(got[where])} (expected {_short(expected)}, "
            f"got {_short(got)})"
        )
