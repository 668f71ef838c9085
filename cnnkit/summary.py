"""Summarise a CNN layer by layer: output shapes and parameters, with the working.

``summarize`` walks a model the way a student does with pen and paper: for
each layer it takes the input shape, applies the layer's settings and writes
down the output shape and the number of parameters. Every number comes from
cnnkit's own formulas (:mod:`cnnkit.shapes`), never from asking Keras to
count, so comparing the result with ``model.summary()`` is a real test; the
test suite does so on VGG16, ResNet50, MobileNetV2 and hundreds of random
models.

A model can be given two ways:

* a built Keras model (``Sequential`` or functional). It is read through its
  layers' ``get_config()`` and the graph that links them; this module never
  imports TensorFlow or Keras itself.
* a plain description of a sequential stack, which needs no TensorFlow at
  all: a list of layers, each ``"Flatten"``, ``("Conv2D", {"filters": 32,
  "kernel_size": 3})`` or ``{"class_name": ..., "config": ...}`` (the form
  of ``model.get_config()["layers"]``), with the same setting names as the
  Keras layers, plus the input shape.

The book works through these numbers in the chapter on counting parameters;
``Summary.explain()`` prints the working as that chapter writes it.
"""

from __future__ import annotations

import difflib
import html
import math
import numbers
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cnnkit._validation import positive_int, positive_pair
from cnnkit.shapes import (
    batchnorm_params,
    conv2d_params,
    dense_params,
    depthwise_conv2d_params,
    output_size,
    padding_amounts,
    same_padding,
    separable_conv2d_params,
)

__all__ = ["summarize", "Summary", "Row"]

Shape = tuple  # (None, height, width, channels), batch first, as Keras prints

_MISSING = object()


# --------------------------------------------------------------------------- #
# What a summary holds
# --------------------------------------------------------------------------- #


