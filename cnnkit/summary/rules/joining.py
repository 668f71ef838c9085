"""The rules of the layers that join several inputs: element-wise (Add,
Multiply and the like, with broadcasting), Concatenate and Dot.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

from cnnkit.summary.result import Shape, shape_text
from cnnkit.summary.rules.common import Out
from cnnkit.summary.settings import LayerSettings


def element_wise(what: str, doing: str, inputs: int | None = None) -> Callable:
    """Add, Multiply and the like: shapes must agree, or be 1 (broadcasting)."""

    def rule(layer: LayerSettings, shapes: list[Shape]) -> Out:
        if not shapes or (inputs is not None and len(shapes) != inputs):
            needed = "at least one input" if inputs is None else f"{inputs} inputs"
            raise layer.error(f"needs {needed}, got {len(shapes)}")
        result = shapes[0][1:]
        for shape in shapes[1:]:
            longer, shorter = sorted((result, shape[1:]), key=len, reverse=True)
            extra = len(longer) - len(shorter)
            merged = list(longer[:extra])
            for a, b in zip(longer[extra:], shorter, strict=True):
                if a is None or b is None:
                    merged.append(None)
                elif a == 1 or b == 1:
                    merged.append(max(a, b))
                elif a != b:
                    raise layer.error(
                        f"inputs must have the same shape for an element-wise {what}, "
                        "got " + ", ".join(shape_text(s) for s in shapes)
                    )
                else:
                    merged.append(a)
            result = tuple(merged)
        batch_sizes = {s[0] for s in shapes} - {None}
        batch = batch_sizes.pop() if len(batch_sizes) == 1 else None
        lines = (
            f"output: element-wise {what} of {len(shapes)} inputs",
            f"params: 0 ({doing} has no weights)",
        )
        return Out((batch, *result), working=lines)

    return rule


def concatenate(layer: LayerSettings, shapes: list[Shape]) -> Out:
    if not shapes:
        raise layer.error("needs at least one input")
    axis = layer.get("axis", -1)
    rank = len(shapes[0])
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise layer.error(f"axis must be an int, got {axis!r}", TypeError)
    joined = axis + rank if axis < 0 else axis
    if not 1 <= joined < rank:
        raise layer.error(
            f"axis {axis} is not a feature axis of {shape_text(shapes[0])}"
        )
    for shape in shapes[1:]:
        if len(shape) != rank or any(
            a is not None and b is not None and a != b
            for i, (a, b) in enumerate(zip(shapes[0], shape, strict=True))
            if i != joined
        ):
            raise layer.error(
                f"inputs must match on every axis but {axis} to be joined, got "
                + ", ".join(shape_text(s) for s in shapes)
            )
    sizes = [s[joined] for s in shapes]
    total = None if None in sizes else sum(sizes)
    out = tuple(total if i == joined else d for i, d in enumerate(shapes[0]))
    lines = (
        f"output: axis {axis} joins " + " + ".join(map(str, sizes)) + f" = {total}",
        "params: 0 (joining has no weights)",
    )
    return Out(out, working=lines)


def dot(layer: LayerSettings, shapes: list[Shape]) -> Out:
    if len(shapes) != 2:
        raise layer.error(f"needs 2 inputs, got {len(shapes)}")
    layer.flag("normalize", False)
    axes = layer.get("axes")
    axes = tuple(axes) if isinstance(axes, (tuple, list)) else (axes, axes)
    summed = []
    for axis, shape in zip(axes, shapes, strict=True):
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise layer.error(
                f"axes must be an int or two ints, got {axes!r}", TypeError
            )
        index = axis % len(shape) if axis < 0 else axis
        if not 1 <= index < len(shape):
            raise layer.error(
                f"axis {axis} is not a feature axis of {shape_text(shape)}"
            )
        summed.append(index)
    (a, b), (i, j) = shapes, summed
    if a[i] is not None and b[j] is not None and a[i] != b[j]:
        raise layer.error(
            f"axis {i} of {shape_text(a)} and axis {j} of {shape_text(b)} must "
            "have the same length to be multiplied"
        )
    out = a[:i] + a[i + 1 :] + b[1:j] + b[j + 1 :]
    lines = (
        f"output: sums of {a[i]} products, along axis {i} of the first input "
        f"and axis {j} of the second",
        "params: 0 (a dot product has no weights)",
    )
    return Out(out if len(out) > 1 else (*out, 1), working=lines)
