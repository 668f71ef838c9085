"""The chapters' plain editions: each chapter in plain Jupyter Markdown.

The chapters are written in MyST Markdown for the website. Colab, GitHub's
notebook viewer, VS Code and JupyterLab without a MyST extension render plain
CommonMark, where a glued number would show as ``{glue:text}`name``` and every
exercise's solution would be printed in full. A chapter's *plain edition* is
the same notebook with its Markdown rewritten, construct by construct:

- a glued number becomes the text the website shows (:func:`glue_text`);
- an admonition becomes a bold title in a block quote, and a solution a
  closed ``<details>`` (:func:`admonitions`);
- ``{term}``, ``{cite:p}``/``{cite:t}`` and ``{doc}`` become links to the
  website (:func:`terms`, :func:`citations`, :func:`doc_links`);
- a figure gets its numbered caption in a Markdown cell below it
  (:func:`caption_cell`), and a line under the title says where the
  website's version of the chapter is (:func:`notice`).

Code cells, their sources and outputs are kept as they are, so the edition
runs as the chapter does. Anything MyST the converter does not know stops it
with an error naming the chapter and the construct (:func:`check_plain`).

``python -m publishing.editions [OUT]`` writes every chapter of ``_toc.yml``
to ``OUT/notebooks/NN-topic.ipynb`` (``make editions``).
"""

from __future__ import annotations

import argparse
import ast
import copy
import html
import importlib.util
import posixpath
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import nbformat
import pybtex.database
from pybtex.plugin import find_plugin
from sphinxcontrib.bibtex.style.referencing.author_year import (
    AuthorYearReferenceStyle,
)

from publishing import ROOT, book_config, site_url, toc_pages

#: The pages the roles link to (Sphinx document names).
GLOSSARY = "book/glossary"
REFERENCES = "book/references"

#: The admonition classes the chapters use; "dropdown" folds a solution.
CLASSES = {"warning", "note", "tip", "dropdown"}

_GLUE = re.compile(r"\{glue:text\}`([^`]+)`")
_TERM = re.compile(r"\{term\}`([^`]+)`")
_CITE = re.compile(r"\{cite:([pt])\}`([^`]+)`")
_DOC = re.compile(r"\{doc\}`([^`]+)`")
_TITLED = re.compile(r"(.+?)\s*<([^<>]+)>", re.S)  # a role's "text <target>"
_OPEN = re.compile(r":::\{admonition\}(.*)")
_OPTION = re.compile(r":(\w+):\s*(.*)")
_SPECIAL = re.compile(r"([\\`*_\[\]<>|$])")
#: What MyST writes and CommonMark does not: roles, directives (in colon or
#: backtick fences), directive options, targets, definition lists.
_MYST = re.compile(
    r"\{[\w:.-]+\}`|^[ >]*(?:`{3,}|:{3,})\s*\{|^[ >]*:[\w-]+:|^\(\S+\)=\s*$|^: ",
    re.M,
)


def escape(text: str) -> str:
    r"""Text made safe to place in Markdown: its special characters escaped.

    >>> escape("T-shirt/top")
    'T-shirt/top'
    >>> escape("a_b | 5*3")
    'a\\_b \\| 5\\*3'
    """
    return _SPECIAL.sub(r"\\\1", text)


def _titled(content: str) -> tuple[str, str]:
    """A role's ``text <target>`` as (text, target); a bare target is both."""
    match = _TITLED.fullmatch(content)
    return (match[1], match[2]) if match else (content, content)


# ---------------------------------------------------------------- glued values


def glued_values(notebook: dict) -> dict[str, str]:
    """Each glued name and the ``text/plain`` of its value, read from the
    stored outputs as myst-nb reads them (a later value replaces an earlier).

    A glued output carries ``scrapbook: {name, mime_prefix}`` in its metadata
    and its data under keys that start with the prefix
    (``application/papermill.record/text/plain``; see ``cnnkit.book``).
    """
    values = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if not record:
                continue
            prefix = record.get("mime_prefix", "")
            data = {key.removeprefix(prefix): v for key, v in output["data"].items()}
            if "text/plain" in data:
                plain = data["text/plain"]
                values[record["name"]] = (
                    plain if isinstance(plain, str) else "".join(plain)
                )
    return values


