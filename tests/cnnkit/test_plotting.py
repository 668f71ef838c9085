"""cnnkit.plotting as a package: every figure is importable from it, as the
chapters, the assignments and cnnkit's own modules call them, and each lives
in the module named after what it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnnkit import plotting

ROOT = Path(__file__).resolve().parents[2]
MODULES = {
    "values": ["show_kernel", "show_values"],
    "maps": ["show_image", "show_kernel_effects", "show_maps"],
    "positions": ["conv_animation", "show_positions"],
    "curves": ["compare_histories", "plot_history"],
    "confusion": ["show_confusion", "show_mistakes"],
}
USES = re.compile(
    r"\bplotting\.(\w+)|from cnnkit\.plotting import ([\w, ]+)|"
    r"from cnnkit\.plotting import \(([\w,\s]+)\)"
)


def test_all_names_every_figure():
    assert sorted(plotting.__all__) == sorted(sum(MODULES.values(), []))


@pytest.mark.parametrize(("module", "names"), MODULES.items())
def test_each_figure_lives_in_the_module_named_after_what_it_shows(module, names):
    for name in names:
        assert getattr(plotting, name).__module__ == f"cnnkit.plotting.{module}"


def _used_names() -> dict[str, set[str]]:
    """The names of cnnkit.plotting each chapter, assignment or module uses."""
    files = [
        *ROOT.glob("notebooks/**/*.ipynb"),
        *ROOT.glob("solutions/**/*.ipynb"),
        *ROOT.glob("cnnkit/**/*.py"),
    ]
    used = {}
    for path in files:
        found = set()
        for match in USES.finditer(path.read_text(encoding="utf-8")):
            attribute, *imported = match.groups()
            found |= {attribute} if attribute else set()
            for group in imported:
                found |= {n.strip() for n in (group or "").split(",") if n.strip()}
        if found:
            used[path.relative_to(ROOT).as_posix()] = found
    return used


def test_every_name_the_book_and_cnnkit_use_is_importable_from_the_package():
    used = _used_names()
    assert any(p.startswith("notebooks/") for p in used)  # the scan finds uses
    missing = {p: names - set(dir(plotting)) for p, names in used.items()}
    assert {p: names for p, names in missing.items() if names} == {}
