"""Gradient Lens for real PyTorch training runs.

One line in a training script::

    import gradient_lens                       # before the model is built: records where each module is written
    ...
    gradient_lens.watch(model, optimizer, log_dir="runs/gl")

or no edit at all::

    python -m gradient_lens run train.py args...

Every N optimiser steps (``every``; by default chosen so that recording costs under 5% of step
time) it writes the same statistics Gradient Lens's own trace records, as JSON Lines in
``log_dir`` (one file per rank under torch.distributed). The VS Code extension and
``gradient-lens check runs/gl/`` read them and put the findings on the lines of your ``.py`` files.

Importing this package wraps ``torch.nn.Module.__init__`` to remember the file and line that built
each module; nothing else changes until ``watch`` is called.
"""
from __future__ import annotations

import os

from . import sites
from .schedule import Schedule
from .watch import Watch
from .writer import FORMAT, FORMAT_VERSION

__version__ = "0.1.0"
__all__ = ["watch", "Watch", "FORMAT", "FORMAT_VERSION", "__version__"]

if os.environ.get("GRADIENT_LENS_SITES", "1") != "0":
    sites.install()


def watch(model, optimizer, log_dir: str = "runs/gl", every="auto", overhead=None, max_bytes=None) -> Watch:
    """Starts recording gradient health of ``model`` trained by ``optimizer`` into ``log_dir``.

    every: record every N-th optimiser step, or "auto" (default): the first steps, then an
        interval chosen from measured step times so recording costs about ``overhead`` of the time.
    overhead: the share of step time "auto" aims at (default 0.03).
    max_bytes: start a new log part past this size (default 256 MiB).

    Returns the ``Watch``; ``close()`` it (or use it as a context manager) to stop early. It is
    closed at interpreter exit.
    """
    kwargs = {}
    if max_bytes is not None:
        kwargs["max_bytes"] = max_bytes
    return Watch(model, optimizer, log_dir=log_dir, every=every, overhead=overhead, **kwargs)