def format_glue(plain: str, fmt: str) -> str:
    """A glued ``text/plain`` value as myst-nb's ``{glue:text}`` role shows it.

    The text is read back as a Python literal where it is one, then formatted
    with ``fmt`` by its last character: ``s`` as text, ``bcdoxX`` as an
    integer, ``eEfFgGn%`` as a float, anything else (``","``) as it is.

    >>> format_glue("12288", ",")
    '12,288'
    >>> format_glue("0.764", ".1%")
    '76.4%'
    >>> format_glue("'Shirt'", "s")
    'Shirt'
    """
    try:
        value = ast.literal_eval(plain)
    except (SyntaxError, ValueError):
        value = plain
    if fmt == "":
        return str(value)
    kind = fmt[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, fmt)


def glue_text(markdown: str, values: dict[str, str], where: str) -> str:
    r"""Replace each ``{glue:text}`name``` and ``{glue:text}`name:fmt``` by
    the value's text, as the website shows it.

    >>> glue_text("{glue:text}`n:,` inputs", {"n": "12288"}, "ch")
    '12,288 inputs'
    >>> glue_text("{glue:text}`m`", {"n": "1"}, "ch")
    Traceback (most recent call last):
    ...
    ValueError: ch: no glued value named 'm' ({glue:text}`m`)
    """

    def paste(match: re.Match) -> str:
        key, fmt = match[1].rsplit(":", 1) if ":" in match[1] else (match[1], "s")
        if key not in values:
            raise ValueError(f"{where}: no glued value named {key!r} ({match[0]})")
        try:
            text = escape(format_glue(values[key], fmt))
        except ValueError as error:
            raise ValueError(f"{where}: cannot show {match[0]}: {error}") from None
        # "1." (or "1)") at the start of a line, or any number followed by
        # "." at the start of a paragraph, would begin a numbered list.
        before = markdown[: match.start()].split("\n")
        at_start = re.fullmatch(r"[ >]*", before[-1])
        new_block = len(before) == 1 or not before[-2].strip(" >")
        after = markdown[match.end() : match.end() + 1]
        if at_start and text.isdigit() and after in (".", ")"):
            if int(text) == 1 or new_block:
                text += "\\"
        return text

    return _GLUE.sub(paste, markdown)


# ------------------------------------------------------------ links to the site


def sphinx_id(text: str) -> str:
    """The HTML id Sphinx makes of a text: ASCII letters, digits, ``.`` and
    ``_`` kept, every other run turned into one ``-``.

    >>> sphinx_id("term-Feature map")
    'term-Feature-map'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    dashed = re.sub(r"[^a-zA-Z0-9._]+", "-", " ".join(ascii_text.split()))
    return re.sub(r"^[-0-9._]+|-+$", "", dashed)


@cache
def glossary() -> dict[str, str]:
    """Each glossary term, lower-cased as Sphinx looks terms up, and its
    anchor on the glossary page (``term-Feature-map``)."""
    text = (ROOT / f"{GLOSSARY}.md").read_text()
    block = re.search(r"^```\{glossary\}\n(.*?)^```", text, re.M | re.S)[1]
    terms = re.findall(r"^[^\s:].*$", block, re.M)
    return {term.lower(): sphinx_id(f"term-{term}") for term in terms}


def terms(markdown: str, where: str) -> str:
    """Replace ``{term}`Kernel``` and ``{term}`text <Target>``` by links to
    the term on the website's glossary page."""

    def link(match: re.Match) -> str:
        text, target = _titled(match[1])
        anchor = glossary().get(target.lower())
        if anchor is None:
            raise ValueError(f"{where}: {match[0]} names no term of {GLOSSARY}.md")
        return f"[{escape(text)}]({site_url()}{GLOSSARY}.html#{anchor})"

    return _TERM.sub(link, markdown)


@cache
def bibliography() -> dict[str, pybtex.database.Entry]:
    """The entries of the book's BibTeX files (``bibtex_bibfiles``), by key."""
    style = book_config()["sphinx"]["config"].get("bibtex_reference_style")
    if style != "author_year":
        raise ValueError(
            f"bibtex_reference_style is {style!r}; the editions write author_year"
        )
    entries = {}
    for name in book_config()["bibtex_bibfiles"]:
        entries.update(pybtex.database.parse_file(ROOT / name).entries)
    return entries


