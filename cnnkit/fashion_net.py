"""The Fashion-MNIST network of chapter 10 (overfitting), trained longer.

That chapter trains the lecture notes' deeper network, at half its widths, for
as long as a page may take, which is not long enough to classify 92% of
Fashion-MNIST's test images. The course trains the same network,
:func:`build_fashion_net`, for longer with a recorded recipe
(:func:`train_fashion_net`) and ships it as ``cnnkit/data/fashion_net.keras``
with a record beside it (``fashion_net.json``): the recipe, the data, the
training history epoch by epoch, the test accuracy, the time it took.
:func:`load_fashion_net` loads it, :func:`fashion_net_record` reads the record.

Retrain it (deterministic; about a quarter of an hour on two CPU cores)::

    python -m cnnkit.pretrained --network fashion    # make pretrained: both networks

TensorFlow is imported inside the functions that need it.
"""

from __future__ import annotations

import time

import numpy as np

from cnnkit.pretrained import (
    DATA_DIR,
    TOLERANCE,
    _architecture,
    _deterministic,
    _fit,
    _keras,
    _load,
    _machine,
    _versions,
    pretrained_record,
)

__all__ = [
    "DEFAULTS",
    "NET_FILE",
    "RECORD_FILE",
    "build_fashion_net",
    "fashion_net_record",
    "load_fashion_net",
    "train_fashion_net",
]

#: The committed Fashion-MNIST network, and the record of how it was made.
NET_FILE = DATA_DIR / "fashion_net.keras"
RECORD_FILE = DATA_DIR / "fashion_net.json"
# Its recipe; `python -m cnnkit.pretrained --network fashion` uses these.
DEFAULTS = {"epochs": 10, "seed": 0, "batch_size": 32}
#: Filters of its three blocks (half the lecture notes' 32, 64 and 128), units
#: of its dense layer and its dropout rate, as the chapter defines them.
WIDTHS = (16, 32, 64)
DENSE = 512
DROPOUT = 0.2
#: Adam's learning rate at the start; a cosine takes it down to 0 by the end.
LEARNING_RATE = 0.002
#: Training images held out to watch training: the last 6,000, as in the chapter.
VALIDATION = 6000
#: The test accuracy the committed network reaches at least.
TARGET = 0.92


def build_fashion_net(
    widths: tuple[int, ...] = WIDTHS,
    dense: int = DENSE,
    rate: float = DROPOUT,
    shape: tuple[int, int, int] = (28, 28, 1),
):
    """The lecture notes' deeper network, at half their widths, untrained.

    One block per entry of ``widths``: two "same" 3x3 convolutions with ReLU,
    each followed by batch normalization, then 2x2 max pooling and dropout.
    Then global max pooling, dropout, a dense layer of ``dense`` ReLU units,
    dropout, and 10 softmax outputs. The defaults are the network of the
    chapter on overfitting (blocks of 16, 32 and 64 filters), which
    the course trains longer and ships (:func:`load_fashion_net`).

    Parameters
    ----------
    widths : tuple of ints
        Filters of each block's two convolutions.
    dense : int
        Units of the hidden dense layer.
    rate : float
        Dropout rate after each block and on both sides of the dense layer.
    shape : tuple of 3 ints
        Input ``(H, W, C)``; images scaled to 0..1, ``x / 255``.

    Returns
    -------
    keras.Sequential
        Input ``(N, *shape)``; output ``(N, 10)`` class probabilities.

    Examples
    --------
    >>> net = build_fashion_net()
    >>> net.input_shape, net.output_shape
    ((None, 28, 28, 1), (None, 10))
    >>> net.count_params(), build_fashion_net((32, 64, 128)).count_params()
    (111098, 359402)
    """
    keras = _keras()
    model = keras.Sequential([keras.Input(shape)], name="fashion_net")
    layers = keras.layers
    for filters in widths:
        for _ in range(2):
            model.add(layers.Conv2D(filters, 3, activation="relu", padding="same"))
            model.add(layers.BatchNormalization())
        model.add(layers.MaxPooling2D(pool_size=(2, 2)))
        model.add(layers.Dropout(rate))
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dropout(rate))
    model.add(layers.Dense(dense, activation="relu"))
    model.add(layers.Dropout(rate))
    model.add(layers.Dense(10, activation="softmax"))
    return model


def _scaled(images: np.ndarray) -> np.ndarray:
    """Images as the Fashion-MNIST network takes them: 0..1, a channel axis."""
    return (images / 255).astype("float32")[..., None]


