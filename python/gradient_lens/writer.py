"""The log: JSON Lines, one file per rank, appended and flushed line by line so a reader can tail it.

Files are ``rank<r>.gl.jsonl`` in the log folder; past ``max_bytes`` the log continues in
``rank<r>.part<n>.gl.jsonl``, each part starting with the header again (``part``: n). A rank that
finds its files from an earlier run moves them to ``previous/<run id>/`` before writing, so the
folder holds one run and nothing is overwritten. Non-finite numbers are written as the strings
"NaN", "Infinity" and "-Infinity" (JSON has no literal for them).
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import threading
from typing import Any, Dict, Optional

FORMAT = "gradient-lens-run"
FORMAT_VERSION = 1
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

_PART = re.compile(r"^rank(\d+)(?:\.part(\d+))?\.gl\.jsonl$")


def file_name(rank: int, part: int) -> str:
    return f"rank{rank}.gl.jsonl" if part == 0 else f"rank{rank}.part{part}.gl.jsonl"


def _finite(v: Any) -> Any:
    """Replaces NaN/±inf by strings, recursively: the one convention for non-finite numbers in the log."""
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def encode(record: Dict[str, Any]) -> str:
    return json.dumps(_finite(record), separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def _safe_dir_name(run: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", run)[:100] or "run"


def _header_run(path: str) -> Optional[str]:
    try:
        with open(path, "r", encoding="utf-8") as f:
            head = json.loads(f.readline())
        run = head.get("run")
        return run if isinstance(run, str) else None
    except (OSError, ValueError, AttributeError):
        return None


class LogWriter:
    def __init__(self, log_dir: str, rank: int, header: Dict[str, Any], max_bytes: int = DEFAULT_MAX_BYTES):
        if max_bytes < 64 * 1024:
            raise ValueError("gradient_lens: max_bytes must be at least 64 KiB")
        self.dir = os.path.abspath(log_dir)
        self.rank = rank
        self.header = {"kind": "header", "format": FORMAT, "version": FORMAT_VERSION, "rank": rank, **header}
        self.max_bytes = max_bytes
        self.part = 0
        self.bytes = 0
        self.file = None
        self.lock = threading.Lock()
        os.makedirs(self.dir, exist_ok=True)
        self._move_previous()
        self._open()

    def _own_files(self):
        for name in os.listdir(self.dir):
            m = _PART.match(name)
            if m and int(m.group(1)) == self.rank:
                yield name

    def _move_previous(self) -> None:
        names = sorted(self._own_files())
        if not names:
            return
        first = os.path.join(self.dir, file_name(self.rank, 0))
        run = (_header_run(first) if os.path.exists(first) else None) or "unknown"
        target = os.path.join(self.dir, "previous", _safe_dir_name(run))
        os.makedirs(target, exist_ok=True)
        for name in names:
            dest = os.path.join(target, name)
            n = 1
            while os.path.exists(dest):
                dest = os.path.join(target, f"{name}.{n}")
                n += 1
            shutil.move(os.path.join(self.dir, name), dest)

    @property
    def path(self) -> str:
        return os.path.join(self.dir, file_name(self.rank, self.part))

    def _open(self) -> None:
        self.file = open(self.path, "w", encoding="utf-8", newline="\n")
        self.bytes = 0
        header = dict(self.header)
        if self.part:
            header["part"] = self.part
        self._write_line(encode(header))

    def _write_line(self, line: str) -> None:
        data = line + "\n"
        # One write per record: a reader sees whole lines, or a last line still being written.
        self.file.write(data)
        self.file.flush()
        self.bytes += len(data.encode("utf-8"))

    def write(self, record: Dict[str, Any]) -> None:
        line = encode(record)
        with self.lock:
            if self.file is None:
                return
            if self.bytes + len(line) + 1 > self.max_bytes and self.bytes > 0:
                self.file.close()
                self.part += 1
                self._open()
            self._write_line(line)

    def close(self) -> None:
        with self.lock:
            if self.file is not None:
                self.file.close()
                self.file = None
