"""Tests for cnnkit.summary.keras_graph: reading a Keras model's graph."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _summary_reference import assert_matches_keras, import_keras

from cnnkit.summary import Summary, summarize
from cnnkit.summary.keras_graph import CHECKED_ON, call_that_made


@pytest.fixture(scope="module")
def keras():
    return import_keras()


def test_call_that_made_reads_the_graph_on_this_keras(keras):
    """The one function that reads Keras's private graph attributes.

    Checked on Keras 3.5.0, 3.10.0 and 3.15.1 (CHECKED_ON): a shared layer's
    second call, a call with two inputs, an input and a nested model. On a
    Keras not in that list it runs all the same, and warns if it passes.
    """
    L = keras.layers
    x, y = keras.Input((4,), name="x"), keras.Input((4,), name="y")
    shared = L.Dense(4, name="shared")
    first, second = shared(x), shared(y)
    added = L.Add(name="added")([first, second])
    inner = keras.Sequential([keras.Input((4,)), L.Dense(2)], name="inner")
    out = inner(added)

    call, output_index = call_that_made(second)
    assert (call.layer, call.index, output_index) == (shared, 1, 0)
    assert call.inputs == (y,)
    call, _ = call_that_made(added)
    assert call.layer.name == "added" and call.inputs == (first, second)
    call, _ = call_that_made(x)
    assert call.layer.name == "x" and call.inputs == ()
    call, _ = call_that_made(out)
    assert call.layer is inner and call.inputs == (added,)
    if keras.__version__ not in CHECKED_ON:
        warnings.warn(
            f"call_that_made works on Keras {keras.__version__}: add it to "
            "cnnkit.summary.keras_graph.CHECKED_ON",
            stacklevel=1,
        )


def test_a_tensor_keras_does_not_track_is_reported_with_the_versions():
    with pytest.raises(RuntimeError, match="cannot follow the graph of this Keras"):
        call_that_made(np.zeros(3))


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


def test_keras_errors_name_the_layer(keras):
    L = keras.layers
    unbuilt = keras.Sequential([L.Dense(3)])
    with pytest.raises(ValueError, match="has no inputs yet"):
        summarize(unbuilt)
    model = keras.Sequential([keras.Input((5, 3)), L.Dense(2)])
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


def test_an_unknown_setting_in_a_keras_layers_config_warns(keras):
    class Dense(keras.layers.Dense):
        def get_config(self):
            return {**super().get_config(), "newer_setting": 1}

    model = keras.Sequential([keras.Input((3,)), Dense(2, name="newer")])
    with pytest.warns(UserWarning, match=r"'newer' \(Dense\).*'newer_setting'"):
        s = summarize(model)
    assert_matches_keras(model, s)
