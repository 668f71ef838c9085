"""Off limits: the student's function must do its own work.

While :func:`off_limits` is active, calling the library that already does the
job (``cnnkit.conv2d``, ``scipy.signal``, TensorFlow...) raises, however the
function reached it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["LIBRARIES", "OffLimitsError", "off_limits"]


class OffLimitsError(AssertionError):
    """Raised when code under test calls a library it was asked to replace."""


def _package_prefixes(name: str) -> tuple[str, ...]:
    """The folder or file a module lives in, found without importing anything."""
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # top level: imports nothing
    except (ImportError, ValueError):
        return ()
    if spec is None:
        return ()
    if len(parts) == 1 and not spec.submodule_search_locations:
        return (os.path.realpath(spec.origin),) if spec.origin else ()
    folders = list(spec.submodule_search_locations or [])
    for part in parts[1:]:
        inner = [os.path.join(f, part) for f in folders]
        packages = [p for p in inner if os.path.isdir(p)]
        if packages:
            folders = packages
            continue
        files = [p + ".py" for p in inner if os.path.isfile(p + ".py")]
        return (os.path.realpath(files[0]),) if part == parts[-1] and files else ()
    return tuple(os.path.join(os.path.realpath(f), "") for f in folders)


def _resolve(name: str) -> Any:
    """The object a dotted name points to, if its module is already imported."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        obj: Any = module
        try:
            for part in parts[cut:]:
                obj = (
                    vars(obj)[part]
                    if isinstance(obj, type) and part in vars(obj)
                    else getattr(obj, part)
                )
        except (AttributeError, KeyError):
            return None
        return obj
    return None


def _codes_of(obj: Any) -> tuple[set, set]:
    """Python code objects and C functions that calling ``obj`` runs first."""
    codes: set = set()
    builtins: set = set()
    if isinstance(obj, property):
        for f in (obj.fget, obj.fset):
            if f is not None:
                c, b = _codes_of(f)
                codes |= c
                builtins |= b
        return codes, builtins
    while hasattr(obj, "__wrapped__"):  # decorated functions: every layer counts
        code = getattr(obj, "__code__", None)
        if code is not None:
            codes.add(code)
        obj = obj.__wrapped__
    func = getattr(obj, "__func__", obj)  # bound methods
    code = getattr(func, "__code__", None)
    if code is not None:
        codes.add(code)
    elif callable(obj):
        builtins.add(obj)
    return codes, builtins


# cnnkit.check's own files (this block's exit, the expectations a test calls
# inside it) are never off limits.
_THIS_PACKAGE = os.path.join(os.path.dirname(os.path.realpath(__file__)), "")


#: What ``off_limits()`` forbids when given no names: every library that
#: computes convolutions, pooling or gradients for you. NumPy stays allowed.
LIBRARIES = ("cnnkit", "scipy", "skimage", "cv2", "tensorflow", "keras", "torch", "jax")


@contextlib.contextmanager
def off_limits(*names: str, doing: str = "this function") -> Iterator[None]:
    """Make the named libraries and functions raise while the block runs.

    A test wraps its call of the student's function in this block, so a
    function that only calls the library version of what it was asked to
    write fails the test, however it got hold of it (``import`` inside the
    function, a name imported earlier, a method). Python's profiler hook
    watches every call: a call into a forbidden package's files or to a
    forbidden function raises :class:`OffLimitsError`, and a student's
    ``try``/``except`` cannot hide it, because the error is raised again when
    the block ends.

    Parameters
    ----------
    *names : str
        Packages or modules (``"scipy.signal"``, ``"tensorflow"``,
        ``"cnnkit"``: every function in their files) or functions, methods
        and properties (``"keras.Model.count_params"``). A function whose
        module is not imported yet cannot have been reached and is skipped.
        ``cnnkit.check`` itself is never off limits. Without names:
        :data:`LIBRARIES`, every library but NumPy.
    doing : str
        What the code under test is, for the message.

    Raises
    ------
    OffLimitsError
        Naming the first forbidden function called.

    Examples
    --------
    >>> import cnnkit
    >>> import numpy as np
    >>> with off_limits("cnnkit.conv2d", doing="my_conv"):  # doctest: +ELLIPSIS
    ...     cnnkit.conv2d(np.ones((3, 3)), np.ones((2, 2)))
    Traceback (most recent call last):
    cnnkit.check.OffLimitsError: my_conv called cnnkit.convolution.conv2d, which ...
    >>> with off_limits():
    ...     float(np.ones((2, 2)).sum())  # NumPy is fine
    4.0
    """
    names = names or LIBRARIES
    prefixes: list[str] = []
    codes: set = set()
    builtins: set = set()
    module_names: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"names must be non-empty strings, got {name!r}")
        found = _package_prefixes(name)
        if found:
            prefixes.extend(found)
            module_names.append(name)
            continue
        obj = _resolve(name)
        if obj is not None:
            c, b = _codes_of(obj)
            codes |= c
            builtins |= b
    prefix_tuple = tuple(prefixes)
    module_tuple = tuple(module_names)
    caught: list[str] = []

    def violation(label: str) -> OffLimitsError:
        caught.append(label)
        return OffLimitsError(
            f"{doing} called {label}, which is off limits here: "
            "write the computation yourself"
        )

    def hook(frame, event, arg):
        if event == "call":
            code = frame.f_code
            filename = code.co_filename
            if code in codes or (
                prefix_tuple
                and filename.startswith(prefix_tuple)
                and not os.path.realpath(filename).startswith(_THIS_PACKAGE)
            ):
                module = frame.f_globals.get("__name__", "?")
                qualname = getattr(code, "co_qualname", code.co_name)
                if qualname == "<module>":
                    raise violation(f"{module} (by importing it)")
                raise violation(f"{module}.{qualname}")
        elif event == "c_call":
            module = getattr(arg, "__module__", None) or ""
            if arg in builtins or (
                module_tuple
                and (module in module_tuple or module.startswith(module_tuple))
            ):
                raise violation(f"{module}.{getattr(arg, '__name__', arg)}")

    # Paths of files as Python saw them (symlinks resolved) are compared.
    prefix_tuple = tuple({*prefix_tuple, *(os.path.abspath(p) for p in prefix_tuple)})
    module_tuple = tuple(m + "." for m in module_tuple) + module_tuple
    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)
    if caught:  # the student's code caught the error and carried on
        raise OffLimitsError(
            f"{doing} called {caught[0]}, which is off limits here: "
            "write the computation yourself"
        )
