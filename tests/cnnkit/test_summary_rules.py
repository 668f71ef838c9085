"""Tests for cnnkit.summary.rules: each layer type's rule, against Keras.

Every layer type with a rule is built in Keras with settings it accepts and
compared shape for shape and count for count; the working each rule writes
is checked against the chapter's arithmetic; each error names the layer.
"""

from __future__ import annotations

import pytest
from _summary_reference import (
    LAYER_SAMPLES,
    assert_matches_keras,
    conv_same,
    import_keras,
    table,
)

from cnnkit.summary import summarize
from cnnkit.summary.rules import MERGES, NOT_SUPPORTED, RULES, SUPPORTED, compute
from cnnkit.summary.settings import LayerSettings


@pytest.fixture(scope="module")
def keras():
    return import_keras()


def test_every_layer_type_with_one_input_has_a_sample():
    assert set(LAYER_SAMPLES) == set(RULES) - set(MERGES)


@pytest.mark.parametrize("kind", LAYER_SAMPLES)
def test_each_layer_type_matches_keras(keras, kind):
    """Keras's output shape and counts, from the Keras model and from its config."""
    settings, input_shape = LAYER_SAMPLES[kind]
    layer = getattr(keras.layers, kind)(**settings)
    plain = summarize([(kind, layer.get_config())], input_shape=input_shape)
    try:
        model = keras.Sequential([keras.Input(input_shape), layer])
    except ValueError as err:  # Equalization in Keras 3.15: its output is its input
        assert "is part of a cycle" in str(err)
        shape = tuple(layer.compute_output_shape((None, *input_shape)))
        assert (plain.output_shape, plain.total_params) == (shape, 0)
        return
    s = summarize(model)
    assert_matches_keras(model, s)
    assert table(plain) == table(s)


@pytest.mark.parametrize("kind", ["Add", "Subtract", "Multiply", "Average",
                                  "Maximum", "Minimum"])  # fmt: skip
def test_element_wise_merges_match_keras(keras, kind):
    L = keras.layers
    x = keras.Input((6, 6, 4))
    branch = L.Conv2D(4, 3, padding="same")(x)
    pooled = L.GlobalAveragePooling2D(keepdims=True)(x)  # (1, 1, 4) broadcasts
    merged = getattr(L, kind)()(
        [x, branch] if kind == "Subtract" else [x, branch, pooled]
    )
    model = keras.Model(x, L.Dense(2)(L.Flatten()(merged)))
    s = summarize(model)
    assert_matches_keras(model, s)
    assert s[merged._keras_history[0].name].output_shape == (None, 6, 6, 4)


@pytest.mark.parametrize("axes, normalize", [(1, False), (-1, True), ((1, 2), False)])
def test_dot_matches_keras(keras, axes, normalize):
    L = keras.layers
    a, b = keras.Input((4, 3)), keras.Input((3, 4))
    x = L.Permute((2, 1))(b) if axes != (1, 2) else b
    model = keras.Model([a, b], L.Dot(axes, normalize=normalize)([a, x]))
    assert_matches_keras(model, summarize(model))
    u, v = keras.Input((5,)), keras.Input((5,))
    vectors = keras.Model([u, v], L.Dot(1)([u, v]))
    assert summarize(vectors).output_shape == (None, 1)


def test_every_keras_layer_has_a_rule_or_a_reason_for_none(keras):
    """A Keras release with a new layer type makes this fail until it is sorted."""
    keras_layers = {
        cls.__name__
        for cls in vars(keras.layers).values()
        if isinstance(cls, type) and issubclass(cls, keras.layers.Layer)
    }
    assert not set(SUPPORTED) & set(NOT_SUPPORTED)
    assert keras_layers - set(SUPPORTED) - set(NOT_SUPPORTED) == set()
    assert set(SUPPORTED) - keras_layers == set()


def test_a_layer_with_no_rule_says_why(keras):
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.Conv1D(2, 3, name="c")])
    reason = "cnnkit does not support this type of layer: cnnkit counts the 2-D"
    with pytest.raises(ValueError, match=rf"^layer 'c' \(Conv1D\): {reason}"):
        summarize(model)


