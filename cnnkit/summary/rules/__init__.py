"""The rule of each layer type: from input shapes to output shape and parameters.

Each rule takes a layer's settings and the shapes of its inputs (batch axis
first, ``None`` where unknown) and returns an :class:`Out`: the output shape,
the trainable and non-trainable parameter counts, and the working, the lines
a student would write to get them. The numbers come from
:mod:`cnnkit.shapes`, the formulas the chapters on stride and padding and on
counting parameters derive.

:data:`RULES` maps each Keras class name to its rule; :data:`NOT_SUPPORTED`
names the Keras layers cnnkit has no rule for, and why.

The rules live in one module per kind of layer:
:mod:`~cnnkit.summary.rules.weights` (the model's input and the layers with
weights), :mod:`~cnnkit.summary.rules.pooling`,
:mod:`~cnnkit.summary.rules.borders` (padding, cropping, upsampling,
resizing), :mod:`~cnnkit.summary.rules.rearranging` and
:mod:`~cnnkit.summary.rules.joining`; what they share is in
:mod:`~cnnkit.summary.rules.common`.
"""

from __future__ import annotations

from collections.abc import Callable

from cnnkit.summary.result import Shape
from cnnkit.summary.rules.borders import (
    _cropped,
    _padded,
    _upsampled,
    each_axis,
    resize_to,
)
from cnnkit.summary.rules.common import Out
from cnnkit.summary.rules.joining import concatenate, dot, element_wise
from cnnkit.summary.rules.pooling import adaptive_pooling, global_pooling, pooling
from cnnkit.summary.rules.rearranging import (
    flatten,
    permute,
    repeat_vector,
    reshape,
    same_shape,
)
from cnnkit.summary.rules.weights import (
    batchnorm,
    conv2d,
    dense,
    depthwise_conv2d,
    separable_conv2d,
)
from cnnkit.summary.settings import MISSING, LayerSettings

__all__ = ["Out", "RULES", "ALIASES", "MERGES", "SUPPORTED", "NOT_SUPPORTED", "compute"]


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
