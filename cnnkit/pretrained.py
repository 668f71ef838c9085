"""Networks the course trains itself and ships, and the real ImageNet base.

The chapter on transfer learning needs a network that has already learnt
something. Readers on Colab can download MobileNetV2's ImageNet weights; the
machines that build and test the course cannot. So the course ships its own
small base: a few convolution layers trained on a 28x28 grey data set by
:func:`train_base`, saved to ``cnnkit/data/pretrained_base.keras`` with a
record of how it was made (``pretrained_base.json``: architecture, source data,
seed, accuracy, versions). :func:`load_pretrained` loads it;
:func:`imagenet_base` builds the ImageNet one when its weights can be had.

The course's other shipped network, the Fashion-MNIST one of the chapter on
overfitting and its cures, lives in :mod:`cnnkit.fashion_net`; this module's
command trains either.

Retrain the committed networks (deterministic, on two CPU cores a few minutes
for the base and about a quarter of an hour for the Fashion-MNIST network)::

    python -m cnnkit.pretrained                     # the base
    python -m cnnkit.pretrained --network fashion   # make pretrained: both
    python -m cnnkit.pretrained --help              # source, epochs, seed, output

TensorFlow is imported inside the functions that need it, so importing this
module stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import platform
import shutil
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

__all__ = [
    "BASE_FILE",
    "RECORD_FILE",
    "SOURCES",
    "WeightsUnavailableError",
    "build_base",
    "build_classifier",
    "load_pretrained",
    "pretrained_record",
    "train_base",
    "imagenet_base",
]

DATA_DIR = Path(__file__).parent / "data"
#: The committed base, and the record of how it was made.
BASE_FILE = DATA_DIR / "pretrained_base.keras"
RECORD_FILE = DATA_DIR / "pretrained_base.json"

#: Data sets the base can be trained on: name -> loader in cnnkit.datasets.
SOURCES = {"mnist": "load_mnist", "fashion-mnist": "load_fashion_mnist"}

#: How far a re-run's source test accuracy may be from the recorded one. The
#: run is deterministic on one machine; another CPU may round differently.
TOLERANCE = 0.01

# The recipe of the committed base; `python -m cnnkit.pretrained` uses these.
DEFAULTS = {"source": "mnist", "epochs": 6, "seed": 0, "batch_size": 128}
#: Size of the base's output, the features a new head sees.
FEATURES = 128
LEARNING_RATE = 1e-3
DROPOUT = 0.3
# Random shifts (fraction of the size) and turns (fraction of a full turn) of
# the source images while training: features that do not care exactly where a
# stroke is transfer better to other writers.
TRANSLATION = 0.1
ROTATION = 0.05

#: Where Keras downloads MobileNetV2's ImageNet weights from (Keras's own
#: ``BASE_WEIGHT_PATH``), the input sizes they exist for, and how many
#: seconds a silent connection may take before the download gives up.
IMAGENET_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
)
IMAGENET_SIZES = (96, 128, 160, 192, 224)
DOWNLOAD_TIMEOUT = 30


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights cannot be had here; the message names what to use."""


def _keras():
    """Import Keras, or say plainly that this part of cnnkit needs it."""
    try:
        import keras
    except ImportError:
        raise ImportError(
            "this part of cnnkit needs TensorFlow and Keras: "
            "pip install tensorflow (or install the course: pip install -e '.[course]')"
        ) from None
    return keras


def build_base():
    """The course's base, untrained: 28x28 grey images in, 128 features out.

    ``Rescaling(1/255)`` first, so it takes pixels as the loaders return them
    (0 to 255); then two blocks of 3x3 convolution, ReLU and 2x2 max pooling
    (32 and 64 filters), a ``Flatten`` and a dense layer of 128 ReLU units,
    the *features* a new head is put on: the whole network minus its last
    layer, as transfer learning usually keeps it. On a related task with few
    labels, the last hidden layer's features help more than the convolution
    blocks' maps alone.

    Returns
    -------
    keras.Sequential
        Input ``(N, 28, 28, 1)``; output ``(N, 128)``.

    Examples
    --------
    >>> base = build_base()
    >>> base.output_shape, base.count_params()
    ((None, 128), 420352)
    """
    keras = _keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Rescaling(1 / 255),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(FEATURES, activation="relu", name="features"),
        ],
        name="cnnkit_base",
    )


