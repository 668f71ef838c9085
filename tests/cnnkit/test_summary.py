"""Tests for cnnkit.summary: every shape and count checked against Keras.

Keras is only asked for what it computes itself (layer output shapes,
``count_params()``, the trainable and non-trainable weights); cnnkit's numbers
come from the layers' settings alone, so each comparison is a real test. The
lecture notes' models appear with the numbers Keras gives, not the notes' own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import cnnkit
from cnnkit.summary import Row, Summary, summarize

REPO = Path(__file__).resolve().parents[2]

# Building a Keras model takes tens of milliseconds, so the random-model
# property runs a quarter of the profile's examples: 500 models in the full
# run, 25 under HYPOTHESIS_PROFILE=quick.
MODEL_EXAMPLES = max(10, settings().max_examples // 4)


@pytest.fixture(scope="module")
def keras():
    pytest.importorskip(
        "tensorflow", reason="Keras (on TensorFlow) is the reference for every count"
    )
    return pytest.importorskip("keras", reason="Keras is the reference")


def _weights(obj) -> tuple[int, int]:
    def count(ws):
        return sum(int(np.prod(w.shape)) for w in ws)

    return count(obj.trainable_weights), count(obj.non_trainable_weights)


def assert_matches_keras(model, s: Summary) -> None:
    """Layer by layer and in total, cnnkit's summary says what Keras says."""
    for layer in model.layers:
        row = s[layer.name]
        where = f"layer {layer.name!r} ({type(layer).__name__})"
        assert row.type == type(layer).__name__, where
        assert row.output_shape == tuple(layer.output.shape), where
        assert row.params == layer.count_params(), where
        assert (row.trainable, row.non_trainable) == _weights(layer), where
    assert s.total_params == model.count_params()
    assert (s.trainable_params, s.non_trainable_params) == _weights(model)
    assert s.output_shapes == [tuple(t.shape) for t in model.outputs]


def table(s: Summary) -> list[tuple]:
    """The rows without names (Keras numbers its layer names globally)."""
    return [(r.type, r.output_shape, r.trainable, r.non_trainable) for r in s]


def test_public_names_are_exported_from_the_package():
    assert cnnkit.summarize is summarize
    assert cnnkit.Summary is Summary


# --------------------------------------------------------------------------- #
# The lecture notes' models, with the numbers Keras gives
# --------------------------------------------------------------------------- #

# Notes 000/001: 28x28x1 -> Conv 25 -> Pool -> Conv 50 -> Pool -> Dense 100 -> 10.
MNIST = [
    ("Conv2D", {"filters": 25, "kernel_size": (3, 3), "activation": "relu"}),
    ("MaxPooling2D", {"pool_size": (2, 2)}),
    ("Conv2D", {"filters": 50, "kernel_size": (3, 3), "activation": "relu"}),
    ("MaxPooling2D", {"pool_size": (2, 2)}),
    ("Flatten", {}),
    ("Dense", {"units": 100, "activation": "relu"}),
    ("Dense", {"units": 10, "activation": "softmax"}),
]
MNIST_ROWS = [
    ("InputLayer", (None, 28, 28, 1), 0, 0),
    ("Conv2D", (None, 26, 26, 25), 250, 0),
    ("MaxPooling2D", (None, 13, 13, 25), 0, 0),
    ("Conv2D", (None, 11, 11, 50), 11_300, 0),
    ("MaxPooling2D", (None, 5, 5, 50), 0, 0),  # floor(5.5): the notes' 5x5x50
    ("Flatten", (None, 1250), 0, 0),
    ("Dense", (None, 100), 125_100, 0),
    ("Dense", (None, 10), 1_010, 0),
]


def _conv_same(filters, **extra):
    return ("Conv2D", {"filters": filters, "kernel_size": (3, 3), "strides": 1,
                       "padding": "same", **extra})  # fmt: skip


_POOL = ("MaxPooling2D", {"pool_size": (2, 2), "strides": 2, "padding": "valid"})

# Notes 002: the 64x64x3 awake/drowsy model, and the same with batch norm.
AWAKE = [
    _conv_same(32, activation="relu"),
    _POOL,
    _conv_same(64, activation="relu"),
    _POOL,
    ("Flatten", {}),
    ("Dense", {"units": 128, "activation": "relu"}),
    ("Dropout", {"rate": 0.5}),
    ("Dense", {"units": 2, "activation": "softmax"}),
]
AWAKE_BN = [
    _conv_same(32),
    ("BatchNormalization", {}),
    ("Activation", {"activation": "relu"}),
    _POOL,
    _conv_same(64),
    ("BatchNormalization", {}),
    ("Activation", {"activation": "relu"}),
    _POOL,
    ("Flatten", {}),
    ("Dense", {"units": 128}),
    ("BatchNormalization", {}),
    ("Activation", {"activation": "relu"}),
    ("Dropout", {"rate": 0.5}),
    ("Dense", {"units": 2, "activation": "softmax"}),
]

