"""The rule of each layer type: from input shapes to output shape and parameters.

Each rule takes a layer's settings and the shapes of its inputs (batch axis
first, ``None`` where unknown) and returns an :class:`Out`: the output shape,
the trainable and non-trainable parameter counts, and the working, the lines
a student would write to get them. The numbers come from
:mod:`cnnkit.shapes`, the formulas the chapters on stride and padding and on
counting parameters derive.

:data:`RULES` maps each Keras class name to its rule; :data:`NOT_SUPPORTED`
names the Keras layers cnnkit has no rule for, and why.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from cnnkit._validation import non_negative_int
from cnnkit.shapes import (
    batchnorm_params,
    conv2d_params,
    dense_params,
    depthwise_conv2d_params,
    kernel_span,
    output_size,
    same_padding,
    separable_conv2d_params,
)
from cnnkit.summary.result import Shape, shape_text
from cnnkit.summary.settings import MISSING, LayerSettings

__all__ = ["Out", "RULES", "ALIASES", "MERGES", "SUPPORTED", "NOT_SUPPORTED", "compute"]


@dataclass
class Out:
    """What a rule finds: the output shape, the parameters and the working."""

    shape: Shape
    trainable: int = 0
    non_trainable: int = 0
    working: tuple[str, ...] = ()


# --------------------------------------------------------------------------- #
# Checks and wording shared by the rules
# --------------------------------------------------------------------------- #

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


# --------------------------------------------------------------------------- #
# Layers with weights
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# Pooling: a window that slides, or one that covers the whole axis
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# Borders and sizes: padding, cropping, upsampling, resizing
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# Rearranging the same values
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# Joining several inputs
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# Which rule for which layer
# --------------------------------------------------------------------------- #

_IMAGE_CHANGES = [
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom",
    "RandomShear", "RandomPerspective", "RandomElasticTransform", "RandomErasing",
    "RandomGaussianBlur", "RandomContrast", "RandomBrightness", "RandomHue",
    "RandomSaturation", "RandomSharpness", "RandomColorDegeneration",
    "RandomColorJitter", "RandomGrayscale", "RandomInvert", "RandomPosterization",
    "Solarization", "AutoContrast", "Equalization",
    "ContrastLimitedAdaptiveHistogramEqualization", "AugMix", "RandAugment",
    "MixUp", "CutMix", "MaxNumBoundingBoxes",
]  # fmt: skip

RULES: dict[str, Callable[[LayerSettings, list[Shape]], Out]] = {
    "Conv2D": conv2d,
    "DepthwiseConv2D": depthwise_conv2d,
    "SeparableConv2D": separable_conv2d,
    "Dense": dense,
    "BatchNormalization": batchnorm,
    **{f"MaxPooling{rank}D": pooling(rank, 2) for rank in (1, 2, 3)},
    **{f"AveragePooling{rank}D": pooling(rank, MISSING) for rank in (1, 2, 3)},
    **{f"GlobalMaxPooling{rank}D": global_pooling(rank, "max") for rank in (1, 2, 3)},
    **{
        f"GlobalAveragePooling{rank}D": global_pooling(rank, "mean")
        for rank in (1, 2, 3)
    },
    **{
        f"AdaptiveMaxPooling{rank}D": adaptive_pooling(rank, "max")
        for rank in (1, 2, 3)
    },
    **{
        f"AdaptiveAveragePooling{rank}D": adaptive_pooling(rank, "mean")
        for rank in (1, 2, 3)
    },
    **{
        f"ZeroPadding{rank}D": each_axis(
            rank, "padding", 1, _padded, "padding only adds zeros"
        )
        for rank in (1, 2, 3)
    },
    **{
        f"Cropping{rank}D": each_axis(
            rank, "cropping", 0 if rank == 2 else 1, _cropped, "cropping only removes"
        )
        for rank in (1, 2, 3)
    },
    **{
        f"UpSampling{rank}D": each_axis(
            rank, "size", 2, _upsampled, "upsampling repeats values"
        )
        for rank in (1, 2, 3)
    },
    "Resizing": resize_to("resized to"),
    "CenterCrop": resize_to("cropped at the centre to"),
    "RandomCrop": resize_to("cropped at a random place to"),
    "Flatten": flatten,
    "Reshape": reshape,
    "Permute": permute,
    "RepeatVector": repeat_vector,
    **dict.fromkeys(
        ["Activation", "ReLU", "LeakyReLU", "ELU", "Softmax"],
        same_shape("an activation has no weights"),
    ),
    **dict.fromkeys(
        ["Dropout", "AlphaDropout", "GaussianDropout"],
        same_shape("dropout has no weights"),
    ),
    **{
        f"SpatialDropout{rank}D": same_shape("dropout has no weights", rank)
        for rank in (1, 2, 3)
    },
    "GaussianNoise": same_shape("noise has no weights"),
    **dict.fromkeys(
        ["Identity", "Masking", "ActivityRegularization", "UnitNormalization"],
        same_shape("it has no weights"),
    ),
    "Rescaling": same_shape("its scale and offset are fixed settings"),
    **dict.fromkeys(
        _IMAGE_CHANGES, same_shape("it changes the pixels and learns nothing")
    ),
    "Add": element_wise("sum", "adding"),
    "Subtract": element_wise("difference", "subtracting", inputs=2),
    "Multiply": element_wise("product", "multiplying"),
    "Average": element_wise("mean", "averaging"),
    "Maximum": element_wise("maximum", "taking the maximum"),
    "Minimum": element_wise("minimum", "taking the minimum"),
    "Concatenate": concatenate,
    "Dot": dot,
}

ALIASES = {
    "Input": "InputLayer",
    "Convolution2D": "Conv2D",
    "SeparableConvolution2D": "SeparableConv2D",
    **{f"MaxPool{r}D": f"MaxPooling{r}D" for r in (1, 2, 3)},
    **{f"AvgPool{r}D": f"AveragePooling{r}D" for r in (1, 2, 3)},
    **{f"GlobalMaxPool{r}D": f"GlobalMaxPooling{r}D" for r in (1, 2, 3)},
    **{f"GlobalAvgPool{r}D": f"GlobalAveragePooling{r}D" for r in (1, 2, 3)},
}

MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
          "Dot")  # fmt: skip
"""The layer types that join several inputs."""

SUPPORTED = ("InputLayer", *RULES)
"""Every layer type :func:`~cnnkit.summarize` has a rule for."""

NOT_SUPPORTED: dict[str, str] = {
    **dict.fromkeys(
        [
            "Conv1D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
            "Conv3DTranspose", "DepthwiseConv1D", "SeparableConv1D",
        ],
        "cnnkit counts the 2-D convolutions the course teaches (Conv2D, "
        "DepthwiseConv2D, SeparableConv2D), not this one",
    ),
    **dict.fromkeys(
        [
            "Embedding", "ReversibleEmbedding", "EinsumDense", "PReLU",
            "LayerNormalization", "GroupNormalization", "RMSNormalization",
            "SpectralNormalization", "Normalization",
        ],
        "it has weights cnnkit does not count",
    ),
    **dict.fromkeys(
        [
            "RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell",
            "GRUCell", "StackedRNNCells", "ConvLSTM1D", "ConvLSTM2D",
            "ConvLSTM3D", "Bidirectional", "TimeDistributed", "Attention",
            "AdditiveAttention", "MultiHeadAttention", "GroupedQueryAttention",
        ],
        "it is a layer for sequences (recurrent or attention), outside a course "
        "on CNNs",
    ),
    **dict.fromkeys(
        [
            "CategoryEncoding", "Discretization", "Hashing", "HashedCrossing",
            "IntegerLookup", "StringLookup", "TextVectorization", "MelSpectrogram",
            "STFTSpectrogram",
        ],
        "it prepares categories, text or sound, and its output depends on "
        "a vocabulary or on signal settings, not on image shapes",
    ),
    **dict.fromkeys(
        ["Lambda", "Layer", "Wrapper", "TorchModuleWrapper", "JaxLayer", "FlaxLayer",
         "TFSMLayer"],
        "it runs code cnnkit cannot read; use the keras.layers layer that does "
        "the same, if there is one",
    ),
    "Pipeline": "it runs layers cnnkit cannot see; put its layers in the model "
    "one by one",
}  # fmt: skip
"""The Keras layer types :func:`~cnnkit.summarize` has no rule for, and why."""


def unknown_type(kind: str) -> str:
    """Why cnnkit has no rule for ``kind``, for an error message."""
    if kind in NOT_SUPPORTED:
        return f"cnnkit does not support this type of layer: {NOT_SUPPORTED[kind]}"
    return (
        "cnnkit does not know this type of layer, so it cannot give its shape or "
        "count its parameters (cnnkit.summary.SUPPORTED lists the types it knows)"
    )


def compute(layer: LayerSettings, shapes: list[Shape], trainable: bool) -> Out:
    """Apply the layer's rule; a frozen layer's parameters are all non-trainable."""
    rule = RULES.get(layer.kind)
    if rule is None:
        raise layer.error(unknown_type(layer.kind))
    out = rule(layer, shapes)
    if not trainable and out.trainable:
        out.non_trainable += out.trainable
        out.trainable = 0
        out.working += (
            "frozen (trainable=False): all its parameters are non-trainable",
        )
    return out
