"""A chapter in JupyterLab, as `make lab` and Binder open it: jupyterlab-myst
renders its MyST (admonitions as boxes, solutions folded, headings, math,
tables), and what it cannot render is recorded here, so that what the README
says about it stays true.

JupyterLab runs from the course environment on 127.0.0.1, on a temporary copy
of the chapters (nothing is written into the repository), with settings, data
and runtime folders of its own (so the developer's settings play no part).
The chapters are trusted first, as `make lab` does. Only the browser comes
from conftest.py: these tests do not build the book.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import Request, urlopen

import pytest
from site_support import ROOT, SCREENSHOTS, offline_context

CHAPTER = "02-convolution-by-hand"
NOTEBOOK = json.loads((ROOT / "notebooks" / f"{CHAPTER}.ipynb").read_text())
MARKDOWN = [
    "".join(c["source"]) for c in NOTEBOOK["cells"] if c["cell_type"] == "markdown"
]
SOURCE = "\n\n".join(MARKDOWN)
#: How often JupyterLab autosaves here, in seconds (its default is 120).
AUTOSAVE = 2
#: How long the server may take to answer, a chapter to render, a kernel to start.
PATIENCE = 60
#: JupyterLab's settings for these tests, by plugin: every cell rendered at
#: once (by default only those near the view are, as one scrolls), no
#: question about Jupyter's news in the corner, and a quick autosave.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    "@jupyterlab/docmanager-extension/plugin": {"autosaveInterval": AUTOSAVE},
}


def _flat(text: str) -> str:
    """Text with its white space collapsed and typographic quotes made plain."""
    text = text.translate(str.maketrans("“”‘’", "\"\"''"))
    return " ".join(text.split())


def _without_code(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)


def _admonitions() -> list[tuple[str, bool]]:
    """Each admonition of the chapter: its title, and whether it is a dropdown."""
    found = re.finditer(
        r"^:{3,}\{admonition\}[ \t]*(.*)\n((?::[\w-]+:.*\n)*)", SOURCE, flags=re.M
    )
    return [(m[1].strip(), bool(re.search(r":class:.*dropdown", m[2]))) for m in found]


def _roles(name: str) -> list[str]:
    """The targets of a MyST role in the chapter's prose, in order."""
    return re.findall(r"\{" + re.escape(name) + r"\}`([^`]+)`", SOURCE)


def _glued() -> dict[str, str]:
    """Every glued value, as the chapter's stored outputs record it."""
    values = {}
    for cell in NOTEBOOK["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = output["data"]["application/papermill.record/text/plain"]
    return values


def _captions() -> dict[int, str]:
    """Cell index -> the figure caption its metadata gives (for the book)."""
    return {
        i: cell["metadata"]["mystnb"]["figure"]["caption"]
        for i, cell in enumerate(NOTEBOOK["cells"])
        if "caption" in cell["metadata"].get("mystnb", {}).get("figure", {})
    }


def _processes_mentioning(text: str) -> list[tuple[int, str]]:
    """(pid, command) of each running process whose command line mentions
    ``text`` (Linux)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:  # it ended while we looked
            continue
        if any(text.encode() in arg for arg in args):
            found.append(
                (
                    int(cmdline.parent.name),
                    b" ".join(args).decode(errors="replace")[:200],
                )
            )
    return found


@dataclass
class Lab:
    """A JupyterLab server of our own, and how to reach and stop it."""

    process: subprocess.Popen
    base: str
    token: str
    root: Path
    runtime: Path
    log: Path

    def api(self, path: str) -> object:
        request = Request(
            self.base + path, headers={"Authorization": f"token {self.token}"}
        )
        with urlopen(request, timeout=10) as response:
            return json.load(response)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> tuple[int, list[tuple[int, str]]]:
        """Stop the server (on SIGTERM it shuts its kernels down first);
        return its exit status and whatever it left running."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode, _processes_mentioning(str(self.runtime))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    """JupyterLab on a copy of the chapters, as `make lab` starts it."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "notebooks"
    root.mkdir()
    for chapter in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"):
        shutil.copy2(chapter, root)
    folders = {
        name: home / name
        for name in ("config", "data", "runtime", "settings", "ipython")
    }
    for folder in folders.values():
        folder.mkdir()
    for plugin, values in SETTINGS.items():
        path = folders["settings"] / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(folders["config"]),
        "JUPYTER_DATA_DIR": str(folders["data"]),
        "JUPYTER_RUNTIME_DIR": str(folders["runtime"]),
        "IPYTHONDIR": str(folders["ipython"]),
    }
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    # As `make lab` trusts every chapter (here only the one opened: hashing
    # them all takes seconds).
    opened = str(root / f"{CHAPTER}.ipynb")
    subprocess.run([jupyter, "trust", opened], env=env, capture_output=True, check=True)
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        jupyter,
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={folders['settings']}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    if os.geteuid() == 0:  # as the Makefile does: containers, CI
        command.append("--allow-root")
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Lab(
        process, f"http://127.0.0.1:{port}/", token, root, folders["runtime"], log
    )
    deadline = time.monotonic() + PATIENCE
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"jupyter lab exited with {process.returncode}:\n{server.log_tail()}"
            )
        try:
            server.api("api/status")
            break
        except (URLError, ConnectionError):
            if time.monotonic() > deadline:
                server.stop()
                pytest.fail(
                    f"jupyter lab did not answer in {PATIENCE} s:\n{server.log_tail()}"
                )
            time.sleep(0.25)
    yield server
    _, left = server.stop()
    for pid, _ in left:  # only ours: they mention our runtime folder
        os.kill(pid, signal.SIGKILL)


