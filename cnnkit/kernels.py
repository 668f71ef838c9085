"""The classic 3x3 kernels of image processing, by name.

Each is a read-only float array of shape (3, 3), ready for
``cnnkit.conv2d(image, kernels.sobel_x)``; ``KERNELS`` holds them all by
name, for galleries and widgets. Part I's chapter on kernels shows what each
one does to a picture. With ``conv2d``'s cross-correlation, ``sobel_x`` and
``prewitt_x`` answer positively where the image gets brighter to the right,
``sobel_y`` and ``prewitt_y`` where it gets brighter downwards.

Examples
--------
>>> import cnnkit
>>> cnnkit.kernels.sobel_x
array([[-1.,  0.,  1.],
       [-2.,  0.,  2.],
       [-1.,  0.,  1.]])
>>> sorted(KERNELS)[:4]
['box_blur', 'emboss', 'gaussian_blur', 'identity']
>>> float(KERNELS["gaussian_blur"].sum())
1.0
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "KERNELS",
    "box_blur",
    "edge",
    "emboss",
    "gaussian_blur",
    "identity",
    "laplacian",
    "outline",
    "prewitt_x",
    "prewitt_y",
    "sharpen",
    "sobel_x",
    "sobel_y",
]


def _kernel(rows, scale: float = 1.0) -> np.ndarray:
    k = np.array(rows, dtype=np.float64) * scale
    k.flags.writeable = False  # shared by everyone who imports it
    return k


identity = _kernel([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
"""Leaves the image unchanged."""

outline = _kernel([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
"""Edge detection in every direction: zero on flat regions, large at edges."""

edge = outline
"""Another name for :data:`outline`."""

sobel_x = _kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
"""Horizontal change (finds vertical edges), centre row weighted twice."""

sobel_y = _kernel([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
"""Vertical change (finds horizontal edges), centre column weighted twice."""

prewitt_x = _kernel([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
"""Horizontal change with equal weights."""

prewitt_y = _kernel([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
"""Vertical change with equal weights."""

sharpen = _kernel([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
"""The pixel plus its difference from its four neighbours."""

box_blur = _kernel([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1 / 9)
"""The mean of the 3x3 neighbourhood."""

gaussian_blur = _kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16)
"""A weighted mean, nearer pixels counting more (approximately Gaussian)."""

emboss = _kernel([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
"""Lights edges from one side and shades them from the other: a relief."""

laplacian = _kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
"""Second derivative in both directions: edges in every direction."""

KERNELS: dict[str, np.ndarray] = {
    "identity": identity,
    "outline": outline,
    "sobel_x": sobel_x,
    "sobel_y": sobel_y,
    "prewitt_x": prewitt_x,
    "prewitt_y": prewitt_y,
    "sharpen": sharpen,
    "box_blur": box_blur,
    "gaussian_blur": gaussian_blur,
    "emboss": emboss,
    "laplacian": laplacian,
}
"""Every kernel above by name (``edge`` is listed once, as ``"outline"``)."""
