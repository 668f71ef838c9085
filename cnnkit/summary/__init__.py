"""Summarise a CNN layer by layer: output shapes and parameters, with the working.

``summarize`` walks a model the way a student does with pen and paper: for
each layer it takes the input shape, applies the layer's settings and writes
down the output shape and the number of parameters. Every number comes from
cnnkit's own formulas (:mod:`cnnkit.shapes`), never from asking Keras to
count, so comparing the result with ``model.summary()`` is a real test; the
test suite does so on VGG16, ResNet50, MobileNetV2 and hundreds of random
models.

A model can be given two ways:

* a built Keras model (``Sequential`` or functional), read through its
  layers' ``get_config()`` and the graph that links them
  (:mod:`cnnkit.summary.keras_graph`); this package never imports TensorFlow
  or Keras itself.
* a plain description of a sequential stack, which needs no TensorFlow at
  all (:mod:`cnnkit.summary.plain`): a list of layers, each ``"Flatten"``,
  ``("Conv2D", {"filters": 32, "kernel_size": 3})`` or ``{"class_name": ...,
  "config": ...}`` (the form of ``model.get_config()["layers"]``), with the
  same setting names as the Keras layers, plus the input shape.

Either way, each layer goes through its rule in :mod:`cnnkit.summary.rules`,
the arithmetic the chapter on counting parameters teaches, and the result is
a :class:`Summary` (:mod:`cnnkit.summary.result`); ``Summary.explain()``
prints the working as that chapter writes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cnnkit.summary.keras_graph import is_keras_model, read_keras
from cnnkit.summary.plain import read_plain
from cnnkit.summary.result import Row, Summary
from cnnkit.summary.rules import NOT_SUPPORTED, SUPPORTED

__all__ = ["summarize", "Summary", "Row", "SUPPORTED", "NOT_SUPPORTED"]


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
        accepted and ignored. An unknown setting is an error in a
        hand-written type or pair, and a warning in a ``get_config()`` dict
        or a Keras model (it may come from a newer Keras).
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
        For a setting of the wrong type, a missing required setting, an
        unknown one in a hand-written description, or a ``model`` that is
        neither a Keras model nor a list.
    RuntimeError
        For a Keras release that keeps its graph where cnnkit cannot read it.

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

    The layer types with a rule (``cnnkit.summary.SUPPORTED``): Conv2D,
    DepthwiseConv2D, SeparableConv2D, Dense and BatchNormalization, which have
    weights, and every Keras layer without weights that works on images or
    plain tensors: pooling, padding, cropping and upsampling in 1, 2 and 3
    dimensions, Resizing and the crops, the augmentation layers (RandomFlip,
    RandomRotation, ...), activations, dropout and noise, Flatten, Reshape,
    Permute, RepeatVector, and the merges (Add, Subtract, Multiply, Average,
    Maximum, Minimum, Concatenate, Dot). The other Keras layers are listed,
    with the reason, in ``cnnkit.summary.NOT_SUPPORTED``: other convolutions
    and layers with weights cnnkit does not count, recurrent and attention
    layers, text, category and sound preprocessing, and layers that run
    their own code (Lambda, a custom Layer).

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
    one_layer = isinstance(model, str) or (
        isinstance(model, tuple)
        and len(model) == 2
        and isinstance(model[0], str)
        and isinstance(model[1], Mapping)
    )
    if isinstance(model, (list, tuple)) and not one_layer:
        return read_plain(model, input_shape)
    if not is_keras_model(model):
        hint = f"; for one layer, write [{model!r}]" if one_layer else ""
        raise TypeError(
            "model must be a built Keras model or a list of layer descriptions, "
            f"got {type(model).__name__} {model!r}{hint}"
        )
    if input_shape is not None:
        raise TypeError(
            "input_shape is only for a plain description; a Keras model carries "
            "its own input shape"
        )
    return read_keras(model)
