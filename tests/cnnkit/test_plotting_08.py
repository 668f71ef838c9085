"""plot_history draws one panel per metric, validation beside training."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import plotting


class _History:
    """What Keras's ``model.fit`` returns, as far as plot_history reads it."""

    def __init__(self, history):
        self.history = history


def test_one_panel_per_metric_with_validation_dashed():
    fig = plotting.plot_history(
        {"loss": [3, 2, 1], "val_loss": [4, 3, 2], "accuracy": [0.5, 0.6, 0.7]},
        title="run",
    )
    loss, accuracy = fig.axes
    assert (loss.get_title(), accuracy.get_title()) == ("loss", "accuracy")
    assert (loss.get_xlabel(), loss.get_ylabel()) == ("epoch", "loss")
    train, val = loss.lines
    assert (train.get_label(), val.get_label()) == ("training", "validation")
    assert (train.get_linestyle(), val.get_linestyle()) == ("-", "--")
    assert train.get_xdata().tolist() == [1, 2, 3]  # Keras counts epochs from 1
    assert val.get_ydata().tolist() == [4, 3, 2]
    assert len(accuracy.lines) == 1
    assert fig.get_suptitle() == "run"


def test_reads_a_keras_history_and_draws_only_the_metrics_asked_for():
    history = _History({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "mae": [2, 1]})
    fig = plotting.plot_history(history, metrics="loss")
    assert [ax.get_title() for ax in fig.axes] == ["loss"]
    assert len(fig.axes[0].lines) == 2


def test_a_loss_per_step_counted_from_zero_on_a_log_scale():
    losses = np.geomspace(10, 1e-4, 50)
    fig = plotting.plot_history({"loss": losses}, xlabel="step", first=0, log=True)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "loss (log scale)")
    assert ax.lines[0].get_xdata()[[0, -1]].tolist() == [0, 49]


def test_rejects_what_it_cannot_draw():
    with pytest.raises(TypeError, match="history must be a dict"):
        plotting.plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match="'accuracy'.*it holds \\['loss'\\]"):
        plotting.plot_history({"loss": [1, 2]}, metrics=["accuracy"])
    with pytest.raises(ValueError, match="no metric to draw"):
        plotting.plot_history({"val_loss": [1, 2]})
    with pytest.raises(TypeError, match="first must be an integer"):
        plotting.plot_history({"loss": [1, 2]}, first=0.5)
