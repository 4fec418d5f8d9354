"""Which optimiser steps are recorded.

A fixed interval (``every=N``) records steps 0, N, 2N, …

The default, ``"auto"``, keeps recording's cost under a share of the training time:
- step 0 is always recorded (where initialisation problems show), and the powers of two (1, 2, 4,
  8, …) are candidates, so the start of training is seen closely while the budget allows;
- a recorded step's cost is its time beyond a plain step's (hooks, summaries, the write), both
  measured as the run goes; the interval is the smallest power of two at which that cost spread
  over the interval is within ``overhead`` (3% by default) of the time of the steps in between;
- a budget guards the total: a step is recorded only while the time spent recording stays within
  ``overhead`` of the time trained so far plus a small ``allowance`` (0.2 s), so a short script is
  still recorded more than once and a long run stays under the target from its start.
Candidates are steps with ``step % interval == 0`` and powers of two, so the ranks of a distributed run, whose timings
agree only roughly, mostly record the same steps; the reader merges those they share.
"""
from __future__ import annotations

import math
from typing import Optional, Union

DEFAULT_OVERHEAD = 0.03
DEFAULT_ALLOWANCE = 0.2
MAX_INTERVAL = 1 << 20


class Schedule:
    def __init__(self, every: Union[int, str, None] = "auto", overhead: float = DEFAULT_OVERHEAD, allowance: float = DEFAULT_ALLOWANCE):
        if every is None or every == "auto":
            self.fixed: Optional[int] = None
        elif isinstance(every, int) and not isinstance(every, bool) and every >= 1:
            self.fixed = every
        else:
            raise ValueError(f"gradient_lens: every must be a positive integer or 'auto', not {every!r}")
        if not (0 < overhead < 1):
            raise ValueError(f"gradient_lens: overhead must be a share between 0 and 1, not {overhead!r}")
        self.overhead = overhead
        self.allowance = allowance
        self.interval = self.fixed or 1
        self.plain: Optional[float] = None  # moving average of a plain step (seconds)
        self.extra: Optional[float] = None  # moving average of what a recorded step costs beyond it
        self.elapsed = 0.0  # all steps' time
        self.spent = 0.0  # recorded steps' cost beyond a plain step
        self._unpriced: list = []  # recorded steps' times from before a plain step was timed

    def wants(self, step: int) -> bool:
        if self.fixed is not None:
            return step % self.fixed == 0
        if step == 0:
            return True
        if self.plain is None:
            return False
        if step % self.interval and step & (step - 1):
            return False
        cost = self.extra if self.extra is not None else 0.0
        return self.spent + cost <= self.overhead * self.elapsed + self.allowance

    def observe(self, seconds: float, recorded: bool) -> None:
        """Feeds one step's wall time (from one optimiser step to the next, everything included)."""
        if seconds <= 0:
            return
        self.elapsed += seconds
        if self.fixed is not None:
            return
        if not recorded:
            self.plain = seconds if self.plain is None else 0.9 * self.plain + 0.1 * seconds
            for s in self._unpriced:
                self._price(s)
            self._unpriced = []
        elif self.plain is None:
            self._unpriced.append(seconds)
        else:
            self._price(seconds)
        self._choose()

    def _price(self, seconds: float) -> None:
        extra = max(0.0, seconds - (self.plain or 0.0))
        self.spent += extra
        self.extra = extra if self.extra is None else 0.7 * self.extra + 0.3 * extra

    def _choose(self) -> None:
        if self.plain is None or self.extra is None:
            return
        need = self.extra / (self.overhead * self.plain) if self.plain > 0 else MAX_INTERVAL
        self.interval = min(MAX_INTERVAL, 1 << max(0, math.ceil(math.log2(max(need, 1.0)))))

    @property
    def share(self) -> Optional[float]:
        """The time spent recording as a share of the time trained, so far."""
        return self.spent / (self.elapsed - self.spent) if self.elapsed > self.spent > 0 else (0.0 if self.elapsed else None)
