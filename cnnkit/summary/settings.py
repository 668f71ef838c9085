"""A layer's settings, by the names Keras gives them.

:class:`LayerSettings` reads one layer's settings (the dict its
``get_config()`` returns, or the one a plain description gives) with checks
whose errors start with the layer, so a mistake deep in a model says where it
is. :data:`KNOWN_SETTINGS` lists every setting Keras's ``get_config()`` gives
each layer type; the tests check it against Keras. A setting outside it is a
typo in a hand-written description (an error) or something a newer Keras
added (a warning: cnnkit goes on, assuming it changes no shape or count).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from cnnkit._validation import boolean, positive_int, positive_pair

__all__ = ["LayerSettings", "KNOWN_SETTINGS", "check_settings"]

MISSING = object()
"""Default of :meth:`LayerSettings.get` for a setting that must be given."""


def positive_ints(value: Any, name: str, count: int) -> tuple[int, ...]:
    """``count`` positive ints from one int or a tuple of ``count`` of them."""
    if count == 2:
        return positive_pair(value, name)
    values = value if isinstance(value, (tuple, list)) else (value,) * count
    if len(values) != count:
        raise ValueError(f"{name} must be an int or {count} ints, got {value!r}")
    return tuple(positive_int(v, name) for v in values)


class LayerSettings:
    """A layer's name, type and settings, with checks that name the layer.

    Parameters
    ----------
    name : str
        The layer's name, e.g. ``"conv2d_1"``.
    kind : str
        Its Keras class name, e.g. ``"Conv2D"``.
    config : mapping
        Its settings, as ``layer.get_config()`` gives them.
    """

    def __init__(self, name: str, kind: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.kind = kind
        self.config = config

    def error(self, message: str, cls: type = ValueError) -> Exception:
        """An exception of type ``cls`` whose message starts with the layer."""
        return cls(f"layer {self.name!r} ({self.kind}): {message}")

    def get(self, key: str, default: Any = MISSING) -> Any:
        """The setting ``key``; a ``TypeError`` if it is missing and has no default."""
        value = self.config.get(key, default)
        if value is MISSING:
            raise self.error(f"needs the setting {key!r}", TypeError)
        return value

    def checked(self, check: Callable, key: str, default: Any = MISSING) -> Any:
        """``check(value, key)``, its errors starting with the layer."""
        try:
            return check(self.get(key, default), key)
        except (TypeError, ValueError) as err:
            if str(err).startswith("layer "):
                raise
            raise self.error(str(err), type(err)) from None

    def positive(self, key: str, default: Any = MISSING) -> int:
        return self.checked(positive_int, key, default)

    def sizes(self, key: str, count: int, default: Any = MISSING) -> tuple[int, ...]:
        """One positive int per spatial axis, from an int or a tuple."""
        return self.checked(lambda v, k: positive_ints(v, k, count), key, default)

    def flag(self, key: str, default: bool) -> bool:
        return self.checked(boolean, key, default)

    def padding(self, any_case: bool = True) -> str:
        """Keras's convolutions take "SAME" as "same"; its pooling layers do not."""
        value = self.get("padding", "valid")
        if isinstance(value, str) and any_case:
            value = value.lower()
        if value not in ("valid", "same"):
            raise self.error(f'padding must be "valid" or "same", got {value!r}')
        return value

    def channels_last(self) -> None:
        """Refuse ``data_format="channels_first"``: cnnkit works channels-last."""
        fmt = self.get("data_format", None)
        if fmt not in (None, "channels_last"):
            raise self.error(
                f"data_format={fmt!r} is not supported; cnnkit works channels-last "
                "(height, width, channels), as Keras does by default"
            )

    def unsupported(self, key: str, ok: Any) -> None:
        """Refuse a setting that adds weights cnnkit does not count."""
        value = self.config.get(key, ok)
        if value != ok:
            raise self.error(
                f"{key}={value!r} adds weights cnnkit does not count; "
                f"only {key}={ok!r} is supported"
            )


