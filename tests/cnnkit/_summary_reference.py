"""What the summary tests share: Keras as the reference, the comparison with
it, and the lecture notes' models.

Keras is only asked for what it computes itself (layer output shapes,
``count_params()``, the trainable and non-trainable weights); cnnkit's numbers
come from the layers' settings alone, so each comparison is a real test.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit.summary import Summary


def import_keras():
    """Keras, or a skip that says why the test needs it."""
    pytest.importorskip(
        "tensorflow", reason="Keras (on TensorFlow) is the reference for every count"
    )
    return pytest.importorskip("keras", reason="Keras is the reference")


def weights(obj) -> tuple[int, int]:
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
        assert (row.trainable, row.non_trainable) == weights(layer), where
    assert s.total_params == model.count_params()
    assert (s.trainable_params, s.non_trainable_params) == weights(model)
    assert s.output_shapes == [tuple(t.shape) for t in model.outputs]


def table(s: Summary) -> list[tuple]:
    """The rows without names (Keras numbers its layer names globally)."""
    return [(r.type, r.output_shape, r.trainable, r.non_trainable) for r in s]


def keras_model(keras, layers, input_shape):
    return keras.Sequential(
        [keras.Input(input_shape)]
        + [getattr(keras.layers, kind)(**config) for kind, config in layers]
    )


# The lecture notes' models, with the numbers Keras gives

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


def conv_same(filters, **extra):
    return ("Conv2D", {"filters": filters, "kernel_size": (3, 3), "strides": 1,
                       "padding": "same", **extra})  # fmt: skip


POOL = ("MaxPooling2D", {"pool_size": (2, 2), "strides": 2, "padding": "valid"})

# Notes 002: the 64x64x3 awake/drowsy model, and the same with batch norm.
AWAKE = [
    conv_same(32, activation="relu"),
    POOL,
    conv_same(64, activation="relu"),
    POOL,
    ("Flatten", {}),
    ("Dense", {"units": 128, "activation": "relu"}),
    ("Dropout", {"rate": 0.5}),
    ("Dense", {"units": 2, "activation": "softmax"}),
]

AWAKE_BN = [
    conv_same(32),
    ("BatchNormalization", {}),
    ("Activation", {"activation": "relu"}),
    POOL,
    conv_same(64),
    ("BatchNormalization", {}),
    ("Activation", {"activation": "relu"}),
    POOL,
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
        conv_same(filters, activation="relu"),
        ("BatchNormalization", {}),
        conv_same(filters, activation="relu"),
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

# One layer of every type that takes one input, with settings and an input
# shape (batch axis left out) it fits: kind -> (settings, input shape).
_IMAGE, _SEQUENCE, _VOLUME, _MAP = (9, 8, 3), (9, 3), (5, 6, 7, 2), (4, 5, 3)
LAYER_SAMPLES = {
    "Conv2D": ({"filters": 4, "kernel_size": 3}, _IMAGE),
    "DepthwiseConv2D": ({"kernel_size": 3, "depth_multiplier": 2}, _IMAGE),
    "SeparableConv2D": ({"filters": 4, "kernel_size": 3}, _IMAGE),
    "Dense": ({"units": 4}, (5,)),
    "BatchNormalization": ({}, _IMAGE),
    "MaxPooling1D": ({}, _SEQUENCE),
    "MaxPooling2D": ({}, _IMAGE),
    "MaxPooling3D": ({}, _VOLUME),
    "AveragePooling1D": ({"pool_size": 3, "strides": 2, "padding": "same"}, _SEQUENCE),
    "AveragePooling2D": ({"pool_size": 2}, _IMAGE),
    "AveragePooling3D": ({"pool_size": (2, 3, 1)}, _VOLUME),
    "GlobalMaxPooling1D": ({}, _SEQUENCE),
    "GlobalMaxPooling2D": ({}, _IMAGE),
    "GlobalMaxPooling3D": ({"keepdims": True}, _VOLUME),
    "GlobalAveragePooling1D": ({"keepdims": True}, _SEQUENCE),
    "GlobalAveragePooling2D": ({"keepdims": True}, _IMAGE),
    "GlobalAveragePooling3D": ({}, _VOLUME),
    "AdaptiveMaxPooling1D": ({"output_size": 3}, _SEQUENCE),
    "AdaptiveMaxPooling2D": ({"output_size": (2, 3)}, _IMAGE),
    "AdaptiveMaxPooling3D": ({"output_size": 2}, _VOLUME),
    "AdaptiveAveragePooling1D": ({"output_size": 4}, _SEQUENCE),
    "AdaptiveAveragePooling2D": ({"output_size": 3}, _IMAGE),
    "AdaptiveAveragePooling3D": ({"output_size": (1, 2, 3)}, _VOLUME),
    "ZeroPadding1D": ({"padding": (1, 2)}, _SEQUENCE),
    "ZeroPadding2D": ({"padding": ((1, 2), (0, 3))}, _IMAGE),
    "ZeroPadding3D": ({"padding": (1, 2, 0)}, _VOLUME),
    "Cropping1D": ({"cropping": (1, 2)}, _SEQUENCE),
    "Cropping2D": ({"cropping": ((1, 2), (0, 3))}, _IMAGE),
    "Cropping3D": ({"cropping": 1}, _VOLUME),
    "UpSampling1D": ({"size": 3}, _SEQUENCE),
    "UpSampling2D": ({"size": (2, 3)}, _IMAGE),
    "UpSampling3D": ({}, _VOLUME),
    "Resizing": ({"height": 12, "width": 10}, _IMAGE),
    "CenterCrop": ({"height": 5, "width": 6}, _IMAGE),
    "RandomCrop": ({"height": 5, "width": 6}, _IMAGE),
    "Flatten": ({}, _MAP),
    "Reshape": ({"target_shape": (-1, 3)}, _MAP),
    "Permute": ({"dims": (2, 3, 1)}, _MAP),
    "RepeatVector": ({"n": 3}, (5,)),
    "Activation": ({"activation": "relu"}, _MAP),
    "ReLU": ({"max_value": 6.0}, _MAP),
    "LeakyReLU": ({}, _MAP),
    "ELU": ({}, _MAP),
    "Softmax": ({}, _MAP),
    "Dropout": ({"rate": 0.1}, _MAP),
    "AlphaDropout": ({"rate": 0.1}, _MAP),
    "GaussianDropout": ({"rate": 0.1}, _MAP),
    "GaussianNoise": ({"stddev": 0.1}, _MAP),
    "SpatialDropout1D": ({"rate": 0.1}, _SEQUENCE),
    "SpatialDropout2D": ({"rate": 0.1}, _IMAGE),
    "SpatialDropout3D": ({"rate": 0.1}, _VOLUME),
    "Identity": ({}, _MAP),
    "Masking": ({}, _MAP),
    "ActivityRegularization": ({"l1": 0.01}, _MAP),
    "UnitNormalization": ({}, _MAP),
    "Rescaling": ({"scale": 1 / 255}, _IMAGE),
    "RandomFlip": ({"mode": "horizontal"}, _IMAGE),
    "RandomRotation": ({"factor": 0.1}, _IMAGE),
    "RandomTranslation": ({"height_factor": 0.1, "width_factor": 0.1}, _IMAGE),
    "RandomZoom": ({"height_factor": 0.1}, _IMAGE),
    "RandomShear": ({"x_factor": 0.1}, _IMAGE),
    "RandomPerspective": ({}, _IMAGE),
    "RandomElasticTransform": ({}, _IMAGE),
    "RandomErasing": ({}, _IMAGE),
    "RandomGaussianBlur": ({}, _IMAGE),
    "RandomContrast": ({"factor": 0.1}, _IMAGE),
    "RandomBrightness": ({"factor": 0.1}, _IMAGE),
    "RandomHue": ({"factor": 0.1}, _IMAGE),
    "RandomSaturation": ({"factor": 0.1}, _IMAGE),
    "RandomSharpness": ({"factor": 0.1}, _IMAGE),
    "RandomColorDegeneration": ({"factor": 0.1}, _IMAGE),
    "RandomColorJitter": ({"brightness_factor": 0.1}, _IMAGE),
    "RandomGrayscale": ({}, _IMAGE),
    "RandomInvert": ({}, _IMAGE),
    "RandomPosterization": ({"factor": (1, 8)}, _IMAGE),
    "Solarization": ({}, _IMAGE),
    "AutoContrast": ({}, _IMAGE),
    "Equalization": ({}, _IMAGE),
    "ContrastLimitedAdaptiveHistogramEqualization": ({}, _IMAGE),
    "AugMix": ({}, _IMAGE),
    "RandAugment": ({}, _IMAGE),
    "MixUp": ({}, _IMAGE),
    "CutMix": ({}, _IMAGE),
    "MaxNumBoundingBoxes": ({"max_number": 3}, _IMAGE),
}
