"""Wrapping a function of torch in place, once, and putting it back: the few places gradient_lens
listens where torch 1.13 has no hook (module construction, backward(), optimiser construction)."""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable


class Patch:
    """``owner.name`` replaced by ``make(original)`` while installed."""

    def __init__(self, owner: Any, name: str, make: Callable[[Callable], Callable]):
        self.owner = owner
        self.name = name
        self.make = make
        self.original = None
        self._lock = threading.Lock()

    @property
    def installed(self) -> bool:
        return self.original is not None

    def install(self) -> None:
        with self._lock:
            if self.original is not None:
                return
            original = getattr(self.owner, self.name)
            wrapper = functools.wraps(original)(self.make(original))
            self.original = original
            setattr(self.owner, self.name, wrapper)

    def uninstall(self) -> None:
        with self._lock:
            if self.original is not None:
                setattr(self.owner, self.name, self.original)
                self.original = None
