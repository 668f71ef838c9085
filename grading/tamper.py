"""Seeing, from the grader, that a notebook changed how later cells run.

A submission could earn points for nothing by changing, from one of its own
cells, what the test cells after it run or how they report: an IPython input
or AST transformer that blanks them, an event callback, a replaced shell or
kernel method, a test helper, module or builtin replaced by one that never
fails. nbgrader sees none of this: a test passes when it shows no error.

So the grader asks the kernel, between cells, for a fingerprint
(:data:`PROBE`) and compares it with what it saw before. The probe is sent
as a *user expression* of an empty request: IPython evaluates it without
passing it through the input transformers, the AST transformers or the cell
events that a notebook could have installed. It reports

- the origin (the file of the code) of every input and AST transformer,
  event callback, import hook and path hook: one defined in the notebook is
  tampering, whatever it does;
- which of the shell's and the kernel's methods that run cells and report
  errors are replaced, on the object or its class, and the custom exception
  handler; the profiler, tracer and exception hooks of ``sys``;
- the identity of every public function (and its code object) of
  ``builtins``, NumPy, ``numpy.testing`` and ``cnnkit``'s modules;
- the names the assignment's read-only cells bind to modules, functions and
  classes (``np``, ``expect_close``, ...), which later cells must not rebind.

What it cannot see: the probe runs in the student's kernel, so code written
to fool it (replacing ``eval`` or the shell's ``user_expressions`` to answer
the fingerprint the grader expects, or a hook compiled under the file name of
an installed module) can. Reading the grader's code is enough to write such
code; the instructor's review of outliers and of the submitted code remains
the last line.
"""

from __future__ import annotations

import ast
import json
import os

#: Shell methods that run cells and report their errors.
SHELL_METHODS = (
    "run_cell",
    "run_cell_async",
    "_run_cell",
    "run_ast_nodes",
    "run_code",
    "transform_cell",
    "transform_ast",
    "should_run_async",
    "showtraceback",
    "_showtraceback",
    "showsyntaxerror",
    "showindentationerror",
    "user_expressions",
    "set_custom_exc",
)
#: Kernel methods that answer an execute request.
KERNEL_METHODS = ("do_execute", "execute_request", "send_response", "dispatch_shell")
#: Modules whose public functions a notebook must not replace (and
#: ``cnnkit``'s submodules, whichever are loaded).
MODULES = ("builtins", "numpy", "numpy.testing", "cnnkit", "cnnkit.check")
#: Builtins that the kernel itself replaces before every request.
KERNEL_OWNED = ("input", "raw_input", "getpass", "exit", "quit", "get_ipython")

_SOURCE = f"""
import sys, types, json
from IPython.core.getipython import get_ipython

def origin(f):
    f = getattr(f, "func", f)
    f = getattr(f, "__func__", f)
    code = getattr(f, "__code__", None)
    if code is not None:
        return code.co_filename
    cls = f if isinstance(f, type) else type(f)
    if cls.__module__ == "__main__":
        return "__main__"
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return file or "module:" + cls.__module__

def methods(obj, names):
    return {{n: [id(getattr(type(obj), n, None)), n in vars(obj)] for n in names}}

def public(mod):
    out = {{}}
    for name, value in list(vars(mod).items()):
        if name.startswith("_") or name in {KERNEL_OWNED!r}:
            continue
        if callable(value) or isinstance(value, types.ModuleType):
            out[name] = [id(value), id(getattr(value, "__code__", None))]
    return out

ip = get_ipython()
tm = ip.input_transformer_manager
hooks = {{
    "input_transformers_cleanup": ip.input_transformers_cleanup,
    "input_transformers_post": ip.input_transformers_post,
    "line_transforms": tm.line_transforms,
    "token_transformers": tm.token_transformers,
    "ast_transformers": ip.ast_transformers,
    "sys.meta_path": sys.meta_path,
    "sys.path_hooks": sys.path_hooks,
}}
for event, callbacks in ip.events.callbacks.items():
    hooks["event " + event] = callbacks
for name in {MODULES!r}:
    __import__(name)
names = list({MODULES!r}) + sorted(m for m in sys.modules if m.startswith("cnnkit."))
kinds = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)
result = json.dumps({{
    "hooks": {{k: [origin(f) for f in v] for k, v in hooks.items()}},
    "shell": methods(ip, {SHELL_METHODS!r}),
    "kernel": methods(ip.kernel, {KERNEL_METHODS!r}),
    "session": methods(ip.kernel.session, ("send",)),
    "custom_exceptions": repr(ip.custom_exceptions),
    "sys": [sys.gettrace() is None, sys.getprofile() is None,
            id(sys.excepthook), id(sys.displayhook)],
    "modules": {{m: [id(sys.modules[m]), public(sys.modules[m])]
                for m in names if m in sys.modules}},
    "names": {{k: id(v) for k, v in list(ip.user_ns.items())
              if not k.startswith("_") and isinstance(v, kinds)}},
}})
"""

