"""What every figure shares: its axes, a 2-D array checked, a number written
as the book writes it.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validation import as_array


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
