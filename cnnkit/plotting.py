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
    "plot_history",
    "show_confusion",
    "show_image",
    "show_kernel",
    "show_kernel_effects",
    "show_maps",
    "show_mistakes",
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
    value = float(value) + 0.0  # turns -0.0 into 0.0
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


def _signed(value: float) -> str:
    """A value inside a sum of products: negatives in brackets, ``5·(-1)``."""
    return f"({_number(value)})" if value < 0 else _number(value)


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
        1,
        3,
        figsize=(9.5, 3.6),
        width_ratios=[shown.shape[1], kw + 1, out.shape[1]],
        layout="constrained",
    )
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
            f"{_signed(a)}·{_signed(b)}"
            for a, b in zip(window.ravel(), k.ravel(), strict=True)
        )
        show_values(
            filled,
            ax=ax_out,
            colorbar=False,
            vmin=float(out.min()),
            vmax=float(out.max()),
            highlight=(i, j, 1, 1),
            title=f"output {out.shape[0]} x {out.shape[1]}",
        )
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


def plot_history(
    history,
    metrics: str | Sequence[str] | None = None,
    *,
    xlabel: str = "epoch",
    first: int = 1,
    log: bool = False,
    title: str | None = None,
):
    """Draw learning curves: each metric against the epoch (or step).

    One panel per metric, side by side. A panel shows the metric on the
    training data and, when the history has it, the same metric on the
    validation data (Keras's ``"val_"`` prefix) as a dashed line, so the gap
    between the two, and where it opens, is visible at a glance. Part II's
    chapters draw every training run with it.

    Parameters
    ----------
    history : dict of str to sequence of float, or a Keras ``History``
        The values recorded after each epoch or step, by metric name, as in
        ``model.fit(...).history``; a ``History`` object is read through its
        ``.history``.
    metrics : str or sequence of str, optional
        The metrics to draw, e.g. ``["loss", "accuracy"]``; by default every
        name in ``history`` that does not start with ``"val_"``.
    xlabel : str
        What one entry is: ``"epoch"`` for Keras, ``"step"`` for a loop that
        records the loss at every update.
    first : int
        The number of the first entry: 1 for Keras's epochs (recorded after
        the first epoch), 0 for a loss recorded before the first update.
    log : bool
        Use a logarithmic vertical axis (for a loss that falls by orders of
        magnitude).
    title : str, optional
        A title for the whole figure.

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> fig = plot_history({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6],
    ...                     "accuracy": [0.6, 0.8, 0.9]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['training', 'validation']
    >>> fig.axes[0].lines[0].get_xdata().tolist()
    [1, 2, 3]
    """
    import matplotlib.pyplot as plt

    history = getattr(history, "history", history)
    if not isinstance(history, dict):
        raise TypeError(
            "history must be a dict of metric name to values, or a Keras History, "
            f"got {type(history).__name__}"
        )
    if metrics is None:
        metrics = [name for name in history if not str(name).startswith("val_")]
    elif isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    if not metrics:
        raise ValueError("history holds no metric to draw (only validation ones?)")
    for name in metrics:
        if name not in history:
            raise ValueError(
                f"metrics names {name!r}, which history does not hold; "
                f"it holds {sorted(history)}"
            )
    if isinstance(first, bool) or not isinstance(first, int):
        raise TypeError(f"first must be an integer, got {first!r}")
    width = 4.6 * len(metrics)
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(width, 3.4), squeeze=False, layout="constrained"
    )
    curves = (
        ("", "training", "-", "tab:blue"),
        ("val_", "validation", "--", "tab:orange"),
    )
    for ax, name in zip(axes.flat, metrics, strict=True):
        for prefix, label, style, colour in curves:
            if prefix + name not in history:
                continue
            values = np.asarray(history[prefix + name], dtype=float).ravel()
            steps = np.arange(first, first + len(values))
            ax.plot(steps, values, style, color=colour, label=label)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"{name} (log scale)" if log else name)
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def show_kernel_effects(
    image,
    kernels,
    *,
    padding: str | int = "same",
    ncols: int = 2,
    robust: bool = True,
    suptitle: str | None = None,
):
    """Show each kernel beside the feature map it makes from ``image``.

    One pair of panels per kernel: its weights, drawn as :func:`show_kernel`
    draws them, and ``cnnkit.conv2d(image, kernel)`` with a colour bar and the
    sum of the weights in its title (a sum of 0 finds edges, a sum of 1 keeps
    the brightness). Part I's chapter on filters shows the classic kernels
    this way; a trained layer's kernels can be shown the same way.

    Parameters
    ----------
    image : array_like of shape (H, W)
        A grey image.
    kernels : dict of str to array_like of shape (kh, kw), or a sequence of them
        The kernels; a dict's keys become the titles, a sequence's kernels
        are called "kernel 0", "kernel 1", ...
    padding : "valid", "same" or int
        As in :func:`cnnkit.conv2d`; ``"same"`` keeps every map the size of
        the image.
    ncols : int
        Kernel-and-map pairs per row.
    robust : bool
        Spread each map's colours over its 1st to 99th percentile, so that a
        few extreme values do not leave the rest a flat grey (values beyond
        take the end colours); ``False`` uses the full range.
    suptitle : str, optional
        A title for the whole figure.

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> from cnnkit.kernels import KERNELS
    >>> fig = show_kernel_effects(np.eye(8), {"sobel_x": KERNELS["sobel_x"]})
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['sobel_x', 'feature map, weights sum to 0']
    """
    import matplotlib.pyplot as plt

    from cnnkit.convolution import conv2d

    image = _matrix(image, "image").astype(float)
    if isinstance(kernels, dict):
        named = [
            (str(name), _matrix(k, f"kernels[{name!r}]")) for name, k in kernels.items()
        ]
    else:
        named = [
            (f"kernel {i}", _matrix(k, f"kernels[{i}]")) for i, k in enumerate(kernels)
        ]
    if not named:
        raise ValueError("kernels must hold at least one kernel, got none")
    ncols = min(positive_int(ncols, "ncols"), len(named))
    nrows = -(-len(named) // ncols)
    fig, axes = plt.subplots(
        nrows,
        2 * ncols,
        figsize=(5.6 * ncols, 2.9 * nrows + 0.4),
        width_ratios=[1, 1.6] * ncols,
        squeeze=False,
        layout="constrained",
    )
    for i, (ax_k, ax_map) in enumerate(axes.reshape(-1, 2)):
        if i >= len(named):
            ax_k.set_visible(False)
            ax_map.set_visible(False)
            continue
        name, k = named[i]
        show_kernel(k, ax=ax_k, title=name, colorbar=False)
        for text in ax_k.texts:  # the weights of a big kernel in smaller print
            text.set_fontsize(min(9.0, 36.0 / max(k.shape)))
        fmap = conv2d(image, k, padding=padding)
        total = round(float(k.sum()), 9)  # 7 sevenths sum to 1, not 0.99...
        show_image(
            fmap,
            ax=ax_map,
            title=f"feature map, weights sum to {_number(total)}",
            colorbar=True,
        )
        if robust:
            low, high = np.percentile(fmap, [1, 99])
            if high > low:
                ax_map.images[0].set_clim(low, high)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _labels(values, name: str) -> np.ndarray:
    """A 1-D array of non-negative integer class labels."""
    arr = np.asarray(values)
    if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(
            f"{name} must be a 1-D array of integer class labels, got "
            f"shape {arr.shape} and dtype {arr.dtype}"
        )
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must hold labels 0, 1, 2, ..., got {arr.min()}")
    return arr


def show_confusion(
    y_true,
    y_pred,
    *,
    class_names: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
):
    """Draw a confusion matrix: how often each true class is predicted as each.

    Cell ``(i, j)`` counts the images of class ``i`` that the model put in
    class ``j``, and holds that count written in; the diagonal holds the
    correct answers. The colours follow a logarithmic scale, so that a
    handful of mistakes still shows next to a thousand correct answers;
    empty cells stay white. Part II's chapters draw every trained
    classifier's test results with it.

    Parameters
    ----------
    y_true, y_pred : array_like of int, of shape (N,)
        The true and the predicted class of each image, 0 to K - 1.
    class_names : sequence of str, optional
        The K class names for the axes; by default the classes are numbered
        and K is the largest label plus one.
    ax : matplotlib Axes, optional
    title : str, optional
        Defaults to ``"confusion matrix: c of N correct"``.

    Returns
    -------
    matplotlib Axes
        Its image holds the counts (``ax.images[0].get_array()``, empty
        cells masked).

    Examples
    --------
    >>> ax = show_confusion([0, 1, 1, 2], [0, 1, 2, 2])
    >>> ax.images[0].get_array().filled(0).tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    >>> ax.get_title(), ax.get_xlabel(), ax.get_ylabel()
    ('confusion matrix: 3 of 4 correct', 'predicted class', 'true class')
    """
    from matplotlib.colors import LogNorm

    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            "y_true and y_pred must hold one label per image, got "
            f"{y_true.size} and {y_pred.size} labels"
        )
    k = int(max(y_true.max(), y_pred.max())) + 1
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if len(class_names) < k:
            raise ValueError(
                f"class_names has {len(class_names)} names but the labels go up "
                f"to {k - 1}"
            )
        k = len(class_names)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    ax = _axes(ax, (0.55 * k + 2.2, 0.55 * k + 1.2))
    shown = ax.imshow(
        np.ma.masked_equal(counts, 0),
        cmap="Blues",
        norm=LogNorm(vmin=1, vmax=max(counts.max(), 2)),
    )
    dark = np.sqrt(counts.max())  # the colour's midpoint on the log scale
    for (i, j), count in np.ndenumerate(counts):
        if count:
            ax.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                fontsize=8 if count < 1000 else 7,
                color="white" if count > dark else "black",
            )
    names = class_names or [str(c) for c in range(k)]
    ax.set_xticks(range(k), names, rotation=90 if class_names else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    correct = int(np.trace(counts))
    ax.set_title(title or f"confusion matrix: {correct:,} of {counts.sum():,} correct")
    ax.figure.colorbar(shown, ax=ax, shrink=0.8, label="images (log scale)")
    return ax


def show_mistakes(
    images,
    y_true,
    y_pred,
    *,
    probabilities=None,
    class_names: Sequence[str] | None = None,
    n: int = 12,
    ncols: int = 6,
    suptitle: str | None = None,
):
    """Show a gallery of misclassified images, each titled with what went wrong.

    Each panel shows one image whose predicted class differs from its true
    class, titled with its index, the true class and the prediction. Given
    the model's probabilities, the gallery shows the most confident mistakes
    first, each with the probability the model gave its wrong answer.

    Parameters
    ----------
    images : array_like of shape (N, H, W), (N, H, W, 1) or (N, H, W, 3)
        The images, grey or RGB (values 0-255 as integers or 0-1 as floats).
    y_true, y_pred : array_like of int, of shape (N,)
        The true and the predicted class of each image.
    probabilities : array_like of shape (N, K), optional
        The model's output; sorts the mistakes by the probability of the
        predicted class, highest first.
    class_names : sequence of str, optional
        Names for the classes in the titles; by default their numbers.
    n : int
        At most this many mistakes are shown (in index order without
        ``probabilities``).
    ncols : int
        Images per row.
    suptitle : str, optional
        A title for the whole figure.

    Returns
    -------
    matplotlib Figure

    Raises
    ------
    ValueError
        When no image is misclassified (there is nothing to show).

    Examples
    --------
    >>> images = np.zeros((4, 8, 8))
    >>> fig = show_mistakes(images, [0, 1, 2, 3], [0, 7, 2, 1])
    >>> [ax.get_title() for ax in fig.axes]
    ['#1: true 1\\npredicted 7', '#3: true 3\\npredicted 1']
    """
    import matplotlib.pyplot as plt

    arr = as_array(images, "images")
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[-1] == 3)):
        raise ValueError(
            "images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), "
            f"got {np.shape(images)}"
        )
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if not len(arr) == y_true.size == y_pred.size:
        raise ValueError(
            f"images, y_true and y_pred must have the same length, got {len(arr)}, "
            f"{y_true.size} and {y_pred.size}"
        )
    wrong = np.flatnonzero(y_true != y_pred)
    if wrong.size == 0:
        raise ValueError("no image is misclassified: there are no mistakes to show")
    confidence = None
    if probabilities is not None:
        probs = as_array(probabilities, "probabilities")
        if probs.ndim != 2 or len(probs) != len(arr):
            raise ValueError(
                f"probabilities must have shape ({len(arr)}, K), got {probs.shape}"
            )
        confidence = probs[np.arange(len(arr)), y_pred]
        wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
    wrong = wrong[: positive_int(n, "n")]
    names = [str(c) for c in class_names] if class_names is not None else None
    if names is not None and max(y_true.max(), y_pred.max()) >= len(names):
        raise ValueError(
            f"class_names has {len(names)} names but the labels go up to "
            f"{max(y_true.max(), y_pred.max())}"
        )
    ncols = min(positive_int(ncols, "ncols"), len(wrong))
    nrows = -(-len(wrong) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(1.9 * ncols, 2.3 * nrows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.flat[len(wrong) :]:
        fig.delaxes(ax)
    for ax, i in zip(axes.flat, wrong, strict=False):
        true, pred = (
            (names[y_true[i]], names[y_pred[i]]) if names else (y_true[i], y_pred[i])
        )
        title = f"#{i}: true {true}\npredicted {pred}"
        if confidence is not None:
            title += f" ({confidence[i]:.1%})"
        ax.imshow(arr[i], cmap="gray" if arr.ndim == 3 else None)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def compare_histories(
    histories,
    metric: str = "accuracy",
    *,
    xlabel: str = "epoch",
    first: int = 1,
    log: bool = False,
    title: str | None = None,
):
    """Compare training runs: one metric on the training and the validation data.

    Two panels with a shared vertical axis: the metric on the training data
    (left) and on the validation data (right, Keras's ``"val_"`` prefix), one
    line per run, each run in the same colour in both panels. A run that
    memorises its training data climbs on the left and stalls on the right;
    a cure for that shows as a smaller gap between its two lines. Chapter 10
    compares a network without regularisation with its cures this way.

    Parameters
    ----------
    histories : dict of str to (dict of str to sequence of float, or Keras History)
        The runs by name, each as ``model.fit(...).history`` (or the
        ``History`` itself); each must hold ``metric`` and ``"val_" + metric``.
    metric : str
        The metric to compare, e.g. ``"accuracy"`` or ``"loss"``.
    xlabel : str
        What one entry is (``"epoch"`` for Keras).
    first : int
        The number of the first entry: 1 for Keras's epochs.
    log : bool
        Use a logarithmic vertical axis.
    title : str, optional
        A title for the whole figure.

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> runs = {"plain": {"loss": [0.5, 0.2], "val_loss": [0.6, 0.7]},
    ...         "dropout": {"loss": [0.7, 0.4], "val_loss": [0.6, 0.5]}}
    >>> fig = compare_histories(runs, "loss")
    >>> [ax.get_title() for ax in fig.axes]
    ['training loss', 'validation loss']
    >>> [line.get_label() for line in fig.axes[1].lines]
    ['plain', 'dropout']
    """
    import matplotlib.pyplot as plt

    if not isinstance(histories, dict) or not histories:
        raise TypeError(
            "histories must be a non-empty dict of run name to history, got "
            f"{type(histories).__name__} {histories!r}"[:200]
        )
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a string, got {metric!r}")
    if isinstance(first, bool) or not isinstance(first, int):
        raise TypeError(f"first must be an integer, got {first!r}")
    runs = {}
    for name, history in histories.items():
        history = getattr(history, "history", history)
        if not isinstance(history, dict):
            raise TypeError(
                f"histories[{name!r}] must be a dict of metric name to values, or a "
                f"Keras History, got {type(history).__name__}"
            )
        for key in (metric, "val_" + metric):
            if key not in history:
                raise ValueError(
                    f"histories[{name!r}] holds no {key!r}; it holds {sorted(history)}"
                )
        runs[str(name)] = history
    fig, axes = plt.subplots(
        1, 2, figsize=(9.2, 3.6), sharey=True, squeeze=False, layout="constrained"
    )
    panels = (("", "training"), ("val_", "validation"))
    for ax, (prefix, label) in zip(axes.flat, panels, strict=True):
        for i, (name, history) in enumerate(runs.items()):
            values = np.asarray(history[prefix + metric], dtype=float).ravel()
            steps = np.arange(first, first + len(values))
            ax.plot(steps, values, color=f"C{i % 10}", label=name)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(f"{label} {metric}")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel(f"{metric} (log scale)" if log else metric)
    axes[0, 1].legend()
    if title:
        fig.suptitle(title)
    return fig