# Notes 001: the deeper model. The notes leave X_train and num_classes open;
# CIFAR-10's 32x32x3 images and 10 classes are the usual choice.
DEEPER = [
    layer
    for filters in (32, 64, 128)
    for layer in (
        _conv_same(filters, activation="relu"),
        ("BatchNormalization", {}),
        _conv_same(filters, activation="relu"),
        ("BatchNormalization", {}),
        ("MaxPool2D", {"pool_size": (2, 2)}),
        ("Dropout", {"rate": 0.2}),
    )
] + [
    ("GlobalMaxPooling2D", {}),
    ("Flatten", {}),  # does nothing after global pooling: (None, 128) stays
    ("Dropout", {"rate": 0.2}),
    ("Dense", {"units": 512, "activation": "relu"}),
    ("Dropout", {"rate": 0.2}),
    ("Dense", {"units": 10, "activation": "softmax"}),
]

# Notes 004: (200, 200, 3) -> 10 filters of 5x5 -> (196, 196, 10), 760 params.
RGB_200 = [("Conv2D", {"filters": 10, "kernel_size": 5, "strides": 1})]

NOTES_MODELS = {
    # name: (layers, input shape, total, trainable, non-trainable)
    "mnist": (MNIST, (28, 28, 1), 137_660, 137_660, 0),
    "awake_drowsy": (AWAKE, (64, 64, 3), 2_116_930, 2_116_930, 0),
    # The notes say 1,863,874, from a 15x15x64 flatten: it is 16x16x64.
    "awake_drowsy_bn": (AWAKE_BN, (64, 64, 3), 2_117_826, 2_117_378, 448),
    "deeper_cifar10": (DEEPER, (32, 32, 3), 359_978, 359_082, 896),
    "rgb_200": (RGB_200, (200, 200, 3), 760, 760, 0),
}


def _keras_model(keras, layers, input_shape):
    return keras.Sequential(
        [keras.Input(input_shape)]
        + [getattr(keras.layers, kind)(**config) for kind, config in layers]
    )


@pytest.mark.parametrize("name", NOTES_MODELS)
def test_notes_models_plain_description_gives_the_keras_numbers(name):
    layers, input_shape, total, trainable, non_trainable = NOTES_MODELS[name]
    s = summarize(layers, input_shape=input_shape)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (
        total,
        trainable,
        non_trainable,
    )


@pytest.mark.parametrize("name", NOTES_MODELS)
def test_notes_models_match_keras_layer_by_layer(keras, name):
    layers, input_shape, total, trainable, non_trainable = NOTES_MODELS[name]
    model = _keras_model(keras, layers, input_shape)
    s = summarize(model)
    assert_matches_keras(model, s)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (
        total,
        trainable,
        non_trainable,
    )
    assert table(summarize(layers, input_shape=input_shape)) == table(s)


def test_mnist_model_row_by_row():
    s = summarize(MNIST, input_shape=(28, 28, 1))
    assert table(s) == MNIST_ROWS
    assert [r.name for r in s] == [
        "input_layer", "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1",
        "flatten", "dense", "dense_1",
    ]  # fmt: skip


def test_awake_drowsy_bn_model_corrects_the_notes():
    s = summarize(AWAKE_BN, input_shape=(64, 64, 3))
    assert s["flatten"].output_shape == (None, 16 * 16 * 64)  # not 15 x 15 x 64
    assert s["dense"].params == 16384 * 128 + 128 == 2_097_280  # not 1,843,328
    bn = [s[name] for name in ("batch_normalization", "batch_normalization_1",
                               "batch_normalization_2")]  # fmt: skip
    assert [(r.trainable, r.non_trainable) for r in bn] == [
        (64, 64),
        (128, 128),
        (256, 256),
    ]  # 4 per channel, half of them not trained by gradient descent


def test_rgb_200_example_output_shape():
    s = summarize(RGB_200, input_shape=(200, 200, 3))
    assert s.output_shape == (None, 196, 196, 10)
    assert s["conv2d"].working[-1] == "params: (5 x 5 x 3 + 1) x 10 = 760"


def test_notes_even_kernels_are_allowed(keras):
    """Notes 004 say kernel sizes "has to be odd numbers"; Keras takes any size."""
    layers = [("Conv2D", {"filters": 4, "kernel_size": 2})]
    model = _keras_model(keras, layers, (6, 6, 1))
    assert_matches_keras(model, summarize(model))
    assert summarize(layers, input_shape=(6, 6, 1)).output_shape == (None, 5, 5, 4)


# --------------------------------------------------------------------------- #
# Famous architectures, exactly
# --------------------------------------------------------------------------- #

