"""``watch(model, optimizer)``: records gradient health every N optimiser steps of a real training run.

How it listens (torch's own hooks; nothing in the user's training changes):
- ``optimizer.step`` is wrapped (torch 1.13 has no optimiser step hooks): the step boundary. At a
  recorded step, gradients are summarised there, after DDP's all-reduce, before the update; the
  update ‖Δw‖/‖w‖ after it.
- ``torch.autograd.backward`` is wrapped once per process: the loss (and which loss it is).
- On the steps to record only, forward pre-hooks on activation modules (saturation, dead units),
  forward hooks on every module (outputs, the first non-finite value) and tensor hooks on leaf
  modules' outputs and inputs (the gradient flowing back through each layer) are registered, and
  removed again at the step's end. Between recorded steps nothing runs but the wrapped step and
  backward, so the cost is a small share of step time (see ``schedule``).
Everything is computed on the tensors' device and read back once per recorded step.
"""
from __future__ import annotations

import atexit
import datetime
import math
import os
import platform
import sys
import time
import types
import warnings
import weakref
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import nn

from . import losses, sites, stats
from .describe import describe, unwrap
from .patching import Patch
from .schedule import Schedule
from .writer import DEFAULT_MAX_BYTES, LogWriter

_ACTIVE: "weakref.WeakSet[Watch]" = weakref.WeakSet()
_NOT_SET = object()
# Summaries one recorded step may hold before it is read: bounds memory if optimizer.step never comes.
MAX_EVENTS = 200_000
# Summaries a recorded step remembers by tensor, to summarise a tensor two hooks see only once.
RECENT_TENSORS = 4
def _reporting_losses(original):
    def backward(tensors, *args, **kwargs):
        if _ACTIVE:
            t = tensors[0] if isinstance(tensors, (tuple, list)) and tensors else tensors
            if isinstance(t, torch.Tensor):
                for w in list(_ACTIVE):
                    w._on_backward(t)
        return original(tensors, *args, **kwargs)

    return backward


# torch.autograd.backward, wrapped once per process: Tensor.backward calls it too.
_BACKWARD = Patch(torch.autograd, "backward", _reporting_losses)


def _rank_and_world() -> Tuple[int, int]:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return int(os.environ.get("RANK", "0") or 0), int(os.environ.get("WORLD_SIZE", "1") or 1)


def _run_id(world: int, started: datetime.datetime) -> str:
    """One id shared by every rank of a run, without a collective call (a rank that never calls watch() must not hang the others)."""
    elastic = os.environ.get("TORCHELASTIC_RUN_ID")
    if elastic and elastic != "none":
        return elastic
    candidate = f"{started:%Y%m%d-%H%M%S}-{os.getpid()}"
    dist = torch.distributed
    if world > 1 and dist.is_available() and dist.is_initialized():
        try:
            store = dist.distributed_c10d._get_default_store()
            # The first rank to get here sets it; every other rank reads that value back.
            return store.compare_set("gradient_lens/run", "", candidate).decode("utf-8")
        except Exception:
            pass
    return candidate


