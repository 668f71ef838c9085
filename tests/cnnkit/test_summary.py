"""Tests for cnnkit.summary as a whole: whole models, checked against Keras.

The lecture notes' models appear with the numbers Keras gives, not the notes'
own; famous architectures and hundreds of random CNNs are compared with Keras
layer by layer. Each part of the package has its own test module as well:
test_summary_rules, _settings, _plain, _keras_graph and _result.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _summary_reference import (
    AWAKE_BN,
    MNIST,
    MNIST_ROWS,
    NOTES_MODELS,
    RGB_200,
    assert_matches_keras,
    import_keras,
    keras_model,
    table,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st

import cnnkit
import cnnkit.summary
from cnnkit.summary import Row, Summary, summarize

REPO = Path(__file__).resolve().parents[2]

# Building a Keras model takes tens of milliseconds, so the random-model
# property runs a quarter of the profile's examples: 50 models under make
# test's standard profile, 500 under the thorough one (make bench).
MODEL_EXAMPLES = max(10, settings().max_examples // 4)


@pytest.fixture(scope="module")
def keras():
    return import_keras()


def test_public_names_are_exported_from_the_package():
    assert cnnkit.summarize is summarize is cnnkit.summary.summarize
    assert cnnkit.Summary is Summary
    assert cnnkit.summary.Row is Row


def test_the_package_imports_from_anywhere():
    """The editable install (and a wheel) finds the subpackage from any folder."""
    code = "import cnnkit.summary.rules, cnnkit.summary.keras_graph; print('ok')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd="/", capture_output=True, text=True
    )
    assert result.stdout == "ok\n", result.stderr


# --------------------------------------------------------------------------- #
# The lecture notes' models, with the numbers Keras gives
# --------------------------------------------------------------------------- #


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
    model = keras_model(keras, layers, input_shape)
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
    model = keras_model(keras, layers, (6, 6, 1))
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


# --------------------------------------------------------------------------- #
# Models that prepare and augment their images
# --------------------------------------------------------------------------- #


def test_augmentation_and_preprocessing_layers_match_keras(keras):
    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.RandomFlip("horizontal"),
            L.RandomRotation(0.1),
            L.RandomTranslation(0.1, 0.1),
            L.RandomZoom(0.1),
            L.RandomContrast(0.1),
            L.Resizing(32, 32),
            L.Rescaling(1 / 255),
            L.Conv2D(8, 3),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dense(10),
        ]
    )
    s = summarize(model)
    assert_matches_keras(model, s)
    assert s["resizing"].output_shape == (None, 32, 32, 1)
    assert table(summarize(model.get_config()["layers"])) == table(s)


def test_the_pretrained_scripts_training_model_matches_keras(keras):
    from cnnkit import pretrained

    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.RandomTranslation(pretrained.TRANSLATION, pretrained.TRANSLATION),
            L.RandomRotation(pretrained.ROTATION),
            pretrained.build_classifier(pretrained.build_base()),
        ]
    )
    assert_matches_keras(model, summarize(model))


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
# What summarize takes
# --------------------------------------------------------------------------- #


def test_summarize_rejects_what_is_not_a_model():
    with pytest.raises(TypeError, match="must be a built Keras model or a list"):
        summarize("Conv2D")
    with pytest.raises(TypeError, match="must be a built Keras model or a list"):
        summarize(None)


@pytest.mark.parametrize(
    "model, hint",
    [
        ("Flatten", "['Flatten']"),
        (("Dense", {"units": 2}), "[('Dense', {'units': 2})]"),
    ],
)
def test_one_layer_is_not_a_list_of_layers(model, hint):
    with pytest.raises(TypeError, match=r"list of layer descriptions, got") as err:
        summarize(model, (4,))
    assert "carries its own input shape" not in str(err.value)
    assert str(err.value).endswith(f"; for one layer, write {hint}")


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
