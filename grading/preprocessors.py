"""The nbgrader preprocessors the course adds (listed in ``nbgrader_config.py``).

:class:`HideHiddenTests` makes feedback say which tests failed and why,
never how they test. nbgrader's autograded notebook holds the hidden tests
again (it restores every test cell from the gradebook before running it),
and nbgrader's feedback is that notebook as HTML. Listed among
``GenerateFeedback.preprocessors``, this removes each hidden region from the
source the feedback shows and cuts the errors of those cells to their last
line (``AssertionError: feature_map(...): expected ..., got ...``): an
IPython traceback prints the lines around the failing one, which would show
the test's code.

:class:`DeduplicateIds` replaces nbgrader 0.9.6's own. When a student has
copied a graded cell, nbgrader's keeps the last copy and empties the other
copies' nbgrader metadata to ``{}``; with ``OverwriteCells.add_missing_cells``
on, nbgrader then fails with ``KeyError: 'grade_id'`` on that empty metadata.
This one removes the metadata instead, so the copy runs as a plain cell.

:class:`OverwriteCells` replaces nbgrader's too, to put a deleted test cell
back wherever it was, whatever came before it (see the class).
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import DeduplicateIds as _NbgraderDeduplicateIds
from nbgrader.preprocessors import OverwriteCells as _NbgraderOverwriteCells
from traitlets import Bool

from grading.course import HIDDEN_BEGIN, HIDDEN_END

#: What a student reads in place of the hidden tests.
NOTICE = "# (hidden tests: not shown)"


def strip_hidden(source: str) -> tuple[str, bool]:
    """``source`` with each hidden region replaced by :data:`NOTICE`.

    Returns
    -------
    (str, bool)
        The new source, and whether it had a hidden region.

    Examples
    --------
    >>> text = "# checks\\n### BEGIN HIDDEN TESTS\\nassert f(1)\\n### END HIDDEN TESTS"
    >>> strip_hidden(text)
    ('# checks\\n# (hidden tests: not shown)', True)
    """
    lines, inside, found = [], False, False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = found = True
            lines.append(NOTICE)
        elif HIDDEN_END in line:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines), found


class HideHiddenTests(Preprocessor):
    """Remove hidden tests' code, and tracebacks that quote it, from feedback."""

    # nbconvert's preprocessors are off unless enabled; this one always runs.
    enabled = Bool(True, help="Whether to hide hidden tests.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        """Strip one cell; others pass unchanged."""
        if cell.cell_type != "code":
            return cell, resources
        cell.source, hidden = strip_hidden(cell.source)
        if hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources


class DeduplicateIds(_NbgraderDeduplicateIds):
    """nbgrader's, but a duplicate loses its nbgrader metadata altogether."""

    def preprocess_cell(self, cell, resources, index):
        """Keep the last copy of each graded cell; make the others plain cells."""
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class OverwriteCells(_NbgraderOverwriteCells):
    """nbgrader's, but a deleted test cell goes back after any earlier cell.

    nbgrader 0.9.6 puts a deleted graded cell back after the graded or
    answer cell that comes before it in the source, and fails with a
    ``KeyError`` when that one is a read-only cell (an instruction, or a
    given cell that trains the network) or was deleted too. This one puts it
    after the nearest earlier cell of the source that is still there.
    """

    def add_missing_grade_cells(self, nb, resources):
        """Put back every deleted graded cell, in the source's order."""
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        cells = {cell.name: cell for cell in source.source_cells}
        order = [cell.name for cell in source.source_cells]
        graded = {cell.name: cell for cell in source.grade_cells}
        answers = {cell.name for cell in source.solution_cells}
        present = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        for name in order:
            if name not in graded or name in present:
                continue
            self.log.warning(
                "Missing grade cell %s encountered, adding to notebook", name
            )
            cell = self.missing_cell_transform(
                cells[name], graded[name].max_score, is_solution=name in answers
            )
            earlier = [n for n in order[: order.index(name)] if n in present]
            position = present.index(earlier[-1]) + 1 if earlier else 0
            nb.cells.insert(position, cell)
            present.insert(position, name)
        return nb, resources
