"""The repository keeps the promises its README and configuration make."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"]


def test_repository_url_is_written_once_and_agreed_everywhere():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert set(pyproject["project"]["urls"].values()) == {REPO_URL}
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["repository-code"] == REPO_URL
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    pattern = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+")
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".md", ".py", ".yml", ".toml", ".cff", ".ipynb"}:
            continue
        for url in pattern.findall(path.read_text(errors="ignore")):
            owner_repo = url.removeprefix("https://github.com/").rstrip(".")
            if owner_repo.split("/")[0] == REPO_URL.split("/")[3]:
                assert url.rstrip(".").startswith(REPO_URL), f"{name}: {url}"


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


def test_readme_commands_are_make_targets():
    readme = (ROOT / "README.md").read_text()
    commands = set(re.findall(r"`make ([a-z][\w-]*)`", readme))
    commands |= set(re.findall(r"^make ([a-z][\w-]*)$", readme, re.M))
    assert {"book", "test"} <= commands
    assert commands <= _make_targets(), commands - _make_targets()


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_owner_layout_is_present():
    for name in [
        "book",
        "notebooks",
        "solutions",
        "cnnkit",
        "tests",
        "_config.yml",
        "_toc.yml",
        "environment.yml",
        "README.md",
        "pyproject.toml",
        "Makefile",
        "nbgrader_config.py",
        ".ci/run",
        "LICENSE",
        "CITATION.cff",
    ]:
        assert (ROOT / name).exists(), name


def test_nbgrader_config_uses_the_course_layout():
    path = ROOT / "nbgrader_config.py"
    namespace = {"get_config": lambda: _Config(), "__file__": str(path)}
    exec(path.read_text(), namespace)
    course = namespace["c"].CourseDirectory
    assert course.source_directory == "solutions"
    assert course.release_directory == "notebooks/assignments"
    assert Path(course.root) == ROOT


class _Config:
    """A stand-in for traitlets' config: attribute access creates sections."""

    def __getattr__(self, name):
        section = _Config()
        object.__setattr__(self, name, section)
        return section


def test_import_cnnkit_does_not_import_tensorflow():
    code = "import cnnkit, sys; print('tensorflow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "False"


def test_package_version_matches_pyproject():
    import cnnkit

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert cnnkit.__version__ == pyproject["project"]["version"]


def test_tool_caches_are_kept_out_of_the_repository_and_home():
    import os
    import tempfile

    temp = Path(tempfile.gettempdir()).resolve()
    for var in [
        "KERAS_HOME",
        "MPLCONFIGDIR",
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "IPYTHONDIR",
    ]:
        path = Path(os.environ[var]).resolve()
        assert temp in path.parents, f"{var}={path}"
        assert ROOT not in path.parents and Path.home() not in path.parents


def test_no_module_of_cnnkit_is_over_800_lines():
    """A module holds one idea a reader meets in the book; one past 800 lines
    holds more, and is split along its seams into a package."""
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines())
        for path in (ROOT / "cnnkit").rglob("*.py")
    }
    assert len(sizes) > 10  # the scan finds the modules
    assert {name: n for name, n in sizes.items() if n > 800} == {}


def test_every_package_of_cnnkit_is_in_pyproject():
    """An editable install finds every subpackage; a real one only those listed."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    packages = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "cnnkit").rglob("__init__.py")
    }
    assert {"cnnkit", "cnnkit.plotting"} <= packages
    assert packages - listed == set()
    assert [
        name for name in listed if not (ROOT / name.replace(".", "/")).is_dir()
    ] == []