class _Text(str):
    """A string that displays as itself (no quotes) in a notebook or REPL."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Row:
    """One layer of a :class:`Summary`.

    Attributes
    ----------
    name, type : str
        The layer's name and its Keras class name, e.g. ``"conv2d"``,
        ``"Conv2D"``.
    output_shape : tuple
        Output shape with the batch axis first (``None``), as Keras prints it.
    params, trainable, non_trainable : int
        Parameter count and its split; ``params == trainable + non_trainable``.
    inputs : tuple of str
        Names of the layers that feed this one.
    working : tuple of str
        The arithmetic behind the shape and the count, one line each.
    summary : Summary or None
        For a model used as a layer (a pretrained base), its own summary.
    """

    name: str
    type: str
    output_shape: Shape
    params: int
    trainable: int
    non_trainable: int
    inputs: tuple[str, ...] = ()
    working: tuple[str, ...] = ()
    summary: Summary | None = None


class Summary:
    """Layer-by-layer output shapes and parameter counts of a model.

    Made by :func:`summarize`. Index it by position or by layer name, iterate
    over its :class:`Row` objects, print it for a table like
    ``model.summary()``, or call :meth:`explain` for the working.

    Attributes
    ----------
    name : str
        The model's name.
    rows : list of Row
        One row per layer, inputs first.
    input_shapes, output_shapes : list of tuple
        Shapes of the model's inputs and outputs, batch axis first.
    """

    def __init__(
        self,
        rows: Sequence[Row],
        *,
        name: str,
        input_shapes: Sequence[Shape],
        output_shapes: Sequence[Shape],
    ) -> None:
        self.rows = list(rows)
        self.name = name
        self.input_shapes = list(input_shapes)
        self.output_shapes = list(output_shapes)

    @property
    def total_params(self) -> int:
        """Number of parameters, trainable or not (Keras's ``count_params()``)."""
        return self.trainable_params + self.non_trainable_params

    @property
    def trainable_params(self) -> int:
        """Parameters that gradient descent updates."""
        return sum(row.trainable for row in self.rows)

    @property
    def non_trainable_params(self) -> int:
        """Parameters it does not (running statistics, frozen layers)."""
        return sum(row.non_trainable for row in self.rows)

    @property
    def output_shape(self) -> Shape:
        """The output shape of a single-output model."""
        if len(self.output_shapes) != 1:
            raise ValueError(
                f"model {self.name!r} has {len(self.output_shapes)} outputs; "
                "use output_shapes"
            )
        return self.output_shapes[0]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __getitem__(self, key: int | str) -> Row:
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key:
                    return row
            raise KeyError(
                f"no layer named {key!r} in model {self.name!r}; the layers are "
                + ", ".join(row.name for row in self.rows)
            )
        return self.rows[key]

    def _totals(self) -> list[str]:
        return [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
        ]

    def __str__(self) -> str:
        header = ("Layer (type)", "Output shape", "Param #", "Trainable", "Non-train.")
        body = [
            (
                f"{row.name} ({row.type})",
                _shape_text(row.output_shape),
                f"{row.params:,}",
                f"{row.trainable:,}",
                f"{row.non_trainable:,}",
            )
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(5)]

        def fmt(line):
            left = [line[i].ljust(widths[i]) for i in range(2)]
            right = [line[i].rjust(widths[i]) for i in range(2, 5)]
            return "  ".join(left + right).rstrip()

        rule = "-" * len(fmt(header))
        lines = [f'Model: "{self.name}"', fmt(header), rule]
        lines += [fmt(line) for line in body]
        return "\n".join([*lines, rule, *self._totals()])

    def __repr__(self) -> str:
        return str(self)

    def explain(self) -> str:
        """Show the working for every layer, numbers substituted in the formulas.

        This is the arithmetic of the chapter on counting parameters, written
        out for any model.

        Returns
        -------
        str
            One heading per layer (name, type, output shape, parameters)
            followed by the arithmetic that gives them, then the totals. The
            string displays without quotes in a notebook, so ``s.explain()``
            and ``print(s.explain())`` both read well.

        Examples
        --------
        >>> s = summarize(
        ...     [("Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same"}),
        ...      ("BatchNormalization", {}),
        ...      ("MaxPooling2D", {"pool_size": 2}),
        ...      "Flatten",
        ...      ("Dense", {"units": 2})],
        ...     input_shape=(64, 64, 3))
        >>> s.explain()
        input_layer (InputLayer): output (None, 64, 64, 3), 0 params
            the input: 64 x 64 x 3
        conv2d (Conv2D): output (None, 64, 64, 32), 896 params
            height and width: ceil(64 / 1) = 64 with padding="same", which adds 1 + 1:
                floor((64 - 3 + 2*1) / 1) + 1 = 64
            channels: 32, one per filter
            params: (3 x 3 x 3 + 1) x 32 = 896
        batch_normalization (BatchNormalization): output (None, 64, 64, 32), 128 params
            output: same shape as the input
            params: 4 x 32 = 128, of which 2 x 32 = 64 trainable (gamma, beta)
                and 2 x 32 = 64 non-trainable (moving mean and variance)
        max_pooling2d (MaxPooling2D): output (None, 32, 32, 32), 0 params
            height and width: floor((64 - 2 + 2*0) / 2) + 1 = 32
            params: 0 (pooling has no weights)
        flatten (Flatten): output (None, 32768), 0 params
            length: 32 x 32 x 32 = 32,768
            params: 0 (flattening only rearranges)
        dense (Dense): output (None, 2), 65,538 params
            params: 32768 x 2 + 2 = 65,538
        Total params: 66,562
        Trainable params: 66,498
        Non-trainable params: 64
        """
        lines = []
        previous = None
        for row in self.rows:
            lines.append(
                f"{row.name} ({row.type}): output {_shape_text(row.output_shape)}, "
                f"{row.params:,} params"
            )
            if row.inputs and (len(row.inputs) > 1 or row.inputs[0] != previous):
                lines.append("    from: " + ", ".join(row.inputs))
            lines += ["    " + line for line in row.working]
            previous = row.name
        return _Text("\n".join(lines + self._totals()))

    def _repr_html_(self) -> str:
        """A table of the layers with their working, for Jupyter."""
        esc = html.escape
        head = "".join(
            f"<th style='text-align:{align}'>{title}</th>"
            for title, align in [
                ("Layer (type)", "left"),
                ("Output shape", "left"),
                ("Param #", "right"),
                ("Trainable", "right"),
                ("Non-trainable", "right"),
                ("Working", "left"),
            ]
        )
        body = []
        for row in self.rows:
            working = "<br>".join(
                esc(line).replace("    ", "&nbsp;" * 4) for line in row.working
            )
            body.append(
                "<tr>"
                f"<td style='text-align:left'>{esc(row.name)} ({esc(row.type)})</td>"
                f"<td style='text-align:left'><code>"
                f"{esc(_shape_text(row.output_shape))}</code></td>"
                f"<td style='text-align:right'>{row.params:,}</td>"
                f"<td style='text-align:right'>{row.trainable:,}</td>"
                f"<td style='text-align:right'>{row.non_trainable:,}</td>"
                f"<td style='text-align:left;font-family:monospace'>{working}</td>"
                "</tr>"
            )
        foot = "<br>".join(esc(line) for line in self._totals())
        return (
            f"<div><p><b>Model: {esc(self.name)}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
            f"</tbody></table><p>{foot}</p></div>"
        )


def _shape_text(shape) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


# --------------------------------------------------------------------------- #
# One layer: its settings, and the rule that turns input shapes into an output
# --------------------------------------------------------------------------- #


class _Layer:
    """A layer's name, type and settings, with checks that name the layer."""

    def __init__(self, name: str, kind: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.kind = kind
        self.config = config

    def error(self, message: str, cls: type = ValueError) -> Exception:
        return cls(f"layer {self.name!r} ({self.kind}): {message}")

    def get(self, key: str, default: Any = _MISSING) -> Any:
        value = self.config.get(key, default)
        if value is _MISSING:
            raise self.error(f"needs the setting {key!r}", TypeError)
        return value

    def checked(self, check: Callable, key: str, default: Any = _MISSING) -> Any:
        """``check(value, key)`` with errors that start with the layer."""
        try:
            return check(self.get(key, default), key)
        except (TypeError, ValueError) as err:
            if str(err).startswith("layer "):
                raise
            raise self.error(str(err), type(err)) from None

    def pair(self, key: str, default: Any = _MISSING) -> tuple[int, int]:
        return self.checked(positive_pair, key, default)

    def positive(self, key: str, default: Any = _MISSING) -> int:
        return self.checked(positive_int, key, default)

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, (bool, int)) or value not in (0, 1):
            raise self.error(f"{key} must be True or False, got {value!r}", TypeError)
        return bool(value)

    def padding(self, any_case: bool = True) -> str:
        """Keras's convolutions take "SAME" as "same"; its pooling layers do not."""
        value = self.get("padding", "valid")
        if isinstance(value, str) and any_case:
            value = value.lower()
        if value not in ("valid", "same"):
            raise self.error(f'padding must be "valid" or "same", got {value!r}')
        return value

    def channels_last(self) -> None:
        fmt = self.get("data_format", None)
        if fmt not in (None, "channels_last"):
            raise self.error(
                f"data_format={fmt!r} is not supported; cnnkit works channels-last "
                "(height, width, channels), as Keras does by default"
            )

    def unsupported(self, key: str, ok: Any) -> None:
        value = self.config.get(key, ok)
        if value != ok:
            raise self.error(
                f"{key}={value!r} adds weights cnnkit does not count; "
                f"only {key}={ok!r} is supported"
            )


@dataclass
class _Out:
    shape: Shape
    trainable: int = 0
    non_trainable: int = 0
    working: tuple[str, ...] = ()


def _one_input(layer: _Layer, shapes: list[Shape]) -> Shape:
    if len(shapes) != 1:
        raise layer.error(f"takes one input, got {len(shapes)}")
    return shapes[0]


def _image_input(layer: _Layer, shapes: list[Shape]) -> Shape:
    shape = _one_input(layer, shapes)
    if len(shape) != 4:
        raise layer.error(
            "needs an input of shape (batch, height, width, channels), "
            f"got {_shape_text(shape)}"
        )
    return shape


def _known_channels(layer: _Layer, shape: Shape) -> int:
    if shape[-1] is None:
        raise layer.error(
            f"the last axis of its input {_shape_text(shape)} must be known "
            "to count the weights"
        )
    return shape[-1]


def _both_axes(texts: list[list[str]]) -> list[str]:
    """Lines for height and width, merged when the working is the same."""
    if texts[0] == texts[1]:
        labelled = [("height and width", texts[0])]
    else:
        labelled = [("height", texts[0]), ("width", texts[1])]
    lines = []
    for label, text in labelled:
        lines.append(f"{label}: {text[0]}")
        lines += ["    " + more for more in text[1:]]
    return lines


def _slide(
    layer: _Layer,
    shape: Shape,
    window: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    dilation: tuple[int, int] = (1, 1),
    what: str = "kernel",
) -> tuple[tuple, list[str]]:
    """Output height and width of a sliding window, and the working."""
    outs, texts = [], []
    for axis, n, k, s, d in zip(
        ("height", "width"), shape[1:3], window, strides, dilation, strict=True
    ):
        if n is None:
            outs.append(None)
            texts.append([f"unknown (the input's {axis} is None)"])
            continue
        span = d * (k - 1) + 1
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
            out = output_size(n, k, stride=s, dilation=d)
            text.append(f"floor(({n} - {span} + 2*0) / {s}) + 1 = {out}")
        else:
            out = output_size(n, k, stride=s, padding="same", dilation=d)
            before, after = same_padding(n, k, stride=s, dilation=d)
            pads = f"2*{before}" if before == after else f"{before} + {after}"
            adds = f"adds {before} + {after}" if before or after else "adds nothing"
            text.append(f'ceil({n} / {s}) = {out} with padding="same", which {adds}:')
            text.append(f"floor(({n} - {span} + {pads}) / {s}) + 1 = {out}")
        outs.append(out)
        texts.append(text)
    return tuple(outs), _both_axes(texts)


# Each rule takes the layer and its input shapes and returns an _Out.


def _input_rule(layer: _Layer, shape: Shape) -> _Out:
    dims = " x ".join(str(d) for d in shape[1:]) or "a scalar"
    return _Out(shape, working=(f"the input: {dims}",))


def _strides_and_dilation(layer: _Layer) -> tuple[tuple[int, int], tuple[int, int]]:
    """A convolution's strides and dilation, which Keras will not combine."""
    strides = layer.pair("strides", 1)
    dilation = layer.pair("dilation_rate", 1)
    if max(strides) > 1 and max(dilation) > 1:
        raise layer.error(
            f"strides={strides} and dilation_rate={dilation}: Keras does not "
            "allow a stride above 1 together with a dilation above 1"
        )
    return strides, dilation


def _conv2d(layer: _Layer, shapes: list[Shape]) -> _Out:
    shape = _image_input(layer, shapes)
    layer.channels_last()
    filters = layer.positive("filters")
    kernel = layer.pair("kernel_size")
    strides, dilation = _strides_and_dilation(layer)
    groups = layer.positive("groups", 1)
    use_bias = layer.flag("use_bias", True)
    layer.unsupported("lora_rank", None)
    cin = _known_channels(layer, shape)
    for value, what in ((cin, "input channels"), (filters, "filters")):
        if value % groups:
            raise layer.error(f"{what} ({value}) must be a multiple of groups={groups}")
    hw, lines = _slide(layer, shape, kernel, strides, layer.padding(), dilation)
    params = conv2d_params(kernel, cin, filters, use_bias=use_bias, groups=groups)
    kh, kw = kernel
    seen = str(cin) if groups == 1 else f"({cin} / {groups})"
    per_filter = f"{kh} x {kw} x {seen}"
    formula = (
        f"({per_filter} + 1) x {filters}" if use_bias else f"{per_filter} x {filters}"
    )
    lines += [f"channels: {filters}, one per filter", f"params: {formula} = {params:,}"]
    return _Out((shape[0], *hw, filters), params, 0, tuple(lines))


def _depthwise_conv2d(layer: _Layer, shapes: list[Shape]) -> _Out:
    shape = _image_input(layer, shapes)
    layer.channels_last()
    kernel = layer.pair("kernel_size")
    strides, dilation = _strides_and_dilation(layer)
    mult = layer.positive("depth_multiplier", 1)
    use_bias = layer.flag("use_bias", True)
    cin = _known_channels(layer, shape)
    hw, lines = _slide(layer, shape, kernel, strides, layer.padding(), dilation)
    params = depthwise_conv2d_params(
        kernel, cin, depth_multiplier=mult, use_bias=use_bias
    )
    kh, kw = kernel
    times = f"{cin}" if mult == 1 else f"{cin} x {mult}"
    formula = f"({kh} x {kw} + 1) x {times}" if use_bias else f"{kh} x {kw} x {times}"
    if mult == 1:
        lines.append(f"channels: {cin}, one kernel per input channel")
    else:
        lines.append(
            f"channels: {cin} x {mult} = {cin * mult}, {mult} kernels per input channel"
        )
    lines.append(f"params: {formula} = {params:,}")
    return _Out((shape[0], *hw, cin * mult), params, 0, tuple(lines))


def _separable_conv2d(layer: _Layer, shapes: list[Shape]) -> _Out:
    shape = _image_input(layer, shapes)
    layer.channels_last()
    filters = layer.positive("filters")
    kernel = layer.pair("kernel_size")
    strides, dilation = _strides_and_dilation(layer)
    mult = layer.positive("depth_multiplier", 1)
    use_bias = layer.flag("use_bias", True)
    cin = _known_channels(layer, shape)
    hw, lines = _slide(layer, shape, kernel, strides, layer.padding(), dilation)
    params = separable_conv2d_params(
        kernel, cin, filters, depth_multiplier=mult, use_bias=use_bias
    )
    kh, kw = kernel
    mid = f"{cin}" if mult == 1 else f"{cin} x {mult}"
    pointwise = f"({mid} + 1) x {filters}" if use_bias else f"{mid} x {filters}"
    lines += [
        f"channels: {filters}, one per filter",
        f"params: {kh} x {kw} x {mid} (depthwise) + {pointwise} (pointwise) "
        f"= {params:,}",
    ]
    return _Out((shape[0], *hw, filters), params, 0, tuple(lines))


def _pooling(default_pool: Any) -> Callable:
    def rule(layer: _Layer, shapes: list[Shape]) -> _Out:
        shape = _image_input(layer, shapes)
        layer.channels_last()
        pool = layer.pair("pool_size", default_pool)
        strides = layer.config.get("strides")
        strides = pool if strides is None else layer.pair("strides")
        padding = layer.padding(any_case=False)
        hw, lines = _slide(layer, shape, pool, strides, padding, what="pool window")
        lines.append("params: 0 (pooling has no weights)")
        return _Out((shape[0], *hw, shape[3]), working=tuple(lines))

    return rule


def _global_pooling(what: str) -> Callable:
    def rule(layer: _Layer, shapes: list[Shape]) -> _Out:
        shape = _image_input(layer, shapes)
        layer.channels_last()
        keepdims = layer.flag("keepdims", False)
        _, h, w, c = shape
        out = (shape[0], 1, 1, c) if keepdims else (shape[0], c)
        lines = (
            f"output: the {what} of each channel's {h} x {w} values, {c} channels",
            "params: 0 (pooling has no weights)",
        )
        return _Out(out, working=lines)

    return rule


def _flatten(layer: _Layer, shapes: list[Shape]) -> _Out:
    shape = _one_input(layer, shapes)
    dims = shape[1:]
    if any(d is None for d in dims):
        length, text = None, f"unknown, the input {_shape_text(shape)} has a None"
    else:
        length = math.prod(dims)
        text = (
            " x ".join(map(str, dims)) + f" = {length:,}"
            if len(dims) > 1
            else str(length)
        )
    lines = (f"length: {text}", "params: 0 (flattening only rearranges)")
    return _Out((shape[0], length), working=lines)


def _dense(layer: _Layer, shapes: list[Shape]) -> _Out:
    shape = _one_input(layer, shapes)
    units = layer.positive("units")
    use_bias = layer.flag("use_bias", True)
    layer.unsupported("lora_rank", None)
    layer.unsupported("quantization_config", None)
    if len(shape) < 2:
        raise layer.error(
            f"needs an input with a feature axis, got {_shape_text(shape)}"
        )
    n = _known_channels(layer, shape)
    params = dense_params(n, units, use_bias=use_bias)
    formula = f"{n} x {units} + {units}" if use_bias else f"{n} x {units}"
    lines = []
    if len(shape) > 2:
        lines.append(
            f"output: {units} units at each position (applied to the last axis)"
        )
    lines.append(f"params: {formula} = {params:,}")
    return _Out((*shape[:-1], units), params, 0, tuple(lines))


def _same_shape(reason: str) -> Callable:
    def rule(layer: _Layer, shapes: list[Shape]) -> _Out:
        shape = _one_input(layer, shapes)
        return _Out(
            shape, working=("output: same shape as the input", f"params: 0 ({reason})")
        )

    return rule


def _batchnorm(layer: _Layer, shapes: list[Shape]) -> _Out:
    shape = _one_input(layer, shapes)
    layer.unsupported("renorm", False)
    center = layer.flag("center", True)
    scale = layer.flag("scale", True)
    axes = layer.get("axis", -1)
    axes = list(axes) if isinstance(axes, (list, tuple)) else [axes]
    rank = len(shape)
    resolved = set()
    for axis in axes:
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise layer.error(
                f"axis must be an int or a list of ints, got {axes!r}", TypeError
            )
        a = axis + rank if axis < 0 else axis
        if not 1 <= a < rank:
            raise layer.error(
                f"axis {axis} is not a feature axis of its input {_shape_text(shape)}"
            )
        if shape[a] is None:
            raise layer.error(
                f"axis {axis} of its input {_shape_text(shape)} must be known"
            )
        resolved.add(a)
    channels = math.prod(shape[a] for a in sorted(resolved))
    trainable, non_trainable = batchnorm_params(channels, center=center, scale=scale)
    learned = [name for name, on in (("gamma", scale), ("beta", center)) if on]
    per = len(learned) + 2
    lines = [
        "output: same shape as the input",
        f"params: {per} x {channels} = {trainable + non_trainable:,}, of which "
        f"{len(learned)} x {channels} = {trainable:,} trainable"
        + (f" ({', '.join(learned)})" if learned else ""),
        f"    and 2 x {channels} = {non_trainable:,} non-trainable "
        "(moving mean and variance)",
    ]
    return _Out(shape, trainable, non_trainable, tuple(lines))


def _zero_padding(layer: _Layer, shapes: list[Shape]) -> _Out:
    shape = _image_input(layer, shapes)
    layer.channels_last()
    spec = layer.get("padding", (1, 1))
    if isinstance(spec, str):
        raise layer.error(
            f"padding must be an int, (rows, cols) or ((top, bottom), (left, right)), "
            f"got {spec!r}"
        )
    try:
        amounts = padding_amounts(spec, (1, 1), (1, 1))
    except (TypeError, ValueError) as err:
        raise layer.error(str(err), type(err)) from None
    outs, texts = [], []
    for n, (before, after) in zip(shape[1:3], amounts, strict=True):
        out = None if n is None else n + before + after
        outs.append(out)
        texts.append([f"{n} + {before} + {after} = {out}"])
    lines = _both_axes(texts) + ["params: 0 (padding only adds zeros)"]
    return _Out((shape[0], *outs, shape[3]), working=tuple(lines))


def _reshape(layer: _Layer, shapes: list[Shape]) -> _Out:
    shape = _one_input(layer, shapes)
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
    dims = shape[1:]
    known = math.prod(d for d in target if d != -1)
    if any(d is None for d in dims):
        out = tuple(None if d == -1 else d for d in target)
        text = "unknown size, the input has a None"
    else:
        size = math.prod(dims)
        if -1 in target:
            if size % known:
                raise layer.error(
                    f"cannot reshape {size:,} values into {target}: {size:,} is not "
                    f"a multiple of {known:,}"
                )
            out = tuple(size // known if d == -1 else d for d in target)
            text = f"the -1 becomes {size} / {known} = {size // known}"
        else:
            if size != known:
                raise layer.error(
                    f"cannot reshape {size:,} values (input {_shape_text(shape)}) "
                    f"into {target}, which holds {known:,}"
                )
            out = target
            text = f"{size:,} values rearranged"
    lines = (f"output: {text}", "params: 0 (reshaping only rearranges)")
    return _Out((shape[0], *out), working=lines)


def _add(layer: _Layer, shapes: list[Shape]) -> _Out:
    if not shapes:
        raise layer.error("needs at least one input")
    out = shapes[0][1:]
    for shape in shapes[1:]:
        dims = shape[1:]
        if len(dims) > len(out):
            out, dims = dims, out
        merged = list(out[: len(out) - len(dims)])
        for i, j in zip(out[len(out) - len(dims) :], dims, strict=True):
            if i is None or j is None:
                merged.append(None)
            elif i == 1 or j == 1:
                merged.append(max(i, j))
            elif i != j:
                raise layer.error(
                    "inputs must have the same shape to be added, got "
                    + ", ".join(_shape_text(s) for s in shapes)
                )
            else:
                merged.append(i)
        out = tuple(merged)
    batch = {s[0] for s in shapes} - {None}
    out = (batch.pop() if len(batch) == 1 else None, *out)
    lines = (
        f"output: element-wise sum of {len(shapes)} inputs",
        "params: 0 (adding has no weights)",
    )
    return _Out(out, working=lines)


def _concatenate(layer: _Layer, shapes: list[Shape]) -> _Out:
    if not shapes:
        raise layer.error("needs at least one input")
    axis = layer.get("axis", -1)
    rank = len(shapes[0])
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise layer.error(f"axis must be an int, got {axis!r}", TypeError)
    a = axis + rank if axis < 0 else axis
    if not 1 <= a < rank:
        raise layer.error(
            f"axis {axis} is not a feature axis of {_shape_text(shapes[0])}"
        )
    for shape in shapes[1:]:
        if len(shape) != rank or any(
            i is not None and j is not None and i != j
            for k, (i, j) in enumerate(zip(shapes[0], shape, strict=True))
            if k != a
        ):
            raise layer.error(
                f"inputs must match on every axis but {axis} to be joined, got "
                + ", ".join(_shape_text(s) for s in shapes)
            )
    sizes = [s[a] for s in shapes]
    total = None if None in sizes else sum(sizes)
    out = tuple(total if k == a else d for k, d in enumerate(shapes[0]))
    lines = (
        f"output: axis {axis} joins " + " + ".join(map(str, sizes)) + f" = {total}",
        "params: 0 (joining has no weights)",
    )
    return _Out(out, working=lines)


_RULES: dict[str, Callable[[_Layer, list[Shape]], _Out]] = {
    "Conv2D": _conv2d,
    "DepthwiseConv2D": _depthwise_conv2d,
    "SeparableConv2D": _separable_conv2d,
    "MaxPooling2D": _pooling((2, 2)),
    "AveragePooling2D": _pooling(_MISSING),
    "GlobalMaxPooling2D": _global_pooling("max"),
    "GlobalAveragePooling2D": _global_pooling("mean"),
    "Flatten": _flatten,
    "Dense": _dense,
    "Dropout": _same_shape("dropout has no weights"),
    "Activation": _same_shape("an activation has no weights"),
    "ReLU": _same_shape("an activation has no weights"),
    "Rescaling": _same_shape("its scale and offset are fixed settings"),
    "BatchNormalization": _batchnorm,
    "ZeroPadding2D": _zero_padding,
    "Reshape": _reshape,
    "Add": _add,
    "Concatenate": _concatenate,
}

_ALIASES = {
    "Input": "InputLayer",
    "MaxPool2D": "MaxPooling2D",
    "AvgPool2D": "AveragePooling2D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "Convolution2D": "Conv2D",
    "SeparableConvolution2D": "SeparableConv2D",
}

_KNOWN = ("InputLayer", *_RULES)


def _compute(layer: _Layer, shapes: list[Shape], trainable: bool) -> _Out:
    rule = _RULES.get(layer.kind)
    if rule is None:
        raise layer.error(
            "cnnkit does not know this type of layer, so it cannot give its shape "
            "or count its parameters; it knows " + ", ".join(_KNOWN)
        )
    out = rule(layer, shapes)
    if not trainable and out.trainable:
        out.non_trainable += out.trainable
        out.trainable = 0
        out.working += (
            "frozen (trainable=False): all its parameters are non-trainable",
        )
    return out


# --------------------------------------------------------------------------- #
# Reading a Keras model (duck-typed: no import of TensorFlow or Keras)
# --------------------------------------------------------------------------- #


def _history(tensor) -> tuple[Any, int, int]:
    op, node_index, tensor_index = tensor._keras_history
    return op, node_index, tensor_index


def _is_model(op) -> bool:
    return hasattr(type(op), "layers")  # keras.Model and its subclasses


def _model_io(model) -> tuple[list, list]:
    name = getattr(model, "name", type(model).__name__)
    if not hasattr(type(model), "outputs"):  # Sequential and Functional have them
        raise ValueError(
            f"model {name!r} ({type(model).__name__}) is a subclassed model, whose "
            "layers are connected only by its Python code; summarize reads "
            "Sequential and functional models"
        )
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):  # an unbuilt Sequential
        inputs = outputs = None
    if not inputs or not outputs:
        raise ValueError(
            f"model {name!r} ({type(model).__name__}) has no inputs yet: start it "
            "with keras.Input(shape=...) or call model.build(...) first, or "
            "describe it as a list of layers"
        )
    return list(inputs), list(outputs)


def _input_shape_of(op) -> Shape:
    config = op.get_config()
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if shape is None:
        raise ValueError(f"input {op.name!r} has no batch_shape in its config")
    return tuple(shape)


def _from_keras(model, input_shapes: Sequence[Shape] | None = None) -> Summary:
    inputs, outputs = _model_io(model)
    override = {}
    if input_shapes is not None:
        override = {
            id(_history(t)[0]): tuple(s)
            for t, s in zip(inputs, input_shapes, strict=True)
        }
    results: dict[tuple[int, int], list[Shape]] = {}
    first: dict[int, tuple[int, tuple[str, ...], _Out, Summary | None]] = {}

    stack = [_history(t)[:2] for t in outputs]
    while stack:
        op, node_index = stack[-1]
        key = (id(op), node_index)
        if key in results:
            stack.pop()
            continue
        kind = type(op).__name__
        nested = None
        if kind == "InputLayer":
            shape = override.get(id(op)) or _input_shape_of(op)
            parents, out = [], _input_rule(_Layer(op.name, kind, {}), shape)
            shapes_out = [shape]
        else:
            node = op._inbound_nodes[node_index]
            parents = [_history(t) for t in node.input_tensors]
            todo = [(p, n) for p, n, _ in parents if (id(p), n) not in results]
            if todo:
                stack.extend(todo)
                continue
            in_shapes = [results[(id(p), n)][i] for p, n, i in parents]
            if not hasattr(op, "trainable"):
                raise ValueError(
                    f"operation {op.name!r} ({kind}) is a keras.ops operation, not "
                    "a layer; cnnkit counts layers only (use the matching "
                    "keras.layers layer, e.g. layers.Add()([a, b]) for a + b)"
                )
            if _is_model(op):
                nested = _from_keras(op, in_shapes)
                trainable, non_trainable = (
                    nested.trainable_params,
                    nested.non_trainable_params,
                )
                working = [
                    f"a whole model of {len(nested)} layers "
                    "(its own summary is this row's .summary)",
                    f"params: {trainable:,} trainable + {non_trainable:,} "
                    f"non-trainable = {nested.total_params:,}",
                ]
                if not op.trainable:
                    trainable, non_trainable = 0, trainable + non_trainable
                    working.append(
                        "frozen (trainable=False): all its parameters are non-trainable"
                    )
                shapes_out = nested.output_shapes
                shape = shapes_out[0] if len(shapes_out) == 1 else list(shapes_out)
                out = _Out(shape, trainable, non_trainable, tuple(working))
            else:
                layer = _Layer(op.name, kind, op.get_config())
                out = _compute(layer, in_shapes, bool(op.trainable))
                shapes_out = [out.shape]
        results[key] = shapes_out
        names = tuple(p.name for p, _, _ in parents)
        if id(op) not in first or node_index < first[id(op)][0]:
            first[id(op)] = (node_index, names, out, nested)
        stack.pop()

    input_ops = [_history(t)[0] for t in inputs]
    listed = {id(op) for op in model.layers}
    layers = [op for op in input_ops if id(op) not in listed] + list(model.layers)
    rows = []
    for op in layers:
        if id(op) not in first:
            continue  # not on a path from the inputs to the outputs
        _, names, out, nested = first[id(op)]
        rows.append(
            Row(
                op.name,
                type(op).__name__,
                out.shape,
                out.trainable + out.non_trainable,
                out.trainable,
                out.non_trainable,
                names,
                tuple(out.working),
                nested,
            )
        )
    return Summary(
        rows,
        name=getattr(model, "name", type(model).__name__),
        input_shapes=[results[(id(op), 0)][0] for op in input_ops],
        output_shapes=[results[(id(op), n)][i] for op, n, i in map(_history, outputs)],
    )


# --------------------------------------------------------------------------- #
# Reading a plain description (no TensorFlow needed)
# --------------------------------------------------------------------------- #

_BASE_KEYS = {"name", "trainable", "dtype", "autocast", "activity_regularizer"}
_CONV_KEYS = {
    "kernel_size", "strides", "padding", "data_format", "dilation_rate",
    "activation", "use_bias", "bias_initializer", "bias_regularizer",
    "bias_constraint",
}  # fmt: skip
_DEPTHWISE_KEYS = {
    "depth_multiplier", "depthwise_initializer", "depthwise_regularizer",
    "depthwise_constraint",
}  # fmt: skip
_KERNEL_KEYS = {"kernel_initializer", "kernel_regularizer", "kernel_constraint"}
_POOL_KEYS = {"pool_size", "strides", "padding", "data_format"}
_GLOBAL_KEYS = {"data_format", "keepdims"}

# Every setting Keras's get_config() gives each layer (the tests check this
# list against Keras); a key outside it is a typo worth reporting.
_KEYS: dict[str, set[str]] = {
    "InputLayer": {
        "shape", "batch_size", "batch_shape", "batch_input_shape", "dtype",
        "sparse", "ragged", "input_tensor", "optional", "name",
    },
    "Conv2D": _CONV_KEYS | _KERNEL_KEYS | {
        "filters", "groups", "lora_rank", "lora_alpha",
    },
    "DepthwiseConv2D": _CONV_KEYS | _DEPTHWISE_KEYS,
    "SeparableConv2D": _CONV_KEYS | _DEPTHWISE_KEYS | {
        "filters", "pointwise_initializer", "pointwise_regularizer",
        "pointwise_constraint",
    },
    "MaxPooling2D": _POOL_KEYS,
    "AveragePooling2D": _POOL_KEYS,
    "GlobalMaxPooling2D": _GLOBAL_KEYS,
    "GlobalAveragePooling2D": _GLOBAL_KEYS,
    "Flatten": {"data_format"},
    "Dense": _KERNEL_KEYS | {
        "units", "activation", "use_bias", "bias_initializer", "bias_regularizer",
        "bias_constraint", "lora_rank", "lora_alpha", "quantization_config",
    },
    "Dropout": {"rate", "noise_shape", "seed"},
    "Activation": {"activation"},
    "ReLU": {"max_value", "negative_slope", "threshold"},
    "Rescaling": {"scale", "offset"},
    "BatchNormalization": {
        "axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
        "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
        "beta_regularizer", "gamma_regularizer", "beta_constraint",
        "gamma_constraint", "renorm", "renorm_clipping", "renorm_momentum",
        "synchronized",
    },
    "ZeroPadding2D": {"padding", "data_format"},
    "Reshape": {"target_shape"},
    "Add": set(),
    "Concatenate": {"axis"},
}  # fmt: skip


def _snake(kind: str) -> str:
    """Keras's default layer name for a class: Conv2D -> conv2d, ReLU -> re_lu."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", kind)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _parse(item: Any, index: int) -> tuple[str, dict]:
    if isinstance(item, str):
        kind, config = item, {}
    elif (
        isinstance(item, (tuple, list))
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], Mapping)
    ):
        kind, config = item[0], item[1]
    elif isinstance(item, Mapping) and isinstance(item.get("class_name"), str):
        kind, config = item["class_name"], item.get("config") or {}
    else:
        raise TypeError(
            f'layers[{index}] must be a layer type such as "Flatten", a pair '
            f'("Conv2D", {{"filters": 32, "kernel_size": 3}}) or a dict with '
            f'"class_name" and "config", got {item!r}'
        )
    kind = _ALIASES.get(kind, kind)
    if kind not in _KEYS:
        close = difflib.get_close_matches(kind, [*_KNOWN, *_ALIASES], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        name = config.get("name", f"layers[{index}]")
        raise ValueError(
            f"layer {name!r} ({kind}): cnnkit does not know this type of layer{hint}; "
            "it knows " + ", ".join(_KNOWN)
        )
    return kind, dict(config)


def _check_keys(layer: _Layer, first: bool) -> None:
    allowed = _KEYS[layer.kind] | _BASE_KEYS
    if first:
        allowed = allowed | {"input_shape", "input_dim", "batch_input_shape"}
    for key in layer.config:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            where = (
                ""
                if first or key not in ("input_shape", "input_dim")
                else (" (only the first layer may give the input shape)")
            )
            raise layer.error(f"unknown setting {key!r}{where}{hint}", TypeError)


def _shape_argument(value: Any, what: str) -> Shape:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(
        d is None
        or (isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0)
        for d in value
    ):
        raise ValueError(
            f"{what} must be a tuple of positive ints (None for unknown), "
            f"e.g. (28, 28, 1), got {value!r}"
        )
    return tuple(None if d is None else int(d) for d in value)


def _from_plain(items: Sequence[Any], input_shape: Any) -> Summary:
    parsed = [_parse(item, i) for i, item in enumerate(items)]
    counts: dict[str, int] = {}
    seen: set[str] = set()
    layers = []
    for kind, config in parsed:
        if "name" in config:
            name = config["name"]
        else:
            base = "input_layer" if kind == "InputLayer" else _snake(kind)
            n = counts.get(base, 0)
            counts[base] = n + 1
            name = base if n == 0 else f"{base}_{n}"
        if name in seen:
            raise ValueError(
                f"two layers are named {name!r}; layer names must be unique"
            )
        seen.add(name)
        layers.append(_Layer(name, kind, config))
    for i, layer in enumerate(layers):
        if layer.kind == "InputLayer" and i > 0:
            raise layer.error("an input can only come first in a plain description")
        _check_keys(layer, first=i == 0 or (i == 1 and layers[0].kind == "InputLayer"))

    # Where the input shape comes from: the argument, an Input first, or a
    # Keras 2 style input_shape on the first layer.
    given = []
    if input_shape is not None:
        given.append(
            ("input_shape", (None, *_shape_argument(input_shape, "input_shape")))
        )
    if layers and layers[0].kind == "InputLayer":
        cfg = layers[0].config
        if cfg.get("shape") is not None:
            given.append(
                ("the Input's shape", (None, *_shape_argument(cfg["shape"], "shape")))
            )
        for key in ("batch_shape", "batch_input_shape"):
            if cfg.get(key) is not None:
                full = cfg[key]
                if not isinstance(full, (tuple, list)) or not full:
                    raise layers[0].error(f"{key} must be a tuple, got {full!r}")
                given.append(
                    (
                        f"the Input's {key}",
                        (full[0], *_shape_argument(tuple(full[1:]), key)),
                    )
                )
    body = layers[1:] if layers and layers[0].kind == "InputLayer" else layers
    if body:
        for key in ("input_shape", "input_dim", "batch_input_shape"):
            value = body[0].config.get(key)
            if value is not None:
                if key == "batch_input_shape":
                    value = tuple(value)[1:]
                given.append(
                    (
                        f"{key} of layer {body[0].name!r}",
                        (None, *_shape_argument(value, key)),
                    )
                )
    if not given:
        raise ValueError(
            "a plain description needs its input shape: pass input_shape=(28, 28, 1), "
            'or start the list with ("Input", {"shape": (28, 28, 1)})'
        )
    shape = given[0][1]
    for where, other in given[1:]:
        if other[1:] != shape[1:]:
            raise ValueError(
                f"two different input shapes: {given[0][0]} says {shape[1:]} but "
                f"{where} says {other[1:]}"
            )

    if layers and layers[0].kind == "InputLayer":
        input_name = layers[0].name
    else:
        input_name = "input_layer"
        while input_name in seen:
            input_name += "_0"
    out = _input_rule(_Layer(input_name, "InputLayer", {}), shape)
    rows = [Row(input_name, "InputLayer", shape, 0, 0, 0, (), out.working)]
    for layer in body:
        if layer.kind in ("Add", "Concatenate"):
            raise layer.error(
                "joins several inputs, which a plain (sequential) description "
                "cannot express; build the model with Keras's functional API"
            )
        out = _compute(layer, [shape], layer.flag("trainable", True))
        rows.append(
            Row(
                layer.name,
                layer.kind,
                out.shape,
                out.trainable + out.non_trainable,
                out.trainable,
                out.non_trainable,
                (rows[-1].name,),
                tuple(out.working),
            )
        )
        shape = out.shape
    return Summary(
        rows,
        name="sequential",
        input_shapes=[rows[0].output_shape],
        output_shapes=[shape],
    )


# --------------------------------------------------------------------------- #
# The entry point
# --------------------------------------------------------------------------- #


def summarize(model: Any, input_shape: Sequence[int | None] | None = None) -> Summary:
    """Output shape and parameter count of every layer of a CNN, with the working.

    Nothing is asked of Keras but the layers' settings and how they connect:
    each output shape and each count comes from cnnkit's formulas
    (:func:`~cnnkit.output_size`, :func:`~cnnkit.conv2d_params`, ...), so the
    result can be checked against ``model.summary()``. The chapter on counting
    parameters uses it on every model it builds.

    Parameters
    ----------
    model : keras.Model or list of layer descriptions
        A built Keras ``Sequential`` or functional model, or a plain
        description of a sequential stack (no TensorFlow needed). Each item
        of the list is a layer type (``"Flatten"``), a pair
        ``(type, settings)`` such as ``("Conv2D", {"filters": 32,
        "kernel_size": 3, "padding": "same"})``, or a dict
        ``{"class_name": type, "config": settings}``, so
        ``model.get_config()["layers"]`` of a Sequential model works too.
        Settings use Keras's argument names and defaults; settings that do
        not change shapes or counts (``activation``, initialisers, ...) are
        accepted and ignored, and an unknown setting is an error.
    input_shape : tuple of int, optional
        For a plain description: the input's shape without the batch axis,
        e.g. ``(28, 28, 1)``. Alternatively start the list with
        ``("Input", {"shape": (28, 28, 1)})``.

    Returns
    -------
    Summary
        One :class:`Row` per layer (inputs included) with its output shape
        ``(None, ...)`` and parameters (trainable and non-trainable), and
        ``.total_params``, ``.trainable_params``, ``.non_trainable_params``.

    Raises
    ------
    ValueError
        For a layer that does not fit its input (naming the layer and the
        axis), a setting out of range, or a layer type cnnkit does not know.
    TypeError
        For a setting of the wrong type, a missing required setting or an
        unknown one in a plain description.

    Notes
    -----
    The rules, with ``n`` the input size along an axis, ``k`` the kernel,
    ``s`` the stride and ``d`` the dilation (``k' = d(k - 1) + 1``):

    * ``padding="valid"``: ``floor((n - k') / s) + 1``;
      ``padding="same"``: ``ceil(n / s)``.
    * Conv2D: ``(kh * kw * C_in + 1) * filters``; Dense: ``n * m + m``;
      BatchNormalization: ``4 * C``, of which ``2 * C`` trainable.
    * A frozen layer (``trainable=False``) keeps its count, all of it
      non-trainable.

    Examples
    --------
    The MNIST model of the lecture notes:

    >>> s = summarize(
    ...     [("Conv2D", {"filters": 25, "kernel_size": (3, 3), "activation": "relu"}),
    ...      ("MaxPooling2D", {"pool_size": (2, 2)}),
    ...      ("Conv2D", {"filters": 50, "kernel_size": (3, 3), "activation": "relu"}),
    ...      ("MaxPooling2D", {"pool_size": (2, 2)}),
    ...      "Flatten",
    ...      ("Dense", {"units": 100, "activation": "relu"}),
    ...      ("Dense", {"units": 10, "activation": "softmax"})],
    ...     input_shape=(28, 28, 1))
    >>> s
    Model: "sequential"
    Layer (type)                    Output shape        Param #  Trainable  Non-train.
    ----------------------------------------------------------------------------------
    input_layer (InputLayer)        (None, 28, 28, 1)         0          0           0
    conv2d (Conv2D)                 (None, 26, 26, 25)      250        250           0
    max_pooling2d (MaxPooling2D)    (None, 13, 13, 25)        0          0           0
    conv2d_1 (Conv2D)               (None, 11, 11, 50)   11,300     11,300           0
    max_pooling2d_1 (MaxPooling2D)  (None, 5, 5, 50)          0          0           0
    flatten (Flatten)               (None, 1250)              0          0           0
    dense (Dense)                   (None, 100)         125,100    125,100           0
    dense_1 (Dense)                 (None, 10)            1,010      1,010           0
    ----------------------------------------------------------------------------------
    Total params: 137,660
    Trainable params: 137,660
    Non-trainable params: 0
    >>> s["conv2d_1"].working[-1]
    'params: (3 x 3 x 25 + 1) x 50 = 11,300'

    A kernel that does not fit is reported with the layer and the axis:

    >>> try:
    ...     summarize([("Conv2D", {"filters": 8, "kernel_size": 5})], (3, 3, 1))
    ... except ValueError as err:
    ...     print(err)  # doctest: +NORMALIZE_WHITESPACE
    layer 'conv2d' (Conv2D): kernel of size 5 does not fit input height 3
    with padding="valid"
    """
    if isinstance(model, (list, tuple)):
        return _from_plain(model, input_shape)
    if input_shape is not None:
        raise TypeError(
            "input_shape is only for a plain description; a Keras model carries "
            "its own input shape"
        )
    if not _is_model(model):
        raise TypeError(
            "model must be a built Keras model or a list of layer descriptions, "
            f"got {type(model).__name__}"
        )
    return _from_keras(model)
