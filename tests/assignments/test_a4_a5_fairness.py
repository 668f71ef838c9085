"""Assignments 4 and 5 are fair to honest students.

What an assignment's text asks is what its tests check; every right way of
doing a part passes; one mistake costs points once; points and time limits
are stated as they are; and a training budget counts the examples a model
trained on, not Keras's epochs.

The slow tests run the source notebooks' own cells (solutions, given cells,
visible and hidden tests) in a fresh kernel, with one answer cell replaced
at a time; a4's training set is cut to a few thousand images there, which
changes the budget's numbers, not its code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from _submissions import cell_of, grade_id, source_version, without_markers

from cnnkit.check import count_examples, error_line, expect_passes
from grading.course import limits

A4, A5 = "a4-keras-cnn", "a5-transfer"


def _text(cell: dict) -> str:
    return "".join(cell["source"])


def _code(assignment: str, name: str) -> str:
    """A source cell's code as it runs when graded: solution, hidden tests and all."""
    return without_markers(_text(cell_of(source_version(assignment), name)))


def _graded(assignment: str) -> dict[str, float]:
    """Each graded cell's points, in notebook order."""
    return {
        grade_id(c): c["metadata"]["nbgrader"]["points"]
        for c in source_version(assignment)["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    }


# -- points and limits, as stated ---------------------------------------------

_SECTION = re.compile(r"^## \d+\. .*\((\d+) points?\)$", re.MULTILINE)
_TOTAL = re.compile(r"\*\*Points:\*\* (\d+) in all")


@pytest.mark.parametrize("assignment", [A4, A5])
def test_each_section_states_the_points_its_test_cells_hold(assignment):
    points = _graded(assignment)
    stated, held, section = [], [], None
    for cell in source_version(assignment)["cells"]:
        heading = (
            _SECTION.search(_text(cell)) if cell["cell_type"] == "markdown" else None
        )
        if heading:
            stated.append(int(heading.group(1)))
            held.append(0)
            section = len(held) - 1
        elif grade_id(cell) in points:
            assert section is not None, f"{grade_id(cell)} is in no section"
            held[section] += points[grade_id(cell)]
    assert stated == held
    intro = _text(cell_of(source_version(assignment), "intro"))
    assert float(_TOTAL.search(intro).group(1)) == sum(stated) == sum(points.values())


@pytest.mark.parametrize("assignment", [A4, A5])
def test_the_introduction_states_both_time_limits(assignment):
    source = source_version(assignment)
    minutes = {k: v / 60 for k, v in limits(source).items()}
    intro = " ".join(_text(cell_of(source, "intro")).split())
    assert f"any cell that runs longer than {minutes['cell']:g} minutes" in intro
    assert f"the whole notebook after {minutes['notebook']:g} minutes" in intro


def _training_set_size(assignment: str) -> int:
    """The examples a budget's passes go over: a4's training set, a5's pick."""
    from cnnkit import datasets

    if assignment == A4:
        (x, _), _ = datasets.load_mnist(download=False, verbose=False)
        return len(x)
    (_, y), _ = datasets.load_digits_28(verbose=False)
    setup = _code(A5, "setup-imports")
    per_class = int(re.search(r"LABELS_PER_CLASS = (\d+)", setup).group(1))
    return per_class * len(np.unique(y))


@pytest.mark.parametrize("assignment", [A4, A5])
def test_the_budget_is_stated_as_the_tests_check_it(assignment):
    code = "".join(
        _code(assignment, c)
        for c in ("budget-visible", "frozen-hidden")
        if c in _graded(assignment)
    )
    (passes,) = map(int, re.findall(r"expect_passes\(seen, [^,]+, (\d+), ", code))
    n = _training_set_size(assignment)
    source = source_version(assignment)
    text = " ".join(" ".join(_text(c) for c in source["cells"]).split())
    assert f"at most {passes} passes" in text
    assert f"{passes} × {n:,} = {passes * n:,} training examples" in text


# -- a4: the counting text and its tests agree --------------------------------


def _params_namespace() -> dict:
    """What a4's counting tests see: the solution's params_per_layer and tools."""
    import keras

    from cnnkit.check import expect_equal, off_limits

    ns = {"keras": keras, "np": np, "expect_equal": expect_equal}
    ns["off_limits"] = off_limits
    exec(_code(A4, "params-per-layer"), ns)
    return ns


def _handled_kinds() -> set[str]:
    """The kinds of layer a4's text gives a formula for (its bullets)."""
    text = _text(cell_of(source_version(A4), "md-params"))
    return set(re.findall(r"^- `(\w+)`:", text, re.MULTILINE))


def test_a4_counting_tests_count_only_what_the_text_explains():
    ns = _params_namespace()
    exec(_code(A4, "params-hidden"), ns)  # passes with the solution
    counted = {
        type(layer).__name__
        for model in ns["_models"]
        for layer in model.layers
        if layer.count_params()
    }
    assert counted <= _handled_kinds(), counted - _handled_kinds()
    kernels = {
        tuple(layer.get_config()["kernel_size"])
        for model in ns["_models"]
        for layer in model.layers
        if type(layer).__name__ == "Conv2D"
    }
    assert any(kh != kw for kh, kw in kernels)  # so the text must cover them:
    text = " ".join(_text(cell_of(source_version(A4), "md-params")).split())
    assert "need not be square" in text


def test_a4_the_worked_example_of_a_rectangular_kernel_is_right():
    import keras

    text = " ".join(_text(cell_of(source_version(A4), "md-params")).split())
    example = re.search(
        r"`Conv2D\((\d+), \((\d+), (\d+)\)\)` on (\d+) channels has ([\d ×+]+) = "
        r"([\d,]+) parameters",
        text,
    )
    assert example, "the text works one rectangular kernel through"
    filters, kh, kw, channels = (int(example.group(i)) for i in range(1, 5))
    assert kh != kw
    layer = keras.layers.Conv2D(filters, (kh, kw))
    layer.build((None, 20, 24, channels))
    shown = example.group(5).replace("×", "*")
    assert eval(shown) == layer.count_params()  # the working shown adds up
    assert int(example.group(6).replace(",", "")) == layer.count_params()


def test_a4_a_model_with_batch_normalization_passes_the_visible_count():
    import keras

    layers = keras.layers
    ns = _params_namespace()
    ns["model"] = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(8, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(16, (3, 5)),
            layers.BatchNormalization(center=False),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )
    kinds = {type(x).__name__ for x in ns["model"].layers if x.count_params()}
    assert kinds <= _handled_kinds()
    exec(_code(A4, "params-visible"), ns)


# -- the budget counts examples, however they are fed -------------------------


def _tiny_model():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data(n=96):
    rng = np.random.default_rng(0)
    return rng.random((n, 4), np.float32), rng.integers(0, 3, n)


def test_a_repeated_pipeline_counts_every_pass_it_makes():
    import tensorflow as tf

    x, y = _data()
    model = _tiny_model()
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).repeat()
    with count_examples(model) as seen:
        history = model.fit(
            batches, epochs=1, steps_per_epoch=6 * 96 // 16, shuffle=False, verbose=0
        )
    assert history.params["epochs"] == 1 and seen.examples == 6 * 96
    with pytest.raises(AssertionError) as failed:
        expect_passes(seen, 96, 2, "train")
    assert str(failed.value) == (
        "train: expected at most 2 passes over the 96 training examples "
        "(192 examples), got 576 examples (6 passes)"
    )
    assert "train_step" not in vars(model)  # put back as it was


def test_one_pass_split_into_more_keras_epochs_counts_once():
    import tensorflow as tf

    x, y = _data()
    model = _tiny_model()
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()
    with count_examples(model) as seen:
        model.fit(
            batches, epochs=4, steps_per_epoch=96 // (4 * 8), shuffle=False, verbose=0
        )
        model.evaluate(x, y, verbose=0)  # not training: not counted
    assert seen.examples == 96
    expect_passes(seen, 96, 1, "train")


def test_validation_and_single_batches_count_as_they_train():
    x, y = _data()
    model = _tiny_model()
    with count_examples(model) as seen:
        model.train_on_batch(x[:5], y[:5])
        model.fit(x, y, epochs=2, batch_size=10, validation_split=0.25, verbose=0)
    assert seen.examples == 5 + 2 * 72


def test_a_model_never_trained_fails_the_budget():
    model = _tiny_model()
    with count_examples(model) as seen:
        pass
    with pytest.raises(AssertionError, match=r"^train: expected the model trained"):
        expect_passes(seen, 96, 2, "train")


# -- the notebooks' own cells, run as when graded -----------------------------


def _run(
    steps: list[tuple[str, str]], folder: Path
) -> dict[str, tuple[str | None, str]]:
    """Run (label, code) cells in one fresh kernel: label -> (error line, stdout)."""
    from nbclient import NotebookClient

    cells = [nbformat.v4.new_code_cell(code) for _, code in steps]
    notebook = nbformat.v4.new_notebook(cells=cells)
    client = NotebookClient(
        notebook,
        timeout=600,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    results = {}
    for (label, _), cell in zip(steps, notebook.cells, strict=True):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        out = "".join(
            o.get("text", "") for o in cell.outputs if o.output_type == "stream"
        )
        results[label] = (error_line(errors[0]) if errors else None, out)
    return results


def _facts(*names: str) -> str:
    """A cell printing what the tests need to know about a run, as JSON."""
    values = ", ".join(f"{name!r}: {name}" for name in names)
    return f"import json\nprint(json.dumps({{{values}}}))"


#: a4's training images in the budget runs, cut down to keep them short.
A4_IMAGES = 2560

A4_TRAIN = {
    "six passes in one epoch": """
        def train(model, x, y):
            batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(64).repeat()
            return model.fit(
                batches, epochs=1, steps_per_epoch=6 * len(x) // 64, verbose=0
            )
        """,
    "one pass in four epochs": """
        def train(model, x, y):
            batch = 64
            batches = (
                tf.data.Dataset.from_tensor_slices((x, y))
                .shuffle(len(x), seed=0)
                .batch(batch)
                .repeat()
            )
            return model.fit(
                batches, epochs=4, steps_per_epoch=len(x) // (4 * batch), verbose=0
            )
        """,
    # Chapter 9's code: two passes in eight rounds, a tenth kept to validate.
    "chapter 9": """
        def train(model, x, y):
            BATCH, ROUNDS, EPOCHS = 128, 8, 2
            x_fit, y_fit = x[: -len(x) // 10], y[: -len(y) // 10]
            x_val, y_val = x[-len(x) // 10 :], y[-len(y) // 10 :]
            steps_per_round = round(EPOCHS * len(x_fit) / BATCH / ROUNDS)
            batches = (
                tf.data.Dataset.from_tensor_slices((x_fit, y_fit))
                .shuffle(len(x_fit), seed=0)
                .batch(BATCH)
                .repeat()
            )
            return model.fit(
                batches,
                epochs=ROUNDS,
                steps_per_epoch=steps_per_round,
                validation_data=(x_val, y_val),
                shuffle=False,
                verbose=0,
            )
        """,
}


def _dedent(code: str) -> str:
    import textwrap

    return textwrap.dedent(code).strip("\n")


@pytest.fixture(scope="module")
def a4_runs(tmp_path_factory):
    steps = [
        ("setup", _code(A4, "setup-imports")),
        (
            "fewer images",
            f"x_train, y_train = x_train[:{A4_IMAGES}], y_train[:{A4_IMAGES}]\n"
            "x_test, y_test = x_test[:1000], y_test[:1000]",
        ),
        ("prepare", _code(A4, "prepare")),
        ("build-model", _code(A4, "build-model")),
    ]
    trains = {"solution": _code(A4, "train")}
    trains.update({name: _dedent(code) for name, code in A4_TRAIN.items()})
    for name, code in trains.items():
        steps += [
            (f"{name}: train", code),
            (f"{name}: run-training", _code(A4, "run-training")),
            (f"{name}: budget-visible", _code(A4, "budget-visible")),
            (f"{name}: facts", _facts("seen.examples", 'history.params["epochs"]')),
        ]
    return _run(steps, tmp_path_factory.mktemp("a4"))


def _a4(runs, name):
    for label, (error, _) in runs.items():
        if not label.endswith("budget-visible") and not label.endswith("facts"):
            assert error is None, (label, error)
    return runs[f"{name}: budget-visible"][0], json.loads(runs[f"{name}: facts"][1])


@pytest.mark.slow
def test_a4_a_train_making_six_passes_fails_the_budget_saying_what_it_saw(a4_runs):
    error, facts = _a4(a4_runs, "six passes in one epoch")
    assert facts == {"seen.examples": 6 * A4_IMAGES, 'history.params["epochs"]': 1}
    assert error == (
        f"AssertionError: train: expected at most 2 passes over the {A4_IMAGES:,} "
        f"training examples ({2 * A4_IMAGES:,} examples), got {6 * A4_IMAGES:,} "
        "examples (6 passes)"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, epochs",
    [("solution", 2), ("one pass in four epochs", 4), ("chapter 9", 8)],
)
def test_a4_training_within_two_passes_passes_the_budget(a4_runs, name, epochs):
    error, facts = _a4(a4_runs, name)
    assert error is None
    assert facts['history.params["epochs"]'] == epochs  # more than 2 is fine
    assert 0 < facts["seen.examples"] <= 2 * A4_IMAGES


def _a5_layer_by_layer() -> str:
    code = _code(A5, "build-transfer-model")
    frozen = "    base.trainable = False\n"
    assert frozen in code
    return code.replace(
        frozen, "    for layer in base.layers:\n        layer.trainable = False\n"
    )


def _a5_not_frozen() -> str:
    code = _code(A5, "build-transfer-model")
    return code.replace("    base.trainable = False\n", "")


A5_FINE_TUNE = {
    # 360 passes, though Keras runs only the 60 epochs it is asked for
    "six times the budget": """
        def fine_tune(model, x, y):
            batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(20).repeat()
            return model.fit(
                batches, epochs=60, steps_per_epoch=6 * len(x) // 20, verbose=0
            )
        """,
    # 60 passes, reported every 0.6 of a pass
    "60 passes in 100 epochs": """
        def fine_tune(model, x, y):
            batches = (
                tf.data.Dataset.from_tensor_slices((x, y))
                .shuffle(len(x), seed=0)
                .batch(20)
                .repeat()
            )
            return model.fit(
                batches, epochs=100, steps_per_epoch=60 * len(x) // 2000, verbose=0
            )
        """,
}

#: a5's cells from section 2 on, which one answer of it can change.
A5_AFTER_PICK = [
    "build-visible",
    "build-hidden",
    "fine-tune",
    "run-transfer",
    "accuracy-visible",
    "frozen-hidden",
]


@pytest.fixture(scope="module")
def a5_runs(tmp_path_factory):
    """The whole notebook with each layer of the base frozen, then later parts
    again with the base left trainable and with other fine_tune's."""
    steps = []
    for cell in source_version(A5)["cells"]:
        name = grade_id(cell)
        if cell["cell_type"] != "code" or name in ("setup-colab", "self-check"):
            continue
        code = _a5_layer_by_layer() if name == "build-transfer-model" else None
        steps.append((f"layers: {name}", code or _code(A5, name)))
    steps.append(("not frozen: build-transfer-model", _a5_not_frozen()))
    steps += [(f"not frozen: {n}", _code(A5, n)) for n in A5_AFTER_PICK]
    steps.append(("solution: build-transfer-model", _code(A5, "build-transfer-model")))
    for name, code in A5_FINE_TUNE.items():
        steps.append((f"{name}: fine-tune", _dedent(code)))
        for cell in ("run-transfer", "frozen-hidden"):
            steps.append((f"{name}: {cell}", _code(A5, cell)))
        steps.append(
            (f"{name}: facts", _facts("seen.examples", 'history.params["epochs"]'))
        )
    return _run(steps, tmp_path_factory.mktemp("a5"))


def _failed(runs, prefix) -> dict[str, str]:
    return {
        label.split(": ", 1)[1]: error
        for label, (error, _) in runs.items()
        if label.startswith(f"{prefix}: ") and error is not None
    }


@pytest.mark.slow
def test_a5_freezing_each_layer_of_the_base_gets_full_marks(a5_runs):
    assert _failed(a5_runs, "layers") == {}
    ran = {label.split(": ", 1)[1] for label in a5_runs if label.startswith("layers:")}
    assert set(_graded(A5)) <= ran  # every graded cell ran, and passed


@pytest.mark.slow
def test_a5_a_base_left_trainable_costs_points_once(a5_runs):
    failed = _failed(a5_runs, "not frozen")
    assert list(failed) == ["build-visible"]
    said = re.fullmatch(
        r"AssertionError: trainable parameters of build_transfer_model\(base\): "
        r"expected 1290, got (\d+)",
        failed["build-visible"],
    )
    assert said and int(said.group(1)) > 128 * 10 + 10  # the base's too


@pytest.mark.slow
def test_a5_a_fine_tune_past_the_budget_fails_saying_what_it_saw(a5_runs):
    assert _failed(a5_runs, "six times the budget") == {
        "frozen-hidden": "AssertionError: fine_tune: expected at most 60 passes over "
        "the 100 training examples (6,000 examples), got 36,000 examples (360 passes)"
    }
    facts = json.loads(a5_runs["six times the budget: facts"][1])
    assert facts == {"seen.examples": 36_000, 'history.params["epochs"]': 60}


@pytest.mark.slow
def test_a5_sixty_passes_split_into_more_epochs_pass_the_budget(a5_runs):
    assert _failed(a5_runs, "60 passes in 100 epochs") == {}
    facts = json.loads(a5_runs["60 passes in 100 epochs: facts"][1])
    assert facts == {"seen.examples": 6_000, 'history.params["epochs"]': 100}
