"""Publishing, rehearsed: a dry run on the book built for these tests writes
the editions, commits them as the editions branch and prepares a deployable
site, and pushes nothing; every chapter's Colab button opens the chapter's
edition on that branch while Binder stays on main; the workflow runs the
same steps as `make publish-dry-run`."""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import re
import subprocess
from contextlib import redirect_stdout
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from site_support import CONFIG, ROOT, chapter_pages

from publishing import publish

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
EDITIONS_BRANCH = CONFIG["sphinx"]["config"]["colab_editions_branch"]
MAIN = CONFIG["repository"]["branch"]
OWNER, NAME = CONFIG["repository"]["url"].removeprefix("https://github.com/").split("/")
LAUNCH = CONFIG["launch_buttons"]
HREF = re.compile(r'href="([^"]*)"')


def git(repo, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def editions_refs() -> list[str]:
    """Every ref of the checkout named after the editions branch, with its commit."""
    refs = git(ROOT, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
    return [ref for ref in refs if ref.split()[0].endswith(f"/{EDITIONS_BRANCH}")]


@dataclass
class DryRun:
    publication: publish.Publication
    printed: str
    heads: set[str]  # the checkout's HEAD before and after the run
    refs_before: list[str]
    refs_after: list[str]


@pytest.fixture(scope="module")
def dry_run(site, tmp_path_factory) -> DryRun:
    """`make publish-dry-run`'s steps, on the site built for the tests."""
    out = tmp_path_factory.mktemp("publish")
    heads, refs_before = {git(ROOT, "rev-parse", "HEAD")}, editions_refs()
    printed = io.StringIO()
    with redirect_stdout(printed):
        publication = publish.publish(out=out, site=site.html, dry_run=True)
    heads.add(git(ROOT, "rev-parse", "HEAD"))  # another developer may commit
    return DryRun(publication, printed.getvalue(), heads, refs_before, editions_refs())


def chapters() -> list[str]:
    return [f"{page}.ipynb" for page in chapter_pages()]


def test_the_branch_is_one_commit_of_one_edition_per_chapter(dry_run):
    commit = dry_run.publication.commit
    assert commit.branch == EDITIONS_BRANCH
    assert git(commit.repo, "rev-parse", f"refs/heads/{EDITIONS_BRANCH}") == commit.sha
    assert git(commit.repo, "rev-list", "--count", EDITIONS_BRANCH) == "1"
    files = git(commit.repo, "ls-tree", "-r", "--name-only", commit.sha).splitlines()
    assert sorted(files) == sorted([*chapters(), "README.md"])
    written = dry_run.publication.site.parent / "editions"
    for chapter in chapters():
        edition = git(commit.repo, "show", f"{commit.sha}:{chapter}")
        assert edition == (written / chapter).read_text().strip()
        assert json.loads(edition)["nbformat"] == 4


def test_the_branch_names_the_commit_it_was_made_from(dry_run):
    commit, source = dry_run.publication.commit, dry_run.publication.source
    assert source.sha in dry_run.heads
    readme = git(commit.repo, "show", f"{commit.sha}:README.md")
    assert source.sha in readme
    assert f"tree/{source.sha}/notebooks" in readme
    assert "do not edit" in readme
    assert source.sha in git(commit.repo, "log", "-1", "--format=%s", commit.sha)


def test_the_dry_run_pushes_nothing(dry_run):
    assert not dry_run.publication.pushed
    assert git(dry_run.publication.commit.repo, "remote") == ""
    assert dry_run.refs_after == dry_run.refs_before
    sha = dry_run.publication.commit.sha[:12]
    assert f"dry run: would push {sha} to origin" in dry_run.printed
    assert "dry run: would upload" in dry_run.printed


def test_the_site_is_deployable(dry_run):
    staged = dry_run.publication.site
    assert (staged / ".nojekyll").is_file()
    assert (staged / "index.html").is_file()
    assert publish.check_site(staged, dry_run.publication.commit) == []


def test_a_site_without_its_chapters_or_nojekyll_is_refused(dry_run, tmp_path):
    (tmp_path / "index.html").write_text("<html></html>")
    problems = publish.check_site(tmp_path, dry_run.publication.commit)
    assert "no .nojekyll" in problems
    assert f"no page for {chapter_pages()[0]}" in problems


def launch_links(page_html: str, base: str) -> list[str]:
    return [url for url in HREF.findall(page_html) if url.startswith(base)]


@pytest.mark.parametrize("chapter", chapters())
def test_colab_opens_the_edition_and_binder_main(site, dry_run, chapter):
    page = (site.html / chapter).with_suffix(".html").read_text()
    (colab,) = launch_links(page, LAUNCH["colab_url"])
    path = urlsplit(colab).path
    prefix = f"/github/{OWNER}/{NAME}/blob/{EDITIONS_BRANCH}/"
    assert path.startswith(prefix), colab
    assert path.removeprefix(prefix) == chapter
    assert chapter in dry_run.publication.commit.files
    (binder,) = launch_links(page, LAUNCH["binderhub_url"])
    parts = urlsplit(binder)
    assert parts.path == f"/v2/gh/{OWNER}/{NAME}/{MAIN}"
    assert parse_qs(parts.query)["urlpath"] == [f"lab/tree/{chapter}"]
    (hub,) = launch_links(page, LAUNCH["jupyterhub_url"])
    assert parse_qs(urlsplit(hub).query)["branch"] == [MAIN]


def test_a_colab_url_without_its_branch_is_told():
    spec = importlib.util.spec_from_file_location(
        "colab_editions", ROOT / "book" / "_ext" / "colab_editions.py"
    )
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)
    url = "https://colab.research.google.com/github/o/r/blob/dev/notebooks/01-a.ipynb"
    with pytest.raises(ValueError, match=r"does not name branch 'main'"):
        extension.editions_url(url, "main", EDITIONS_BRANCH)


def small_branch(folder, changed: bool = False) -> publish.Commit:
    """A one-chapter editions branch, made as the dry run makes its own."""
    (folder / "01-a.ipynb").write_text("{}")
    source = publish.Source("0" * 40, "2026-01-01T00:00:00+00:00", changed)
    editions = {"notebooks/01-a.ipynb": folder / "01-a.ipynb"}
    return publish.commit_editions(editions, folder / "branch", source)


def test_the_same_source_makes_the_same_commit(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert small_branch(tmp_path / "a").sha == small_branch(tmp_path / "b").sha


def test_a_real_run_replaces_the_branch_on_the_remote(tmp_path):
    remote, checkout = tmp_path / "remote.git", tmp_path / "checkout"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(tmp_path, "init", "--quiet", str(checkout))
    who = ["-c", "user.name=Old", "-c", "user.email=old@example.org"]
    who += ["-c", "commit.gpgsign=false"]
    git(checkout, *who, "commit", "--quiet", "--allow-empty", "-m", "an old edition")
    git(checkout, "push", "--quiet", str(remote), f"HEAD:refs/heads/{EDITIONS_BRANCH}")
    commit = small_branch(tmp_path)
    publish.push(commit, remote=str(remote), via=checkout)
    assert git(remote, "rev-parse", EDITIONS_BRANCH) == commit.sha
    assert git(remote, "rev-list", "--count", EDITIONS_BRANCH) == "1"


def test_a_real_run_refuses_uncommitted_changes(monkeypatch, tmp_path):
    changed = publish.Source("0" * 40, "2026-01-01T00:00:00+00:00", changed=True)
    monkeypatch.setattr(publish, "source_commit", lambda: changed)
    monkeypatch.setattr(publish, "build_site", lambda: pytest.fail("built a site"))
    with pytest.raises(publish.PublishError, match="commit first"):
        publish.publish(out=tmp_path, dry_run=False)


@functools.cache
def make_dry_run_commands() -> list[str]:
    done = subprocess.run(
        ["make", "-n", "publish-dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if "publishing.publish" in line]


def test_make_publish_dry_run_runs_the_publish_module():
    (command,) = make_dry_run_commands()
    assert re.fullmatch(r"\S*/python -m publishing\.publish --dry-run", command)


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_the_workflow_runs_on_pushes_to_main(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert MAIN in triggers["push"]["branches"]
    assert "workflow_dispatch" in triggers


def steps(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action)]


def test_the_workflow_runs_the_dry_runs_steps_and_pushes(workflow):
    (dry,) = make_dry_run_commands()
    real = dry.removesuffix(" --dry-run")
    (job,) = [
        job
        for job in workflow["jobs"].values()
        if any(step.get("run") == real for step in job["steps"])
    ]
    assert job["permissions"]["contents"] == "write"
    assert any(step.get("run") == "make setup" for step in job["steps"])
    runs = [step.get("run") for step in job["steps"]]
    (upload,) = steps(job, "actions/upload-pages-artifact@")
    assert job["steps"].index(upload) > runs.index(real)
    assert upload["with"]["path"] == (publish.OUT / "site").relative_to(ROOT).as_posix()
    assert upload["with"]["include-hidden-files"] is True


def test_the_workflow_deploys_to_pages(workflow):
    jobs = workflow["jobs"]
    (name,) = [
        name for name, job in jobs.items() if steps(job, "actions/deploy-pages@")
    ]
    deploy = jobs[name]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    (uploader,) = [
        name
        for name, job in jobs.items()
        if steps(job, "actions/upload-pages-artifact@")
    ]
    needs = deploy["needs"]
    assert uploader in ([needs] if isinstance(needs, str) else needs)