@cache
def _reference_style():
    """sphinxcontrib-bibtex's author-year style, and pybtex's Markdown writer
    (found once: pybtex looks both up among the installed packages)."""
    return AuthorYearReferenceStyle(), find_plugin("pybtex.backends", "markdown")()


def citation(kind: str, entry: pybtex.database.Entry) -> str:
    r"""One citation as sphinxcontrib-bibtex's author-year style writes it,
    ``p``: ``[Author et al., 2016]``, ``t``: ``Author et al. [2016]``, linked
    to the website's references page.

    >>> bib = "@book{doe, author = {Doe, Jane and Roe, Rick}, year = 2016}"
    >>> entry = pybtex.database.parse_string(bib, "bibtex").entries["doe"]
    >>> print(citation("p", entry))
    \[[Doe and Roe, 2016](https://cnnkit-course.github.io/cnnkit-course/book/references.html)\]
    """
    style, markdown = _reference_style()
    authors = style.person.author_or_editor_or_title(full=False)
    names = authors.format_data({"entry": entry, "style": style}).render(markdown)
    year, url = entry.fields["year"], f"{site_url()}{REFERENCES}.html"
    if kind == "p":
        return f"\\[[{names}{style.author_year_sep}{year}]({url})\\]"
    return f"{names}{style.text_reference_sep}\\[[{year}]({url})\\]"


def citations(markdown: str, where: str) -> str:
    """Replace ``{cite:p}`key``` and ``{cite:t}`key``` by their citations
    (:func:`citation`)."""

    def cite(match: re.Match) -> str:
        if match[2] not in bibliography():
            raise ValueError(f"{where}: {match[0]} cites no entry of the bibliography")
        return citation(match[1], bibliography()[match[2]])

    return _CITE.sub(cite, markdown)


@cache
def page_title(docname: str) -> str:
    """The first heading of a page: a notebook's or a Markdown file's."""
    notebook, page = ROOT / f"{docname}.ipynb", ROOT / f"{docname}.md"
    if notebook.exists():
        cells = nbformat.read(notebook, as_version=4).cells
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    elif page.exists():
        text = page.read_text()
    else:
        raise ValueError(f"no page {docname}.ipynb or {docname}.md")
    heading = re.search(r"^# (.+)$", text, re.M)
    if heading is None:
        raise ValueError(f"{docname} has no title (a '# ' heading)")
    return heading[1].strip()


def doc_links(markdown: str, chapter: Path) -> str:
    """Replace ``{doc}`target``` and ``{doc}`text <target>``` by links to the
    page on the website, titled as the page is unless the role gives a text.

    The target is a document name relative to the chapter's folder (or to the
    book's root when it starts with ``/``), as Sphinx reads it.
    """
    folder = chapter.resolve().parent.relative_to(ROOT).as_posix()

    def link(match: re.Match) -> str:
        text, target = _titled(match[1])
        where = target[1:] if target.startswith("/") else f"{folder}/{target}"
        docname = posixpath.normpath(where)
        try:
            title = page_title(docname)
        except ValueError as error:
            raise ValueError(f"{chapter.name}: {match[0]}: {error}") from None
        shown = escape(title) if text == target else escape(text)
        return f"[{shown}]({site_url()}{docname}.html)"

    return _DOC.sub(link, markdown)


# ----------------------------------------------------------------- admonitions


def _one_line_math(lines: list[str]) -> list[str]:
    """Each ``$$`` display on one line: in a block quote, the ``> `` of every
    line would otherwise end up inside the math that Jupyter and Colab
    extract before they read the Markdown."""
    out, math = [], None
    for line in lines:
        if line.strip() == "$$":
            if math is None:
                math = [line]
                continue
            out.append(" ".join(math) + " $$")
            math = None
        elif math is not None:
            math.append(line.strip())
        else:
            out.append(line)
    if math is not None:
        raise ValueError("a $$ display is never closed")
    return out


def _trim(lines: list[str]) -> list[str]:
    """Lines without the blank ones at either end."""
    text = "\n".join(lines).strip("\n")
    return text.split("\n") if text else []


