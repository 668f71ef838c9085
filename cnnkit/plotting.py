"""The book's recurring figures: numbers in a grid, kernels, feature maps,
the sliding kernel, and the positions a kernel takes.

Every chapter draws with these, so a picture means the same thing on every
page: an array is shown with its values written in, a kernel on a colour
scale centred at zero (blue negative, red positive), and a figure always has
a title and labelled axes. matplotlib is imported inside each function, so
``import cnnkit`` stays light.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnkit._validation import as_array, positive_int

__all__ = [
    "conv_animation",
    "show_image",
    "show_kernel",
    "show_maps",
    "show_positions",
    "show_values",
]


def _axes(ax, size: tuple[float, float]):
    """``ax`` itself, or the axes of a new figure of the given size."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    return plt.subplots(figsize=size, layout="constrained")[1]


def _matrix(values, name: str) -> np.ndarray:
    arr = as_array(values, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (H, W), got shape {arr.shape}")
    return arr


def _number(value: float) -> str:
    """A value as the book writes it: integers bare, others to 2 decimals."""
    value = float(value)
    return f"{value:.0f}" if value == round(value) else f"{value:.2f}"


def show_values(
    values,
    *,
    ax=None,
    title: str | None = None,
    cmap: str = "gray",
    centre: bool = False,
    colorbar: bool = True,
    highlight: tuple[int, int, int, int] | None = None,
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
    limit = float(np.abs(arr).max()) or 1.0
    vmin, vmax = (-limit, limit) if centre else (float(arr.min()), float(arr.max()))
    image = ax.imshow(arr, cmap=cmap, vmin=vmin, vmax=vmax)
    for (i, j), value in np.ndenumerate(arr):
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


def show_image(image, *, ax=None, title: str | None = None, colorbar=False):
    """Show a photograph or a feature map, with its size in pixels on the axes.

    Parameters
    ----------
    image : array_like of shape (H, W) or (H, W, 3)
        A grey image or feature map (any range), or RGB with values in 0-255
        (integers) or 0-1 (floats).
    ax : matplotlib Axes, optional
    title : str, optional
    colorbar : bool
        Add a colour bar (for a grey image or feature map).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> show_image(np.zeros((8, 12))).get_xlabel()
    'x (pixels)'
    """
    arr = as_array(image, "image")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 3)):
        raise ValueError(f"image must have shape (H, W) or (H, W, 3), got {arr.shape}")
    ax = _axes(ax, (4, 4))
    shown = ax.imshow(arr, cmap="gray" if arr.ndim == 2 else None)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    if title:
        ax.set_title(title)
    if colorbar and arr.ndim == 2:
        ax.figure.colorbar(shown, ax=ax, shrink=0.8, label="value")
    return ax


