"""Numbers in a grid and kernels: an array drawn with each value written in, and
a kernel on a colour scale centred at zero (blue negative, red positive).

Part I's chapters draw every small array and kernel this way, so a picture
of numbers means the same thing on every page.
"""

from __future__ import annotations

import numpy as np

from cnnkit.plotting._common import _axes, _matrix, _number

__all__ = ["show_kernel", "show_values"]


def show_values(
    values,
    *,
    ax=None,
    title: str | None = None,
    cmap: str = "gray",
    centre: bool = False,
    colorbar: bool = True,
    highlight: tuple[int, int, int, int] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    xlabel: str = "column j",
    ylabel: str = "row i",
):
    """Draw a 2-D array as coloured cells with each value written in.

    Parameters
    ----------
    values : array_like of shape (H, W)
        The numbers to show; at most 16 x 16 so that they stay legible.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if omitted.
    title : str, optional
        The axes' title.
    cmap : str
        A matplotlib colour map name.
    centre : bool
        Centre the colour scale at zero (for kernels and signed maps).
    colorbar : bool
        Add a colour bar that says what the colours mean.
    highlight : (row, col, height, width), optional
        Outline this block of cells, e.g. the window under a kernel.
    vmin, vmax : float, optional
        The values at the ends of the colour scale; by default the array's
        own range. Cells that hold NaN (say, values not computed yet) are
        left blank.
    xlabel, ylabel : str
        The axis labels.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ax = show_values([[1, 2], [3, 4]], title="A 2 x 2 array")
    >>> [t.get_text() for t in ax.texts]
    ['1', '2', '3', '4']
    """
    from matplotlib.patches import Rectangle

    arr = _matrix(values, "values")
    if max(arr.shape) > 16:
        raise ValueError(
            f"values of shape {arr.shape} has too many cells to write in; "
            "show at most 16 x 16 (slice a patch first)"
        )
    ax = _axes(ax, (0.5 * arr.shape[1] + 1.8, 0.5 * arr.shape[0] + 1.2))
    if np.isnan(arr).all():
        low, high = 0.0, 1.0
    else:
        limit = float(np.nanmax(np.abs(arr))) or 1.0
        low, high = (-limit, limit) if centre else (np.nanmin(arr), np.nanmax(arr))
    low, high = (low if vmin is None else vmin), (high if vmax is None else vmax)
    image = ax.imshow(arr, cmap=cmap, vmin=low, vmax=high)
    for (i, j), value in np.ndenumerate(arr):
        if np.isnan(value):
            continue
        shade = image.cmap(image.norm(value))
        dark = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] < 0.5
        ax.text(
            j,
            i,
            _number(value),
            ha="center",
            va="center",
            fontsize=9,
            color="white" if dark else "black",
        )
    if highlight is not None:
        row, col, height, width = highlight
        ax.add_patch(
            Rectangle(
                (col - 0.5, row - 0.5),
                width,
                height,
                fill=False,
                edgecolor="tab:orange",
                linewidth=3,
            )
        )
    ax.set_xticks(range(arr.shape[1]))
    ax.set_yticks(range(arr.shape[0]))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.8, label="value")
    return ax


def show_kernel(kernel, *, ax=None, title: str | None = None, colorbar=True):
    """Draw a kernel as a heat map centred at zero, its weights written in.

    Blue cells are negative weights, red ones positive, white zero, so a
    kernel's shape (which side subtracts, which adds) is visible at a glance.

    Parameters
    ----------
    kernel : array_like of shape (kh, kw)
    ax : matplotlib Axes, optional
    title : str, optional
        Defaults to ``"kernel (kh x kw)"``.
    colorbar : bool
        Add a colour bar labelled "weight".

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from cnnkit import kernels
    >>> show_kernel(kernels.sobel_x).get_title()
    'kernel (3 x 3)'
    """
    arr = _matrix(kernel, "kernel")
    title = title or f"kernel ({arr.shape[0]} x {arr.shape[1]})"
    return show_values(
        arr,
        ax=ax,
        title=title,
        cmap="RdBu_r",
        centre=True,
        colorbar=colorbar,
        xlabel="n",
        ylabel="m",
    )
