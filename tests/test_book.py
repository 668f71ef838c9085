"""The book's table of contents and its pages agree, and stored notebook
outputs are fit to publish."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def _toc_files() -> list[str]:
    files = [TOC["root"]]
    for part in TOC["parts"]:
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def _source(entry: str) -> Path:
    matches = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
    found = [p for p in matches if p.exists()]
    assert len(found) == 1, f"{entry}: expected one source file, found {found}"
    return found[0]


def test_every_toc_entry_has_one_source_file():
    for entry in _toc_files():
        _source(entry)


def test_every_page_and_chapter_is_in_the_toc():
    listed = {_source(entry) for entry in _toc_files()}
    pages = set((ROOT / "book").glob("*.md"))
    chapters = set((ROOT / "notebooks").glob("*.ipynb"))
    assert pages | chapters <= listed, sorted(map(str, (pages | chapters) - listed))


def test_the_parts_the_course_promises():
    captions = [part["caption"] for part in TOC["parts"]]
    assert "Part I: Seeing with kernels" in captions
    assert "Part II: Learning the kernels" in captions
    assert "Assignments" in captions


def test_solutions_are_never_published():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True
    assert "solutions" in config["exclude_patterns"]
    assert not any(entry.startswith("solutions") for entry in _toc_files())


def _chapter_outputs():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                yield path.name, output


def test_no_stored_output_is_an_error_or_a_tensorflow_log():
    for name, output in _chapter_outputs():
        assert output["output_type"] != "error", f"{name} stores a traceback"
        text = "".join(output.get("text", ""))
        assert not (output.get("name") == "stderr" and "tensorflow" in text.lower()), (
            f"{name} stores TensorFlow's start-up log"
        )


def test_launch_buttons_and_download_button_are_configured():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    buttons = config["launch_buttons"]
    for key in ("colab_url", "binderhub_url", "jupyterhub_url"):
        assert buttons[key].startswith("https://"), key
    assert buttons["notebook_interface"] == "jupyterlab"
    sphinx = config["sphinx"]
    assert sphinx["recursive_update"] is True  # keeps the derived launch buttons
    assert sphinx["config"]["html_theme_options"]["use_download_button"] is True
