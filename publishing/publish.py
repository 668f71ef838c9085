"""Publish the course: its website, and the branch of its chapters' plain editions.

The publishing workflow (``.github/workflows/publish.yml``) runs
``python -m publishing.publish`` on every push to main; ``make
publish-dry-run`` runs the same steps with ``--dry-run``:

1. build the site as ``make book`` does (or take one already built, ``--site``);
2. write the plain editions of the chapters (``publishing.editions``);
3. commit them, with a README that says where they come from, as the one
   commit of the editions branch, in a repository of its own;
4. copy the site to where the workflow uploads it from, add ``.nojekyll``,
   and check it: the front page, every page of the table of contents, and on
   every chapter a Colab button that opens an edition the branch holds;
5. push the branch to ``origin``, replacing the branch there.

``--dry-run`` stops before step 5 and says what it would push and upload.
Everything is written under ``_build/publish/`` (``--out``): ``site/`` (what
the workflow uploads to GitHub Pages), ``editions/`` and ``branch/`` (the
repository holding the branch).

Why a single commit, pushed with ``--force``: the editions are made, not
written, and each follows from main's commit, which the commit's message and
README name. A history on the branch would keep another copy of every stored
figure at each push to main, in every clone that fetches the branch, and
would say nothing main's history does not. Nobody commits to the branch by
hand, so replacing it loses nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from publishing import ROOT, book_config, editions, repository, site_url, toc_pages
from publishing.editions import write_editions

#: Where a publication is prepared: the site, the editions and their branch.
OUT = ROOT / "_build" / "publish"

#: Who commits the editions (GitHub's own account for workflow commits).
COMMITTER = (
    "github-actions[bot]",
    "41898282+github-actions[bot]@users.noreply.github.com",
)

_HREF = re.compile(r'href="([^"]*)"')


class PublishError(RuntimeError):
    """A step of publishing found something it cannot publish."""


@dataclass(frozen=True)
class Source:
    """The commit of main the publication is made from."""

    sha: str
    date: str
    #: Tracked files differ from the commit (possible in a dry run only).
    changed: bool


@dataclass(frozen=True)
class Commit:
    """The editions branch's commit, in the repository that holds it."""

    repo: Path
    branch: str
    sha: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class Publication:
    """What a run prepared, and whether it pushed the branch."""

    site: Path
    commit: Commit
    source: Source
    pushed: bool


def editions_branch() -> str:
    """The branch the Colab buttons open, named in ``_config.yml``.

    >>> editions_branch()
    'editions'
    """
    return book_config()["sphinx"]["config"]["colab_editions_branch"]


def chapters() -> list[str]:
    """The chapters' notebooks, in the order of the table of contents.

    >>> chapters()[0]
    'notebooks/01-images-as-arrays.ipynb'
    """
    return [path.relative_to(ROOT).as_posix() for path in editions.chapters()]


def colab_link(chapter: str) -> str:
    """The address a chapter's Colab button should open: its plain edition.

    >>> colab_link("notebooks/06-pooling.ipynb")  # doctest: +ELLIPSIS
    'https://colab.research.google.com/github/.../blob/editions/notebooks/06-pooling.ipynb'
    """
    owner, name = repository()
    return f"{_colab()}/github/{owner}/{name}/blob/{editions_branch()}/{chapter}"


def _colab() -> str:
    return book_config()["launch_buttons"]["colab_url"].rstrip("/")


