"""plot_history draws one panel per metric, validation beside training;
compare_histories draws each run's training and validation curve in one
colour, in two panels that share their vertical axis."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import plotting


class _History:
    """What Keras's ``model.fit`` returns, as far as plot_history reads it."""

    def __init__(self, history):
        self.history = history


def test_plot_history_one_panel_per_metric_with_validation_dashed():
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


def test_plot_history_reads_a_keras_history_and_draws_only_the_metrics_asked_for():
    history = _History({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "mae": [2, 1]})
    fig = plotting.plot_history(history, metrics="loss")
    assert [ax.get_title() for ax in fig.axes] == ["loss"]
    assert len(fig.axes[0].lines) == 2


def test_plot_history_a_loss_per_step_counted_from_zero_on_a_log_scale():
    losses = np.geomspace(10, 1e-4, 50)
    fig = plotting.plot_history({"loss": losses}, xlabel="step", first=0, log=True)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "loss (log scale)")
    assert ax.lines[0].get_xdata()[[0, -1]].tolist() == [0, 49]


def test_plot_history_rejects_what_it_cannot_draw():
    with pytest.raises(TypeError, match="history must be a dict"):
        plotting.plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match="'accuracy'.*it holds \\['loss'\\]"):
        plotting.plot_history({"loss": [1, 2]}, metrics=["accuracy"])
    with pytest.raises(ValueError, match="no metric to draw"):
        plotting.plot_history({"val_loss": [1, 2]})
    with pytest.raises(TypeError, match="first must be an integer"):
        plotting.plot_history({"loss": [1, 2]}, first=0.5)


RUNS = {
    "plain": {"accuracy": [0.6, 0.9, 1.0], "val_accuracy": [0.6, 0.7, 0.7]},
    "dropout": {"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.6, 0.75, 0.8]},
}


def test_compare_histories_each_run_is_one_colour_in_both_panels():
    fig = plotting.compare_histories(RUNS, title="cures")
    train, val = fig.axes
    assert [ax.get_title() for ax in fig.axes] == [
        "training accuracy",
        "validation accuracy",
    ]
    assert fig.get_suptitle() == "cures"
    for ax, prefix in ((train, ""), (val, "val_")):
        assert [line.get_label() for line in ax.lines] == ["plain", "dropout"]
        for line, run in zip(ax.lines, RUNS.values(), strict=True):
            np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
            np.testing.assert_array_equal(line.get_ydata(), run[prefix + "accuracy"])
    assert [line.get_color() for line in train.lines] == [
        line.get_color() for line in val.lines
    ]
    assert train.get_shared_y_axes().joined(train, val)
    assert train.get_ylabel() == "accuracy" and val.get_xlabel() == "epoch"


def test_compare_histories_reads_keras_history_objects_and_options():
    class History:  # what model.fit returns: the values sit in .history
        history = {"loss": [2.0, 1.0], "val_loss": [2.5, 1.5]}

    fig = plotting.compare_histories(
        {"run": History()}, "loss", log=True, first=0, xlabel="step"
    )
    assert fig.axes[0].get_yscale() == "log"
    assert fig.axes[0].get_ylabel() == "loss (log scale)"
    np.testing.assert_array_equal(fig.axes[1].lines[0].get_xdata(), [0, 1])
    assert fig.axes[1].get_xlabel() == "step"


def test_compare_histories_rejects_bad_input():
    with pytest.raises(TypeError, match="non-empty dict of run name to history"):
        plotting.compare_histories({})
    with pytest.raises(TypeError, match="non-empty dict"):
        plotting.compare_histories([RUNS["plain"]])
    with pytest.raises(ValueError, match=r"histories\['a'\] holds no 'val_accuracy'"):
        plotting.compare_histories({"a": {"accuracy": [1.0]}})
    with pytest.raises(TypeError, match=r"histories\['a'\] must be a dict"):
        plotting.compare_histories({"a": [1.0]})
    with pytest.raises(TypeError, match="metric must be a string"):
        plotting.compare_histories(RUNS, ["accuracy"])
    with pytest.raises(TypeError, match="first must be an integer"):
        plotting.compare_histories(RUNS, first=True)
