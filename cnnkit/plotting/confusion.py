"""What a classifier gets wrong: the confusion matrix of its test results, and a
gallery of the images it misclassified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnkit._validation import as_array, positive_int
from cnnkit.plotting._common import _axes

__all__ = ["show_confusion", "show_mistakes"]


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