def build_classifier(base, num_classes: int = 10, *, dropout: float = DROPOUT):
    """``base`` followed by a new head: dropout and a softmax layer.

    The head used to train the base on its source data, and the new head the
    chapter on transfer learning puts on a frozen base.

    Parameters
    ----------
    base : keras.Model
        Takes ``(N, 28, 28, 1)`` images, such as :func:`build_base` or
        :func:`load_pretrained`. Freeze it first (``base.trainable = False``)
        to train the head alone.
    num_classes : int
        Number of classes of the new task.
    dropout : float
        Fraction of the base's features dropped while training.

    Returns
    -------
    keras.Sequential
        Input ``(N, 28, 28, 1)``; output ``(N, num_classes)`` probabilities.
    """
    keras = _keras()
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            base,
            keras.layers.Dropout(dropout),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="classifier",
    )


def _architecture(model) -> list[dict]:
    """One entry per layer: its class, output shape and number of parameters."""
    return [
        {
            "layer": type(layer).__name__,
            "output_shape": list(layer.output.shape[1:]),
            "params": layer.count_params(),
        }
        for layer in model.layers
    ]


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@contextlib.contextmanager
def _deterministic(seed: int):
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's ops repeatable
    until the ``with`` block ends; op determinism is then as it was before.

    TensorFlow exports only ``enable_op_determinism``; the functions that read
    and undo it live beside it in ``tensorflow.python.framework.config``.
    """
    from tensorflow.python.framework import config as tf_config

    was_on = tf_config.is_op_determinism_enabled()
    _keras().utils.set_random_seed(seed)
    tf_config.enable_op_determinism()
    try:
        yield
    finally:
        if not was_on:
            tf_config.disable_op_determinism()


def _versions() -> dict:
    """The versions of the software that trained a network, for its record."""
    import tensorflow as tf

    keras = _keras()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def _fit(model, x, y, optimizer, *, epochs: int, batch_size: int, **fit_args):
    """Compile ``model`` for sparse cross-entropy and fit it on shuffled batches.

    Returns Keras's per-epoch history and the seconds the fit took.
    """
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        x, y, epochs=epochs, batch_size=batch_size, shuffle=True, **fit_args
    )
    return history.history, time.perf_counter() - start


def _machine() -> str:
    """The machine training runs on, for the record: CPU cores and GPUs."""
    import tensorflow as tf

    gpus = len(tf.config.list_physical_devices("GPU"))
    gpu_text = {0: "no GPU", 1: "1 GPU"}.get(gpus, f"{gpus} GPUs")
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, {gpu_text}"


def train_base(
    source: str = DEFAULTS["source"],
    *,
    epochs: int = DEFAULTS["epochs"],
    seed: int = DEFAULTS["seed"],
    batch_size: int = DEFAULTS["batch_size"],
    verbose: int = 0,
):
    """Train :func:`build_base` on a source data set, deterministically.

    The base gets the head of :func:`build_classifier` and is trained with
    Adam (learning rate 0.001) to minimise the cross-entropy on the full
    training set, each image randomly shifted (up to 10% of its size) and
    turned (up to 18 degrees); the head is then dropped. Seeds are fixed and
    TensorFlow's op determinism is on while it trains (and back as it was
    afterwards), so a re-run on the same machine gives the same weights.

    Parameters
    ----------
    source : {"mnist", "fashion-mnist"}
        The data set to learn from (loaded offline-first by
        :mod:`cnnkit.datasets`).
    epochs : int
        Passes over the 60,000 training images.
    seed : int
        Seed for the initial weights, dropout and the order of the batches.
    batch_size : int
        Images per step.
    verbose : int
        Keras's ``fit`` verbosity (0 silent, 2 one line per epoch).

    Returns
    -------
    base : keras.Sequential
        The trained base, without its head.
    record : dict
        How it was made: source, architecture, seed, epochs, the source test
        accuracy reached, seconds taken, versions.

    Examples
    --------
    One epoch takes about 20 seconds on two CPU cores, so this is not run as a
    doctest (``tests/cnnkit/test_pretrained.py`` re-runs the full recipe)::

        base, record = train_base("mnist", epochs=1)
        record["source_test_accuracy"]   # about 0.98
    """
    from cnnkit import datasets
    from cnnkit._validation import choice, positive_int

    choice(source, "source", tuple(SOURCES))
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    data = getattr(datasets, SOURCES[source])(download=False, verbose=False)
    (x_train, y_train), (x_test, y_test) = data

    keras = _keras()
    with _deterministic(seed):
        base = build_base()
        layers = keras.layers
        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                layers.RandomTranslation(TRANSLATION, TRANSLATION),
                layers.RandomRotation(ROTATION),
                build_classifier(base),
            ]
        )
        _, seconds = _fit(
            model,
            x_train[..., None],
            y_train,
            keras.optimizers.Adam(LEARNING_RATE),
            epochs=epochs,
            batch_size=batch_size,
            verbose=verbose,
        )
        _, accuracy = model.evaluate(x_test[..., None], y_test, verbose=0)
    record = {
        "file": BASE_FILE.name,
        "command": (
            f"python -m cnnkit.pretrained --source {source} --epochs {epochs} "
            f"--seed {seed} --batch-size {batch_size}"
        ),
        "source": {
            "name": data.name,
            "loaded_from": data.source,
            "train_images": len(x_train),
            "test_images": len(x_test),
        },
        "input_shape": list(base.input_shape[1:]),
        "output_shape": list(base.output_shape[1:]),
        "params": base.count_params(),
        "architecture": _architecture(base),
        "training": {
            "seed": seed,
            "epochs": epochs,
            "batch_size": batch_size,
            "optimizer": f"Adam(learning_rate={LEARNING_RATE})",
            "loss": "sparse_categorical_crossentropy",
            "head": f"Dropout({DROPOUT}), Dense(10, softmax)",
            "augmentation": (
                f"RandomTranslation({TRANSLATION}, {TRANSLATION}), "
                f"RandomRotation({ROTATION})"
            ),
            "op_determinism": True,
            "seconds": round(seconds, 1),
        },
        "source_test_accuracy": round(float(accuracy), 4),
        "tolerance": TOLERANCE,
        "versions": _versions(),
        "machine": _machine(),
    }
    return base, record


def load_pretrained(path: str | os.PathLike | None = None):
    """Load the course's pretrained base (or another saved base).

    The base takes ``(N, 28, 28, 1)`` images with pixels 0 to 255, as the
    loaders in :mod:`cnnkit.datasets` return them once given a channel axis
    (``x[..., None]``), and returns ``(N, 128)`` features. It is loaded
    trainable, as it was saved: freeze it with ``base.trainable = False``
    before putting a new head on it. :func:`pretrained_record` says what it
    was trained on and how well it did.

    Parameters
    ----------
    path : str or path-like, optional
        A ``.keras`` file; by default the committed one, :data:`BASE_FILE`.

    Returns
    -------
    keras.Model
        A fresh copy on every call.

    Raises
    ------
    FileNotFoundError
        When the file is missing; the message says how to make it.

    Examples
    --------
    >>> base = load_pretrained()
    >>> base.trainable = False
    >>> model = build_classifier(base)
    >>> model.output_shape, sum(w.numpy().size for w in model.trainable_weights)
    ((None, 10), 1290)
    """
    return _load(path, BASE_FILE, "pretrained base", "", "a few minutes")


def _load(path, default: Path, what: str, options: str, takes: str):
    """Load a ``.keras`` file, or say how to make it: ``python -m
    cnnkit.pretrained`` with ``options``, which takes ``takes`` on a CPU."""
    path = Path(default if path is None else path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no {what} at {path}: train one with "
            f"`python -m cnnkit.pretrained {options}--out {path}` (or `make "
            f"pretrained` for the committed one), which takes {takes} on a CPU"
        )
    return _keras().saving.load_model(path)


def pretrained_record(path: str | os.PathLike | None = None) -> dict:
    """How the committed base was made: the JSON written beside it.

    Parameters
    ----------
    path : str or path-like, optional
        The record's file; by default :data:`RECORD_FILE`.

    Returns
    -------
    dict
        Keys include ``"source"``, ``"architecture"``, ``"training"`` (seed,
        epochs, ...), ``"source_test_accuracy"``, ``"tolerance"``,
        ``"sha256"`` of the ``.keras`` file and ``"versions"``.

    Examples
    --------
    >>> record = pretrained_record()
    >>> record["input_shape"], record["training"]["seed"]
    ([28, 28, 1], 0)
    """
    return json.loads(Path(RECORD_FILE if path is None else path).read_text())


def imagenet_base(input_shape: tuple[int, int, int] = (224, 224, 3)):
    """MobileNetV2 with its ImageNet weights and without its top, if they can be had.

    The weights (about 9 MB) are downloaded on first use into Keras's cache,
    ``$KERAS_HOME/models``, under the name Keras itself gives them, and read
    from there afterwards. A connection silent for :data:`DOWNLOAD_TIMEOUT`
    seconds fails rather than hangs; no other connection of the process is
    affected. Feed the model RGB images scaled by
    ``keras.applications.mobilenet_v2.preprocess_input``.

    Parameters
    ----------
    input_shape : tuple of 3 ints
        ``(n, n, 3)`` with ``n`` one of :data:`IMAGENET_SIZES` (96, 128, 160,
        192 or 224), the sizes ImageNet weights exist for.

    Returns
    -------
    keras.Model
        Output ``(N, n/32, n/32, 1280)`` feature maps.

    Raises
    ------
    ValueError
        For an ``input_shape`` there are no ImageNet weights for.
    WeightsUnavailableError
        When the weights are neither cached nor downloadable (no internet);
        the message points at the course's own base, :func:`load_pretrained`.

    Examples
    --------
    Online (on Colab, say), or once the weights are in Keras's cache; not run
    as a doctest, since the machines that test the course are offline::

        base = imagenet_base((96, 96, 3))
        base.output_shape                # (None, 3, 3, 1280)
    """
    from cnnkit.datasets import _keras_home

    shape = tuple(input_shape)
    if (
        len(shape) != 3
        or shape[2] != 3
        or shape[0] != shape[1]
        or (shape[0] not in IMAGENET_SIZES)
    ):
        raise ValueError(
            "input_shape must be (n, n, 3) with n in "
            f"{', '.join(map(str, IMAGENET_SIZES))} (the sizes MobileNetV2's "
            f"ImageNet weights exist for), got {input_shape!r}"
        )
    keras = _keras()
    name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{shape[0]}_no_top.h5"
    path = _keras_home() / "models" / name
    if not path.is_file():
        try:
            _download(IMAGENET_WEIGHTS_URL + name, path)
        except (OSError, http.client.HTTPException) as err:
            raise WeightsUnavailableError(
                "MobileNetV2's ImageNet weights are not available here: they are "
                f"not in Keras's cache and the download failed ({err}). Use the "
                "course's own pretrained base instead: cnnkit.load_pretrained(), "
                "a small CNN for 28x28 grey images that ships with cnnkit."
            ) from None
    return keras.applications.MobileNetV2(
        input_shape=shape, include_top=False, weights=str(path)
    )


def _download(url: str, path: Path, timeout: float = DOWNLOAD_TIMEOUT) -> None:
    """Save ``url`` at ``path``; waiting more than ``timeout`` seconds for the
    server raises ``TimeoutError``. Nothing is left at ``path`` on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            with open(partial, "wb") as f:
                shutil.copyfileobj(response, f)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> dict:
    """Train a network and save it with its record: ``python -m cnnkit.pretrained``."""
    from cnnkit import fashion_net

    parser = argparse.ArgumentParser(
        prog="python -m cnnkit.pretrained",
        description="Train one of the course's networks and save it as a .keras "
        "file with a JSON record beside it: the small CNN base on a source data "
        "set (default), or the Fashion-MNIST network (--network fashion).",
    )
    parser.add_argument(
        "--network",
        choices=("base", "fashion"),
        default="base",
        help="base: the transfer-learning base (default); fashion: the "
        "Fashion-MNIST network of the chapter on overfitting and its cures",
    )
    parser.add_argument(
        "--source",
        choices=tuple(SOURCES),
        help="the data set the base learns from (default: mnist)",
    )
    for key in ("epochs", "seed", "batch_size"):
        parser.add_argument(
            "--" + key.replace("_", "-"),
            type=int,
            help=f"default: {DEFAULTS[key]} for the base, "
            f"{fashion_net.DEFAULTS[key]} for the fashion network",
        )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"where to save the network (default: {BASE_FILE} or "
        f"{fashion_net.NET_FILE}); the record goes beside it with the suffix .json",
    )
    args = parser.parse_args(argv)
    fashion = args.network == "fashion"
    if fashion and args.source is not None:
        parser.error("--source is for the base; the fashion network's is fixed")
    defaults = fashion_net.DEFAULTS if fashion else DEFAULTS
    recipe = {
        key: defaults[key] if getattr(args, key) is None else getattr(args, key)
        for key in ("epochs", "seed", "batch_size")
    }
    if fashion:
        net, record = fashion_net.train_fashion_net(**recipe, verbose=2)
        accuracy = record["test_accuracy"]
    else:
        net, record = train_base(args.source or DEFAULTS["source"], **recipe, verbose=2)
        accuracy = record["source_test_accuracy"]
    out = args.out or (fashion_net.NET_FILE if fashion else BASE_FILE)
    out.parent.mkdir(parents=True, exist_ok=True)
    net.save(out)
    record["file"] = out.name
    record["size_bytes"] = out.stat().st_size
    record["sha256"] = _sha256(out)
    record_path = out.with_suffix(".json")
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    print(
        f"Saved {out} ({record['size_bytes'] / 1e6:.2f} MB) and {record_path}: "
        f"{record['source']['name']} test accuracy {accuracy:.4f} after "
        f"{recipe['epochs']} epochs in {record['training']['seconds']:.0f} s"
    )
    return record


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