def show_maps(
    maps,
    *,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    ncols: int = 4,
    cmap: str = "gray",
):
    """Show several 2-D maps side by side, such as one feature map per filter.

    Parameters
    ----------
    maps : array_like of shape (H, W, C), or a sequence of (H, W) arrays
        With an array, each channel ``maps[..., c]`` is one map.
    titles : sequence of str, optional
        One title per map; defaults to ``"channel c"``.
    suptitle : str, optional
        A title for the whole figure.
    ncols : int
        Maps per row.
    cmap : str
        A matplotlib colour map name.

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> fig = show_maps(np.random.default_rng(0).random((5, 5, 3)))
    >>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
    ['channel 0', 'channel 1', 'channel 2']
    """
    import matplotlib.pyplot as plt

    if isinstance(maps, np.ndarray) and maps.ndim == 3:
        planes = [maps[..., c] for c in range(maps.shape[-1])]
    else:
        planes = [_matrix(m, "maps[i]") for m in maps]
    if not planes:
        raise ValueError("maps must hold at least one map, got none")
    titles = list(titles) if titles is not None else None
    if titles is not None and len(titles) != len(planes):
        raise ValueError(f"titles has {len(titles)} entries for {len(planes)} maps")
    ncols = min(positive_int(ncols, "ncols"), len(planes))
    nrows = -(-len(planes) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(2.6 * ncols, 2.6 * nrows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    for i, ax in enumerate(axes.flat):
        if i >= len(planes):
            ax.set_visible(False)
            continue
        ax.imshow(planes[i], cmap=cmap)
        ax.set_title(titles[i] if titles else f"channel {i}")
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _padded_for_display(x: np.ndarray, pads) -> np.ndarray:
    return np.pad(x.astype(float), pads, constant_values=np.nan)


def conv_animation(
    x,
    kernel,
    *,
    stride: int = 1,
    padding: str | int = "valid",
    interval: int = 900,
    alt: str = "A kernel sliding over an input, one output value per frame",
):
    """An animation of a kernel sliding over an input, as self-contained HTML.

    Each frame shows the (padded) input with the window outlined, the kernel,
    the sum of products written out, and the output filled in so far. The
    HTML embeds its frames and player script, so it plays on a static page
    with no server and no network; its element ids are derived from its
    content, so the same call gives the same HTML.

    Parameters
    ----------
    x : array_like of shape (H, W)
        A small input (at most 8 x 8).
    kernel : array_like of shape (kh, kw)
    stride : int
    padding : "valid", "same" or int
        As in :func:`cnnkit.conv2d`; padding cells are drawn hatched, as zeros.
    interval : int
        Milliseconds per frame.
    alt : str
        What the animation shows, for readers who cannot see it.

    Returns
    -------
    IPython.display.HTML
        Displayed as a player with play, pause and step buttons.

    Examples
    --------
    >>> html = conv_animation([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]])
    >>> "frames[3]" in html.data and "frames[4]" not in html.data  # 4 positions
    True
    >>> "http" in html.data  # plays offline: no link to another host
    False
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    from cnnkit.convolution import conv2d
    from cnnkit.shapes import padding_amounts

    x = _matrix(x, "x")
    k = _matrix(kernel, "kernel")
    if max(x.shape) > 8:
        raise ValueError(f"x of shape {x.shape} is too big to animate; use <= 8 x 8")
    out = conv2d(x, k, stride=stride, padding=padding)
    pads = padding_amounts(padding, x.shape, k.shape, (stride, stride), (1, 1))
    shown = _padded_for_display(x, pads)
    kh, kw = k.shape
    positions = [(i, j) for i in range(out.shape[0]) for j in range(out.shape[1])]

    fig, (ax_x, ax_k, ax_out) = plt.subplots(
        1, 3, figsize=(9, 3.4), width_ratios=[shown.shape[1], kw + 1, out.shape[1]]
    )
    fig.subplots_adjust(left=0.04, right=0.98, top=0.82, bottom=0.12, wspace=0.35)
    show_kernel(k, ax=ax_k, colorbar=False)

    def draw(frame: int):
        i, j = positions[frame]
        ax_x.clear()
        ax_out.clear()
        filled = np.full(out.shape, np.nan)
        flat = np.ravel_multi_index((i, j), out.shape)
        filled.flat[: flat + 1] = out.flat[: flat + 1]
        zeros = np.where(np.isnan(shown), 0.0, shown)
        show_values(
            zeros,
            ax=ax_x,
            title="input (padding hatched)",
            cmap="Greys",
            colorbar=False,
            highlight=(i * stride, j * stride, kh, kw),
        )
        for (r, c), value in np.ndenumerate(shown):
            if np.isnan(value):
                ax_x.add_patch(
                    plt.Rectangle(
                        (c - 0.5, r - 0.5),
                        1,
                        1,
                        fill=False,
                        hatch="//",
                        edgecolor="0.6",
                    )
                )
        window = zeros[i * stride : i * stride + kh, j * stride : j * stride + kw]
        terms = " + ".join(
            f"{_number(a)}·{_number(b)}"
            for a, b in zip(window.ravel(), k.ravel(), strict=True)
        )
        show_values(
            np.nan_to_num(filled, nan=0.0),
            ax=ax_out,
            cmap="Greys",
            colorbar=False,
            highlight=(i, j, 1, 1),
            title=f"output {out.shape[0]} x {out.shape[1]}",
        )
        for text, value in zip(ax_out.texts, filled.ravel(), strict=True):
            text.set_visible(not np.isnan(value))
        fig.suptitle(f"position ({i}, {j}): {terms} = {_number(out[i, j])}")
        return []

    animation = FuncAnimation(fig, draw, frames=len(positions), interval=interval)
    html = animation.to_jshtml(default_mode="loop")
    plt.close(fig)
    return HTML(_self_contained(html, alt))


# matplotlib's player draws its buttons with an icon font from a CDN; the book
# serves everything itself, so the buttons get plain symbols instead.
_ICONS = {
    "fa fa-minus": "\u2212",
    "fa fa-fast-backward": "\u23ee",
    "fa fa-step-backward": "\u25c1",
    "fa fa-play fa-flip-horizontal": "\u25c0",
    "fa fa-pause": "\u23f8",
    "fa fa-play": "\u25b6",
    "fa fa-step-forward": "\u25b7",
    "fa fa-fast-forward": "\u23ed",
    "fa fa-plus": "+",
}


def _self_contained(html: str, alt: str) -> str:
    """Make matplotlib's player HTML stable, offline and described.

    The random element ids become a hash of the content (so the same call
    gives the same HTML), the icon font from a CDN becomes plain symbols,
    and the frame image gets ``alt`` text.
    """
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    for icon, symbol in _ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', symbol)
    html = re.sub(r'(<img id="_anim_img\w+")', rf'\1 alt="{alt}"', html)
    ids = set(re.findall(r"_anim_img([0-9a-f]{32})", html))
    digest = hashlib.sha256(re.sub(r"[0-9a-f]{32}", "", html).encode()).hexdigest()
    for n, uid in enumerate(sorted(ids)):
        html = html.replace(uid, f"{digest[:24]}{n:08d}")
    return html


def show_positions(
    n: int,
    k: int,
    *,
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
    ax=None,
) -> Any:
    """Draw every position a kernel takes along one axis of the input.

    One row per output value: the input cells (padding hatched) with the
    cells the kernel's taps land on filled in. The number of rows is the
    output size, so the picture is the output-size formula counted by hand.

    Parameters
    ----------
    n : int
        Input size along the axis.
    k : int
        Kernel size.
    stride, dilation : int
    padding : "valid", "same" or int
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ax = show_positions(5, 3)
    >>> ax.get_ylabel(), len(ax.get_yticks())
    ('output position', 3)
    """
    import matplotlib.pyplot as plt

    from cnnkit.shapes import output_size, padding_amounts

    n, k = positive_int(n, "n"), positive_int(k, "k")
    stride, dilation = (
        positive_int(stride, "stride"),
        positive_int(dilation, "dilation"),
    )
    out = output_size(n, k, stride=stride, padding=padding, dilation=dilation)
    (before, after), _ = padding_amounts(
        padding, (n, n), (k, k), (stride, stride), (dilation, dilation)
    )
    total = before + n + after
    ax = _axes(ax, (0.42 * total + 1.6, 0.42 * out + 1.2))
    for row in range(out):
        for col in range(total):
            pad = col < before or col >= before + n
            tap = col - row * stride
            on = 0 <= tap < dilation * (k - 1) + 1 and tap % dilation == 0
            ax.add_patch(
                plt.Rectangle(
                    (col, row),
                    0.92,
                    0.92,
                    facecolor="tab:orange" if on else "white",
                    edgecolor="0.5",
                    hatch="//" if pad else None,
                )
            )
    ax.set_xlim(-0.2, total + 0.1)
    ax.set_ylim(out + 0.1, -0.2)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(total) + 0.46, [str(c - before) for c in range(total)])
    ax.set_yticks(np.arange(out) + 0.46, [str(r) for r in range(out)])
    ax.set_xlabel("input index (hatched: padding)")
    ax.set_ylabel("output position")
    ax.set_title(
        f"n={n}, k={k}, stride={stride}, padding={padding!r}, "
        f"dilation={dilation}: {out} positions",
        fontsize=10,
    )
    return ax
