"""Tests for cnnkit.summary.settings: a layer's settings, by Keras's names."""

from __future__ import annotations

import warnings

import pytest
from _summary_reference import LAYER_SAMPLES, import_keras

from cnnkit.summary import summarize
from cnnkit.summary.rules import MERGES, RULES
from cnnkit.summary.settings import KNOWN_SETTINGS, LayerSettings, check_settings


@pytest.fixture(scope="module")
def keras():
    return import_keras()


def test_the_known_settings_are_those_of_the_types_with_a_rule():
    assert set(KNOWN_SETTINGS) == {"InputLayer", *RULES}


@pytest.mark.parametrize("kind", [*LAYER_SAMPLES, *MERGES])
def test_every_setting_keras_gives_is_known(keras, kind):
    """Each type's get_config() passes the strict check, without a warning."""
    settings = LAYER_SAMPLES.get(kind, ({"axes": 1} if kind == "Dot" else {}, ()))[0]
    config = getattr(keras.layers, kind)(**settings).get_config()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_settings(LayerSettings("x", kind, config), strict=True, first=False)


@pytest.mark.parametrize(
    "layer, message",
    [
        (("Conv2D", {"filters": 4, "kernel_size": 3, "stride": 2}),
         r"^layer 'conv2d' \(Conv2D\): unknown setting 'stride'; did you mean "
         r"'strides'\?"),
        (("Conv2D", {"filters": 4}),
         r"^layer 'conv2d' \(Conv2D\): needs the setting 'kernel_size'"),
        (("Conv2D", {"filters": 4.0, "kernel_size": 3}),
         "filters must be a positive integer, got 4.0"),
        (("Conv2D", {"filters": 4, "kernel_size": 3, "use_bias": "no"}),
         "use_bias must be True or False"),
        (("Dense", {"units": 2, "trainable": 1}), "trainable must be True or False"),
    ],
)  # fmt: skip
def test_a_setting_of_the_wrong_type_or_name_is_a_type_error(layer, message):
    with pytest.raises(TypeError, match=message):
        summarize([layer], input_shape=(9, 9, 1))


def test_only_the_first_layer_may_give_the_input_shape():
    with pytest.raises(TypeError, match="only the first layer may give the input"):
        summarize(["Flatten", ("Dense", {"units": 2, "input_shape": (3,)})], (4, 4))


def test_an_unknown_setting_from_get_config_warns_and_is_ignored():
    """A dict {"class_name", "config"} is what get_config() gives: a key cnnkit
    does not know may come from a newer Keras, so it warns and goes on."""
    item = {"class_name": "Dense", "config": {"units": 2, "newer_setting": 1}}
    with pytest.warns(UserWarning, match=r"'dense' \(Dense\).*'newer_setting'"):
        s = summarize([item], input_shape=(3,))
    assert s.total_params == 3 * 2 + 2