def _git(repo: Path, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise PublishError(f"git {' '.join(args)} failed in {repo}:\n{done.stderr}")
    return done.stdout.strip()


def source_commit() -> Source:
    """The checkout's commit, and whether its tracked files have changed."""
    return Source(
        sha=_git(ROOT, "rev-parse", "HEAD"),
        date=_git(ROOT, "log", "-1", "--format=%cI", "HEAD"),
        changed=bool(_git(ROOT, "status", "--porcelain", "--untracked-files=no")),
    )


def build_site() -> Path:
    """Build the website as ``make book`` does; return its folder."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", ".", "-W", "-n", "--keep-going"]
    if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
        raise PublishError("the site's build failed or warned (see its log above)")
    return ROOT / "_build" / "html"


def write_chapter_editions(folder: Path) -> dict[str, Path]:
    """Write the chapters' plain editions into ``folder``.

    Returns
    -------
    dict of str to Path
        Each edition by its path in ``folder``, which is its chapter's path.
    """
    shutil.rmtree(folder, ignore_errors=True)
    try:
        paths = write_editions(folder)
    except ValueError as error:  # MyST the editions cannot make plain
        raise PublishError(f"the editions could not be written: {error}") from error
    written = {path.relative_to(folder).as_posix(): path for path in paths}
    missing = sorted(set(chapters()) - set(written))
    extra = sorted(set(written) - set(chapters()))
    if missing or extra:
        raise PublishError(
            f"the editions written should be one per chapter of _toc.yml; "
            f"missing: {missing}, not a chapter: {extra}"
        )
    return dict(sorted(written.items()))


def branch_readme(source: Source) -> str:
    """The editions branch's README: what the files are, where they come from."""
    owner, name = repository()
    main = book_config()["repository"]["branch"]
    made_from = f"`{main}` at commit\n{source.sha}"
    if source.changed:
        made_from += " with changes not yet committed (a dry run)"
    return f"""\
# Plain editions of the chapters (generated: do not edit)

Each notebook in `notebooks/` is the plain edition of the chapter at the same
path on `{main}`: the same text, code and stored outputs, written in plain
Jupyter Markdown, which Colab and GitHub show as it is written. The chapters
themselves use the book's MyST markup, which they do not render. The
website's Colab buttons open these files.

The publishing workflow (`.github/workflows/publish.yml`, which runs
`python -m publishing.publish`) made them from {made_from}.
Every push to `{main}` replaces this branch with one new commit, so a change
made here is lost at the next publication. To change a chapter, edit it on
`{main}`. The sources these were made from:
https://github.com/{owner}/{name}/tree/{source.sha}/notebooks

The website: {site_url()}
"""


def commit_editions(editions: dict[str, Path], repo: Path, source: Source) -> Commit:
    """Commit the editions and a README as the editions branch's only commit.

    ``repo`` is made afresh: a new repository whose one branch holds one
    commit, dated as ``source`` (the same source makes the same commit).
    """
    branch = editions_branch()
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    _git(repo, "init", "--quiet", f"--initial-branch={branch}")
    for relative, path in editions.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, repo / relative)
    (repo / "README.md").write_text(branch_readme(source))
    _git(repo, "add", "--all")
    name, email = COMMITTER
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": source.date,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": source.date,
    }
    main = book_config()["repository"]["branch"]
    message = (
        f"Plain editions of the chapters of {main} at {source.sha}\n\n"
        f"Generated by the publishing workflow from {main}'s notebooks/ at "
        f"{source.sha}; do not edit (see README.md)."
    )
    command = ["commit", "--quiet", "--no-verify", "--message", message]
    _git(repo, "-c", "commit.gpgsign=false", *command, env=env)
    files = _git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    return Commit(repo, branch, _git(repo, "rev-parse", "HEAD"), tuple(files))


def stage_site(built: Path, site: Path) -> Path:
    """Copy the built site to ``site``, the folder the workflow uploads.

    The copy gets a ``.nojekyll``: GitHub Pages, serving a site from a
    branch, runs it through Jekyll unless it has one, and Jekyll drops the
    folders whose names start with ``_`` (Sphinx's ``_static``, ``_images``,
    ``_sources``). The workflow's deployment skips Jekyll anyway; the file
    keeps the site whole wherever else it is served from.
    """
    if not (built / "index.html").is_file():
        raise PublishError(f"site {built} has no index.html: is it a built site?")
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(built, site)
    (site / ".nojekyll").touch()
    return site