# Settings every layer has, and those only the first layer of a Keras 2 style
# list may have (its input shape).
BASE_SETTINGS = {"name", "trainable", "dtype", "autocast", "activity_regularizer"}
INPUT_SETTINGS = {"input_shape", "input_dim", "batch_input_shape"}

_CONV = {
    "kernel_size", "strides", "padding", "data_format", "dilation_rate",
    "activation", "use_bias", "bias_initializer", "bias_regularizer",
    "bias_constraint",
}  # fmt: skip
_DEPTHWISE = {
    "depth_multiplier", "depthwise_initializer", "depthwise_regularizer",
    "depthwise_constraint",
}  # fmt: skip
_KERNEL = {"kernel_initializer", "kernel_regularizer", "kernel_constraint"}
_POOL = {"pool_size", "strides", "padding", "data_format"}
_IMAGE = {"data_format", "seed", "value_range", "factor"}
_FILL = {"fill_mode", "fill_value", "interpolation"}


def _for_each_rank(prefix: str, settings: set[str]) -> dict[str, set[str]]:
    return {f"{prefix}{rank}D": settings for rank in (1, 2, 3)}


KNOWN_SETTINGS: dict[str, set[str]] = {
    "InputLayer": {
        "shape", "batch_size", "batch_shape", "batch_input_shape", "dtype",
        "sparse", "ragged", "input_tensor", "optional", "name",
    },
    # Layers with weights
    "Conv2D": _CONV | _KERNEL | {"filters", "groups", "lora_rank", "lora_alpha"},
    "DepthwiseConv2D": _CONV | _DEPTHWISE,
    "SeparableConv2D": _CONV | _DEPTHWISE | {
        "filters", "pointwise_initializer", "pointwise_regularizer",
        "pointwise_constraint",
    },
    "Dense": _KERNEL | {
        "units", "activation", "use_bias", "bias_initializer", "bias_regularizer",
        "bias_constraint", "lora_rank", "lora_alpha", "quantization_config",
    },
    "BatchNormalization": {
        "axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
        "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
        "beta_regularizer", "gamma_regularizer", "beta_constraint",
        "gamma_constraint", "renorm", "renorm_clipping", "renorm_momentum",
        "synchronized",
    },
    # Sliding windows and whole-axis pooling, in 1, 2 and 3 dimensions
    **_for_each_rank("MaxPooling", _POOL),
    **_for_each_rank("AveragePooling", _POOL),
    **_for_each_rank("GlobalMaxPooling", {"data_format", "keepdims"}),
    **_for_each_rank("GlobalAveragePooling", {"data_format", "keepdims"}),
    **_for_each_rank("AdaptiveMaxPooling", {"data_format", "output_size"}),
    **_for_each_rank("AdaptiveAveragePooling", {"data_format", "output_size"}),
    # Borders and sizes
    **_for_each_rank("ZeroPadding", {"padding", "data_format"}),
    **_for_each_rank("Cropping", {"cropping", "data_format"}),
    **_for_each_rank("UpSampling", {"size", "data_format", "interpolation"}),
    "Resizing": {
        "height", "width", "interpolation", "crop_to_aspect_ratio",
        "pad_to_aspect_ratio", "fill_mode", "fill_value", "antialias", "data_format",
    },
    "CenterCrop": {"height", "width", "data_format"},
    "RandomCrop": {"height", "width", "seed", "data_format"},
    # Rearranging
    "Flatten": {"data_format"},
    "Reshape": {"target_shape"},
    "Permute": {"dims"},
    "RepeatVector": {"n"},
    # Element by element: activations, dropout and noise, fixed arithmetic
    "Activation": {"activation"},
    "ReLU": {"max_value", "negative_slope", "threshold"},
    "LeakyReLU": {"negative_slope"},
    "ELU": {"alpha"},
    "Softmax": {"axis"},
    "Dropout": {"rate", "noise_shape", "seed"},
    "AlphaDropout": {"rate", "noise_shape", "seed"},
    "GaussianDropout": {"rate", "seed"},
    "GaussianNoise": {"stddev", "seed"},
    **_for_each_rank("SpatialDropout", {"rate", "seed", "data_format"}),
    "ActivityRegularization": {"l1", "l2"},
    "UnitNormalization": {"axis"},
    "Identity": set(),
    "Masking": {"mask_value"},
    "Rescaling": {"scale", "offset"},
    # Image augmentation and adjustment: the pixels change, not the shape
    "RandomFlip": {"mode", "seed", "data_format"},
    "RandomRotation": _IMAGE | _FILL,
    "RandomTranslation": _IMAGE | _FILL | {"height_factor", "width_factor"},
    "RandomZoom": _IMAGE | _FILL | {"height_factor", "width_factor"},
    "RandomShear": _IMAGE | _FILL | {"x_factor", "y_factor"},
    "RandomPerspective": _IMAGE | {"scale", "fill_value", "interpolation"},
    "RandomElasticTransform": _IMAGE | _FILL | {"scale"},
    "RandomErasing": _IMAGE | {"scale", "fill_value"},
    "RandomGaussianBlur": _IMAGE | {"kernel_size", "sigma"},
    "RandomColorJitter": _IMAGE | {
        "brightness_factor", "contrast_factor", "saturation_factor", "hue_factor",
    },
    **dict.fromkeys([
        "RandomContrast", "RandomBrightness", "RandomHue", "RandomSaturation",
        "RandomSharpness", "RandomColorDegeneration", "RandomInvert",
        "RandomPosterization", "RandomGrayscale", "AutoContrast", "CutMix",
    ], _IMAGE),
    "Solarization": _IMAGE | {"addition_factor", "threshold_factor"},
    "Equalization": _IMAGE | {"bins"},
    "ContrastLimitedAdaptiveHistogramEqualization": _IMAGE | {
        "clip_limit", "tile_grid_size",
    },
    "MixUp": _IMAGE | {"alpha"},
    "AugMix": _IMAGE | {
        "num_chains", "chain_depth", "alpha", "all_ops", "interpolation",
    },
    "RandAugment": _IMAGE | {"num_ops", "interpolation"},
    "MaxNumBoundingBoxes": {"max_number", "data_format"},
    # Joining several inputs
    **dict.fromkeys(
        ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"], set()
    ),
    "Concatenate": {"axis"},
    "Dot": {"axes", "normalize"},
}  # fmt: skip