def block_quote(title: str, body: list[str]) -> list[str]:
    """An admonition as a bold title and its body, in a block quote.

    >>> block_quote("Note", ["Padding adds zeros."])
    ['> **Note**', '>', '> Padding adds zeros.']
    """
    lines = [f"**{title}**", "", *_one_line_math(_trim(body))]
    return [f"> {line}".rstrip() for line in lines]


def details(title: str, body: list[str]) -> list[str]:
    """A folded admonition (a solution) as a closed ``<details>``; the blank
    lines around the body let renderers read it as Markdown.

    >>> details("Solution", ["It is *four*."])
    ['<details>', '<summary>Solution</summary>', '', 'It is *four*.', '', '</details>']
    """
    summary = f"<summary>{html.escape(title)}</summary>"
    return ["<details>", summary, "", *_trim(body), "", "</details>"]


def admonitions(markdown: str, where: str) -> str:
    """Rewrite every ``:::{admonition} Title`` ... ``:::`` (with optional
    ``:class:`` lines) as a block quote, or as ``<details>`` when its class
    is ``dropdown``."""
    out: list[str] = []
    ended = False  # a block was just written: text right after it must wait
    lines = iter(markdown.split("\n"))
    for line in lines:
        match = _OPEN.fullmatch(line)
        if match is None:
            if ended and line:
                out.append("")  # else a block quote would take the line in
            out.append(line)
            ended = False
            continue
        title, classes, body = match[1].strip(), set(), []
        if not title:
            raise ValueError(f"{where}: an admonition without a title")
        for inner in lines:  # the admonition's options and body
            option = _OPTION.fullmatch(inner)
            if inner == ":::":
                break
            if option and not body:
                if option[1] != "class":
                    raise ValueError(f"{where}: admonition option :{option[1]}:")
                classes |= set(option[2].split())
            else:
                body.append(inner)
        else:
            raise ValueError(f"{where}: admonition {title!r} is never closed")
        if classes - CLASSES:
            raise ValueError(f"{where}: admonition class {sorted(classes - CLASSES)}")
        fold = details if "dropdown" in classes else block_quote
        try:
            out += fold(title, body)
        except ValueError as error:
            raise ValueError(f"{where}: admonition {title!r}: {error}") from None
        ended = True
    return "\n".join(out)


# ------------------------------------------------------------ the whole chapter


def check_plain(markdown: str, where: str) -> None:
    """Fail on any MyST construct left in a converted Markdown cell."""
    found = _MYST.search(markdown)
    if found:
        start = markdown.rfind("\n", 0, found.start()) + 1
        line = markdown[start:].split("\n", 1)[0]
        raise ValueError(f"{where}: no plain form for the MyST construct in {line!r}")


def notice(markdown: str, url: str) -> str:
    """The chapter's first cell with a line under its title saying this is
    the plain edition, and where the website's version is."""
    title, _, rest = markdown.partition("\n")
    if not title.startswith("# "):
        raise ValueError(f"the first cell does not start with a title: {title!r}")
    line = (
        "*This is the plain edition of the chapter, for Colab, GitHub and plain "
        f"Jupyter. The book shows it [on the course's website]({url}).*"
    )
    return f"{title}\n\n{line}\n\n{rest.lstrip()}"


