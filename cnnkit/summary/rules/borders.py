"""The rules of borders and sizes: padding, cropping, upsampling, resizing.
Each spatial axis changes on its own, and none of these layers has weights.
"""

from __future__ import annotations

from collections.abc import Callable

from cnnkit.summary.result import Shape
from cnnkit.summary.rules.common import (
    AXIS_NAMES,
    Out,
    before_and_after,
    per_axis,
    spatial_input,
)
from cnnkit.summary.settings import LayerSettings


def _padded(n: int | None, amount: tuple[int, int]) -> tuple[int | None, str]:
    before, after = amount
    size = None if n is None else n + before + after
    return size, f"{n} + {before} + {after} = {size}"


def _cropped(n: int | None, amount: tuple[int, int]) -> tuple[int | None, str]:
    before, after = amount
    size = None if n is None else n - before - after
    return size, f"{n} - {before} - {after} = {size}"


def _upsampled(n: int | None, factor: int) -> tuple[int | None, str]:
    size = None if n is None else n * factor
    return size, f"{n} x {factor} = {size}"


def each_axis(
    rank: int, key: str, default: int, arithmetic: Callable, reason: str
) -> Callable:
    """Padding, cropping, upsampling: each spatial axis changes on its own.

    ``key`` is the setting: ``"size"``, a factor per axis, or ``"padding"``
    and ``"cropping"``, a ``(before, after)`` pair per axis; ``arithmetic``
    turns an axis's size and its amount into the new size and the working.
    """

    def rule(layer: LayerSettings, shapes: list[Shape]) -> Out:
        shape = spatial_input(layer, shapes, rank)
        layer.channels_last()
        if key == "size":
            amounts = layer.sizes(key, rank, default)
        else:
            amounts = before_and_after(layer, key, rank, default)
        sizes, texts = [], []
        axes = zip(AXIS_NAMES[rank], shape[1:-1], amounts, strict=True)
        for axis, n, amount in axes:
            size, text = arithmetic(n, amount)
            if size is not None and size < 1:
                raise layer.error(f"{key} leaves nothing of input {axis} {n}: {text}")
            sizes.append(size)
            texts.append([text])
        lines = per_axis(texts) + [f"params: 0 ({reason})"]
        return Out((shape[0], *sizes, shape[-1]), working=tuple(lines))

    return rule


def resize_to(how: str) -> Callable:
    """Resizing and the crops: the image becomes ``height x width``."""

    def rule(layer: LayerSettings, shapes: list[Shape]) -> Out:
        shape = spatial_input(layer, shapes)
        layer.channels_last()
        height, width = layer.positive("height"), layer.positive("width")
        lines = (
            f"height and width: {shape[1]} x {shape[2]} {how} {height} x {width}",
            "params: 0 (the new size is a fixed setting)",
        )
        return Out((shape[0], height, width, shape[3]), working=lines)

    return rule
