"""Where each module was built: the file, line and columns of the user's ``nn.Linear(...)`` call.

Recorded at construction by wrapping ``nn.Module.__init__`` once, when ``gradient_lens`` is
imported. A module built before the import has no recorded site; for those, ``site_of`` reads the
source with ``ast``: ``self.fc1 = nn.Linear(...)`` in the parent's class, or the n-th argument of
the ``nn.Sequential(...)`` call that built the parent.

A site is a dict ``{"file", "line", "column", "endLine", "endColumn"}``: absolute path, 1-based
lines and columns counted in UTF-16 code units (as editors count them), end exclusive.
"""
from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import os
import sys
import weakref
from typing import Any, Dict, Optional

import torch
from torch import nn

from .patching import Patch

_SITES: "weakref.WeakKeyDictionary[nn.Module, Dict[str, Any]]" = weakref.WeakKeyDictionary()

# Frames in these directories are library code, never the user's construction site.
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(p)) + os.sep
    for p in (torch.__file__, __file__)
)


def _is_library(filename: str) -> bool:
    return filename.startswith(_LIBRARY_DIRS) or filename.startswith("<frozen")


def _utf16_column(file: str, line: int, byte_col: int) -> int:
    """Python reports columns as UTF-8 byte offsets; editors count UTF-16 code units."""
    text = linecache.getline(file, line)
    if not text:
        return byte_col
    prefix = text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace")
    return len(prefix.encode("utf-16-le")) // 2


def _site_from_frame(frame) -> Dict[str, Any]:
    code = frame.f_code
    file = os.path.abspath(code.co_filename)
    line = frame.f_lineno
    end_line, col, end_col = line, None, None
    positions = getattr(code, "co_positions", None)  # Python 3.11+: the exact call expression
    if positions is not None and frame.f_lasti >= 0:
        pos = next(itertools.islice(positions(), frame.f_lasti // 2, None), None)
        if pos and pos[0] is not None and pos[2] is not None and pos[3] is not None:
            line, end_line, col, end_col = pos
    return _site(file, line, col, end_line, end_col)


def _site(file: str, line: int, col: Optional[int], end_line: Optional[int], end_col: Optional[int]) -> Dict[str, Any]:
    """A site from 1-based lines and 0-based UTF-8 byte columns (Python's convention); the whole line's text when columns are unknown."""
    if col is None or end_col is None:
        text = linecache.getline(file, line).rstrip("\r\n")
        stripped = text.lstrip()
        col = len(text.encode("utf-8")) - len(stripped.encode("utf-8"))
        end_line, end_col = line, len(text.encode("utf-8"))
    end_line = end_line or line
    return {
        "file": file,
        "line": line,
        "column": _utf16_column(file, line, col) + 1,
        "endLine": end_line,
        "endColumn": _utf16_column(file, end_line, end_col) + 1,
    }


def construction_site(obj, depth: int = 2):
    """The innermost frame outside torch, gradient_lens and the object's own ``__init__`` chain: where the user built it."""
    frame = sys._getframe(depth)
    while frame is not None:
        code = frame.f_code
        if not _is_library(code.co_filename):
            own_init = code.co_name == "__init__" and frame.f_locals.get("self") is obj
            if not own_init:
                return _site_from_frame(frame)
        frame = frame.f_back
    return None


def _remembering(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        # Module.__init__ runs once per object even in deep class hierarchies (each super() lands here once).
        if self not in _SITES:
            try:
                site = construction_site(self, 2)
            except Exception:  # a site is a convenience; never break the user's model over it
                site = None
            if site is not None:
                _SITES[self] = site

    return __init__


_PATCH = Patch(nn.Module, "__init__", _remembering)


def install() -> None:
    """Wraps ``nn.Module.__init__`` (once) so every module built from now on remembers its site."""
    _PATCH.install()


def uninstall() -> None:
    """Puts ``nn.Module.__init__`` back (tests)."""
    _PATCH.uninstall()


def recorded_site(module: nn.Module) -> Optional[Dict[str, Any]]:
    return _SITES.get(module)


# ── Reading the source when no site was recorded ─────────────────────────────────────────────

_AST_CACHE: Dict[str, Optional[ast.Module]] = {}


def _parse(file: str) -> Optional[ast.Module]:
    if file not in _AST_CACHE:
        try:
            source = "".join(linecache.getlines(file))
            _AST_CACHE[file] = ast.parse(source) if source else None
        except (SyntaxError, ValueError):
            _AST_CACHE[file] = None
    return _AST_CACHE[file]


def _node_site(file: str, node: ast.AST) -> Dict[str, Any]:
    return _site(file, node.lineno, node.col_offset, getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))


def _assignment_in_class(parent: nn.Module, name: str) -> Optional[Dict[str, Any]]:
    """``self.<name> = <call>`` in the methods of the parent's class (or its user-written bases)."""
    for cls in type(parent).__mro__:
        if cls is nn.Module or cls.__module__.startswith("torch."):
            break
        try:
            file = inspect.getsourcefile(cls)
            _, first_line = inspect.getsourcelines(cls)
        except (OSError, TypeError):
            continue
        if not file:
            continue
        tree = _parse(os.path.abspath(file))
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == cls.__name__ and node.lineno <= first_line + len(node.decorator_list) + 1:
                for sub in ast.walk(node):
                    if isinstance(sub, (ast.Assign, ast.AnnAssign)):
                        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                        for t in targets:
                            if isinstance(t, ast.Attribute) and t.attr == name and isinstance(t.value, ast.Name) and t.value.id == "self" and sub.value is not None:
                                return _node_site(os.path.abspath(file), sub.value)
    return None


def _argument_of_call(parent_site: Dict[str, Any], index: int) -> Optional[Dict[str, Any]]:
    """The n-th positional argument of the call at the parent's site (``nn.Sequential(a, b, c)``)."""
    tree = _parse(parent_site["file"])
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno == parent_site["line"]:
            args = node.args
            if len(args) == 1 and isinstance(args[0], ast.Starred):
                return None
            if index < len(args) and not any(isinstance(a, ast.Starred) for a in args[: index + 1]):
                return _node_site(parent_site["file"], args[index])
    return None


def site_of(module: nn.Module, parent: Optional[nn.Module], name: str, parent_site: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The recorded site, else one read from the source, else None."""
    site = _SITES.get(module)
    if site is not None:
        return site
    if parent is None:
        return None
    try:
        found = _assignment_in_class(parent, name)
        if found is None and parent_site is not None and name.isdigit():
            found = _argument_of_call(parent_site, int(name))
        return found
    except Exception:
        return None


def find_call(file: str, name: str) -> Optional[Dict[str, Any]]:
    """The first call to ``name`` (``optim.SGD(...)``, ``SGD(...)``) in a file, read with ast."""
    tree = _parse(os.path.abspath(file))
    if tree is None:
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if called == name and (best is None or (node.lineno, node.col_offset) < (best.lineno, best.col_offset)):
                best = node
    return _node_site(os.path.abspath(file), best) if best is not None else None
