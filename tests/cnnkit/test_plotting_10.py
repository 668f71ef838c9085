"""compare_histories draws each run's training and validation curve in one
colour, in two panels that share their vertical axis."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import plotting

RUNS = {
    "plain": {"accuracy": [0.6, 0.9, 1.0], "val_accuracy": [0.6, 0.7, 0.7]},
    "dropout": {"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.6, 0.75, 0.8]},
}


def test_each_run_is_one_colour_in_both_panels():
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


def test_reads_keras_history_objects_and_options():
    class History:  # what model.fit returns: the values sit in .history
        history = {"loss": [2.0, 1.0], "val_loss": [2.5, 1.5]}

    fig = plotting.compare_histories(
        {"run": History()}, "loss", log=True, first=0, xlabel="step"
    )
    assert fig.axes[0].get_yscale() == "log"
    assert fig.axes[0].get_ylabel() == "loss (log scale)"
    np.testing.assert_array_equal(fig.axes[1].lines[0].get_xdata(), [0, 1])
    assert fig.axes[1].get_xlabel() == "step"


def test_rejects_bad_input():
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
