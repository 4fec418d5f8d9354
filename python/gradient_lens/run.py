"""``python -m gradient_lens run [options] train.py args...``: an unchanged script, watched.

Module construction sites are recorded from the start (this package is imported first). When the
script creates its first optimizer, the model it trains is found among the modules built so far
(the outermost module holding most of the optimizer's parameters; DDP wrappers unwrapped) and
watched. Works under torchrun: ``torchrun --nproc_per_node 2 -m gradient_lens run train.py``.
"""
from __future__ import annotations

import argparse
import os
import runpy
import sys
from typing import List, Optional

import torch

from . import sites
from .describe import unwrap
from .patching import Patch
from .watch import Watch

USAGE = "python -m gradient_lens run [--log-dir runs/gl] [--every N|auto] [--overhead SHARE] (script.py | -m module) [args...]"


class _AutoWatch:
    def __init__(self, log_dir: str, every, overhead: Optional[float]):
        self.log_dir = log_dir
        self.every = every
        self.overhead = overhead
        self.watch: Optional[Watch] = None
        self.patch = Patch(torch.optim.Optimizer, "__init__", self._watching)

    def _watching(self, original):
        def __init__(opt, *args, **kwargs):
            original(opt, *args, **kwargs)
            try:
                site = sites.construction_site(opt, 2)
            except Exception:
                site = None
            self._on_optimizer(opt, site)

        return __init__

    def _on_optimizer(self, opt: torch.optim.Optimizer, site) -> None:
        if self.watch is not None:
            if not getattr(self, "_noted", False):
                self._noted = True
                print(f"gradient_lens: watching the first optimizer only ({type(self.watch.optimizer).__name__}); "
                      f"call gradient_lens.watch(model, optimizer, log_dir=...) for {type(opt).__name__}", file=sys.stderr)
            return
        model = find_model(opt)
        if model is None:
            print(f"gradient_lens: no module built in this script owns the parameters of {type(opt).__name__}; not watching it", file=sys.stderr)
            return
        self.watch = Watch(model, opt, log_dir=self.log_dir, every=self.every, overhead=self.overhead, optimizer_site=site)


def find_model(opt: torch.optim.Optimizer) -> Optional[torch.nn.Module]:
    """The outermost module holding the most of the optimizer's parameters."""
    wanted = {id(p) for g in opt.param_groups for p in g["params"]}
    best, best_key = None, None
    for m in list(sites._SITES.keys()):
        if isinstance(m, torch.nn.modules.loss._Loss):
            continue
        own = sum(1 for p in m.parameters() if id(p) in wanted)
        if own == 0:
            continue
        key = (own, sum(1 for _ in m.modules()))
        if best_key is None or key > best_key:
            best, best_key = m, key
    return unwrap(best) if best is not None else None


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradient_lens run", usage=USAGE, description=__doc__.split("\n\n")[0])
    parser.add_argument("--log-dir", default=os.environ.get("GRADIENT_LENS_LOG_DIR", "runs/gl"))
    parser.add_argument("--every", default="auto", help="record every N-th optimiser step, or auto (default)")
    parser.add_argument("--overhead", type=float, default=None, help="share of step time 'auto' aims at (default 0.03)")
    parser.add_argument("-m", dest="module", default=None, help="run a module, as python -m does")
    parser.add_argument("target", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    every = ns.every
    if every != "auto":
        try:
            every = int(every)
        except ValueError:
            parser.error(f"--every must be a positive integer or auto, not {ns.every!r}")
    rest = ns.target
    if ns.module is None and not rest:
        parser.error("give the training script to run")
    if ns.module is None and not os.path.exists(rest[0]):
        print(f"gradient_lens: {rest[0]}: no such file", file=sys.stderr)
        return 2
    auto = _AutoWatch(ns.log_dir, every, ns.overhead)
    auto.patch.install()
    reason = "finished"
    try:
        if ns.module is not None:
            sys.argv = [ns.module, *rest]
            runpy.run_module(ns.module, run_name="__main__", alter_sys=True)
        else:
            script = rest[0]
            sys.argv = list(rest)
            sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
            runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code not in (None, 0):
            reason = f"exit {code}"
        raise
    except BaseException as e:
        reason = f"error: {type(e).__name__}: {e}"
        raise
    finally:
        auto.patch.uninstall()
        if auto.watch is not None:
            auto.watch.close(reason)
        elif reason == "finished":
            print("gradient_lens: the script created no optimizer: nothing was recorded", file=sys.stderr)
    return 0
