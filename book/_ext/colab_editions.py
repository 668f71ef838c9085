"""Colab's launch button opens a chapter's plain edition, not the chapter.

Colab shows a chapter's MyST markup (directives, roles, glued numbers) as
raw text. So the publishing workflow (``publishing/publish.py``) writes a
plain edition of every chapter, at the same path as the chapter, on a branch
of its own: ``colab_editions_branch`` in ``_config.yml``.

sphinx-book-theme points every launch button at ``repository.branch``
(main). Once it has made the buttons of a page, this extension moves the
Colab button's link to the editions branch. Binder and JupyterHub keep main:
they open JupyterLab, which renders MyST; the repository and edit buttons
keep main too, since that is where a chapter is written.
"""

from __future__ import annotations

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The launch buttons' group in sphinx-book-theme's header buttons.
LAUNCH_GROUP = "launch-buttons"


def editions_url(url: str, branch: str, editions_branch: str) -> str:
    """A Colab launch URL with the file taken from ``editions_branch``.

    Parameters
    ----------
    url : str
        Colab's URL for a notebook on GitHub, ``.../blob/<branch>/<path>``.
    branch : str
        The branch ``url`` opens the notebook from.
    editions_branch : str
        The branch that holds the plain editions, at the same paths.

    Returns
    -------
    str
        ``url`` with ``/blob/<branch>/`` replaced by
        ``/blob/<editions_branch>/``.

    Examples
    --------
    >>> editions_url(
    ...     "https://colab.research.google.com/github/o/r/blob/main/notebooks/01-a.ipynb",
    ...     "main",
    ...     "editions",
    ... )
    'https://colab.research.google.com/github/o/r/blob/editions/notebooks/01-a.ipynb'
    """
    marker = f"/blob/{branch}/"
    if url.count(marker) != 1:
        raise ValueError(
            f"url {url!r} does not name branch {branch!r} once as {marker!r}"
        )
    return url.replace(marker, f"/blob/{editions_branch}/")


def _point_colab_at_editions(app, pagename, templatename, context, doctree):
    editions_branch = app.config.colab_editions_branch
    options = app.config.html_theme_options
    colab = options.get("launch_buttons", {}).get("colab_url", "").strip("/")
    if not (editions_branch and colab):
        return
    # The branch the theme put in the URL (its default when none is set).
    branch = options.get("repository_branch") or "master"
    for group in context.get("header_buttons", []):
        if group.get("label") != LAUNCH_GROUP:
            continue
        for button in group.get("buttons", []):
            url = button.get("url", "")
            if not url.startswith(f"{colab}/github/"):
                continue
            try:
                button["url"] = editions_url(url, branch, editions_branch)
            except ValueError as error:
                logger.warning(
                    f"Colab button left unchanged: {error}", location=pagename
                )


def setup(app):
    app.add_config_value("colab_editions_branch", "", "html", types=[str])
    # After sphinx-book-theme adds the launch buttons (priority 501).
    app.connect("html-page-context", _point_colab_at_editions, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
