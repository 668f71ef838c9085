"""Reading a plain description of a sequential stack (no TensorFlow needed).

A plain description is a list of layers, each a type (``"Flatten"``), a pair
``("Conv2D", {"filters": 32, "kernel_size": 3})`` or a dict
``{"class_name": ..., "config": ...}`` (the form of
``model.get_config()["layers"]``), with the same setting names as the Keras
layers; the input shape comes from the ``input_shape`` argument, an
``("Input", {"shape": ...})`` first, or a Keras 2 style ``input_shape`` on
the first layer.
"""

from __future__ import annotations

import difflib
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cnnkit.summary.result import Row, Shape, Summary
from cnnkit.summary.rules import (
    ALIASES,
    MERGES,
    SUPPORTED,
    compute,
    unknown_type,
)
from cnnkit.summary.rules.weights import input_rule
from cnnkit.summary.settings import LayerSettings, check_settings

__all__ = ["read_plain"]


def default_name(kind: str) -> str:
    """Keras's default layer name for a class: Conv2D -> conv2d, ReLU -> re_lu."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", kind)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _parse(item: Any, index: int) -> tuple[str, dict, bool]:
    """An item's type and settings, and whether they come from ``get_config()``."""
    if isinstance(item, str):
        kind, config, from_keras = item, {}, False
    elif (
        isinstance(item, (tuple, list))
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], Mapping)
    ):
        kind, config, from_keras = item[0], item[1], False
    elif isinstance(item, Mapping) and isinstance(item.get("class_name"), str):
        kind, config, from_keras = item["class_name"], item.get("config") or {}, True
    else:
        raise TypeError(
            f'layers[{index}] must be a layer type such as "Flatten", a pair '
            f'("Conv2D", {{"filters": 32, "kernel_size": 3}}) or a dict with '
            f'"class_name" and "config", got {item!r}'
        )
    kind = ALIASES.get(kind, kind)
    if kind not in SUPPORTED:
        name = config.get("name", f"layers[{index}]")
        close = difflib.get_close_matches(kind, [*SUPPORTED, *ALIASES], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"layer {name!r} ({kind}): {unknown_type(kind)}{hint}")
    return kind, dict(config), from_keras


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


def _input_shape(
    argument: Any, input_layer: LayerSettings | None, first: LayerSettings | None
) -> Shape:
    """The input shape, batch axis first, from wherever the description gives it.

    It may come from the ``input_shape`` argument, the Input that starts the
    list, or a Keras 2 style ``input_shape`` on the first layer; where it
    comes from more than one, they must agree.
    """
    claims: list[tuple[str, Shape]] = []  # (where it says so, the shape)
    if argument is not None:
        claims.append(
            ("input_shape", (None, *_shape_argument(argument, "input_shape")))
        )
    if input_layer is not None:
        config = input_layer.config
        if config.get("shape") is not None:
            shape = _shape_argument(config["shape"], "shape")
            claims.append(("the Input's shape", (None, *shape)))
        for key in ("batch_shape", "batch_input_shape"):
            full = config.get(key)
            if full is None:
                continue
            if not isinstance(full, (tuple, list)) or not full:
                raise input_layer.error(f"{key} must be a tuple, got {full!r}")
            shape = _shape_argument(tuple(full[1:]), key)
            claims.append((f"the Input's {key}", (full[0], *shape)))
    if first is not None:
        for key in ("input_shape", "input_dim", "batch_input_shape"):
            value = first.config.get(key)
            if value is None:
                continue
            if key == "batch_input_shape":
                value = tuple(value)[1:]
            shape = _shape_argument(value, key)
            claims.append((f"{key} of layer {first.name!r}", (None, *shape)))
    if not claims:
        raise ValueError(
            "a plain description needs its input shape: pass input_shape=(28, 28, 1), "
            'or start the list with ("Input", {"shape": (28, 28, 1)})'
        )
    (where, shape), *others = claims
    for other_where, other in others:
        if other[1:] != shape[1:]:
            raise ValueError(
                f"two different input shapes: {where} says {shape[1:]} but "
                f"{other_where} says {other[1:]}"
            )
    return shape


def _named(parsed: list[tuple[str, dict, bool]]) -> list[LayerSettings]:
    """Each layer with its name: its own, or Keras's default (dense, dense_1, ...)."""
    times_used: dict[str, int] = {}  # default name -> how many layers have it
    layers, names = [], set()
    for kind, config, _ in parsed:
        if "name" in config:
            name = config["name"]
        else:
            base = "input_layer" if kind == "InputLayer" else default_name(kind)
            count = times_used.get(base, 0)
            times_used[base] = count + 1
            name = base if count == 0 else f"{base}_{count}"
        if name in names:
            raise ValueError(
                f"two layers are named {name!r}; layer names must be unique"
            )
        names.add(name)
        layers.append(LayerSettings(name, kind, config))
    return layers


def read_plain(items: Sequence[Any], input_shape: Any = None) -> Summary:
    """The summary of a plain description; see :func:`cnnkit.summarize`."""
    parsed = [_parse(item, i) for i, item in enumerate(items)]
    layers = _named(parsed)
    names = {layer.name for layer in layers}
    starts_with_input = bool(layers) and layers[0].kind == "InputLayer"
    body = layers[1:] if starts_with_input else layers
    may_give_input_shape = layers[:2] if starts_with_input else layers[:1]
    for layer, (_, _, from_keras) in zip(layers, parsed, strict=True):
        if layer.kind == "InputLayer" and layer is not layers[0]:
            raise layer.error("an input can only come first in a plain description")
        check_settings(
            layer, strict=not from_keras, first=layer in may_give_input_shape
        )
    shape = _input_shape(
        input_shape,
        layers[0] if starts_with_input else None,
        body[0] if body else None,
    )

    if starts_with_input:
        input_name = layers[0].name
    else:
        input_name = "input_layer"
        while input_name in names:
            input_name += "_0"
    rows = [
        Row(input_name, "InputLayer", shape, 0, 0, 0, (), input_rule(shape).working)
    ]
    for layer in body:
        if layer.kind in MERGES:
            raise layer.error(
                "joins several inputs, which a plain (sequential) description "
                "cannot express; build the model with Keras's functional API"
            )
        out = compute(layer, [shape], layer.flag("trainable", True))
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