def _first_tensor(value) -> Optional[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for v in value:
            if isinstance(v, torch.Tensor):
                return v
    if isinstance(value, dict):
        for v in value.values():
            if isinstance(v, torch.Tensor):
                return v
    return None


class _Deferred:
    """A scalar read later without stalling a GPU: copied to pinned memory, read once its event has fired."""

    def __init__(self, step: int, t: torch.Tensor):
        self.step = step
        self.event = None
        t = t.detach() if t.requires_grad else t
        if t.is_cuda:
            self.host = torch.empty((), dtype=t.dtype, pin_memory=True)
            self.host.copy_(t, non_blocking=True)
            self.event = torch.cuda.Event()
            self.event.record()
        else:
            self.host = t

    def ready(self) -> bool:
        return self.event is None or self.event.query()

    def value(self) -> float:
        return float(self.host)


class _StepProbe:
    """The hooks of one recorded step and what they measured (device tensors until the step ends)."""

    def __init__(self, watch: "Watch"):
        self.watch = watch
        self.handles: List[Any] = []
        # (kind, path, sums): "fwd-in"/"fwd-out" tensor_sums, "bwd-out"/"bwd-in" tensor_sums of gradients, in firing order.
        self.events: List[Tuple[str, str, torch.Tensor]] = []
        self.activations: Dict[str, List[Any]] = {}  # path -> [op, sums, active per unit or None]
        self.outputs: Dict[str, torch.Tensor] = {}
        self.order: List[str] = []
        self.shapes: Dict[str, Dict[str, List[int]]] = {}
        self.batch_size: Optional[int] = None
        self.failed: Optional[str] = None
        # The tensors summarised last, with their summaries: one module's output is the next one's
        # input, and one gradient reaches the hooks on both (kept alive here, so `is` cannot mistake
        # a new tensor at a freed one's address; the version tells an in-place change).
        self.recent: List[Tuple[torch.Tensor, int, torch.Tensor]] = []
        for path, m in watch.modules:
            try:
                shape = stats.activation_shape(m)
                if shape is not None:
                    self.handles.append(m.register_forward_pre_hook(self._pre_hook(path, shape)))
                self.handles.append(m.register_forward_hook(self._post_hook(path, m, leaf=not any(True for _ in m.children()))))
            except RuntimeError:
                continue  # a ScriptModule takes no Python hooks

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []

    def _sums(self, t: torch.Tensor) -> torch.Tensor:
        """stats.tensor_sums, once per tensor and version among the last few summarised."""
        version = t._version
        for seen, seen_version, sums in self.recent:
            if seen is t and seen_version == version:
                return sums
        sums = stats.tensor_sums(t.detach())
        self.recent.append((t, version, sums))
        if len(self.recent) > RECENT_TENSORS:
            # The first stays (the batch, usually): the model's own hook reads it again as the forward pass ends.
            del self.recent[1]
        return sums

    def _guard(self, fn):
        def run(*args):
            if self.failed is not None or not torch.is_grad_enabled():
                return None
            if len(self.events) > MAX_EVENTS:
                # optimizer.step is not being called (another optimiser trains this model?): stop collecting.
                self.failed = f"more than {MAX_EVENTS} module calls without an optimizer.step()"
                return None
            try:
                fn(*args)
            except Exception as e:  # a summary must never break the user's training
                self.failed = f"{type(e).__name__}: {e}"
            return None
        return run

    def _pre_hook(self, path: str, shape: "stats.Shape"):
        op = shape.op

        def hook(module, inputs):
            x = _first_tensor(inputs)
            if x is None or not x.is_floating_point():
                return
            sums, active = stats.activation_sums(x, shape, self._sums(x))
            entry = self.activations.get(path)
            if entry is None:
                self.activations[path] = [op, sums, active, list(x.shape[1:]) if x.dim() > 1 else list(x.shape)]
                return
            # The same module called again in this step: pool its samples, as the engine pools a layer's calls.
            old = entry[1]
            pooled = old + sums
            pooled[stats.A_UNITS] = sums[stats.A_UNITS]
            pooled[stats.A_MAXABS] = torch.maximum(old[stats.A_MAXABS], sums[stats.A_MAXABS])
            entry[1] = pooled
            entry[2] = entry[2] + active if entry[2] is not None and entry[2].shape == active.shape else None

        return self._guard(hook)

    def _post_hook(self, path: str, module: nn.Module, leaf: bool):
        def hook(mod, inputs, output):
            x = _first_tensor(inputs)
            y = _first_tensor(output)
            if path not in self.shapes:
                self.order.append(path)
                self.shapes[path] = {
                    "in": list(x.shape[1:]) if x is not None and x.dim() > 0 else [],
                    "out": list(y.shape[1:]) if y is not None and y.dim() > 0 else [],
                }
            if path == "" and x is not None and x.dim() > 0 and self.batch_size is None:
                self.batch_size = int(x.shape[0])
            if x is not None:
                self.events.append(("fwd-in", path, self._sums(x)))
            if y is not None:
                out = self._sums(y)
                self.events.append(("fwd-out", path, out))
                self.outputs[path] = out
            if not leaf:
                return
            if y is not None and y.requires_grad:
                y.register_hook(self._grad_hook("bwd-out", path))
            if x is not None and x.requires_grad:
                x.register_hook(self._grad_hook("bwd-in", path))

        return self._guard(hook)

    def _grad_hook(self, kind: str, path: str):
        def hook(grad):
            if self.failed is None:
                try:
                    self.events.append((kind, path, self._sums(grad)))
                except Exception as e:
                    self.failed = f"{type(e).__name__}: {e}"
            return None

        return hook


class Watch:
    """Records a training run's gradient health into ``log_dir``; see ``gradient_lens.watch``."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        log_dir: str = "runs/gl",
        every: Any = "auto",
        overhead: Optional[float] = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        optimizer_site: Optional[Dict[str, Any]] = None,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"gradient_lens.watch: model must be a torch.nn.Module, not {type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"gradient_lens.watch: optimizer must be a torch.optim.Optimizer, not {type(optimizer).__name__}")
        if getattr(optimizer, "_gradient_lens_watch", None) is not None:
            raise RuntimeError("gradient_lens.watch: this optimizer is already watched")
        for other in list(_ACTIVE):
            if os.path.abspath(other.log_dir) == os.path.abspath(log_dir):
                raise RuntimeError(f"gradient_lens.watch: {log_dir} is already written by another watch in this process; give this one its own log_dir")
        self.model = unwrap(model)
        if type(self.model).__name__ == "FullyShardedDataParallel":
            raise TypeError("gradient_lens.watch: FSDP flattens parameters; watch the model before wrapping it in FSDP is not supported yet")
        self.optimizer = optimizer
        self.log_dir = log_dir
        self.schedule = Schedule(every, **({"overhead": overhead} if overhead is not None else {}))
        self.max_bytes = max_bytes
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.t0 = time.perf_counter()
        self.modules = [(p, m) for p, m in self.model.named_modules()]
        self.params = [(n, p) for n, p in self.model.named_parameters()]
        self.description = describe(self.model)
        self.optimizer_site = optimizer_site or _find_optimizer_site(optimizer)
        self.writer: Optional[LogWriter] = None
        self.step = 0
        self.recorded = 0
        self.probe: Optional[_StepProbe] = None
        # The loss backward() was called on since the last optimizer.step (detached), or the float64
        # sum of several (gradient accumulation), and how many.
        self.loss_sum: Optional[torch.Tensor] = None
        self.loss_count = 0
        self.loss_info: Optional[Dict[str, Any]] = None
        self.loss_probe_done = False
        self.backward_site: Optional[Dict[str, Any]] = None
        self.pending: List[_Deferred] = []
        self.nonfinite_written = False
        self.graph_written = False
        # Step 0's time runs from watch(): its recording cost counts against the budget too.
        self.last_step_end: Optional[float] = time.perf_counter()
        self.closed = False
        self.paused = False
        self.warned: set = set()
        self._wrap_optimizer()
        _BACKWARD.install()
        _ACTIVE.add(self)
        atexit.register(self.close)
        if self.schedule.wants(0):
            self._arm()

    # ── wiring ───────────────────────────────────────────────────────────────────────────────

    def _wrap_optimizer(self) -> None:
        opt = self.optimizer
        original = opt.step  # bound; possibly already wrapped by an LR scheduler's counter
        watch_ref = weakref.ref(self)

        def step(self_opt, *args, **kwargs):
            w = watch_ref()
            if w is None or w.closed or w.paused:
                return original(*args, **kwargs)
            return w._on_step(original, args, kwargs)

        # A bound method, as LR schedulers expect of optimizer.step (they read __self__ and __func__),
        # keeping the mark of a scheduler's counter that may already wrap it.
        if getattr(original, "_with_counter", False):
            step._with_counter = True  # type: ignore[attr-defined]
        self._own_step = opt.__dict__.get("step", _NOT_SET)
        opt.step = types.MethodType(step, opt)
        opt._gradient_lens_watch = self  # type: ignore[attr-defined]
        self._original_step = original
        self._step_func = step

    def _on_backward(self, t: torch.Tensor) -> None:
        if t.numel() != 1 or not t.is_floating_point() or not t.requires_grad:
            return
        try:
            # One op on the usual step (one backward); several losses are summed in float64 for their mean.
            d = t.detach()
            if self.loss_sum is None:
                self.loss_sum = d
            else:
                if self.loss_count == 1:
                    self.loss_sum = self.loss_sum.reshape(()).to(torch.float64)
                self.loss_sum = self.loss_sum + d.reshape(())
            self.loss_count += 1
            if not self.loss_probe_done:
                self.loss_probe_done = True
                info = losses.infer(t)
                frame = losses.caller_frame()
                if frame is not None:
                    self.backward_site = sites._site_from_frame(frame)
                if info is not None:
                    info["site"] = losses.site_of_loss_module(info["type"], frame)
                self.loss_info = info
        except Exception as e:
            self._warn("loss", f"could not read the loss: {type(e).__name__}: {e}")

    def pause(self) -> None:
        """Stops listening until ``resume()``: no hooks, optimizer.step calls straight through, and
        the steps in between are neither counted nor timed (the hook's benchmark trains one model
        with and without it this way)."""
        if self.closed or self.paused:
            return
        self.paused = True
        _ACTIVE.discard(self)
        if self.probe is not None:
            self.probe.remove()  # armed for the next step: armed again on resume
        self.loss_sum, self.loss_count = None, 0

    def resume(self) -> None:
        if self.closed or not self.paused:
            return
        self.paused = False
        _ACTIVE.add(self)
        self.last_step_end = time.perf_counter()
        if self.probe is not None:
            self.probe = None
            self._arm()

    def _arm(self) -> None:
        if self.probe is None:
            self.probe = _StepProbe(self)

    def _warn(self, key: str, text: str) -> None:
        if key in self.warned:
            return
        self.warned.add(key)
        warnings.warn(f"gradient_lens: {text}", RuntimeWarning, stacklevel=3)
        self._write({"kind": "message", "step": self.step, "text": text})

    # ── the step ─────────────────────────────────────────────────────────────────────────────

    def _on_step(self, original, args, kwargs):
        step = self.step
        probe, self.probe = self.probe, None
        recording = probe is not None
        loss = self._take_loss()
        before: Optional[List[torch.Tensor]] = None
        if recording:
            probe.remove()
            try:
                with torch.no_grad():
                    before = [p.detach().clone() for _, p in self.params]
            except Exception as e:
                self._warn("clone", f"step {step} not recorded: {type(e).__name__}: {e}")
                recording = False
        result = original(*args, **kwargs)
        try:
            if recording:
                self._record(step, probe, before, loss)
            elif loss is not None:
                self.pending.append(_Deferred(step, loss))
            self._check_pending()
        except Exception as e:
            self._warn("record", f"step {step} not recorded: {type(e).__name__}: {e}")
        now = time.perf_counter()
        if self.last_step_end is not None:
            self.schedule.observe(now - self.last_step_end, recording)
        self.last_step_end = now
        self.step = step + 1
        if self.schedule.wants(self.step):
            self._arm()
        return result

    def _take_loss(self) -> Optional[torch.Tensor]:
        if self.loss_sum is None:
            return None
        loss = self.loss_sum if self.loss_count == 1 else self.loss_sum / self.loss_count
        self.loss_sum, self.loss_count = None, 0
        return loss

    def _check_pending(self) -> None:
        """Losses of unrecorded steps, read once ready: a non-finite one is reported, and the next step recorded."""
        keep: List[_Deferred] = []
        for d in self.pending:
            if not d.ready():
                keep.append(d)
                continue
            v = d.value()
            if v == v and abs(v) != float("inf"):
                continue
            if not self.nonfinite_written:
                self.nonfinite_written = True
                self._write({
                    "kind": "nonFinite", "step": d.step, "op": "loss", "layer": None, "phase": "forward",
                    "nan": 1 if v != v else 0, "inf": 0 if v != v else 1, "inputMaxAbs": 0.0, "recorded": False,
                })
            self._arm()
        self.pending = keep[-64:]

    def _record(self, step: int, probe: _StepProbe, before: List[torch.Tensor], loss: Optional[torch.Tensor]) -> None:
        with torch.no_grad():
            param_vectors = [stats.param_sums(p.grad, b, p.detach()) for (_, p), b in zip(self.params, before)]
        del before
        act_paths = list(probe.activations)
        types_by_path = {p: type(m).__name__ for p, m in self.modules}
        tensors: List[torch.Tensor] = []
        tensors += param_vectors
        tensors += [probe.activations[p][1] for p in act_paths]
        tensors += [e[2] for e in probe.events]
        loss_t = loss.reshape(1).to(torch.float64) if loss is not None else None
        values = _read_all(tensors + ([loss_t] if loss_t is not None else []))
        actives = _read_all([probe.activations[p][2] for p in act_paths if probe.activations[p][2] is not None])
        n_params = len(param_vectors)
        params = [stats.param_step(values[i], p.grad is not None) for i, (_, p) in enumerate(self.params)]
        activations = []
        k = n_params
        ai = 0
        channels = _channel_activations(probe.order, types_by_path)
        for path in act_paths:
            op, _, active, sample_shape = probe.activations[path]
            act_values = actives[ai] if active is not None else []
            if active is not None:
                ai += 1
            activations.append(stats.activation_step(path, op, values[k], act_values, sample_shape, path in channels))
            k += 1
        events = [(kind, path, values[k + i]) for i, (kind, path, _) in enumerate(probe.events)]
        loss_value = values[-1][0] if loss_t is not None else float("nan")
        outputs, flow, origin = _outputs_flow_origin(events, probe.order, types_by_path)
        record: Dict[str, Any] = {
            "kind": "step",
            "step": step,
            "loss": loss_value,
            "lr": _lr(self.optimizer),
            "time": time.perf_counter() - self.t0,
            "params": params,
            "activations": activations,
            "outputs": outputs,
            "flow": flow,
        }
        if probe.batch_size is not None:
            record["batchSize"] = probe.batch_size
        if probe.failed:
            self._warn("probe", f"some summaries of step {step} are missing: {probe.failed}")
        self._ensure_writer()
        if not self.graph_written and probe.order:
            self.graph_written = True
            self._write({
                "kind": "graph",
                "order": probe.order,
                "shapes": probe.shapes,
                "batchSize": probe.batch_size,
                "loss": self.loss_info,
                "backwardSite": self.backward_site,
            })
        self._write(record)
        self.recorded += 1
        if origin is not None and not self.nonfinite_written:
            self.nonfinite_written = True
            self._write(dict(origin, kind="nonFinite", step=step, recorded=True))
        elif origin is None and loss_value != loss_value and not self.nonfinite_written:
            self.nonfinite_written = True
            self._write({"kind": "nonFinite", "step": step, "op": "loss", "layer": None, "phase": "forward", "nan": 1, "inf": 0, "inputMaxAbs": 0.0, "recorded": True})

    # ── the log ──────────────────────────────────────────────────────────────────────────────

    def _ensure_writer(self) -> None:
        if self.writer is not None:
            return
        rank, world = _rank_and_world()
        opt = self.optimizer
        header = {
            "run": _run_id(world, self.started),
            "startedAt": self.started.isoformat(),
            "worldSize": world,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "host": platform.node(),
            "pid": os.getpid(),
            "cwd": os.getcwd(),
            "logDir": self.log_dir,
            "argv": list(sys.argv),
            "every": self.schedule.fixed if self.schedule.fixed is not None else "auto",
            "dtype": _dtype(self.params),
            "optimizer": {"type": type(opt).__name__, "lr": _lr(opt), "args": _optimizer_args(opt), **({"site": self.optimizer_site} if self.optimizer_site else {})},
            "params": self.description["params"],
            "modules": self.description["modules"],
        }
        self.writer = LogWriter(self.log_dir, rank, header, self.max_bytes)

    def _write(self, record: Dict[str, Any]) -> None:
        if self.closed:
            return
        self._ensure_writer()
        self.writer.write(record)

    @property
    def path(self) -> Optional[str]:
        """The log file being written (None until the first recorded step)."""
        return self.writer.path if self.writer is not None else None

    def close(self, reason: str = "finished") -> None:
        """Stops recording, restores optimizer.step and writes the end record. Called at exit too."""
        if self.closed:
            return
        try:
            self._check_pending()
            if self.writer is not None:
                share = self.schedule.share
                self.writer.write({
                    "kind": "end", "step": self.step - 1, "reason": reason, "recordedSteps": self.recorded,
                    "interval": self.schedule.interval, **({"overheadShare": share} if share is not None else {}),
                })
                self.writer.close()
        finally:
            self.closed = True
            if self.probe is not None:
                self.probe.remove()
                self.probe = None
            _ACTIVE.discard(self)
            if getattr(self.optimizer, "_gradient_lens_watch", None) is self:
                del self.optimizer._gradient_lens_watch
                # Only when ours is still the outermost wrapper: an LR scheduler created later wrapped it in its counter.
                if getattr(self.optimizer.__dict__.get("step"), "__func__", None) is self._step_func:
                    if self._own_step is _NOT_SET:
                        del self.optimizer.step
                    else:
                        self.optimizer.step = self._own_step
            try:
                atexit.unregister(self.close)
            except Exception:
                pass

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close("finished" if exc is None else f"error: {type(exc).__name__}: {exc}")


def _find_optimizer_site(opt) -> Optional[Dict[str, Any]]:
    """Where the optimiser was built, read from the source of the script that called watch()."""
    try:
        frame = losses.caller_frame()
        return sites.find_call(frame.f_code.co_filename, type(opt).__name__) if frame is not None else None
    except Exception:
        return None


def _read_all(tensors: List[torch.Tensor]) -> List[List[float]]:
    """Every summary to the host in one transfer per device."""
    if not tensors:
        return []
    by_device: Dict[torch.device, List[int]] = {}
    for i, t in enumerate(tensors):
        by_device.setdefault(t.device, []).append(i)
    out: List[Optional[List[float]]] = [None] * len(tensors)
    for device, idx in by_device.items():
        flat = torch.cat([tensors[i].reshape(-1).to(torch.float64) for i in idx]).cpu().tolist()
        pos = 0
        for i in idx:
            n = tensors[i].numel()
            out[i] = flat[pos:pos + n]
            pos += n
    return out  # type: ignore[return-value]


def _norm_from(sums: List[float]) -> float:
    if sums[stats.T_NAN]:
        return float("nan")
    if sums[stats.T_INF]:
        return float("inf")
    return sums[stats.T_SUMSQ] ** 0.5


def _outputs_flow_origin(events, order: List[str], types_by_path: Dict[str, str]):
    """Per module: output summary, gradient flow, and the first module that produced a non-finite value."""
    outputs: Dict[str, Dict[str, Any]] = {}
    out_grad: Dict[str, float] = {}
    in_grad: Dict[str, float] = {}
    origin: Optional[Dict[str, Any]] = None
    last_in: Dict[str, List[float]] = {}
    backward_ok: Dict[str, bool] = {}
    seen_bad_output = False
    for kind, path, v in events:
        bad = v[stats.T_NAN] + v[stats.T_INF]
        if kind == "fwd-in":
            last_in[path] = v
            if origin is None and bad and not seen_bad_output and path != "":
                # Non-finite before any module made one: it came in with the batch.
                origin = {"op": "input", "layer": path, "phase": "forward", "nan": int(v[stats.T_NAN]), "inf": int(v[stats.T_INF]), "inputMaxAbs": v[stats.T_ABSMAX]}
        elif kind == "fwd-out":
            finite = v[stats.T_COUNT] - bad
            mean = v[stats.T_SUM] / finite if finite else 0.0
            std = math.sqrt(max(0.0, v[stats.T_SUMSQ] / finite - mean * mean)) if finite else 0.0
            outputs[path] = {"layer": path, "absMax": v[stats.T_ABSMAX], "mean": mean, "std": std, "nonFinite": int(bad)}
            inp = last_in.get(path)
            if bad:
                if origin is None and (inp is None or inp[stats.T_NAN] + inp[stats.T_INF] == 0):
                    origin = {"op": types_by_path.get(path, "module"), "layer": path, "phase": "forward", "nan": int(v[stats.T_NAN]), "inf": int(v[stats.T_INF]), "inputMaxAbs": inp[stats.T_ABSMAX] if inp else 0.0}
                seen_bad_output = True
        elif kind == "bwd-out":
            if origin is None and bad and not out_grad and not in_grad:
                # The very first gradient backward produces, at the model's output, is already non-finite: the loss's backward made it.
                origin = {"op": "loss", "layer": None, "phase": "backward", "nan": int(v[stats.T_NAN]), "inf": int(v[stats.T_INF]), "inputMaxAbs": 0.0}
            out_grad[path] = _pool_norm(out_grad.get(path), _norm_from(v))
            backward_ok[path] = bad == 0
        elif kind == "bwd-in":
            in_grad[path] = _pool_norm(in_grad.get(path), _norm_from(v))
            if origin is None and bad and backward_ok.get(path, False):
                origin = {"op": types_by_path.get(path, "module"), "layer": path, "phase": "backward", "nan": int(v[stats.T_NAN]), "inf": int(v[stats.T_INF]), "inputMaxAbs": 0.0}
    ordered = [p for p in order if p != ""]
    flow = [
        {"layer": p, "op": types_by_path.get(p, "module"), "outputGradNorm": out_grad[p], "inputGradNorm": in_grad.get(p)}
        for p in ordered if p in out_grad
    ]
    return [outputs[p] for p in ordered if p in outputs], flow, origin


def _channel_activations(order: List[str], types_by_path: Dict[str, str]) -> set:
    """Activations whose units are channels: the nearest module before them in the forward pass that
    computes is a convolution (its outputs are channel-first), as the engine decides."""
    out = set()
    channel = False
    for path in order:
        t = types_by_path.get(path, "")
        if t.startswith("Conv"):
            channel = True
        elif t in ("Linear", "Embedding", "Flatten"):
            channel = False
        if channel:
            out.add(path)
    return out


def _pool_norm(a: Optional[float], b: float) -> float:
    """A module called twice in a step: the norm of both gradients together."""
    return b if a is None else (a * a + b * b) ** 0.5


def _lr(opt: torch.optim.Optimizer) -> float:
    try:
        lr = opt.param_groups[0].get("lr")
        return float(lr.item() if isinstance(lr, torch.Tensor) else lr)
    except Exception:
        return float("nan")


def _optimizer_args(opt: torch.optim.Optimizer) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in (opt.defaults or {}).items():
        if isinstance(v, bool) or isinstance(v, (int, float)) or v is None:
            out[k] = v
        elif isinstance(v, (tuple, list)) and all(isinstance(x, (int, float)) for x in v):
            out[k] = list(v)
    return out


def _dtype(params) -> str:
    for _, p in params:
        return str(p.dtype).replace("torch.", "")
    return "float32"
