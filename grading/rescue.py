"""Rescue: grading a notebook whose cells lost the assignment's metadata.

Students paste their work into a fresh Colab notebook, or rebuild a notebook
after a crash. The cells are right but carry no nbgrader metadata, so nbgrader
would find none of the assignment's graded cells and give 0. :func:`rescue`
rebuilds the released notebook around what the student wrote instead:

- a released cell that students may not edit (instructions, set-up, visible
  tests) is matched to a submitted cell with the same text (whitespace at
  line ends and around the cell ignored);
- an answer cell whose stub defines functions or classes is matched to the
  submitted cell that defines all of them (the last such cell, as Python
  would keep the last definition);
- an answer cell whose stub defines nothing (``# YOUR CODE HERE``) gets the
  code cells the student put between the released cells just before and
  after it (its instructions and its visible test), when both are matched;
- every other code cell the student wrote is kept, after the released cell
  that matches the student's cell before it, so helpers still run first.

Answers that match nothing keep the released stub and earn nothing. The order
of the pasted cells does not matter for answers that define functions: the
rebuilt notebook has the released order. A notebook in which nothing matches
is not rescued.

:func:`restore_metadata` mends the smaller accident: a notebook whose graded
cells are all there, but one of whose cells' nbgrader metadata was edited (a
test cell's points, an answer cell marked read-only). nbgrader would refuse
the notebook, or grade the cell as what the edit made it; the released
metadata is put back instead. Metadata that names no cell of the assignment
is removed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from cnnkit.check.notebook import _nbgrader, cell_source, defined_names

__all__ = ["Rescue", "Restored", "rescue", "restore_metadata"]


@dataclass
class Rescue:
    """What :func:`rescue` matched, and the notebook it rebuilt."""

    notebook: dict | None
    answers: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    fixed: int = 0
    fixed_total: int = 0
    extra: int = 0

    def summary(self) -> str:
        """One sentence for the grades report."""
        found = ", ".join(self.answers) or "none"
        text = (
            "its cells had no grading metadata (pasted into a new notebook?); "
            f"matched by content: answers {found} "
            f"({len(self.answers)} of {len(self.answers) + len(self.missing)}) "
            f"and {self.fixed} of {self.fixed_total} given cells"
        )
        if self.missing:
            text += f"; not found, graded as unanswered: {', '.join(self.missing)}"
        if self.extra:
            text += f"; {self.extra} other code cells of the student's kept"
        return text


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def rescue(submitted: dict, released: dict) -> Rescue:
    """Rebuild the released notebook with the answers found in ``submitted``.

    Parameters
    ----------
    submitted : dict
        The handed-in notebook, whose cells carry no nbgrader metadata.
    released : dict
        The assignment's student version, as released.

    Returns
    -------
    Rescue
        Its ``notebook`` is the rebuilt notebook, or None when nothing in
        ``submitted`` matched a cell of the assignment.
    """
    theirs = [
        c
        for c in submitted.get("cells", [])
        if isinstance(c, dict) and c.get("cell_type") in ("code", "markdown")
    ]
    texts = [_norm(cell_source(c)) for c in theirs]
    used: set[int] = set()
    at: dict[int, int] = {}  # released index -> submitted index
    result = Rescue(notebook=None)

    for i, cell in enumerate(released["cells"]):
        meta = _nbgrader(cell)
        if meta.get("solution") or not texts:
            continue
        result.fixed_total += 1
        text = _norm(cell_source(cell))
        match = next(
            (j for j, t in enumerate(texts) if j not in used and t == text), None
        )
        if match is not None:
            used.add(match)
            at[i] = match
            result.fixed += 1

    answers: dict[int, str] = {}
    for i, cell in enumerate(released["cells"]):
        meta = _nbgrader(cell)
        if not meta.get("solution"):
            continue
        names = defined_names(cell_source(cell))
        if names:
            found = [
                j
                for j, c in enumerate(theirs)
                if j not in used
                and c["cell_type"] == "code"
                and names <= defined_names(cell_source(c))
            ]
            chosen = found[-1:]
        elif i - 1 in at and i + 1 in at:
            chosen = [
                j
                for j in range(at[i - 1] + 1, at[i + 1])
                if j not in used and theirs[j]["cell_type"] == "code" and texts[j]
            ]
        else:
            chosen = []
        if chosen:
            used.update(chosen)
            at[i] = chosen[-1]
            answers[i] = "\n\n".join(cell_source(theirs[j]) for j in chosen)
            result.answers.append(meta["grade_id"])
        else:
            result.missing.append(meta["grade_id"])

    if not answers and not result.fixed:
        return result

    # The student's other code cells, each after the released cell that
    # matches the closest matched cell before it.
    after_released: dict[int, list[dict]] = {}
    by_position = sorted((j, i) for i, j in at.items())
    for j, cell in enumerate(theirs):
        if j in used or cell["cell_type"] != "code" or not texts[j]:
            continue
        anchor = max((i for jj, i in by_position if jj < j), default=-1)
        extra = {
            "id": f"rescued-{j}",
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": cell_source(cell),
        }
        after_released.setdefault(anchor, []).append(extra)
        result.extra += 1

    notebook = copy.deepcopy(released)
    cells = list(after_released.get(-1, []))
    for i, cell in enumerate(notebook["cells"]):
        if i in answers:
            cell["source"] = answers[i]
        cells.append(cell)
        cells += after_released.get(i, [])
    notebook["cells"] = cells
    result.notebook = notebook
    return result


@dataclass
class Restored:
    """What :func:`restore_metadata` put right: ``grade_id``s, in notebook order."""

    put_back: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.put_back or self.removed)

    def summary(self) -> str:
        """One sentence for the grades report."""
        parts = []
        if self.put_back:
            parts.append(
                f"the grading metadata of {_quoted(self.put_back)} had been "
                "edited; the released metadata was put back"
            )
        if self.removed:
            parts.append(
                f"grading metadata naming no cell of the assignment "
                f"({_quoted(self.removed)}) was removed; those cells ran as "
                "plain cells"
            )
        return "; ".join(parts)


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def restore_metadata(submitted: dict, released: dict) -> Restored:
    """Put back the released nbgrader metadata of the cells where it was edited.

    A cell whose nbgrader metadata names no cell of the assignment (copied
    from another assignment, say) loses it: nbgrader would fail the whole
    notebook over it.

    Parameters
    ----------
    submitted : dict
        The handed-in notebook, changed in place.
    released : dict
        The assignment's student version, as released.

    Returns
    -------
    Restored
        The cells whose metadata was put back, and those whose was removed.

    Examples
    --------
    >>> tests = {"grade_id": "t", "grade": True, "points": 2, "locked": True}
    >>> released = {"cells": [{"metadata": {"nbgrader": tests}}]}
    >>> edited = {"cells": [{"metadata": {"nbgrader": dict(tests, points="x")}},
    ...                     {"metadata": {"nbgrader": {"grade_id": "a2-only"}}}]}
    >>> print(restore_metadata(edited, released).summary())
    the grading metadata of "t" had been edited; the released metadata was put
    back; grading metadata naming no cell of the assignment ("a2-only") was
    removed; those cells ran as plain cells
    >>> [cell["metadata"] for cell in edited["cells"]]
    [{'nbgrader': {'grade_id': 't', 'grade': True, 'points': 2, 'locked': True}}, {}]
    """
    given = {
        meta["grade_id"]: meta
        for meta in map(_nbgrader, released["cells"])
        if "grade_id" in meta
    }
    result = Restored()
    for cell in submitted.get("cells", []):
        metadata = cell.get("metadata", {})
        meta = metadata.get("nbgrader", {})
        if meta == {}:  # none, or what nbgrader leaves on a copy: harmless
            continue
        name = meta.get("grade_id") if isinstance(meta, dict) else None
        original = given.get(name) if isinstance(name, str) else None
        if original is None:
            del metadata["nbgrader"]
            result.removed.append(name if isinstance(name, str) else "no id")
        # the checksum is nbgrader's to recompute; nothing else may change
        elif _without_checksum(meta) != _without_checksum(original):
            metadata["nbgrader"] = copy.deepcopy(original)
            result.put_back.append(name)
    return result


def _without_checksum(meta: dict) -> dict:
    return {key: value for key, value in meta.items() if key != "checksum"}
