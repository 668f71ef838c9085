"""Reading a built Keras model: its layers' settings and the graph that links them.

Keras is asked for nothing it computes: only each layer's type, name,
``get_config()`` and ``trainable``, and which layer calls feed which. That
is public API, all but the last: Keras keeps which call made a tensor, and
what that call took, in private attributes. :func:`call_that_made` is the one
place that reads them; :data:`CHECKED_ON` names the Keras versions it was
checked on, and a test runs it on whichever Keras is installed.

This module never imports Keras: a model given to it means Keras is loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnnkit.summary.result import Row, Shape, Summary
from cnnkit.summary.rules import Out, compute
from cnnkit.summary.rules.weights import input_rule
from cnnkit.summary.settings import LayerSettings, check_settings

__all__ = ["CHECKED_ON", "call_that_made", "is_keras_model", "read_keras"]

CHECKED_ON = ("3.5.0", "3.10.0", "3.15.1")
"""Keras versions whose private graph attributes :func:`call_that_made` reads."""


@dataclass(frozen=True)
class Call:
    """One call of a layer in the graph: ``layer(*inputs)``."""

    layer: Any
    index: int  # 0 for the layer's first call, 1 for its second (a shared layer)
    inputs: tuple  # the tensors it took

    @property
    def key(self) -> tuple[int, int]:
        return id(self.layer), self.index


def call_that_made(tensor: Any) -> tuple[Call, int]:
    """The layer call that produced ``tensor``, and which of its outputs it is.

    Keras has no public API for this. It keeps ``(layer, call index, output
    index)`` in ``tensor._keras_history`` and each call's inputs in
    ``layer._inbound_nodes[call index].input_tensors``; this is the only
    place cnnkit reads either, checked on the Keras versions in
    :data:`CHECKED_ON`.
    """
    try:
        layer, index, output_index = tensor._keras_history
        inputs = tuple(layer._inbound_nodes[index].input_tensors)
    except (AttributeError, IndexError, TypeError, ValueError) as err:
        keras = sys.modules.get("keras")
        version = getattr(keras, "__version__", "unknown")
        raise RuntimeError(
            f"cnnkit cannot follow the graph of this Keras ({version}); it reads "
            f"Keras's private graph attributes as Keras {', '.join(CHECKED_ON)} "
            f"keep them ({type(err).__name__}: {err})"
        ) from err
    return Call(layer, index, inputs), output_index


def is_keras_model(obj: Any) -> bool:
    """Whether ``obj`` is a Keras model (without importing Keras)."""
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.Model)


def _inputs_and_outputs(model: Any) -> tuple[list, list]:
    name = model.name
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


def _calls_in_order(outputs: Sequence[Any]) -> list[Call]:
    """Every layer call the outputs depend on, each after the calls that feed it."""
    order: list[Call] = []
    done: set[tuple[int, int]] = set()
    to_visit = [call_that_made(tensor)[0] for tensor in reversed(outputs)]
    while to_visit:
        call = to_visit[-1]
        if call.key in done:
            to_visit.pop()
            continue
        feeders = [call_that_made(tensor)[0] for tensor in call.inputs]
        not_done = [feeder for feeder in feeders if feeder.key not in done]
        if not_done:
            to_visit.extend(not_done)
            continue
        to_visit.pop()
        done.add(call.key)
        order.append(call)
    return order


def _nested_model(layer: Any, nested: Summary) -> Out:
    """A whole model used as a layer (a pretrained base): its totals."""
    trainable, non_trainable = nested.trainable_params, nested.non_trainable_params
    working = [
        f"a whole model of {len(nested)} layers "
        "(its own summary is this row's .summary)",
        f"params: {trainable:,} trainable + {non_trainable:,} "
        f"non-trainable = {nested.total_params:,}",
    ]
    if not layer.trainable:
        trainable, non_trainable = 0, trainable + non_trainable
        working.append("frozen (trainable=False): all its parameters are non-trainable")
    shapes = nested.output_shapes
    shape = shapes[0] if len(shapes) == 1 else list(shapes)
    return Out(shape, trainable, non_trainable, tuple(working))


def read_keras(model: Any, input_shapes: Sequence[Shape] | None = None) -> Summary:
    """The summary of a built Keras model; see :func:`cnnkit.summarize`.

    ``input_shapes``: for a model used as a layer of another, the shapes the
    outer model feeds it.
    """
    keras = sys.modules["keras"]
    inputs, outputs = _inputs_and_outputs(model)
    input_layers = [call_that_made(tensor)[0].layer for tensor in inputs]
    fed_shapes = {}  # id(input layer) -> the shape an outer model feeds it
    if input_shapes is not None:
        fed_shapes = {
            id(layer): tuple(shape)
            for layer, shape in zip(input_layers, input_shapes, strict=True)
        }

    shapes_made: dict[tuple[int, int], list[Shape]] = {}  # call key -> its outputs
    first_calls: dict[int, tuple[Call, Out, Summary | None]] = {}  # by id(layer)
    for call in _calls_in_order(outputs):
        layer, kind, nested = call.layer, type(call.layer).__name__, None
        input_shapes_of_call = [
            shapes_made[feeder.key][output_index]
            for feeder, output_index in map(call_that_made, call.inputs)
        ]
        if isinstance(layer, keras.layers.InputLayer):
            shape = fed_shapes.get(id(layer)) or tuple(
                layer.get_config()["batch_shape"]
            )
            out = input_rule(shape)
        elif not isinstance(layer, keras.layers.Layer):
            raise ValueError(
                f"operation {layer.name!r} ({kind}) is a keras.ops operation, not "
                "a layer; cnnkit counts layers only (use the matching "
                "keras.layers layer, e.g. layers.Add()([a, b]) for a + b)"
            )
        elif isinstance(layer, keras.Model):
            nested = read_keras(layer, input_shapes_of_call)
            out = _nested_model(layer, nested)
        else:
            settings = LayerSettings(layer.name, kind, layer.get_config())
            check_settings(settings, strict=False, first=False)
            out = compute(settings, input_shapes_of_call, bool(layer.trainable))
        shapes_made[call.key] = nested.output_shapes if nested else [out.shape]
        earlier = first_calls.get(id(layer))
        if earlier is None or call.index < earlier[0].index:
            first_calls[id(layer)] = (call, out, nested)

    # One row a layer, for its first call, in the order Keras lists them; a
    # layer on no path from the inputs to the outputs has none.
    listed = {id(layer) for layer in model.layers}
    layers = [layer for layer in input_layers if id(layer) not in listed]
    rows = []
    for layer in layers + list(model.layers):
        if id(layer) not in first_calls:
            continue
        call, out, nested = first_calls[id(layer)]
        rows.append(
            Row(
                layer.name,
                type(layer).__name__,
                out.shape,
                out.trainable + out.non_trainable,
                out.trainable,
                out.non_trainable,
                tuple(call_that_made(tensor)[0].layer.name for tensor in call.inputs),
                tuple(out.working),
                nested,
            )
        )
    return Summary(
        rows,
        name=model.name,
        input_shapes=[shapes_made[(id(layer), 0)][0] for layer in input_layers],
        output_shapes=[
            shapes_made[call.key][output_index]
            for call, output_index in map(call_that_made, outputs)
        ],
    )
