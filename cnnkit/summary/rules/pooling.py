"""The rules of pooling: a window that slides, or one that covers the whole
axis; pooling has no weights.
"""

from __future__ import annotations

from collections.abc import Callable

from cnnkit.summary.result import Shape
from cnnkit.summary.rules.common import Out, slide, spatial_input
from cnnkit.summary.settings import LayerSettings


def pooling(rank: int, default_pool: object) -> Callable:
    def rule(layer: LayerSettings, shapes: list[Shape]) -> Out:
        shape = spatial_input(layer, shapes, rank)
        layer.channels_last()
        pool = layer.sizes("pool_size", rank, default_pool)
        given = layer.config.get("strides")
        strides = pool if given is None else layer.sizes("strides", rank)
        padding = layer.padding(any_case=False)
        sizes, lines = slide(layer, shape, pool, strides, padding, what="pool window")
        lines.append("params: 0 (pooling has no weights)")
        return Out((shape[0], *sizes, shape[-1]), working=tuple(lines))

    return rule


def global_pooling(rank: int, what: str) -> Callable:
    def rule(layer: LayerSettings, shapes: list[Shape]) -> Out:
        shape = spatial_input(layer, shapes, rank)
        layer.channels_last()
        keepdims = layer.flag("keepdims", False)
        channels = shape[-1]
        out = (shape[0], *[1] * rank, channels) if keepdims else (shape[0], channels)
        region = " x ".join(map(str, shape[1:-1]))
        lines = (
            f"output: the {what} of each channel's {region} values, "
            f"{channels} channels",
            "params: 0 (pooling has no weights)",
        )
        return Out(out, working=lines)

    return rule


def adaptive_pooling(rank: int, what: str) -> Callable:
    def rule(layer: LayerSettings, shapes: list[Shape]) -> Out:
        shape = spatial_input(layer, shapes, rank)
        layer.channels_last()
        sizes = layer.sizes("output_size", rank)
        grid = " x ".join(map(str, sizes))
        lines = (
            f"output: the {what} of each of {grid} regions of each channel "
            "(output_size, whatever the input's size)",
            "params: 0 (pooling has no weights)",
        )
        return Out((shape[0], *sizes, shape[-1]), working=lines)

    return rule