@dataclass
class Chapter:
    tab: object
    console: list[str]
    blocked: list[str]


@pytest.fixture(scope="module")
def chapter(browser, lab) -> Chapter:
    """The chapter open in JupyterLab, every Markdown cell rendered."""
    from playwright.sync_api import Error as PlaywrightError

    offline = offline_context(browser, lab.base)
    tab = offline.context.new_page()
    console: list[str] = []
    tab.on("console", lambda message: console.append(message.text))
    tab.on("pageerror", lambda error: console.append(f"uncaught: {error}"))
    tab.goto(f"{lab.base}lab/tree/{CHAPTER}.ipynb?token={lab.token}")
    try:
        tab.wait_for_function(
            """(n) => [...document.querySelectorAll('.jp-MarkdownCell .myst')]
                       .filter((e) => e.childElementCount > 0).length === n""",
            arg=len(MARKDOWN),
            timeout=PATIENCE * 1000,
        )
    except PlaywrightError:
        offline.context.close()
        pytest.fail(
            f"jupyterlab-myst did not render the chapter's {len(MARKDOWN)} "
            f"Markdown cells in {PATIENCE} s (is it installed?); the console "
            f"said: {console[-10:]}"
        )
    yield Chapter(tab, console, offline.blocked)
    offline.context.close()


def _rendered_text(tab) -> str:
    return tab.evaluate(
        """() => [...document.querySelectorAll('.jp-MarkdownCell .myst')]
                 .map((e) => e.innerText).join('\\n')"""
    )


def test_the_extension_renders_every_markdown_cell(chapter):
    assert any("jupyterlab-myst is activated" in m for m in chapter.console)
    text = _rendered_text(chapter.tab)
    for markup in (
        ":::",
        "{admonition}",
        ":class:",
        "{glue",
        "{term}",
        "{cite",
        "{doc}",
    ):
        assert markup not in text, f"{markup} left as text"
    assert chapter.blocked == [], "asked another host for these"


def test_headings_math_and_tables_render(chapter):
    tab = chapter.tab
    prose = _without_code(SOURCE)
    headings = [
        (len(h), _flat(t)) for h, t in re.findall(r"^(#{1,6}) +(.+)$", prose, re.M)
    ]
    shown = tab.evaluate(
        """() => [...document.querySelectorAll('.jp-MarkdownCell .myst')]
                 .flatMap((e) => [...e.querySelectorAll('h1, h2, h3, h4, h5, h6')])
                 .map((h) => [Number(h.tagName[1]), h.innerText.replace('¶', '')])"""
    )
    assert [(level, _flat(text)) for level, text in shown] == headings

    display = prose.count("$$") // 2
    assert tab.locator(".jp-MarkdownCell .myst .katex-display").count() == display
    assert tab.locator(".jp-MarkdownCell .myst .katex").count() > display  # inline too
    assert "$" not in _rendered_text(tab) and "\\begin" not in _rendered_text(tab)

    tables = len(re.findall(r"^\|(?: *-{3,} *\|)+ *$", prose, re.M))
    assert tab.locator(".jp-MarkdownCell .myst table").count() == tables


