"""Training curves: a metric against the epoch, on the training and the
validation data, for one run or several compared.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["compare_histories", "plot_history"]


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
