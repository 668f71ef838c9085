"""Publishing computed numbers in the book, from any notebook.

A chapter never types a number that code can compute: it *glues* the value
from the cell that computes it, and the prose shows it with the
``{glue:text}`` role of myst-nb. The book is built with myst-nb, which
records glued values in the notebook; Colab and bare Jupyter have no
myst-nb, so there :func:`glue` simply shows the value, and the same cell runs
everywhere.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, value: Any, *, display: bool = False) -> Any:
    """Record ``value`` under ``name`` for the book's prose, and return it.

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
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab, or a bare Jupyter install
        from IPython.display import display as show

        show(value)
    else:
        myst_glue(name, value, display=display)
    return value
