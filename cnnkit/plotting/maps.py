"""Images and feature maps: a photograph or a map with its size in pixels, maps
side by side (one per filter), and each kernel beside the map it makes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnkit._validation import as_array, positive_int
from cnnkit.plotting._common import _axes, _matrix, _number
from cnnkit.plotting.values import show_kernel

__all__ = ["show_image", "show_kernel_effects", "show_maps"]


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
