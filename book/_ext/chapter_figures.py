"""Number a chapter's figures by its chapter, as d2l does: "Fig. 10.3".

Sphinx numbers every captioned figure (``numfig``), chapters' code-cell
outputs captioned in their metadata included, but it takes a chapter's
number from a numbered table of contents. This book's table of contents is
not numbered: a chapter carries its number in its title (``# 10. Training
better CNNs``), and numbering the table of contents would count the part
overviews as chapters and print every chapter's number twice. So Sphinx
would number the figures straight through the book (Fig. 1 to Fig. 44).

Once Sphinx has numbered the figures, those of a page whose title starts
with a number are numbered again: 10.1, 10.2, ... in the order they appear.
Pages whose title has no number keep Sphinx's numbers.
"""

from __future__ import annotations

import re

_NUMBERED_TITLE = re.compile(r"(\d+)\.\s")


def chapter_number(title: str) -> int | None:
    """The chapter number a title starts with ("10. Training ..." -> 10)."""
    match = _NUMBERED_TITLE.match(title)
    return int(match.group(1)) if match else None


def _number_by_chapter(app, env) -> list[str]:
    for docname, by_type in env.toc_fignumbers.items():
        title = env.titles.get(docname)
        chapter = chapter_number(title.astext()) if title is not None else None
        if chapter is None:
            continue
        for figtype, numbers in by_type.items():
            by_type[figtype] = {
                ident: (chapter, n) for n, ident in enumerate(numbers, 1)
            }
    return []


def setup(app):
    # After Sphinx numbers the figures (its toctree collector, at priority 500).
    app.connect("env-get-updated", _number_by_chapter, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
