"""Explorers: small interactive figures for JupyterLab and Colab.

Each function returns an ipywidgets box that redraws a figure from
:mod:`cnnkit.plotting` whenever a control changes. Explorers need a running
kernel, so the published book shows a static equivalent beside each one (an
animation or a grid of cases) and the launch buttons lead to the live one.
ipywidgets and matplotlib are imported inside the functions.

Each explorer keeps its drawing in a plain function of the controls' values
(``box.redraw(**values)``), so tests can drive it without a browser.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validation import as_array

__all__ = ["convolution_explorer", "kernel_explorer", "output_size_explorer"]


def _explorer(controls: dict, draw, *, layout: list | None = None):
    """A box of ``controls`` above an output area that ``draw(**values)`` fills."""
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    out = w.Output()

    def redraw(**values):
        out.clear_output(wait=True)
        with out:
            result = draw(**values)
            if result is not None:
                display(result)
            plt.show()

    def on_change(_change=None):
        redraw(**{name: c.value for name, c in controls.items()})

    for control in controls.values():
        control.observe(on_change, names="value")
    box = w.VBox([*(layout or controls.values()), out])
    box.redraw = redraw
    on_change()
    return box


def _kernel_text(kernel: np.ndarray) -> str:
    from cnnkit.plotting import _number

    return "\n".join(" ".join(_number(v) for v in row) for row in kernel)


def parse_kernel(text: str) -> np.ndarray:
    """Read a kernel typed as rows of numbers, one row per line.

    Parameters
    ----------
    text : str
        Numbers separated by spaces or commas, rows by new lines.

    Returns
    -------
    ndarray of shape (kh, kw)

    Examples
    --------
    >>> parse_kernel("1 0\\n0 -1")
    array([[ 1.,  0.],
           [ 0., -1.]])
    """
    rows = [line.replace(",", " ").split() for line in text.strip().splitlines()]
    rows = [row for row in rows if row]
    if not rows or len({len(row) for row in rows}) != 1:
        raise ValueError(
            f"kernel text must be rows of equally many numbers, got {text!r}"
        )
    try:
        return np.array([[float(v) for v in row] for row in rows])
    except ValueError:
        raise ValueError(f"kernel text must hold only numbers, got {text!r}") from None


def convolution_explorer(x, kernel):
    """Move the kernel's window over ``x`` and edit its weights.

    Two sliders choose the output position; a text box holds the kernel's
    numbers. The figure shows the window on the input, the sum of products
    written out, and the output with the current value outlined.

    Parameters
    ----------
    x : array_like of shape (H, W)
        A small input (at most 16 x 16).
    kernel : array_like of shape (kh, kw)
        The starting kernel.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from cnnkit.convolution import conv2d
    from cnnkit.plotting import _number, show_kernel, show_values

    x = as_array(x, "x").astype(float)
    k0 = as_array(kernel, "kernel").astype(float)
    rows, cols = x.shape[0] - k0.shape[0], x.shape[1] - k0.shape[1]
    controls = {
        "row": w.IntSlider(0, 0, max(rows, 0), description="window row i"),
        "col": w.IntSlider(0, 0, max(cols, 0), description="window col j"),
        "text": w.Textarea(
            _kernel_text(k0), description="kernel", layout=w.Layout(height="6em")
        ),
    }

    def draw(row: int, col: int, text: str):
        try:
            k = parse_kernel(text)
            out = conv2d(x, k)
        except ValueError as err:
            print(err)
            return None
        row, col = min(row, out.shape[0] - 1), min(col, out.shape[1] - 1)
        kh, kw = k.shape
        window = x[row : row + kh, col : col + kw]
        fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), layout="constrained")
        show_values(
            x, ax=axes[0], title="input", colorbar=False, highlight=(row, col, kh, kw)
        )
        show_kernel(k, ax=axes[1], colorbar=False)
        show_values(
            out,
            ax=axes[2],
            title="output (valid)",
            colorbar=False,
            highlight=(row, col, 1, 1),
        )
        terms = " + ".join(
            f"{_number(a)}·{_number(b)}"
            for a, b in zip(window.ravel(), k.ravel(), strict=True)
        )
        fig.suptitle(f"output[{row}, {col}] = {terms} = {_number(out[row, col])}")
        return None

    return _explorer(controls, draw)


def kernel_explorer(image, kernel="sobel_x"):
    """Type a kernel, or pick a classic one, and see what it does to ``image``.

    Parameters
    ----------
    image : array_like of shape (H, W)
        A grey photograph.
    kernel : str or array_like of shape (kh, kw)
        A name from :data:`cnnkit.kernels.KERNELS`, or the numbers.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from cnnkit.convolution import conv2d
    from cnnkit.kernels import KERNELS
    from cnnkit.plotting import _number, show_image, show_kernel

    image = as_array(image, "image").astype(float)
    start = KERNELS[kernel] if isinstance(kernel, str) else as_array(kernel, "kernel")
    text = w.Textarea(
        _kernel_text(start), description="kernel", layout=w.Layout(height="6em")
    )
    pick = w.Dropdown(options=["(typed)", *sorted(KERNELS)], description="classic")

    def on_pick(change):
        if change["new"] != "(typed)":
            text.value = _kernel_text(KERNELS[change["new"]])

    pick.observe(on_pick, names="value")

    def draw(text: str):
        try:
            k = parse_kernel(text)
        except ValueError as err:
            print(err)
            return None
        fig, axes = plt.subplots(
            1, 3, figsize=(11, 3.8), width_ratios=[3, 2, 3], layout="constrained"
        )
        show_image(image, ax=axes[0], title="input")
        show_kernel(k, ax=axes[1], title=f"kernel, weights sum to {_number(k.sum())}")
        show_image(
            conv2d(image, k, padding="same"),
            ax=axes[2],
            title="output (same padding)",
            colorbar=True,
        )
        return None

    return _explorer({"text": text}, draw, layout=[pick, text])


def output_size_explorer(n: int = 7, k: int = 3):
    """Sliders for input size, kernel, padding, stride and dilation.

    The figure is :func:`cnnkit.plotting.show_positions`: one row per
    position the kernel takes, so the count of rows is the output size.

    Parameters
    ----------
    n, k : int
        Starting input and kernel sizes.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as w

    from cnnkit.plotting import show_positions
    from cnnkit.shapes import output_size

    controls = {
        "n": w.IntSlider(n, 1, 16, description="input n"),
        "k": w.IntSlider(k, 1, 7, description="kernel k"),
        "padding": w.Dropdown(
            options=["valid", "same", 0, 1, 2, 3], value="valid", description="padding"
        ),
        "stride": w.IntSlider(1, 1, 4, description="stride s"),
        "dilation": w.IntSlider(1, 1, 3, description="dilation d"),
    }

    def draw(n: int, k: int, padding, stride: int, dilation: int):
        try:
            size = output_size(n, k, stride=stride, padding=padding, dilation=dilation)
        except ValueError as err:
            print(err)
            return None
        print(f"output size = {size}")
        show_positions(n, k, stride=stride, padding=padding, dilation=dilation)
        return None

    return _explorer(controls, draw)
