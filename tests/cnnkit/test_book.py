"""glue records a value for the book where myst-nb exists, and shows it where
it does not (Colab), returning the value either way."""

from __future__ import annotations

import builtins

import pytest

from cnnkit.book import glue


def test_glue_records_through_myst_nb(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda *a, **k: calls.append((a, k)))
    assert glue("answer", 42) == 42
    assert calls == [(("answer", 42), {"display": False})]


def test_glue_shows_the_value_where_myst_nb_is_missing(monkeypatch):
    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name == "myst_nb":
            raise ImportError("no myst_nb in Colab")
        return real_import(name, *args, **kwargs)

    shown = []
    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    monkeypatch.setattr("IPython.display.display", lambda v: shown.append(v))
    assert glue("answer", 42) == 42
    assert shown == [42]


def test_glue_needs_a_name():
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        glue("", 1)