# --------------------------------------------------------------------------- #
# The working, as a student would write it
# --------------------------------------------------------------------------- #


def test_explain_shows_same_padding_with_a_stride_as_ceil():
    s = summarize([conv_same(8, strides=2)], input_shape=(64, 64, 3))
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
        (("MaxPooling3D", {"pool_size": (1, 2, 2)}), (4, 8, 8, 2),
         ["depth: floor((4 - 1 + 2*0) / 1) + 1 = 4",
          "height: floor((8 - 2 + 2*0) / 2) + 1 = 4",
          "width: floor((8 - 2 + 2*0) / 2) + 1 = 4"]),
        (("AveragePooling1D", {"pool_size": 3}), (9, 2),
         ["length: floor((9 - 3 + 2*0) / 3) + 1 = 3"]),
        (("UpSampling3D", {}), (2, 2, 2, 1),
         ["depth, height and width: 2 x 2 = 4"]),
        (("Cropping2D", {"cropping": ((1, 2), (0, 3))}), (9, 8, 3),
         ["height: 9 - 1 - 2 = 6", "width: 8 - 0 - 3 = 5"]),
        (("Resizing", {"height": 32, "width": 32}), (28, 28, 1),
         ["height and width: 28 x 28 resized to 32 x 32"]),
        (("RandomFlip", {}), (28, 28, 1),
         ["output: same shape as the input",
          "params: 0 (it changes the pixels and learns nothing)"]),
        (("AdaptiveAveragePooling2D", {"output_size": (2, 3)}), (9, 8, 3),
         ["output: the mean of each of 2 x 3 regions of each channel "
          "(output_size, whatever the input's size)"]),
    ],
)  # fmt: skip
def test_explain_lines_for_each_kind_of_layer(layer, input_shape, expected):
    row = summarize([layer], input_shape=input_shape)[1]
    for line in expected:
        assert line in row.working