def test_an_admonition_renders_as_a_box_with_its_title(chapter):
    tab = chapter.tab
    admonitions = _admonitions()
    boxes = tab.locator(".jp-MarkdownCell .myst .myst-admonition")
    assert boxes.count() == len(admonitions)
    title = next(t for t, dropdown in admonitions if t.startswith("A common mistake"))
    box = boxes.filter(has_text=title.split(":")[0]).first
    box.scroll_into_view_if_needed()
    style = box.evaluate(
        """(b) => { const s = getComputedStyle(b);
                    return [s.borderLeftWidth, s.borderLeftStyle, s.boxShadow]; }"""
    )
    assert style[0] != "0px" and style[1] != "none", f"no border: {style}"
    # The title heads the box, apart from its body.
    head, body = box.locator(":scope > *").all()[:2]
    assert _flat(head.inner_text()) == _flat(title)
    assert _flat(title) not in _flat(body.inner_text())
    assert int(head.evaluate("(e) => getComputedStyle(e).fontWeight")) >= 500
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SCREENSHOTS / "lab-chapter.png")


def test_a_solution_is_folded_and_opens_on_click(chapter):
    tab = chapter.tab
    dropdowns = [title for title, dropdown in _admonitions() if dropdown]
    folded = tab.locator(".jp-MarkdownCell .myst details.myst-admonition")
    assert folded.count() == len(dropdowns) > 0
    solution = folded.first
    summary, body = solution.locator("summary"), solution.locator(":scope > div")
    assert _flat(summary.inner_text()) == dropdowns[0]
    assert solution.evaluate("(d) => d.open") is False
    assert not body.is_visible()
    summary.scroll_into_view_if_needed()
    summary.click()
    assert solution.evaluate("(d) => d.open") is True
    assert body.is_visible()
    # The solution's first words, as the source has them.
    first = re.search(r":class:.*dropdown.*\n([A-Za-z ]+)", SOURCE)[1].split()[:2]
    assert _flat(body.inner_text()).startswith(" ".join(first))
    solution.scroll_into_view_if_needed()
    tab.screenshot(path=SCREENSHOTS / "lab-solution.png")
    summary.click()
    assert solution.evaluate("(d) => d.open") is False


def test_glued_numbers_show_as_their_names(chapter):
    """myst-nb's glue is not MyST: the extension shows `{glue:text}` roles
    as the glued value's name, never its number (read them on the site or
    in a plain edition)."""
    values = _glued()
    flat = _flat(SOURCE)
    # The first glued value with three plain words either side of it.
    match = re.search(
        r"((?:[A-Za-z]+ ){3})\{glue:text\}`(\w+)`((?: [A-Za-z]+){3})", flat
    )
    before, name, after = match.groups()
    text = _flat(_rendered_text(chapter.tab))
    assert f"{before}{name}{after}" in text
    assert f"{before}{values[name]}{after}" not in text


def test_glossary_terms_are_links_to_a_missing_target(chapter):
    """`{term}` renders as a link whose hover card names a target the
    notebook lacks (the glossary is another page), not the definition."""
    tab = chapter.tab
    term = _roles("term")[0]
    label = f"term-{term.lower()}"
    link = tab.locator(".jp-MarkdownCell .myst a.hover-link", has_text=term).first
    assert link.get_attribute("href") == "#"
    assert any(
        f"Cross reference target was not found: {label}" in m for m in chapter.console
    )
    link.scroll_into_view_if_needed()
    link.hover()
    card = tab.locator(".hover-card-content")
    card.wait_for()
    assert _flat(card.inner_text()) == label
    tab.mouse.move(0, 0)


