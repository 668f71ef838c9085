"""What a rule finds (:class:`Out`), and the checks and wording the rules share.

Every rule checks its input (one input, of the right rank, its last axis
known) and writes its working axis by axis; the layers that slide a window
(convolutions, pooling) share the output-size arithmetic of :func:`slide`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnkit._validation import non_negative_int
from cnnkit.shapes import kernel_span, output_size, same_padding
from cnnkit.summary.result import Shape, shape_text
from cnnkit.summary.settings import LayerSettings


@dataclass
class Out:
    """What a rule finds: the output shape, the parameters and the working."""

    shape: Shape
    trainable: int = 0
    non_trainable: int = 0
    working: tuple[str, ...] = ()


# The spatial axes of a channels-last input, by their number.
AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def one_input(layer: LayerSettings, shapes: list[Shape]) -> Shape:
    if len(shapes) != 1:
        raise layer.error(f"takes one input, got {len(shapes)}")
    return shapes[0]


def spatial_input(layer: LayerSettings, shapes: list[Shape], rank: int = 2) -> Shape:
    """The one input, which must have ``rank`` spatial axes and channels last."""
    shape = one_input(layer, shapes)
    if len(shape) != rank + 2:
        axes = ", ".join(AXIS_NAMES[rank])
        raise layer.error(
            f"needs an input of shape (batch, {axes}, channels), "
            f"got {shape_text(shape)}"
        )
    return shape


def known_last_axis(layer: LayerSettings, shape: Shape) -> int:
    if shape[-1] is None:
        raise layer.error(
            f"the last axis of its input {shape_text(shape)} must be known "
            "to count the weights"
        )
    return shape[-1]


def per_axis(texts: list[list[str]]) -> list[str]:
    """Lines for each spatial axis, merged when every axis has the same working.

    ``texts[i]`` is the working for axis ``i``: a first line, then any more.
    """
    names = AXIS_NAMES[len(texts)]
    if all(text == texts[0] for text in texts):
        *others, last = names
        labelled = [(f"{', '.join(others)} and {last}" if others else last, texts[0])]
    else:
        labelled = list(zip(names, texts, strict=True))
    lines = []
    for label, text in labelled:
        lines.append(f"{label}: {text[0]}")
        lines += ["    " + more for more in text[1:]]
    return lines


def slide(
    layer: LayerSettings,
    shape: Shape,
    window: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
    dilation: tuple[int, ...] | None = None,
    what: str = "kernel",
) -> tuple[tuple, list[str]]:
    """Output size of a sliding window along each spatial axis, and the working."""
    dilation = dilation or (1,) * len(window)
    sizes, texts = [], []
    spatial = shape[1:-1]
    axes = zip(AXIS_NAMES[len(window)], spatial, window, strides, dilation, strict=True)
    for axis, n, k, s, d in axes:  # the letters of the formulas, as the book writes
        if n is None:
            sizes.append(None)
            texts.append([f"unknown (the input's {axis} is None)"])
            continue
        span = kernel_span(k, d)
        text = []
        if d > 1:
            text.append(
                f"{what} {k} with dilation {d} spans {d}*({k} - 1) + 1 = {span}"
            )
        if padding == "valid":
            if span > n:
                spans = f" (dilation {d} makes it span {span})" if d > 1 else ""
                raise layer.error(
                    f"{what} of size {k}{spans} does not fit input {axis} {n} "
                    'with padding="valid"'
                )
            size = output_size(n, k, stride=s, dilation=d)
            text.append(f"floor(({n} - {span} + 2*0) / {s}) + 1 = {size}")
        else:
            size = output_size(n, k, stride=s, padding="same", dilation=d)
            before, after = same_padding(n, k, stride=s, dilation=d)
            pads = f"2*{before}" if before == after else f"{before} + {after}"
            adds = f"adds {before} + {after}" if before or after else "adds nothing"
            text.append(f'ceil({n} / {s}) = {size} with padding="same", which {adds}:')
            text.append(f"floor(({n} - {span} + {pads}) / {s}) + 1 = {size}")
        sizes.append(size)
        texts.append(text)
    return tuple(sizes), per_axis(texts)


def before_and_after(
    layer: LayerSettings, key: str, rank: int, default: int
) -> tuple[tuple[int, int], ...]:
    """A padding or cropping setting as ``(before, after)`` for each spatial axis.

    Keras takes an int (the same on every side), one int per axis (the same
    before and after) or one ``(before, after)`` pair per axis; with one
    spatial axis, a pair is ``(before, after)``.
    """
    given = layer.get(key, default)
    forms = "an int, (rows, cols) or ((top, bottom), (left, right))"
    if rank != 2:
        forms = f"an int or {rank} (before, after) pairs"
    message = f"{key} must be {forms} of non-negative ints, got {given!r}"
    one_per_axis = rank > 1 and isinstance(given, (tuple, list))
    entries = given if one_per_axis else (given,) * rank
    pairs = [e if isinstance(e, (tuple, list)) else (e, e) for e in entries]
    if len(pairs) != rank or any(len(pair) != 2 for pair in pairs):
        raise layer.error(message)
    try:
        return tuple(tuple(non_negative_int(v, key) for v in pair) for pair in pairs)
    except (TypeError, ValueError) as err:
        raise layer.error(message, type(err)) from None