#: The expression the grader sends; it evaluates to the fingerprint (JSON).
PROBE = f'(lambda g: [exec({_SOURCE!r}, g), g["result"]][1])({{}})'
#: Modules with no file of their own whose objects may hook the kernel.
NO_FILE = ("builtins", "_frozen_importlib", "_frozen_importlib_external", "zipimport")
#: The largest answer read (a longer one is itself a sign of tampering).
MAX_ANSWER = 2_000_000


def read_answer(reply: dict) -> dict | None:
    """The fingerprint in an execute reply, or None if it is not there."""
    try:
        value = reply["content"]["user_expressions"]["probe"]
        if value.get("status") != "ok":
            return None
        text = value["data"]["text/plain"]
        if len(text) > MAX_ANSWER:
            return None
        return json.loads(ast.literal_eval(text))
    except (KeyError, TypeError, ValueError, SyntaxError, AttributeError):
        return None


def flatten(answer: dict) -> dict[tuple, object]:
    """The fingerprint as (kind, name, ...) -> value, hooks left out."""
    flat: dict[tuple, object] = {}
    for kind in ("shell", "kernel", "session"):
        for name, value in answer[kind].items():
            flat[(kind, name)] = tuple(value)
    flat[("custom_exceptions",)] = answer["custom_exceptions"]
    tracer, profiler, excepthook, displayhook = answer["sys"]
    flat[("sys", "tracer unset")] = tracer
    flat[("sys", "profiler unset")] = profiler
    flat[("sys", "excepthook")] = excepthook
    flat[("sys", "displayhook")] = displayhook
    for module, (ident, functions) in answer["modules"].items():
        flat[("module", module)] = ident
        for name, value in functions.items():
            flat[("function", module, name)] = tuple(value)
    return flat


def describe(key: tuple) -> str:
    """A key of :func:`flatten` in words."""
    kind, *rest = key
    if kind == "function":
        return f"{rest[0]}.{rest[1]} was replaced"
    if kind == "module":
        return f"module {rest[0]} was replaced"
    if kind in ("shell", "kernel", "session"):
        return f"the {kind}'s {rest[0]} was replaced"
    if kind == "name":
        return f'"{rest[0]}", given by a read-only cell, was rebound'
    if kind == "custom_exceptions":
        return "a custom exception handler was installed"
    return f"{kind}: {' '.join(map(str, rest))} changed"


class Watch:
    """What the grader saw of one kernel; says what changed since."""

    def __init__(self, installed: list[str]):
        #: where code that may hook the kernel lives (the Python install)
        self.allowed = (
            *(os.path.join(p, "") for p in installed),
            "<frozen ",
            *(f"module:{m}" for m in NO_FILE),
        )
        self.seen: dict[tuple, object] = {}
        self.given: dict[str, int] = {}
        self.names: dict[str, int] = {}

    def check(self, answer: dict | None, after_given_cell: bool = False) -> list[str]:
        """What changed since the last answer (empty: nothing)."""
        if answer is None:
            return ["the kernel did not answer the grader's check"]
        try:
            problems = self._hooks(answer["hooks"])
            flat = flatten(answer)
            names = {k: v for k, v in answer["names"].items() if isinstance(v, int)}
        except (KeyError, TypeError, ValueError, AttributeError):
            return ["the kernel's answer to the grader's check was malformed"]
        for key, value in flat.items():
            if self.seen.setdefault(key, value) != value:
                problems.append(describe(key))
        for name, ident in self.given.items():
            if names.get(name) != ident:
                problems.append(describe(("name", name)))
        if after_given_cell:
            for name, ident in names.items():
                if self.names.get(name) != ident:
                    self.given[name] = ident
        self.names = names
        return problems

    def _hooks(self, hooks: dict) -> list[str]:
        problems = []
        for where, origins in hooks.items():
            for file in origins:
                if not isinstance(file, str) or not file.startswith(self.allowed):
                    problems.append(f"{where}: a hook defined in the notebook")
                    break
        return problems