def test_citations_show_their_key_marked_not_found(chapter):
    """`{cite:t}` and `{cite:p}` show the BibTeX key, flagged as a citation
    not found (the notebook has no bibliography), not author and year."""
    key = (_roles("cite:t") + _roles("cite:p"))[0]
    cite = chapter.tab.locator(".jp-MarkdownCell .myst .cite-group", has_text=key).first
    assert _flat(cite.inner_text()) == key
    assert cite.locator("[title='Citation Not Found']").count() == 1


def test_doc_links_show_their_target_and_lead_nowhere(chapter, lab):
    """`{doc}` renders as a link reading its target as written, to that path
    without the .ipynb, which the server does not have."""
    target = _roles("doc")[0]
    assert (ROOT / "notebooks" / f"{target}.ipynb").exists()
    link = chapter.tab.locator(".jp-MarkdownCell .myst a", has_text=target).first
    assert link.inner_text() == target
    href = link.get_attribute("href")
    assert href.split("?")[0] == f"{lab.base}files/{target}"
    assert chapter.tab.context.request.get(href).status == 404


def test_figures_show_without_the_caption_their_metadata_gives(chapter):
    """Captions live in the drawing cell's metadata for the book; JupyterLab
    shows the figure alone."""
    tab = chapter.tab
    text = _flat(tab.evaluate("() => document.body.innerText"))
    cells = tab.locator(".jp-Notebook .jp-Cell")
    assert cells.count() == len(NOTEBOOK["cells"])
    for index, caption in _captions().items():
        assert cells.nth(index).locator(".jp-OutputArea-output img").count() == 1
        assert _flat(caption) not in text


def test_trusted_chapters_play_their_stored_animations(chapter):
    """Trusted, a chapter's stored animations (HTML with a script) run; an
    untrusted chapter (as on Binder) shows an empty frame until re-run."""
    players = chapter.tab.locator(".jp-OutputArea-output").filter(
        has=chapter.tab.locator("input[type=range]")
    )
    assert players.count() > 0
    for i in range(players.count()):
        frame = players.nth(i).locator("img").first
        assert (frame.get_attribute("src") or "").startswith("data:image/png")


def test_make_lab_trusts_the_chapters():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nlab: $(STAMP)\n")[1].split("\n\n")[0]
    assert "$(BIN)/jupyter trust notebooks/[0-9][0-9]-*.ipynb" in recipe
    assert "$(BIN)/jupyter lab" in recipe and recipe.rstrip().endswith("notebooks/")


def _differences(before: dict, after: dict) -> list[str]:
    """What changed between two versions of a notebook, in a few words."""
    old, new = before["metadata"], after["metadata"]
    changes = [
        f"metadata.{key}: {old.get(key)!r} -> {new.get(key)!r}"
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]
    if len(before["cells"]) != len(after["cells"]):
        changes.append(f"{len(before['cells'])} cells -> {len(after['cells'])}")
    else:
        pairs = zip(before["cells"], after["cells"], strict=True)
        changes += [f"cell {i}" for i, (a, b) in enumerate(pairs) if a != b]
    return changes or ["the same notebook, written with other bytes (key order)"]


def test_opening_a_chapter_leaves_its_file_alone(chapter, lab):
    tab = chapter.tab
    deadline = time.monotonic() + PATIENCE
    while not (
        (kernels := lab.api("api/kernels"))
        and all(k["execution_state"] == "idle" for k in kernels)
    ):
        assert time.monotonic() < deadline, f"no idle kernel: {kernels}"
        time.sleep(0.5)
    tab.wait_for_timeout((2 * AUTOSAVE + 1) * 1000)
    label = tab.locator(".lm-TabBar-tab", has_text=f"{CHAPTER}.ipynb")
    assert "jp-mod-dirty" not in label.get_attribute("class"), "marked modified"
    original = ROOT / "notebooks" / f"{CHAPTER}.ipynb"
    copy = lab.root / original.name
    if copy.read_bytes() != original.read_bytes():
        changes = _differences(
            json.loads(original.read_text()), json.loads(copy.read_text())
        )
        pytest.fail("JupyterLab rewrote the chapter: " + "; ".join(changes))


def test_the_server_stops_cleanly_and_leaves_no_process(lab):
    status, left = lab.stop()
    assert status == 0, lab.log_tail()
    assert left == []
    assert list(lab.runtime.glob("kernel-*.json")) == []