# --------------------------------------------------------------------------- #
# Errors, each naming the layer
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "layers, input_shape, error, message",
    [
        ([("Conv2D", {"filters": 8, "kernel_size": 5})], (3, 3, 1),
         ValueError, r"^layer 'conv2d' \(Conv2D\): kernel of size 5 does not fit "
                     r'input height 3 with padding="valid"$'),
        ([("Conv2D", {"filters": 8, "kernel_size": (1, 4)})], (9, 3, 1),
         ValueError, "kernel of size 4 does not fit input width 3"),
        ([("Conv2D", {"filters": 8, "kernel_size": 3, "dilation_rate": 3})], (6, 6, 1),
         ValueError, r"kernel of size 3 \(dilation 3 makes it span 7\) does not fit"),
        (["MaxPooling2D", "MaxPooling2D"], (3, 3, 1),
         ValueError, r"^layer 'max_pooling2d_1' \(MaxPooling2D\): pool window of "
                     "size 2 does not fit input height 1"),
        ([("MaxPooling1D", {"pool_size": 4})], (3, 1),
         ValueError, "pool window of size 4 does not fit input length 3"),
        ([("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 0})], (9, 9, 1),
         ValueError, r"^layer 'conv2d' \(Conv2D\): strides must be a positive "
                     "integer, got 0"),
        ([("MaxPooling2D", {"strides": (2, -1)})], (9, 9, 1),
         ValueError, "strides must be a positive integer, got -1"),
        ([("MaxPooling3D", {"strides": (2, 2)})], (4, 4, 4, 1),
         ValueError, r"strides must be an int or 3 ints, got \(2, 2\)"),
        ([("Conv2D", {"filters": 0, "kernel_size": 3})], (9, 9, 1),
         ValueError, "filters must be a positive integer, got 0"),
        ([("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2,
                      "dilation_rate": 2})], (9, 9, 1),
         ValueError, "Keras does not allow a stride above 1 together with a dilation"),
        ([("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2})], (9, 9, 3),
         ValueError, r"input channels \(3\) must be a multiple of groups=2"),
        ([("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "full"})], (9, 9, 1),
         ValueError, 'padding must be "valid" or "same"'),
        ([("Conv2D", {"filters": 4, "kernel_size": 3,
                      "data_format": "channels_first"})], (1, 9, 9),
         ValueError, "data_format='channels_first' is not"),
        (["Flatten", ("Conv2D", {"filters": 4, "kernel_size": 1})], (4, 4, 1),
         ValueError, r"needs an input of shape \(batch, height, width, channels\), "
                     r"got \(None, 16\)"),
        (["UpSampling3D"], (4, 4, 1),
         ValueError, r"needs an input of shape \(batch, depth, height, width, "
                     r"channels\)"),
        ([("Reshape", {"target_shape": (5, 5)})], (4, 4),
         ValueError, r"cannot reshape 16 values \(input \(None, 4, 4\)\) into "
                     r"\(5, 5\)"),
        ([("Reshape", {"target_shape": (-1, 5)})], (4, 4),
         ValueError, "16 is not a multiple of 5"),
        ([("Reshape", {"target_shape": (-1, -1)})], (4, 4),
         ValueError, "at most one -1"),
        ([("Permute", {"dims": (1, 1)})], (4, 4),
         ValueError, r"dims must order the axes 1 to 2 of its input \(None, 4, 4\)"),
        ([("RepeatVector", {"n": 2})], (4, 4),
         ValueError, r"needs an input of shape \(batch, features\)"),
        ([("BatchNormalization", {"axis": 3})], (4, 4),
         ValueError, r"axis 3 is not a feature axis of its input \(None, 4, 4\)"),
        ([("BatchNormalization", {"renorm": True})], (4,),
         ValueError, "renorm=True adds weights cnnkit does not count"),
        ([("Dense", {"units": 2, "lora_rank": 2})], (4,),
         ValueError, "lora_rank=2 adds weights cnnkit does not count"),
        ([("ZeroPadding2D", {"padding": "same"})], (4, 4, 1),
         TypeError, r"padding must be an int, \(rows, cols\) or"),
        ([("ZeroPadding2D", {"padding": -1})], (4, 4, 1),
         ValueError, "of non-negative ints, got -1"),
        ([("ZeroPadding3D", {"padding": (1, 2)})], (4, 4, 4, 1),
         ValueError, r"padding must be an int or 3 \(before, after\) pairs"),
        ([("Cropping1D", {"cropping": (2, 2)})], (4, 1),
         ValueError, "cropping leaves nothing of input length 4: 4 - 2 - 2 = 0"),
        ([("Resizing", {"height": 0, "width": 4})], (4, 4, 1),
         ValueError, "height must be a positive integer, got 0"),
    ],
)  # fmt: skip
def test_bad_settings_are_explained(layers, input_shape, error, message):
    with pytest.raises(error, match=message):
        summarize(layers, input_shape=input_shape)


@pytest.mark.parametrize(
    "kind, config, shapes, message",
    [
        ("Concatenate", {"axis": 1}, [(None, 4, 4, 2), (None, 4, 5, 2)],
         r"inputs must match on every axis but 1 to be joined, got "
         r"\(None, 4, 4, 2\), \(None, 4, 5, 2\)"),
        ("Concatenate", {"axis": 0}, [(None, 4), (None, 4)],
         "axis 0 is not a feature axis"),
        ("Add", {}, [(None, 4, 4, 2), (None, 4, 4, 3)],
         "inputs must have the same shape for an element-wise sum"),
        ("Add", {}, [], "needs at least one input, got 0"),
        ("Subtract", {}, [(None, 4)] * 3, "needs 2 inputs, got 3"),
        ("Dot", {"axes": 1}, [(None, 4), (None, 5)],
         r"axis 1 of \(None, 4\) and axis 1 of \(None, 5\) must have the same "
         "length"),
        ("Dot", {"axes": 0}, [(None, 4), (None, 4)], "axis 0 is not a feature axis"),
        ("Dense", {"units": 2}, [(None, 4, None)], "last axis of its input"),
        ("Dense", {"units": 2}, [(None, 4), (None, 4)], "takes one input, got 2"),
    ],
)  # fmt: skip
def test_merge_and_graph_errors(kind, config, shapes, message):
    """Keras refuses these graphs before cnnkit could see them, so the checks
    (there for the reading of any graph) are called directly."""
    with pytest.raises(ValueError, match=message):
        compute(LayerSettings("merge", kind, config), shapes, trainable=True)
