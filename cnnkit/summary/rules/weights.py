"""The rules of the layers with weights: the convolutions, Dense and batch
normalization, with their parameter counts and the working behind them (and
the model's input, where every model starts).
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

from cnnkit.shapes import (
    batchnorm_params,
    conv2d_params,
    dense_params,
    depthwise_conv2d_params,
    separable_conv2d_params,
)
from cnnkit.summary.result import Shape, shape_text
from cnnkit.summary.rules.common import (
    Out,
    known_last_axis,
    one_input,
    slide,
    spatial_input,
)
from cnnkit.summary.settings import LayerSettings


def input_rule(shape: Shape) -> Out:
    dims = " x ".join(str(d) for d in shape[1:]) or "a scalar"
    return Out(shape, working=(f"the input: {dims}",))


class _Window(NamedTuple):
    """What every 2-D convolution reads first, and where its kernel lands."""

    shape: Shape  # its input
    kernel: tuple[int, int]
    channels_in: int
    use_bias: bool
    spatial: tuple  # the output's height and width
    lines: list[str]  # their working


def _convolution_window(layer: LayerSettings, shapes: list[Shape]) -> _Window:
    shape = spatial_input(layer, shapes)
    layer.channels_last()
    kernel = layer.sizes("kernel_size", 2)
    strides = layer.sizes("strides", 2, 1)
    dilation = layer.sizes("dilation_rate", 2, 1)
    if max(strides) > 1 and max(dilation) > 1:
        raise layer.error(
            f"strides={strides} and dilation_rate={dilation}: Keras does not "
            "allow a stride above 1 together with a dilation above 1"
        )
    use_bias = layer.flag("use_bias", True)
    channels_in = known_last_axis(layer, shape)
    spatial, lines = slide(layer, shape, kernel, strides, layer.padding(), dilation)
    return _Window(shape, kernel, channels_in, use_bias, spatial, lines)


def conv2d(layer: LayerSettings, shapes: list[Shape]) -> Out:
    filters = layer.positive("filters")
    groups = layer.positive("groups", 1)
    layer.unsupported("lora_rank", None)
    window = _convolution_window(layer, shapes)
    channels_in, use_bias = window.channels_in, window.use_bias
    for value, what in ((channels_in, "input channels"), (filters, "filters")):
        if value % groups:
            raise layer.error(f"{what} ({value}) must be a multiple of groups={groups}")
    params = conv2d_params(
        window.kernel, channels_in, filters, use_bias=use_bias, groups=groups
    )
    kh, kw = window.kernel
    seen = str(channels_in) if groups == 1 else f"({channels_in} / {groups})"
    per_filter = f"{kh} x {kw} x {seen}"
    formula = (
        f"({per_filter} + 1) x {filters}" if use_bias else f"{per_filter} x {filters}"
    )
    lines = window.lines + [
        f"channels: {filters}, one per filter",
        f"params: {formula} = {params:,}",
    ]
    return Out((window.shape[0], *window.spatial, filters), params, 0, tuple(lines))


def depthwise_conv2d(layer: LayerSettings, shapes: list[Shape]) -> Out:
    multiplier = layer.positive("depth_multiplier", 1)
    window = _convolution_window(layer, shapes)
    channels_in, use_bias = window.channels_in, window.use_bias
    params = depthwise_conv2d_params(
        window.kernel, channels_in, depth_multiplier=multiplier, use_bias=use_bias
    )
    kh, kw = window.kernel
    times = f"{channels_in}" if multiplier == 1 else f"{channels_in} x {multiplier}"
    formula = f"({kh} x {kw} + 1) x {times}" if use_bias else f"{kh} x {kw} x {times}"
    if multiplier == 1:
        channels = f"channels: {channels_in}, one kernel per input channel"
    else:
        channels = (
            f"channels: {channels_in} x {multiplier} = {channels_in * multiplier}, "
            f"{multiplier} kernels per input channel"
        )
    lines = window.lines + [channels, f"params: {formula} = {params:,}"]
    out = (window.shape[0], *window.spatial, channels_in * multiplier)
    return Out(out, params, 0, tuple(lines))


def separable_conv2d(layer: LayerSettings, shapes: list[Shape]) -> Out:
    filters = layer.positive("filters")
    multiplier = layer.positive("depth_multiplier", 1)
    window = _convolution_window(layer, shapes)
    channels_in, use_bias = window.channels_in, window.use_bias
    params = separable_conv2d_params(
        window.kernel, channels_in, filters, depth_multiplier=multiplier,
        use_bias=use_bias,
    )  # fmt: skip
    kh, kw = window.kernel
    middle = f"{channels_in}" if multiplier == 1 else f"{channels_in} x {multiplier}"
    pointwise = f"({middle} + 1) x {filters}" if use_bias else f"{middle} x {filters}"
    lines = window.lines + [
        f"channels: {filters}, one per filter",
        f"params: {kh} x {kw} x {middle} (depthwise) + {pointwise} (pointwise) "
        f"= {params:,}",
    ]
    return Out((window.shape[0], *window.spatial, filters), params, 0, tuple(lines))


def dense(layer: LayerSettings, shapes: list[Shape]) -> Out:
    shape = one_input(layer, shapes)
    units = layer.positive("units")
    use_bias = layer.flag("use_bias", True)
    layer.unsupported("lora_rank", None)
    layer.unsupported("quantization_config", None)
    if len(shape) < 2:
        raise layer.error(
            f"needs an input with a feature axis, got {shape_text(shape)}"
        )
    n = known_last_axis(layer, shape)
    params = dense_params(n, units, use_bias=use_bias)
    formula = f"{n} x {units} + {units}" if use_bias else f"{n} x {units}"
    lines = []
    if len(shape) > 2:
        lines.append(
            f"output: {units} units at each position (applied to the last axis)"
        )
    lines.append(f"params: {formula} = {params:,}")
    return Out((*shape[:-1], units), params, 0, tuple(lines))


def batchnorm(layer: LayerSettings, shapes: list[Shape]) -> Out:
    shape = one_input(layer, shapes)
    layer.unsupported("renorm", False)
    center = layer.flag("center", True)
    scale = layer.flag("scale", True)
    axes = layer.get("axis", -1)
    axes = list(axes) if isinstance(axes, (list, tuple)) else [axes]
    rank = len(shape)
    normalised = set()
    for axis in axes:
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise layer.error(
                f"axis must be an int or a list of ints, got {axes!r}", TypeError
            )
        index = axis + rank if axis < 0 else axis
        if not 1 <= index < rank:
            raise layer.error(
                f"axis {axis} is not a feature axis of its input {shape_text(shape)}"
            )
        if shape[index] is None:
            raise layer.error(
                f"axis {axis} of its input {shape_text(shape)} must be known"
            )
        normalised.add(index)
    channels = math.prod(shape[index] for index in sorted(normalised))
    trainable, non_trainable = batchnorm_params(channels, center=center, scale=scale)
    learned = [name for name, on in (("gamma", scale), ("beta", center)) if on]
    per_channel = len(learned) + 2
    lines = [
        "output: same shape as the input",
        f"params: {per_channel} x {channels} = {trainable + non_trainable:,}, of which "
        f"{len(learned)} x {channels} = {trainable:,} trainable"
        + (f" ({', '.join(learned)})" if learned else ""),
        f"    and 2 x {channels} = {non_trainable:,} non-trainable "
        "(moving mean and variance)",
    ]
    return Out(shape, trainable, non_trainable, tuple(lines))