def check_site(site: Path, commit: Commit) -> list[str]:
    """What keeps ``site`` from being deployed, if anything.

    A deployable site has a front page, ``.nojekyll``, a page for every entry
    of the table of contents, and on every chapter a Colab button that opens
    the chapter's edition, a file of the editions branch's commit.
    """
    problems = [
        f"no {name}"
        for name in ("index.html", ".nojekyll")
        if not (site / name).is_file()
    ]
    problems += [
        f"no page for {page}"
        for page in toc_pages()
        if not (site / f"{page}.html").is_file()
    ]
    for chapter in chapters():
        page = (site / chapter).with_suffix(".html")
        if not page.is_file():
            continue
        links = _HREF.findall(page.read_text())
        colab = [link for link in links if link.startswith(f"{_colab()}/")]
        if colab != [colab_link(chapter)]:
            problems.append(
                f"{chapter}: Colab links {colab}, expected one to the edition"
            )
        if chapter not in commit.files:
            problems.append(f"{chapter}: no edition on branch {commit.branch}")
    return problems


def push(commit: Commit, remote: str = "origin", via: Path = ROOT) -> None:
    """Push the editions branch to ``remote``, replacing the branch there.

    The push goes through the checkout ``via`` (where the workflow's
    credentials for ``origin`` are), after fetching the commit into it.
    """
    _git(via, "fetch", "--quiet", "--no-tags", str(commit.repo), commit.branch)
    _git(
        via,
        "push",
        "--quiet",
        "--force",
        remote,
        f"{commit.sha}:refs/heads/{commit.branch}",
    )


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _remote_url(remote: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "remote", "get-url", remote],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or f"no remote {remote!r} in this checkout"


def publish(
    *,
    out: Path = OUT,
    site: Path | None = None,
    dry_run: bool = False,
    remote: str = "origin",
) -> Publication:
    """Prepare the site and the editions branch under ``out``; push the branch.

    Parameters
    ----------
    out : Path
        Where to prepare them (``site/``, ``editions/``, ``branch/``).
    site : Path, optional
        A site already built; by default the site is built as ``make book``
        builds it.
    dry_run : bool
        Prepare and check everything, print what would be pushed and
        uploaded, and push nothing.
    remote : str
        The remote the branch is pushed to.
    """
    source = source_commit()
    if source.changed and not dry_run:
        raise PublishError(
            "tracked files differ from commit "
            f"{source.sha}: the editions would not be what the README says they "
            "are; commit first, or add --dry-run"
        )
    built = site if site is not None else build_site()
    editions = write_chapter_editions(out / "editions")
    commit = commit_editions(editions, out / "branch", source)
    staged = stage_site(built, out / "site")
    problems = check_site(staged, commit)
    if problems:
        raise PublishError("the site cannot be published:\n  " + "\n  ".join(problems))

    files = [path for path in staged.rglob("*") if path.is_file()]
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    print(
        f"site: {_shown(staged)} ({len(files)} files, {megabytes:.1f} MB), with "
        f"every page of _toc.yml and {len(chapters())} Colab buttons on "
        f"{commit.branch}"
    )
    print(
        f"branch {commit.branch}: commit {commit.sha[:12]} in {_shown(commit.repo)}, "
        f"{len(editions)} editions and README.md, from {source.sha[:12]}"
        + (" (with uncommitted changes)" if source.changed else "")
    )
    if dry_run:
        print(
            f"dry run: would push {commit.sha[:12]} to {remote} "
            f"({_remote_url(remote)}) as branch {commit.branch}, replacing it "
            f"(git push --force)"
        )
        print(
            f"dry run: would upload {_shown(staged)} to GitHub Pages, at "
            f"{site_url()} (the workflow's Pages steps)"
        )
    else:
        push(commit, remote)
        print(f"pushed {commit.sha[:12]} to {remote} as branch {commit.branch}")
    return Publication(staged, commit, source, pushed=not dry_run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m publishing.publish",
        description="Build the site, write the chapters' plain editions, commit "
        "them to their branch and push it (the publishing workflow's steps).",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="do every step but the push, and say what would be pushed and uploaded",
    )
    parser.add_argument(
        "--site", type=Path, help="a site already built (default: build it)"
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help=f"where to prepare it all ({_shown(OUT)})"
    )
    args = parser.parse_args(argv)
    try:
        site = args.site.resolve() if args.site else None
        publish(out=args.out.resolve(), site=site, dry_run=args.dry_run)
    except PublishError as error:
        print(f"publishing stopped: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
