"""show_confusion counts every (true, predicted) pair; show_mistakes shows only
the misclassified images, the most confident first."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import plotting


def test_confusion_counts_match_a_direct_count():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.8, y_true, rng.integers(0, 4, 200))
    ax = plotting.show_confusion(y_true, y_pred)
    counts = ax.images[0].get_array().filled(0)
    expected = [
        [np.sum((y_true == i) & (y_pred == j)) for j in range(4)] for i in range(4)
    ]
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() == 200
    # every non-empty cell has its count written in, and nothing else is
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(counts[counts > 0])
    correct = int(np.sum(y_true == y_pred))
    assert ax.get_title() == f"confusion matrix: {correct} of 200 correct"
    assert len(ax.figure.axes) == 2  # the matrix and its colour bar


def test_confusion_uses_class_names_for_the_axes():
    ax = plotting.show_confusion([0, 1], [1, 1], class_names=["cat", "dog", "eel"])
    assert ax.images[0].get_array().shape == (3, 3)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "eel"]


def test_confusion_rejects_bad_labels():
    with pytest.raises(ValueError, match="one label per image, got 2 and 3"):
        plotting.show_confusion([0, 1], [0, 1, 1])
    with pytest.raises(TypeError, match="y_pred must be a 1-D array of integer"):
        plotting.show_confusion([0, 1], [0.0, 1.0])
    with pytest.raises(ValueError, match="y_true must hold labels 0, 1, 2"):
        plotting.show_confusion([-1, 1], [0, 1])
    with pytest.raises(ValueError, match="class_names has 2 names but the labels go"):
        plotting.show_confusion([0, 2], [0, 1], class_names=["a", "b"])


def test_mistakes_shows_only_wrong_images_most_confident_first():
    images = np.arange(5 * 4 * 4 * 1).reshape(5, 4, 4, 1)
    y_true = [0, 1, 2, 0, 1]
    y_pred = [0, 2, 2, 1, 0]
    probs = np.full((5, 3), 0.1)
    probs[1, 2], probs[3, 1], probs[4, 0] = 0.5, 0.9, 0.7
    fig = plotting.show_mistakes(images, y_true, y_pred, probabilities=probs, n=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "#3: true 0\npredicted 1 (90.0%)",
        "#4: true 1\npredicted 0 (70.0%)",
    ]
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), images[3, ..., 0])


def test_mistakes_names_classes_and_fills_rows():
    fig = plotting.show_mistakes(
        np.zeros((3, 4, 4, 3)),
        [0, 1, 0],
        [1, 0, 0],
        class_names=["cat", "dog"],
        ncols=5,
    )
    assert [ax.get_title() for ax in fig.axes] == [
        "#0: true cat\npredicted dog",
        "#1: true dog\npredicted cat",
    ]


def test_mistakes_rejects_what_it_cannot_show():
    with pytest.raises(ValueError, match="no image is misclassified"):
        plotting.show_mistakes(np.zeros((2, 4, 4)), [0, 1], [0, 1])
    with pytest.raises(ValueError, match=r"images must have shape \(N, H, W\)"):
        plotting.show_mistakes(np.zeros((2, 4)), [0, 1], [1, 0])
    with pytest.raises(ValueError, match="same length, got 2, 3 and 3"):
        plotting.show_mistakes(np.zeros((2, 4, 4)), [0, 1, 1], [1, 0, 0])
    with pytest.raises(ValueError, match=r"probabilities must have shape \(2, K\)"):
        plotting.show_mistakes(
            np.zeros((2, 4, 4)), [0, 1], [1, 0], probabilities=np.ones(2)
        )
    with pytest.raises(ValueError, match="class_names has 1 names"):
        plotting.show_mistakes(np.zeros((2, 4, 4)), [0, 1], [1, 0], class_names=["a"])