def check_settings(layer: LayerSettings, *, strict: bool, first: bool) -> None:
    """Make sure every setting of ``layer`` is one Keras gives its type.

    ``strict`` (a hand-written description): an unknown setting is a
    ``TypeError``, with the closest known one as a hint. Otherwise (a config
    from ``get_config()``, perhaps of a newer Keras): a warning, and cnnkit
    goes on. ``first``: the layer may carry the model's input shape.
    """
    if layer.kind not in KNOWN_SETTINGS:
        return  # a type with no rule: the rule's lookup says so, with the reason
    allowed = KNOWN_SETTINGS[layer.kind] | BASE_SETTINGS
    if first:
        allowed = allowed | INPUT_SETTINGS
    for key in layer.config:
        if key in allowed:
            continue
        if not strict:
            warnings.warn(
                f"layer {layer.name!r} ({layer.kind}): the setting {key!r} is new to "
                "cnnkit (from a newer Keras?); the summary assumes it changes no "
                "shape and adds no weights",
                UserWarning,
                stacklevel=4,
            )
            continue
        close = difflib.get_close_matches(key, sorted(allowed), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        where = (
            " (only the first layer may give the input shape)"
            if key in INPUT_SETTINGS
            else ""
        )
        raise layer.error(f"unknown setting {key!r}{where}{hint}", TypeError)
