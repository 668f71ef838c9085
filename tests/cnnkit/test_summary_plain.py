"""Tests for cnnkit.summary.plain: reading a list of layers, no Keras needed."""

from __future__ import annotations

import pytest
from _summary_reference import assert_matches_keras, import_keras, table

from cnnkit.summary import summarize


@pytest.fixture(scope="module")
def keras():
    return import_keras()


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
        ([("LSTM", {"units": 4})], {"input_shape": (4, 4)},
         ValueError,
         r"^layer 'layers\[0\]' \(LSTM\): cnnkit does not support this type of "
         "layer: it is a layer for sequences"),
        ([("Conv1D", {"filters": 4, "kernel_size": 3, "name": "c1"})],
         {"input_shape": (9, 1)},
         ValueError, r"^layer 'c1' \(Conv1D\): cnnkit does not support .* 2-D"),
        ([("Conv4D", {})], {"input_shape": (9, 1)},
         ValueError, r"cnnkit does not know this type of layer.*SUPPORTED"),
        (["MaxPoolling2D"], {"input_shape": (4, 4, 1)},
         ValueError, "did you mean 'MaxPooling2D'"),
        (["Add"], {"input_shape": (4, 4, 1)},
         ValueError, "functional API"),
        (["Flatten"], {}, ValueError, "needs its input shape"),
        (["Flatten"], {"input_shape": (4, 0)}, ValueError,
         r"input_shape must be a tuple of positive ints"),
        ([("Input", {"shape": (4, 4)}), "Flatten"], {"input_shape": (5, 5)},
         ValueError, r"two different input shapes: input_shape says \(5, 5\)"),
        ([("Input", {"batch_shape": 4}), "Flatten"], {},
         ValueError, r"batch_shape must be a tuple, got 4"),
        (["Flatten", ("Input", {"shape": (4,)})], {"input_shape": (4,)},
         ValueError, "an input can only come first"),
        ([("Dense", {"units": 2, "name": "d"}), ("Dense", {"units": 2, "name": "d"})],
         {"input_shape": (3,)}, ValueError, "two layers are named 'd'"),
        ([42], {"input_shape": (3,)}, TypeError, r"layers\[0\] must be a layer type"),
    ],
)  # fmt: skip
def test_a_bad_description_is_explained(layers, kwargs, error, message):
    with pytest.raises(error, match=message):
        summarize(layers, **kwargs)


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