def _accuracy(net, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of ``x`` whose most probable class under ``net`` is ``y``."""
    predicted = net.predict(x, batch_size=1000, verbose=0).argmax(axis=1)
    return float(np.mean(predicted == y))


def train_fashion_net(
    *,
    epochs: int = DEFAULTS["epochs"],
    seed: int = DEFAULTS["seed"],
    batch_size: int = DEFAULTS["batch_size"],
    verbose: int = 0,
):
    """Train :func:`build_fashion_net` on Fashion-MNIST, deterministically.

    The chapter's recipe, for more epochs: the network trains on the first
    54,000 training images with Adam and a learning rate that falls from
    0.002 to 0 along a cosine, to minimise the cross-entropy; the last 6,000
    training images are held out to watch it. Seeds are fixed and
    TensorFlow's op determinism is on while it trains, so a re-run on the same
    machine gives the same weights.

    Parameters
    ----------
    epochs : int
        Passes over the 54,000 images.
    seed : int
        Seed for the initial weights, dropout and the order of the batches.
    batch_size, verbose : int
        Images per step; Keras's ``fit`` verbosity (0 silent, 2 one line per
        epoch).

    Returns
    -------
    net : keras.Sequential
        The trained network.
    record : dict
        How it was made: the recipe, data, architecture, the per-epoch
        ``"history"`` (loss, accuracy, val_loss, val_accuracy), the
        ``"test_accuracy"`` on the 10,000 test images, the seconds it took
        (and the CPU seconds of all its threads), versions.

    Examples
    --------
    An epoch takes a minute or two on two CPU cores, so this is not run as a
    doctest (``make bench`` re-runs the full recipe)::

        net, record = train_fashion_net(epochs=1)
        record["test_accuracy"]           # about 0.87
    """
    from cnnkit import datasets
    from cnnkit._validation import positive_int

    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    data = datasets.load_fashion_mnist(download=False, verbose=False)
    (x_train, y_train), (x_test, y_test) = data
    x_train, x_test = _scaled(x_train), _scaled(x_test)
    n_fit = len(x_train) - VALIDATION
    steps = epochs * -(-n_fit // batch_size)

    keras = _keras()
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
    with _deterministic(seed):
        net = build_fashion_net()
        cpu_start = time.process_time()
        history, seconds = _fit(
            net,
            x_train[:n_fit],
            y_train[:n_fit],
            keras.optimizers.Adam(schedule),
            epochs=epochs,
            batch_size=batch_size,
            validation_data=(x_train[n_fit:], y_train[n_fit:]),
            validation_batch_size=1000,
            verbose=verbose,
        )
        cpu_seconds = time.process_time() - cpu_start
        accuracy = _accuracy(net, x_test, y_test)
    record = {
        "file": NET_FILE.name,
        "command": (
            f"python -m cnnkit.pretrained --network fashion --epochs {epochs} "
            f"--seed {seed} --batch-size {batch_size}"
        ),
        "source": {
            "name": data.name,
            "loaded_from": data.source,
            "train_images": n_fit,
            "validation_images": VALIDATION,
            "test_images": len(x_test),
        },
        "input": "pixels scaled to 0..1 (x / 255), a channel axis last",
        "input_shape": list(net.input_shape[1:]),
        "output_shape": list(net.output_shape[1:]),
        "params": net.count_params(),
        "architecture": _architecture(net),
        "training": {
            "seed": seed,
            "epochs": epochs,
            "batch_size": batch_size,
            "widths": list(WIDTHS),
            "dense": DENSE,
            "dropout": DROPOUT,
            "optimizer": (
                f"Adam(learning_rate=CosineDecay({LEARNING_RATE}, decay_steps={steps}))"
            ),
            "loss": "sparse_categorical_crossentropy",
            "augmentation": "none",
            "validation": f"the last {VALIDATION} training images",
            "op_determinism": True,
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu_seconds, 1),
        },
        "history": {
            key: [round(float(value), 4) for value in values]
            for key, values in history.items()
        },
        "test_accuracy": round(accuracy, 4),
        "target": TARGET,
        "tolerance": TOLERANCE,
        "versions": _versions(),
        "machine": _machine(),
    }
    return net, record


def load_fashion_net():
    """Load the course's Fashion-MNIST network, :data:`NET_FILE`.

    It is :func:`build_fashion_net`, the deeper network of the chapter on
    overfitting and its cures, trained for longer than a page may take. It takes
    ``(N, 28, 28, 1)`` images with pixels scaled to 0..1 (``x / 255``, as
    the chapter scales them) and returns ``(N, 10)`` class probabilities.
    :func:`fashion_net_record` has its recipe, training history and test
    accuracy (at least 92%). To load a network saved elsewhere by
    ``python -m cnnkit.pretrained --network fashion --out FILE``, use
    ``keras.saving.load_model(FILE)``.

    Returns
    -------
    keras.Model
        A fresh copy on every call, compiled as it was trained (cross-entropy,
        accuracy), so ``net.evaluate(x, y)`` works.

    Raises
    ------
    FileNotFoundError
        When the file is missing, saying how to make it.

    Examples
    --------
    >>> from cnnkit.datasets import load_fashion_mnist
    >>> _, (x_test, y_test) = load_fashion_mnist(verbose=False)
    >>> net = load_fashion_net()
    >>> p = net.predict(x_test[:100, ..., None] / 255, verbose=0)
    >>> p.shape, float((p.argmax(axis=1) == y_test[:100]).mean()) > 0.85
    ((100, 10), True)
    """
    return _load(
        None, NET_FILE, "Fashion-MNIST network", "--network fashion ", "minutes"
    )


def fashion_net_record() -> dict:
    """How the committed Fashion-MNIST network was made: :data:`RECORD_FILE`.

    Returns
    -------
    dict
        The JSON written beside the network by the run that trained it. Keys
        include ``"command"``, ``"training"`` (the recipe: seed, epochs,
        batch size, widths, optimizer, augmentation, seconds), ``"history"``
        (per-epoch ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``
        lists, as Keras's ``History.history``), ``"test_accuracy"``,
        ``"sha256"`` of the ``.keras`` file and ``"versions"``.

    Examples
    --------
    >>> record = fashion_net_record()
    >>> record["test_accuracy"] >= 0.92, sorted(record["history"])
    (True, ['accuracy', 'loss', 'val_accuracy', 'val_loss'])
    """
    return pretrained_record(RECORD_FILE)
