"""Is the transfer gain real? A pretrained base vs the same network from scratch.

The target is :func:`cnnkit.datasets.load_digits_28` (scikit-learn's digits,
other writers and another scanner than MNIST's). For each number of labels
per class and each seed, the same few labelled images train two networks of
the same architecture (:func:`cnnkit.pretrained.build_classifier` around
:func:`cnnkit.pretrained.build_base`):

* **pretrained**: the base trained on a source data set, frozen, and a new
  head (dropout and a softmax layer);
* **scratch**: the same base with fresh random weights, everything trained.

Both get the same training (Adam, learning rate 0.001, 150 epochs, batches
of 32) and are scored on the 899 test images. Bases are trained on every
source this machine has (`python -m cnnkit.pretrained`'s recipe); the
committed base is used as it is for the source it was trained on.

Run from the repository's root (a few minutes per source on two cores)::

    python benchmarks/transfer_gain.py              # writes benchmarks/TRANSFER.md
    python benchmarks/transfer_gain.py --labels 1 10 --seeds 0 --out -
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from cnnkit import datasets, pretrained  # noqa: E402

EPOCHS = 150
BATCH_SIZE = 32
HERE = Path(__file__).resolve().parent


def few_labels(x, y, per_class: int, seed: int):
    """``per_class`` images of each class, drawn without replacement."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    picked = [
        rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in classes
    ]
    idx = np.concatenate(picked)
    return x[idx], y[idx]


def accuracy(base, x, y, x_test, y_test, seed: int) -> float:
    """Train ``build_classifier(base)`` on (x, y); its accuracy on the test set."""
    import keras

    model = pretrained.build_classifier(base, 10)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x[..., None], y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    return float(model.evaluate(x_test[..., None], y_test, verbose=0)[1])


def compare(load_base, per_class: int, seed: int, target=None) -> dict:
    """Test accuracy of a frozen pretrained base + new head, and from scratch.

    ``load_base`` returns a fresh pretrained base each time it is called.
    """
    import keras

    (x_train, y_train), (x_test, y_test) = target or datasets.load_digits_28(
        verbose=False
    )
    x, y = few_labels(x_train, y_train, per_class, seed)
    keras.utils.set_random_seed(seed)
    base = load_base()
    base.trainable = False
    with_base = accuracy(base, x, y, x_test, y_test, seed)
    keras.utils.set_random_seed(seed)
    scratch = accuracy(pretrained.build_base(), x, y, x_test, y_test, seed)
    return {"pretrained": with_base, "scratch": scratch}


def base_for(source: str, tmp: Path):
    """A function returning fresh copies of a base trained on ``source``."""
    record = pretrained.pretrained_record()
    if record["source"]["name"].lower() == source:
        return pretrained.load_pretrained, record, "the committed base"
    path = tmp / f"base-{source}.keras"
    base, record = pretrained.train_base(source, **_recipe(record))
    base.save(path)
    return (lambda: pretrained.load_pretrained(path)), record, "trained for this run"


def _recipe(record: dict) -> dict:
    t = record["training"]
    return {"epochs": t["epochs"], "seed": t["seed"], "batch_size": t["batch_size"]}


def _loader(source: str) -> str:
    return f"cnnkit.datasets.{pretrained.SOURCES[source]}()"


def _mean_sd(values) -> str:
    values = 100 * np.asarray(values)
    return f"{values.mean():.1f} ± {values.std(ddof=1) if len(values) > 1 else 0:.1f}"


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=list(pretrained.SOURCES))
    parser.add_argument("--labels", nargs="+", type=int, default=[1, 3, 5, 10])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", default=str(HERE / "TRANSFER.md"), help="- for stdout")
    args = parser.parse_args(argv)

    import tempfile

    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    target = datasets.load_digits_28(verbose=False)
    rows, notes, started = [], [], time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for source in args.sources:
            try:
                load_base, record, how = base_for(source, Path(tmp))
            except datasets.DataUnavailableError as err:
                first = str(err).split(". Tried")[0]
                how = f"see `{_loader(source)}`"
                notes.append(f"- {source}: not measured: {first} ({how})")
                print(notes[-1], flush=True)
                continue
            notes.append(
                f"- {record['source']['name']} base ({how}): "
                f"{record['training']['epochs']} epochs, seed "
                f"{record['training']['seed']}, source test accuracy "
                f"{record['source_test_accuracy']:.4f}, data from "
                f"{record['source']['loaded_from']}"
            )
            for k in args.labels:
                runs = [compare(load_base, k, s, target) for s in args.seeds]
                pre = [r["pretrained"] for r in runs]
                scr = [r["scratch"] for r in runs]
                gain = [p - s for p, s in zip(pre, scr, strict=True)]
                rows.append(
                    f"| {record['source']['name']} | {k} | {10 * k} | "
                    f"{_mean_sd(pre)} | {_mean_sd(scr)} | {_mean_sd(gain)} |"
                )
                print(rows[-1], flush=True)
    minutes = (time.perf_counter() - started) / 60
    seeds = ", ".join(map(str, args.seeds))
    text = "\n".join(
        [
            "# Transfer gain: pretrained base vs the same network from scratch",
            "",
            "Written by `python benchmarks/transfer_gain.py`; do not edit by hand.",
            "",
            "Target: `cnnkit.datasets.load_digits_28()` (scikit-learn's 8x8 digits "
            "redrawn at 28x28), trained on the given number of labelled images per "
            f"class and scored on its {len(target[1][1])} test images. "
            "*Pretrained*: the base trained on the source, frozen, plus a new head "
            "(dropout 0.3, softmax). *Scratch*: the same architecture with fresh "
            f"weights, all of it trained. Both: Adam 0.001, {EPOCHS} epochs, "
            f"batches of {BATCH_SIZE}. Test accuracy in %, mean ± sd over seeds "
            f"{seeds} (the seed picks the labelled images and the initial weights).",
            "",
            "| source | labels per class | labels | pretrained + new head "
            "| scratch | gain (points) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            "Bases:",
            "",
            *notes,
            "",
            f"Run: {minutes:.1f} min on {platform.machine()} with "
            f"{os.cpu_count()} CPU cores; Python {platform.python_version()}, "
            f"NumPy {np.__version__}, TensorFlow {tf.__version__}, "
            f"Keras {keras.__version__}.",
            "",
        ]
    )
    if args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text)
        print(f"Wrote {args.out}")
    return text


if __name__ == "__main__":
    main()
