"""cnnkit.book.glue writes the record myst-nb reads back; where myst-nb is missing
(Colab) it shows the value only when asked; it returns the value either way."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from cnnkit.book import glue


@pytest.mark.parametrize("value", [42, 0.9871, "text", np.float64(2.5), np.int64(7)])
@pytest.mark.parametrize("display", [False, True])
def test_glue_writes_exactly_what_myst_nb_glue_writes(monkeypatch, value, display):
    """A NumPy scalar is written as myst-nb writes the Python number it holds."""
    import IPython.display
    from myst_nb.ext import glue as myst_glue

    ours, theirs = [], []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: ours.append((a, k)))
    monkeypatch.setattr(myst_glue, "ipy_display", lambda *a, **k: theirs.append((a, k)))
    assert glue("answer", value, display=display) is value
    plain = value.item() if isinstance(value, np.generic) else value
    myst_glue.glue("answer", plain, display=display)
    assert ours == theirs and len(ours) == 1


def test_a_numpy_scalar_is_recorded_so_that_the_prose_can_format_it(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append(a))
    glue("accuracy", np.mean(np.array([1.0, 0.0, 1.0, 1.0])))
    ((bundle,),) = shown
    text = bundle["application/papermill.record/text/plain"]
    assert f"{float(text):.1%}" == "75.0%"


@pytest.mark.parametrize(
    "value, fmt, recorded",
    [
        (0.7644914984703064, ".2f", "0.76"),
        (np.float32(0.7644914), ".1%", "0.764"),
        (0.9890999794006348, ".2%", "0.9891"),
        (2.4122020653461665e-11, ".1e", "2.4e-11"),
        (53.609952823999265, ".0f", "54.0"),
        (0.4263997033741214, "+.1f", "0.4"),
    ],
)
def test_a_float_is_recorded_at_the_precision_the_prose_shows(
    monkeypatch, value, fmt, recorded
):
    """Digits past those the prose shows differ between CPUs; none is stored."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append(a))
    assert glue("number", value, fmt=fmt) is value
    ((bundle,),) = shown
    assert bundle["application/papermill.record/text/plain"] == recorded
    assert format(float(recorded), fmt) == format(value, fmt)


def test_glue_shows_nothing_where_myst_nb_is_missing_unless_asked(monkeypatch):
    """In Colab the plain edition's text already holds the value."""
    import IPython.display

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "myst_nb" else real_find_spec(name, *a),
    )
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda v: shown.append(v))
    assert glue("answer", 42) == 42
    assert glue("share", 0.76449, fmt=".1%") == 0.76449
    assert shown == []
    assert glue("share", 0.76449, fmt=".1%", display=True) == 0.76449
    assert shown == [0.764]


def test_glue_needs_a_name():
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        glue("", 1)
