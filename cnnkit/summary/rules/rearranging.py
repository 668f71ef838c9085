"""The rules of the layers that rearrange the same values (flattening,
reshaping, permuting, repeating) or change values and leave the shape alone
(activations, dropout, rescaling, image augmentation).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from cnnkit.summary.result import Shape, shape_text
from cnnkit.summary.rules.common import Out, one_input, spatial_input
from cnnkit.summary.settings import LayerSettings


def flatten(layer: LayerSettings, shapes: list[Shape]) -> Out:
    shape = one_input(layer, shapes)
    dims = shape[1:]
    if any(d is None for d in dims):
        length, text = None, f"unknown, the input {shape_text(shape)} has a None"
    else:
        length = math.prod(dims)
        text = (
            " x ".join(map(str, dims)) + f" = {length:,}"
            if len(dims) > 1
            else str(length)
        )
    lines = (f"length: {text}", "params: 0 (flattening only rearranges)")
    return Out((shape[0], length), working=lines)


def reshape(layer: LayerSettings, shapes: list[Shape]) -> Out:
    shape = one_input(layer, shapes)
    target = layer.get("target_shape")
    if (
        not isinstance(target, (tuple, list))
        or not all(
            isinstance(d, numbers.Integral)
            and not isinstance(d, bool)
            and (d > 0 or d == -1)
            for d in target
        )
        or list(target).count(-1) > 1
    ):
        raise layer.error(
            "target_shape must be a tuple of positive ints with at most one -1, "
            f"got {target!r}"
        )
    target = tuple(int(d) for d in target)
    known_part = math.prod(d for d in target if d != -1)
    if any(d is None for d in shape[1:]):
        out = tuple(None if d == -1 else d for d in target)
        text = "unknown size, the input has a None"
    else:
        values = math.prod(shape[1:])
        if -1 in target:
            if values % known_part:
                raise layer.error(
                    f"cannot reshape {values:,} values into {target}: {values:,} "
                    f"is not a multiple of {known_part:,}"
                )
            missing = values // known_part
            out = tuple(missing if d == -1 else d for d in target)
            text = f"the -1 becomes {values} / {known_part} = {missing}"
        else:
            if values != known_part:
                raise layer.error(
                    f"cannot reshape {values:,} values (input {shape_text(shape)}) "
                    f"into {target}, which holds {known_part:,}"
                )
            out = target
            text = f"{values:,} values rearranged"
    lines = (f"output: {text}", "params: 0 (reshaping only rearranges)")
    return Out((shape[0], *out), working=lines)


def permute(layer: LayerSettings, shapes: list[Shape]) -> Out:
    shape = one_input(layer, shapes)
    dims = layer.get("dims")
    if not isinstance(dims, (tuple, list)) or sorted(dims) != list(
        range(1, len(shape))
    ):
        raise layer.error(
            f"dims must order the axes 1 to {len(shape) - 1} of its input "
            f"{shape_text(shape)}, got {dims!r}"
        )
    lines = (
        f"output: axes reordered as {tuple(dims)}",
        "params: 0 (permuting only rearranges)",
    )
    return Out((shape[0], *(shape[d] for d in dims)), working=lines)


def repeat_vector(layer: LayerSettings, shapes: list[Shape]) -> Out:
    shape = one_input(layer, shapes)
    if len(shape) != 2:
        raise layer.error(
            f"needs an input of shape (batch, features), got {shape_text(shape)}"
        )
    times = layer.positive("n")
    lines = (
        f"output: the {shape[1]} values repeated {times} times",
        "params: 0 (repeating has no weights)",
    )
    return Out((shape[0], times, shape[1]), working=lines)


def same_shape(reason: str, rank: int | None = None) -> Callable:
    """Layers that change values, not the shape: ``rank`` spatial axes if given."""

    def rule(layer: LayerSettings, shapes: list[Shape]) -> Out:
        shape = (
            one_input(layer, shapes)
            if rank is None
            else spatial_input(layer, shapes, rank)
        )
        lines = ("output: same shape as the input", f"params: 0 ({reason})")
        return Out(shape, working=lines)

    return rule
