"""Where a kernel goes: an animation of it sliding over an input, one output
value per frame, and every position it takes along one axis.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

from cnnkit._validation import positive_int
from cnnkit.plotting._common import _axes, _matrix, _number
from cnnkit.plotting.values import show_kernel, show_values

__all__ = ["conv_animation", "show_positions"]


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
