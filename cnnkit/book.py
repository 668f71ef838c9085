"""Publishing computed numbers in the book, from any notebook.

A chapter never types a number that code can compute: it *glues* the value
from the cell that computes it, and the prose shows it with the
``{glue:text}`` role of myst-nb. The book is built with myst-nb, which
records glued values in the notebook; Colab and bare Jupyter have no
myst-nb, so there :func:`glue` simply shows the value, and the same cell runs
everywhere.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

__all__ = ["glue"]

#: Where myst-nb looks for a glued value's display data in a cell's outputs.
RECORD_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, *, display: bool = False) -> Any:
    """Record ``value`` under ``name`` for the book's prose, and return it.

    Where myst-nb is installed, the value's display data is written as an
    output that myst-nb reads back when it builds the page (the record
    format of ``myst_nb.glue``, written here so that a chapter does not pay
    for importing nbformat and jsonschema, a few seconds each time).

    Parameters
    ----------
    name : str
        The key the prose uses, as in ``{glue:text}`\\`name\\```.
    value : Any
        The number (or figure, or table) to publish.
    display : bool
        Also show the value under the cell. Where myst-nb is missing (Colab),
        the value is always shown, since nothing else would record it.

    Returns
    -------
    Any
        ``value`` itself, so a cell can glue and keep computing.

    Examples
    --------
    >>> glue("inputs_64", 64 * 64 * 3)
    12288
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    from IPython.display import display as show

    if importlib.util.find_spec("myst_nb") is None:  # Colab, a bare Jupyter
        show(value)
        return value
    from IPython.core.formatters import format_display_data

    # A NumPy scalar is recorded as the Python number it holds: NumPy 2 shows
    # np.float64(0.86) as "np.float64(0.86)", which the prose's format specs
    # ({glue:text}`name:.1%`) cannot read.
    shown = value.item() if isinstance(value, np.generic) else value
    bundle, metadata = format_display_data(shown)
    prefix = "" if display else RECORD_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    show(
        {prefix + key: data for key, data in bundle.items()},
        raw=True,
        metadata=metadata,
    )
    return value
