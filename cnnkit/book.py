"""Publishing computed numbers in the book, from any notebook.

A chapter never types a number that code can compute: it *glues* the value
from the cell that computes it, and the prose shows it with the
``{glue:text}`` role of myst-nb. The book is built with myst-nb, which
records glued values in the notebook. Colab and bare Jupyter have no myst-nb;
readers there open the chapter's plain edition (``make editions``), whose
text already holds every glued value, so there :func:`glue` shows nothing
(unless asked to) and the same cell runs everywhere.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import numpy as np

__all__ = ["as_shown", "glue"]

#: Where myst-nb looks for a glued value's display data in a cell's outputs.
RECORD_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, *, fmt: str = "", display: bool = False) -> Any:
    """Record ``value`` under ``name`` for the book's prose, and return it.

    Where myst-nb is installed, the value's display data is written as an
    output that myst-nb reads back when it builds the page (the record
    format of ``myst_nb.glue``, written here so that a chapter does not pay
    for importing nbformat and jsonschema, a few seconds each time).

    A float is recorded as the number the prose shows: with ``fmt=".1%"``,
    0.76449149 is recorded as 0.764, so the stored output does not hold
    digits that differ from one CPU to another (see :func:`as_shown`).

    Parameters
    ----------
    name : str
        The key the prose uses, as in ``{glue:text}`\\`name\\```.
    value : Any
        The number (or figure, or table) to publish.
    fmt : str
        The format spec the prose shows the number with, as in
        ``{glue:text}`\\`name:.1%\\```; the number is recorded rounded to it.
    display : bool
        Also show the value under the cell. Where myst-nb is missing (Colab),
        nothing is recorded, and the value is shown only when this is true:
        the plain edition a reader runs there has the value in its text.

    Returns
    -------
    Any
        ``value`` itself, so a cell can glue and keep computing.

    Examples
    --------
    >>> glue("inputs_64", 64 * 64 * 3)
    12288
    >>> glue("share", 0.7644914984703064, fmt=".1%")
    0.7644914984703064
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    from IPython.display import display as show

    # A NumPy scalar is recorded as the Python number it holds: NumPy 2 shows
    # np.float64(0.86) as "np.float64(0.86)", which the prose's format specs
    # ({glue:text}`name:.1%`) cannot read.
    shown = value.item() if isinstance(value, np.generic) else value
    if fmt:
        shown = as_shown(shown, fmt)
    if importlib.util.find_spec("myst_nb") is None:  # Colab, a bare Jupyter
        if display:
            show(shown)
        return value
    from IPython.core.formatters import format_display_data

    bundle, metadata = format_display_data(shown)
    prefix = "" if display else RECORD_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    show(
        {prefix + key: data for key, data in bundle.items()},
        raw=True,
        metadata=metadata,
    )
    return value


def as_shown(number: float, fmt: str) -> float:
    """The number that ``format(number, fmt)`` shows, as a number.

    Parameters
    ----------
    number : float
        The value to round.
    fmt : str
        A format spec for floats: ``".2f"``, ``".1%"``, ``",.0f"``, ``".1e"``.

    Returns
    -------
    float
        ``number`` rounded to the digits the format shows; formatting it with
        ``fmt`` again gives the same text.

    Examples
    --------
    >>> as_shown(0.7644914984703064, ".1%")
    0.764
    >>> as_shown(2.4122020653461665e-11, ".1e")
    2.4e-11
    >>> as_shown(1234.5678, ",.0f")
    1235.0
    """
    text = format(number, fmt).replace(",", "")
    if not fmt.endswith("%"):
        return float(text)
    decimals = re.search(r"\.(\d+)%$", fmt)
    return round(float(text[:-1]) / 100, (int(decimals[1]) if decimals else 6) + 2)
