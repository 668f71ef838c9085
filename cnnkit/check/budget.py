"""Training budgets: how many examples a model saw while a function trained it.

A budget in Keras epochs can be walked around and can fail honest work.
``epochs=`` counts what Keras calls an epoch, not passes over the data: a
``tf.data`` pipeline that repeats, read with a large ``steps_per_epoch``,
makes one such epoch as many passes as it likes, and chapter 9 splits two
passes into eight "epochs" to draw a learning curve. So the assignments state
a budget as passes over the training set, that is a number of training
examples, and count the examples the model actually trained on:
:func:`count_examples` wraps the model's ``train_step``, which ``fit`` and
``train_on_batch`` call once for every batch, whatever feeds them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["ExampleCount", "count_examples", "expect_passes"]


class ExampleCount:
    """The training examples a model has seen while :func:`count_examples` ran."""

    def __init__(self, variable: Any) -> None:
        self._variable = variable

    @property
    def examples(self) -> int:
        """Examples in every batch the model took a training step on."""
        return int(self._variable.numpy())

    def __repr__(self) -> str:
        return f"ExampleCount(examples={self.examples})"


@contextlib.contextmanager
def count_examples(model: Any) -> Iterator[ExampleCount]:
    """Count the examples ``model`` trains on, in ``fit`` or ``train_on_batch``.

    Every training step adds its batch's size (the first axis of the batch's
    first array), whether the batches come from arrays, a ``tf.data``
    pipeline, a generator or a ``keras.utils.PyDataset``, with any
    ``epochs``, ``steps_per_epoch`` or ``validation_split``. Validation and
    evaluation are not training and do not count. Chapter 9 explains batches
    and epochs.

    Parameters
    ----------
    model : keras.Model
        A model trained with Keras's TensorFlow back end.

    Yields
    ------
    ExampleCount
        Its ``examples`` is the number counted so far (and in the end).

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> x, y = np.zeros((10, 2), np.float32), np.zeros(10, np.float32)
    >>> with count_examples(model) as seen:
    ...     _ = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    >>> seen.examples  # 3 passes over 10 examples, in batches of 4, 4 and 2
    30
    """
    import tensorflow as tf

    seen = tf.Variable(0, dtype=tf.int64, trainable=False)
    own = vars(model).get("train_step")
    step = model.train_step

    def counting_step(data):
        batch = tf.shape(tf.nest.flatten(data)[0], out_type=tf.int64)[0]
        seen.assign_add(batch)
        return step(data)

    model.train_step = counting_step
    model.train_function = None  # one made earlier would not count
    try:
        yield ExampleCount(seen)
    finally:
        if own is None:
            del model.train_step
        else:
            model.train_step = own
        model.train_function = None


def expect_passes(count: ExampleCount, n: int, passes: int, what: str) -> None:
    """Fail unless a model trained on between 1 and ``passes * n`` examples.

    Parameters
    ----------
    count : ExampleCount
        What :func:`count_examples` counted.
    n : int
        Examples in the training set.
    passes : int
        Passes over the training set the budget allows.
    what : str
        The function that trained the model, e.g. ``"train"``.

    Raises
    ------
    AssertionError
        Saying how many examples the model saw, and what the budget was.

    Examples
    --------
    >>> class Seen:
    ...     examples = 360_000
    >>> expect_passes(Seen(), 60_000, 2, "train")
    Traceback (most recent call last):
    AssertionError: train: expected at most 2 passes over the 60,000 training \
examples (120,000 examples), got 360,000 examples (6 passes)
    """
    seen = count.examples
    if seen == 0:
        raise AssertionError(
            f"{what}: expected the model trained with model.fit, "
            "got no training step on it"
        )
    if seen > passes * n:
        raise AssertionError(
            f"{what}: expected at most {passes} pass{'es' * (passes != 1)} over the "
            f"{n:,} training "
            f"examples ({passes * n:,} examples), got {seen:,} examples "
            f"({seen / n:.3g} passes)"
        )
