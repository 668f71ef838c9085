"""Publishing the course: the website and the plain editions of its chapters.

Readers of the website launch a chapter in Colab or open it on GitHub, and
neither renders the book's MyST markup. So each chapter also gets a *plain
edition*, a notebook in plain Jupyter Markdown made from the chapter and its
stored outputs:

- ``python -m publishing.editions`` (``make editions``) writes the editions;
- ``python -m publishing.publish`` (``make publish-dry-run``, and the
  publishing workflow in ``.github/workflows/``) builds the site, writes the
  editions and prepares the branch that Colab's launch button opens.

The repository's address is written once, in ``_config.yml``; the site's
address follows from it (GitHub Pages).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

#: The repository's root folder.
ROOT = Path(__file__).resolve().parents[1]


@cache
def book_config() -> dict:
    """The book's settings, ``_config.yml``."""
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_pages() -> list[str]:
    """Every page of the table of contents (``_toc.yml``), in its order, as a
    path without its suffix.

    >>> toc_pages()[:2]
    ['book/welcome', 'book/how-to-use']
    """
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


def repository() -> tuple[str, str]:
    """The GitHub owner and name of the course's repository.

    >>> repository()
    ('cnnkit-course', 'cnnkit-course')
    """
    url = book_config()["repository"]["url"].rstrip("/")
    owner, name = url.removeprefix("https://github.com/").split("/")
    return owner, name


def site_url() -> str:
    """The published website's address, where GitHub Pages serves it.

    >>> site_url()
    'https://cnnkit-course.github.io/cnnkit-course/'
    """
    owner, name = repository()
    return f"https://{owner}.github.io/{name}/"