@cache
def _chapter_figures():
    """book/_ext/chapter_figures.py, the site's own figure numbering (a Sphinx
    extension, loaded from its file: book/_ext is not a package)."""
    path = ROOT / "book" / "_ext" / "chapter_figures.py"
    spec = importlib.util.spec_from_file_location("chapter_figures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figure_label(title: str, n: int) -> str:
    """The label the website gives a chapter's ``n``-th figure ("Fig. 10.3"):
    the chapter's number from its title, numfig's format from _config.yml."""
    chapter = _chapter_figures().chapter_number(title)
    if chapter is None:
        raise ValueError(f"the title {title!r} has no chapter number")
    return (
        book_config()["sphinx"]["config"]["numfig_format"]["figure"] % f"{chapter}.{n}"
    )


def caption_cell(
    cell: dict, label: str, convert: Callable[[str], str]
) -> nbformat.NotebookNode:
    """A Markdown cell with a figure cell's caption, numbered, to go below it."""
    caption = convert(cell["metadata"]["mystnb"]["figure"]["caption"])
    return nbformat.v4.new_markdown_cell(
        f"**{label}** {caption}", id=f"{cell['id']}-caption"
    )


def edition(path: Path) -> nbformat.NotebookNode:
    """The plain edition of one chapter notebook.

    Parameters
    ----------
    path : Path
        A chapter, ``notebooks/NN-topic.ipynb``.

    Returns
    -------
    nbformat.NotebookNode
        The chapter with plain Markdown: same code cells, sources and outputs
        (``remove-input`` cells get their input hidden), a caption cell after
        each figure, and a line under the title pointing to the website.
    """
    path = Path(path).resolve()
    chapter = nbformat.read(path, as_version=4)
    docname = path.relative_to(ROOT).with_suffix("").as_posix()
    values, where = glued_values(chapter), path.name
    title = page_title(docname)

    def convert(markdown: str) -> str:
        markdown = glue_text(markdown, values, where)
        markdown = doc_links(terms(citations(markdown, where), where), path)
        markdown = admonitions(markdown, where)
        check_plain(markdown, where)
        return markdown

    result = copy.deepcopy(chapter)
    cells, figures = [], 0
    for cell in result.cells:
        cells.append(cell)
        if cell.cell_type == "markdown":
            cell.source = convert(cell.source)
        elif cell.cell_type == "code":
            if "remove-input" in cell.metadata.get("tags", []):
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            if "caption" in cell.metadata.get("mystnb", {}).get("figure", {}):
                figures += 1
                label = figure_label(title, figures)
                cells.append(caption_cell(cell, label, convert))
    result.cells = cells
    first = result.cells[0]
    first.source = notice(first.source, f"{site_url()}{docname}.html")
    nbformat.validate(result)
    return result


def chapters() -> list[Path]:
    """The notebooks that _toc.yml lists, in its order."""
    return [ROOT / f"{p}.ipynb" for p in toc_pages() if (ROOT / f"{p}.ipynb").exists()]


def tally(path: Path) -> Counter:
    """What a chapter's edition rewrites: its glued values, folded solutions,
    captioned figures, terms, citations and page links."""
    notebook = nbformat.read(path, as_version=4)
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return Counter(
        {
            "glued values": len(_GLUE.findall(prose)),
            "solutions": len(re.findall(r"^:class:.*\bdropdown\b", prose, re.M)),
            "figures": sum(
                "caption" in c.metadata.get("mystnb", {}).get("figure", {})
                for c in notebook.cells
            ),
            "terms": len(_TERM.findall(prose)),
            "citations": len(_CITE.findall(prose)),
            "page links": len(_DOC.findall(prose)),
        }
    )


def write_edition(path: Path, out: Path) -> Path:
    """Write a chapter's edition under ``out`` at the chapter's own relative
    path, as nbformat writes notebooks (JSON, indent 1, a final newline)."""
    target = Path(out) / Path(path).resolve().relative_to(ROOT)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(edition(path), target)
    return target


def write_editions(out: Path) -> list[Path]:
    """Write the plain edition of every chapter in _toc.yml under ``out``
    (``out/notebooks/NN-topic.ipynb``) and return their paths."""
    return [write_edition(path, out) for path in chapters()]


def _listed(counts: Counter) -> str:
    return ", ".join(f"{what} {n}" for what, n in counts.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m publishing.editions",
        description="Write the chapters' plain editions, for Colab and GitHub.",
    )
    parser.add_argument(
        "out",
        nargs="?",
        type=Path,
        default=ROOT / "_build" / "editions",
        help="the folder to write notebooks/NN-topic.ipynb into (default: %(default)s)",
    )
    out = parser.parse_args(argv).out
    total: Counter = Counter()
    try:
        for path in chapters():
            written = write_edition(path, out)
            counts = tally(path)
            total += counts
            print(f"{written}: {_listed(counts)}")
    except (ValueError, OSError, nbformat.ValidationError) as error:
        print(f"editions: {error}", file=sys.stderr)
        return 1
    print(f"{len(chapters())} editions in {out}: {_listed(total)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