APPLICATIONS = {
    # name: (total, trainable, non-trainable), as Keras counts them
    "VGG16": (138_357_544, 138_357_544, 0),
    "ResNet50": (25_636_712, 25_583_592, 53_120),
    "MobileNetV2": (3_538_984, 3_504_872, 34_112),
}


@pytest.mark.parametrize("name", APPLICATIONS)
def test_keras_applications_exactly(keras, name):
    """About 1-3 s each, mostly Keras building the model (weights=None)."""
    model = getattr(keras.applications, name)(weights=None)
    s = summarize(model)
    assert_matches_keras(model, s)
    expected = APPLICATIONS[name]
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == expected
    assert len(s) == len(model.layers)


def test_transfer_learning_with_a_frozen_base(keras):
    base = keras.applications.VGG16(
        weights=None, include_top=False, input_shape=(64, 64, 3)
    )
    base.trainable = False
    model = keras.Sequential(
        [keras.Input((64, 64, 3)), base, keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    s = summarize(model)
    assert_matches_keras(model, s)
    row = s[base.name]
    assert row.type == "Functional"
    assert (row.trainable, row.non_trainable) == (0, 14_714_688)
    assert isinstance(row.summary, Summary) and len(row.summary) == len(base.layers)
    assert "frozen (trainable=False)" in s.explain()
    # The same base in a functional model, unfrozen this time.
    base.trainable = True
    x = keras.Input((64, 64, 3))
    y = keras.layers.GlobalAveragePooling2D()(base(x))
    functional = keras.Model(x, keras.layers.Dense(3)(y))
    assert_matches_keras(functional, summarize(functional))


def test_unknown_spatial_sizes_stay_unknown(keras):
    x = keras.Input((None, None, 3))
    y = keras.layers.Conv2D(8, 3, strides=2, padding="same")(x)
    y = keras.layers.MaxPooling2D()(y)
    y = keras.layers.ZeroPadding2D(1)(y)
    y = keras.layers.GlobalAveragePooling2D()(y)
    model = keras.Model(x, keras.layers.Dense(4)(y))
    s = summarize(model)
    assert_matches_keras(model, s)
    assert s[model.layers[1].name].output_shape == (None, None, None, 8)
    assert "unknown (the input's height is None)" in s.explain()


def test_residual_branches_shared_layers_and_two_outputs(keras):
    L = keras.layers
    x = keras.Input((16, 16, 8), name="image")
    a = L.Conv2D(8, 3, padding="same", name="branch")(x)
    added = L.Add(name="residual")([x, a])
    joined = L.Concatenate(name="joined")([added, a, x])
    shared = L.Dense(5, name="shared")
    v1 = shared(L.GlobalMaxPooling2D()(joined))
    v2 = shared(L.GlobalAveragePooling2D()(joined))
    model = keras.Model(x, [v1, L.Concatenate(axis=1)([v1, v2])])
    s = summarize(model)
    assert_matches_keras(model, s)
    assert s["joined"].output_shape == (None, 16, 16, 24)
    assert s["residual"].inputs == ("image", "branch")
    assert s["shared"].params == 24 * 5 + 5  # counted once although used twice
    assert s.output_shapes == [(None, 5), (None, 10)]
    with pytest.raises(ValueError, match="has 2 outputs"):
        _ = s.output_shape
    text = s.explain()
    assert "    from: image, branch" in text
    assert "output: axis -1 joins 8 + 8 + 8 = 24" in text


def test_get_config_of_every_supported_layer_reads_as_a_plain_description(keras):
    """The plain form takes exactly Keras's settings: every key get_config gives."""
    L = keras.layers
    stack = [
        L.ZeroPadding2D(((1, 2), (0, 1))),
        L.Rescaling(1 / 255),
        L.Conv2D(6, 3, dilation_rate=2, groups=3, use_bias=False),
        L.BatchNormalization(center=False),
        L.ReLU(6.0),
        L.DepthwiseConv2D((3, 2), strides=2, padding="same", depth_multiplier=2),
        L.Activation("tanh"),
        L.SeparableConv2D(5, 2, depth_multiplier=3),
        L.AveragePooling2D(2, strides=1),
        L.MaxPooling2D(),
        L.Dropout(0.1),
        L.GlobalMaxPooling2D(keepdims=True),
        L.GlobalAveragePooling2D(),
        L.Reshape((-1, 1, 1)),
        L.Flatten(),
        L.Dense(3, trainable=False),
    ]
    model = keras.Sequential([keras.Input((20, 18, 3)), *stack])
    s = summarize(model)
    assert_matches_keras(model, s)
    config_layers = model.get_config()["layers"]
    assert config_layers[0]["class_name"] == "InputLayer"
    assert table(summarize(config_layers)) == table(s)
    pairs = [(type(layer).__name__, layer.get_config()) for layer in stack]
    from_pairs = summarize(pairs, input_shape=(20, 18, 3))
    assert table(from_pairs) == table(s)
    assert [r.name for r in from_pairs][1:] == [layer.name for layer in stack]


# --------------------------------------------------------------------------- #
# Random CNNs against Keras
# --------------------------------------------------------------------------- #

IMAGE_KINDS = [
    "Conv2D", "Conv2D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D",
    "MaxPooling2D", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D",
    "GlobalAveragePooling2D", "Flatten", "Dense", "Dropout", "BatchNormalization",
    "Activation", "ReLU", "ZeroPadding2D", "Rescaling", "Reshape", "Add",
    "Concatenate",
]  # fmt: skip
VECTOR_KINDS = [
    "Dense", "Dense", "Dropout", "BatchNormalization", "Activation", "ReLU",
    "Rescaling", "Flatten", "Reshape", "Add", "Concatenate",
]  # fmt: skip


def _pair(draw, lo, hi):
    """An int or a (rows, cols) pair, as Keras accepts both."""
    if draw(st.booleans()):
        return draw(st.integers(lo, hi))
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


def _as_pair(value):
    return value if isinstance(value, tuple) else (value, value)


def _window_config(draw, shape, *, conv: bool):
    """Kernel or pool, strides, padding and dilation that mostly fit ``shape``."""
    h, w = shape[1], shape[2]
    # Keras's convolutions read "SAME" as "same"; its pooling layers refuse it.
    padding = draw(
        st.sampled_from(["valid", "same", "SAME"] if conv else ["valid", "same"])
    )
    bad = draw(st.integers(0, 24)) == 0  # about 1 in 25 is meant to fail
    if bad:
        choice = draw(st.sampled_from(["too_big", "zero_stride", "stride_dilation"]))
        # (Keras meets a pool stride of 0 with a ZeroDivisionError, not a
        # ValueError, so pooling only gets a window that is too big.)
        if choice == "too_big" or not conv:
            return {"kernel_size" if conv else "pool_size": (h + 1, 1),
                    "padding": "valid"}, True  # fmt: skip
        if choice == "zero_stride":
            return {"kernel_size": 1, "strides": 0}, True
        return {"kernel_size": 1, "strides": 2, "dilation_rate": 2}, True
    dilation = _pair(draw, 1, 3) if conv and draw(st.booleans()) else 1
    dh, dw = _as_pair(dilation)
    strides = 1 if max(dh, dw) > 1 else _pair(draw, 1, 3)
    max_h = h if padding == "valid" else 6
    max_w = w if padding == "valid" else 6
    kh = draw(st.integers(1, max(1, min(5, (max_h - 1) // dh + 1))))
    kw = draw(st.integers(1, max(1, min(5, (max_w - 1) // dw + 1))))
    config = {"padding": padding}
    if conv:
        config.update(kernel_size=(kh, kw), strides=strides, dilation_rate=dilation)
    else:
        config.update(pool_size=(kh, kw))
        config["strides"] = None if draw(st.booleans()) else strides
    return config, False


def _random_layer(draw, kind, shape):
    """(config, meant_to_fail) for a layer of ``kind`` after ``shape``."""
    c = shape[-1]
    common = {}
    if draw(st.integers(0, 9)) == 0:
        common["trainable"] = False
    if kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D"):
        config, bad = _window_config(draw, shape, conv=True)
        config["use_bias"] = draw(st.booleans())
        if kind == "Conv2D":
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
            config["filters"] = groups * draw(st.integers(1, 4))
            config["groups"] = groups
        else:
            config["depth_multiplier"] = draw(st.integers(1, 3))
        if kind == "SeparableConv2D":
            config["filters"] = draw(st.integers(1, 8))
        return {**config, **common}, bad
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return _window_config(draw, shape, conv=False)
    if kind in ("GlobalMaxPooling2D", "GlobalAveragePooling2D"):
        return {"keepdims": draw(st.booleans())}, False
    if kind == "Dense":
        return {"units": draw(st.integers(1, 16)), "use_bias": draw(st.booleans()),
                **common}, False  # fmt: skip
    if kind == "BatchNormalization":
        axis = draw(st.sampled_from([-1, *range(1, len(shape))]))
        return {"axis": axis, "center": draw(st.booleans()),
                "scale": draw(st.booleans()), **common}, False  # fmt: skip
    if kind == "ZeroPadding2D":
        form = draw(st.integers(0, 2))
        if form == 0:
            return {"padding": draw(st.integers(0, 3))}, False
        if form == 1:
            return {
                "padding": (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
            }, False
        return {"padding": tuple(tuple(draw(st.lists(st.integers(0, 3), min_size=2,
                max_size=2))) for _ in range(2))}, False  # fmt: skip
    if kind == "Reshape":
        if len(shape) == 4:
            target = draw(st.sampled_from([(-1, c), (shape[1], -1), (-1,)]))
        else:
            target = draw(st.sampled_from([(1, 1, -1), (-1, 1), (-1, 1, 1)]))
        return {"target_shape": target}, False
    if kind == "Dropout":
        return {"rate": 0.25}, False
    if kind == "Activation":
        return {
            "activation": draw(st.sampled_from(["relu", "sigmoid", "linear"]))
        }, False
    if kind == "ReLU":
        return {"max_value": draw(st.sampled_from([None, 6.0]))}, False
    if kind == "Rescaling":
        return {"scale": 1 / 255, "offset": draw(st.sampled_from([0.0, -1.0]))}, False
    return {}, False  # Flatten


def _random_model(keras, data):
    """A random CNN built with Keras, and its plain description when sequential.

    Each layer is chosen from the shape Keras gives the previous one, so the
    generator never relies on the code under test.
    """
    draw = data.draw
    L = keras.layers
    input_shape = (draw(st.integers(1, 32)), draw(st.integers(1, 32)),
                   draw(st.integers(1, 6)))  # fmt: skip
    x = keras.Input(input_shape)
    t, specs, sequential, failed = x, [], True, None
    for _ in range(draw(st.integers(1, 8))):
        shape = tuple(t.shape)
        kind = draw(st.sampled_from(IMAGE_KINDS if len(shape) == 4 else VECTOR_KINDS))
        if kind in ("Add", "Concatenate"):
            sequential = False
            if len(shape) == 4:
                branch = L.Conv2D(shape[-1], _pair(draw, 1, 3), padding="same")(t)
            else:
                branch = L.Dense(shape[-1])(t)
            inputs = [t, branch] + [branch] * draw(st.integers(0, 1))
            axis = draw(st.sampled_from([-1, *range(1, len(shape))]))
            t = L.Add()(inputs) if kind == "Add" else L.Concatenate(axis=axis)(inputs)
            continue
        config, bad = _random_layer(draw, kind, shape)
        try:
            t = getattr(L, kind)(**config)(t)
        except ValueError:
            assert bad, f"Keras refused {kind}({config}) after {shape}"
            failed = (kind, config)
            break
        assert not bad, f"Keras accepted {kind}({config}) after {shape}"
        specs.append((kind, config))
    return input_shape, keras.Model(x, t), specs if sequential else None, failed


@settings(max_examples=MODEL_EXAMPLES)
@given(data=st.data())
def test_random_cnns_match_keras_layer_by_layer(keras, data):
    input_shape, model, specs, failed = _random_model(keras, data)
    s = summarize(model)
    assert_matches_keras(model, s)
    event("functional (Add or Concatenate)" if specs is None else "sequential")
    if specs is not None:
        assert table(summarize(specs, input_shape=input_shape)) == table(s)
        if failed:
            event("a layer Keras refuses, which cnnkit refuses too")
            with pytest.raises(
                ValueError, match=rf"^layer '[a-z_0-9]+' \({failed[0]}\)"
            ):
                summarize([*specs, failed], input_shape=input_shape)


# --------------------------------------------------------------------------- #
# The working, as a student would write it
# --------------------------------------------------------------------------- #


def test_explain_shows_the_arithmetic_of_the_awake_drowsy_model():
    text = summarize(AWAKE, input_shape=(64, 64, 3)).explain()
    for line in [
        "conv2d (Conv2D): output (None, 64, 64, 32), 896 params",
        'height and width: ceil(64 / 1) = 64 with padding="same", which adds 1 + 1:',
        "floor((64 - 3 + 2*1) / 1) + 1 = 64",
        "params: (3 x 3 x 3 + 1) x 32 = 896",
        "height and width: floor((64 - 2 + 2*0) / 2) + 1 = 32",
        "params: 0 (pooling has no weights)",
        "params: (3 x 3 x 32 + 1) x 64 = 18,496",
        "length: 16 x 16 x 64 = 16,384",
        "params: 16384 x 128 + 128 = 2,097,280",
        "params: 0 (dropout has no weights)",
        "params: 128 x 2 + 2 = 258",
        "Total params: 2,116,930",
    ]:
        assert line in text
    assert isinstance(text, str) and repr(text) == str(text)  # no quotes in Jupyter


def test_explain_shows_same_padding_with_a_stride_as_ceil():
    s = summarize([_conv_same(8, strides=2)], input_shape=(64, 64, 3))
    lines = s["conv2d"].working
    assert (
        lines[0]
        == 'height and width: ceil(64 / 2) = 32 with padding="same", which adds 0 + 1:'
    )
    assert lines[1] == "    floor((64 - 3 + 0 + 1) / 2) + 1 = 32"


def test_explain_batchnorm_four_per_channel_two_trainable():
    s = summarize(["BatchNormalization"], input_shape=(8, 8, 32))
    assert s["batch_normalization"].working[1:] == (
        "params: 4 x 32 = 128, of which 2 x 32 = 64 trainable (gamma, beta)",
        "    and 2 x 32 = 64 non-trainable (moving mean and variance)",
    )
    s = summarize([("BatchNormalization", {"center": False})], input_shape=(4, 16))
    assert "params: 3 x 16 = 48, of which 1 x 16 = 16 trainable (gamma)" in s.explain()


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (("Conv2D", {"filters": 4, "kernel_size": (3, 5)}), (28, 20, 1),
         ["height: floor((28 - 3 + 2*0) / 1) + 1 = 26",
          "width: floor((20 - 5 + 2*0) / 1) + 1 = 16"]),
        (("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}), (9, 9, 1),
         ["height and width: kernel 3 with dilation 2 spans 2*(3 - 1) + 1 = 5",
          "    floor((9 - 5 + 2*0) / 1) + 1 = 5"]),
        (("Conv2D", {"filters": 32, "kernel_size": 3, "use_bias": False}), (8, 8, 3),
         ["params: 3 x 3 x 3 x 32 = 864"]),
        (("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}), (8, 8, 8),
         ["params: (3 x 3 x (8 / 2) + 1) x 4 = 148"]),
        (("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}), (8, 8, 32),
         ["channels: 32 x 2 = 64, 2 kernels per input channel",
          "params: (3 x 3 + 1) x 32 x 2 = 640"]),
        (("SeparableConv2D", {"filters": 64, "kernel_size": 3}), (8, 8, 32),
         ["params: 3 x 3 x 32 (depthwise) + (32 + 1) x 64 (pointwise) = 2,400"]),
        (("GlobalAveragePooling2D", {}), (7, 7, 512),
         ["output: the mean of each channel's 7 x 7 values, 512 channels"]),
        (("ZeroPadding2D", {"padding": ((1, 2), (3, 3))}), (5, 5, 1),
         ["height: 5 + 1 + 2 = 8", "width: 5 + 3 + 3 = 11"]),
        (("Reshape", {"target_shape": (-1, 4)}), (3, 3, 4),
         ["output: the -1 becomes 36 / 4 = 9"]),
        (("Dense", {"units": 3, "trainable": False}), (10,),
         ["params: 10 x 3 + 3 = 33",
          "frozen (trainable=False): all its parameters are non-trainable"]),
        (("Dense", {"units": 3}), (4, 10),
         ["output: 3 units at each position (applied to the last axis)"]),
    ],
)  # fmt: skip
def test_explain_lines_for_each_kind_of_layer(layer, input_shape, expected):
    row = summarize([layer], input_shape=input_shape)[1]
    for line in expected:
        assert line in row.working


def test_summary_prints_as_a_table_and_renders_html():
    s = summarize(MNIST, input_shape=(28, 28, 1))
    text = str(s)
    assert text.splitlines()[0] == 'Model: "sequential"'
    assert "conv2d_1 (Conv2D)" in text and "11,300" in text
    assert text.endswith("Non-trainable params: 0")
    assert repr(s) == text
    page = s._repr_html_()
    assert page.count("<tr>") == len(s) + 1 and "(3 x 3 x 25 + 1) x 50 = 11,300" in page
    odd = summarize([("Dense", {"units": 2, "name": "a<b>"})], input_shape=(3,))
    assert "a&lt;b&gt; (Dense)" in odd._repr_html_()


def test_summary_indexing():
    s = summarize(MNIST, input_shape=(28, 28, 1))
    assert isinstance(s[0], Row) and s[0].type == "InputLayer"
    assert s["dense_1"] is s[-1] and len(s) == len(list(s)) == 8
    with pytest.raises(KeyError, match="no layer named 'dense_2'"):
        s["dense_2"]


# --------------------------------------------------------------------------- #
# Plain descriptions: forms, names, input shapes
# --------------------------------------------------------------------------- #


def test_plain_description_forms_aliases_and_names():
    s = summarize(
        [
            ("Input", {"shape": (8, 8, 3)}),
            "ReLU",
            {"class_name": "MaxPool2D", "config": {}},
            ("Conv2D", {"filters": 2, "kernel_size": 1, "name": "mine"}),
            ("Conv2D", {"filters": 2, "kernel_size": 1}),
            "GlobalAvgPool2D",
        ]
    )
    assert [(r.name, r.type) for r in s] == [
        ("input_layer", "InputLayer"),
        ("re_lu", "ReLU"),
        ("max_pooling2d", "MaxPooling2D"),
        ("mine", "Conv2D"),
        ("conv2d", "Conv2D"),
        ("global_average_pooling2d", "GlobalAveragePooling2D"),
    ]
    assert s.output_shape == (None, 2)


def test_plain_description_takes_a_keras_2_input_shape_on_the_first_layer():
    layers = [("Conv2D", {"filters": 32, "kernel_size": 3, "input_shape": (64, 64, 3)})]
    assert summarize(layers).output_shape == (None, 62, 62, 32)
    assert summarize([("Dense", {"units": 4, "input_dim": 10})]).total_params == 44


@pytest.mark.parametrize(
    "layers, kwargs, error, message",
    [
        ([("Conv2D", {"filters": 8, "kernel_size": 5})], {"input_shape": (3, 3, 1)},
         ValueError, r"^layer 'conv2d' \(Conv2D\): kernel of size 5 does not fit "
                     r'input height 3 with padding="valid"$'),
        ([("Conv2D", {"filters": 8, "kernel_size": (1, 4)})],
         {"input_shape": (9, 3, 1)},
         ValueError, "kernel of size 4 does not fit input width 3"),
        ([("Conv2D", {"filters": 8, "kernel_size": 3, "dilation_rate": 3})],
         {"input_shape": (6, 6, 1)},
         ValueError, r"kernel of size 3 \(dilation 3 makes it span 7\) does not fit"),
        (["MaxPooling2D", "MaxPooling2D"], {"input_shape": (3, 3, 1)},
         ValueError, r"^layer 'max_pooling2d_1' \(MaxPooling2D\): pool window of "
                     "size 2 does not fit input height 1"),
        ([("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 0})],
         {"input_shape": (9, 9, 1)},
         ValueError, r"^layer 'conv2d' \(Conv2D\): strides must be a positive "
                     "integer, got 0"),
        ([("MaxPooling2D", {"strides": (2, -1)})], {"input_shape": (9, 9, 1)},
         ValueError, "strides must be a positive integer, got -1"),
        ([("Conv2D", {"filters": 0, "kernel_size": 3})], {"input_shape": (9, 9, 1)},
         ValueError, "filters must be a positive integer, got 0"),
        ([("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2,
                      "dilation_rate": 2})], {"input_shape": (9, 9, 1)},
         ValueError, "Keras does not allow a stride above 1 together with a dilation"),
        ([("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2})],
         {"input_shape": (9, 9, 3)},
         ValueError, r"input channels \(3\) must be a multiple of groups=2"),
        ([("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "full"})],
         {"input_shape": (9, 9, 1)}, ValueError, 'padding must be "valid" or "same"'),
        ([("Conv2D", {"filters": 4, "kernel_size": 3,
                      "data_format": "channels_first"})],
         {"input_shape": (1, 9, 9)}, ValueError, "data_format='channels_first' is not"),
        (["Flatten", ("Conv2D", {"filters": 4, "kernel_size": 1})],
         {"input_shape": (4, 4, 1)}, ValueError,
         r"needs an input of shape \(batch, height, width, channels\), "
         r"got \(None, 16\)"),
        ([("LSTM", {"units": 4})], {"input_shape": (4, 4)},
         ValueError,
         r"^layer 'layers\[0\]' \(LSTM\): cnnkit does not know this type"),
        ([("Conv1D", {"filters": 4, "kernel_size": 3, "name": "c1"})],
         {"input_shape": (9, 1)},
         ValueError, r"^layer 'c1' \(Conv1D\): cnnkit does not"),
        (["MaxPoolling2D"], {"input_shape": (4, 4, 1)},
         ValueError, "did you mean 'MaxPooling2D'"),
        ([("Conv2D", {"filters": 4, "kernel_size": 3, "stride": 2})],
         {"input_shape": (9, 9, 1)},
         TypeError, r"unknown setting 'stride'; did you mean 'strides'\?"),
        ([("Conv2D", {"filters": 4})], {"input_shape": (9, 9, 1)},
         TypeError, r"^layer 'conv2d' \(Conv2D\): needs the setting 'kernel_size'"),
        ([("Conv2D", {"filters": 4.0, "kernel_size": 3})], {"input_shape": (9, 9, 1)},
         TypeError, "filters must be a positive integer, got 4.0"),
        ([("Conv2D", {"filters": 4, "kernel_size": 3, "use_bias": "no"})],
         {"input_shape": (9, 9, 1)}, TypeError, "use_bias must be True or False"),
        (["Flatten", ("Dense", {"units": 2, "input_shape": (3,)})],
         {"input_shape": (4, 4, 1)},
         TypeError, "only the first layer may give the input shape"),
        (["Add"], {"input_shape": (4, 4, 1)},
         ValueError, "functional API"),
        (["Flatten"], {}, ValueError, "needs its input shape"),
        (["Flatten"], {"input_shape": (4, 0)}, ValueError,
         r"input_shape must be a tuple of positive ints"),
        ([("Input", {"shape": (4, 4)}), "Flatten"], {"input_shape": (5, 5)},
         ValueError, r"two different input shapes: input_shape says \(5, 5\)"),
        (["Flatten", ("Input", {"shape": (4,)})], {"input_shape": (4,)},
         ValueError, "an input can only come first"),
        ([("Dense", {"units": 2, "name": "d"}), ("Dense", {"units": 2, "name": "d"})],
         {"input_shape": (3,)}, ValueError, "two layers are named 'd'"),
        ([42], {"input_shape": (3,)}, TypeError, r"layers\[0\] must be a layer type"),
        ([("Reshape", {"target_shape": (5, 5)})], {"input_shape": (4, 4)},
         ValueError,
         r"cannot reshape 16 values \(input \(None, 4, 4\)\) into \(5, 5\)"),
        ([("Reshape", {"target_shape": (-1, 5)})], {"input_shape": (4, 4)},
         ValueError, "16 is not a multiple of 5"),
        ([("Reshape", {"target_shape": (-1, -1)})], {"input_shape": (4, 4)},
         ValueError, "at most one -1"),
        ([("BatchNormalization", {"axis": 3})], {"input_shape": (4, 4)},
         ValueError, r"axis 3 is not a feature axis of its input \(None, 4, 4\)"),
        ([("BatchNormalization", {"renorm": True})], {"input_shape": (4,)},
         ValueError, "renorm=True adds weights cnnkit does not count"),
        ([("Dense", {"units": 2, "lora_rank": 2})], {"input_shape": (4,)},
         ValueError, "lora_rank=2 adds weights cnnkit does not count"),
        ([("ZeroPadding2D", {"padding": "same"})], {"input_shape": (4, 4, 1)},
         ValueError, "padding must be an int"),
        ([("ZeroPadding2D", {"padding": -1})], {"input_shape": (4, 4, 1)},
         ValueError, "padding must not be negative"),
    ],
)  # fmt: skip
def test_bad_input_is_explained(layers, kwargs, error, message):
    with pytest.raises(error, match=message):
        summarize(layers, **kwargs)


def test_summarize_rejects_what_is_not_a_model():
    with pytest.raises(TypeError, match="must be a built Keras model or a list"):
        summarize("Conv2D")
    with pytest.raises(TypeError, match="must be a built Keras model or a list"):
        summarize(None)


def test_keras_errors_name_the_layer(keras):
    L = keras.layers
    unbuilt = keras.Sequential([L.Dense(3)])
    with pytest.raises(ValueError, match="has no inputs yet"):
        summarize(unbuilt)
    model = keras.Sequential([keras.Input((5, 3)), L.Conv1D(2, 3, name="c1d")])
    with pytest.raises(
        ValueError, match=r"^layer 'c1d' \(Conv1D\): cnnkit does not know"
    ):
        summarize(model)
    with pytest.raises(TypeError, match="input_shape is only for a plain description"):
        summarize(model, input_shape=(5, 3))

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    subclassed = Subclassed()
    subclassed(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="is a subclassed model"):
        summarize(subclassed)
    x = keras.Input((4, 4, 2))
    with pytest.raises(ValueError, match=r"keras\.ops operation, not a layer"):
        summarize(keras.Model(x, x + x))


@pytest.mark.parametrize(
    "kind, config, shapes, message",
    [
        ("Concatenate", {"axis": 1}, [(None, 4, 4, 2), (None, 4, 5, 2)],
         r"inputs must match on every axis but 1 to be joined, got "
         r"\(None, 4, 4, 2\), \(None, 4, 5, 2\)"),
        ("Concatenate", {"axis": 0}, [(None, 4), (None, 4)],
         "axis 0 is not a feature axis"),
        ("Add", {}, [(None, 4, 4, 2), (None, 4, 4, 3)],
         "inputs must have the same shape to be added"),
        ("Add", {}, [], "needs at least one input"),
        ("Dense", {"units": 2}, [(None, 4, None)], "last axis of its input"),
        ("Dense", {"units": 2}, [(None, 4), (None, 4)], "takes one input, got 2"),
    ],
)  # fmt: skip
def test_merge_and_graph_errors(kind, config, shapes, message):
    """Keras refuses these graphs before cnnkit could see them, so the checks
    (there for the duck-typed reading of any graph) are called directly."""
    from cnnkit.summary import _compute, _Layer

    with pytest.raises(ValueError, match=message):
        _compute(_Layer("merge", kind, config), shapes, trainable=True)


def test_summarize_needs_no_tensorflow():
    """The plain description works where TensorFlow and Keras cannot be imported."""
    code = """
import sys
sys.modules["tensorflow"] = None
sys.modules["keras"] = None
import cnnkit
s = cnnkit.summarize(
    [("Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same"}),
     "BatchNormalization", "MaxPooling2D", "Flatten", ("Dense", {"units": 2})],
    input_shape=(64, 64, 3))
print(s.total_params, s.trainable_params, s.non_trainable_params)
print(s.explain().splitlines()[6])
try:
    import tensorflow
except ImportError:
    print("tensorflow blocked")
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "66562 66498 64",
        "    params: (3 x 3 x 3 + 1) x 32 = 896",
        "tensorflow blocked",
    ]
