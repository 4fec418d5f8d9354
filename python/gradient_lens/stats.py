"""Summaries of tensors, computed on the device where they live: a few numbers each, never copies
to the host.

The definitions are those of Gradient Lens's own trace (src/trace/stats.ts and
src/engine/instrument.ts), so the same rules read both. Each function returns a small float64
tensor on the tensor's device; a recorded step reads them all back in one transfer.

Speed matters (it sets how often a step can be recorded): values are read in chunks, each chunk
converted to float64 once (so sums of squares neither overflow nor lose digits, as in the engine,
and the gradient norm equals p.grad.norm() to float32 precision) and reduced a few times.
Non-finite values need masked passes: on the CPU they are taken only when a value is non-finite
(checking costs nothing there); on a GPU they are always taken, since checking first would stall
it. Chunks keep the temporaries small. On the CPU a chunk is converted into a float64 buffer kept
between calls: a fresh buffer's pages cost more than the conversion and the sums together, and the
sum of squares is a dot product, so no squared copy is made.
"""
from __future__ import annotations

import math
import threading
from typing import Callable, List, Optional, Tuple

import torch

# Smallest positive normal float32; below it float32 loses precision and flushes towards zero.
FLOAT32_MIN_NORMAL = 1.1754943508222875e-38
# Gradient-magnitude histogram: bin 0 exact zeros, then one bin per decade of |g| from 1e-12 to
# 1e4 (the first and last open-ended), then non-finite values.
HISTOGRAM_FROM, HISTOGRAM_TO = -12, 4
HISTOGRAM_BINS = HISTOGRAM_TO - HISTOGRAM_FROM + 2 + 1
# "Saturated": the local derivative is below 1% of its peak; "flat": below 1e-7.
SATURATED_FRACTION_OF_PEAK = 0.01
FLAT_DERIVATIVE = 1e-7
# A unit is dead when it is active on fewer than this share of samples.
DEAD_UNIT_ACTIVITY = 0.01

CHUNK = 1 << 22
# On the CPU: 2 MiB of float64 per chunk, converted into a reused buffer that stays in cache.
CPU_CHUNK = 1 << 18

_scratch = threading.local()  # per thread: autograd may run hooks on more than one


def _chunks(t: torch.Tensor):
    flat = t.detach().reshape(-1)
    size = CPU_CHUNK if flat.device.type == "cpu" else CHUNK
    return flat.split(size) if flat.numel() > size else (flat,)


def _float64(c: torch.Tensor, slot: int = 0) -> torch.Tensor:
    """A float64 copy of a chunk, the caller's to change in place. On the CPU it is buffer `slot`
    (valid until that slot is used again); elsewhere a new tensor."""
    if c.device.type != "cpu":
        return c.to(torch.float64, copy=True)
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    buf = buffers.get(slot)
    if buf is None or buf.numel() < c.numel():
        buf = buffers[slot] = torch.empty(max(c.numel(), 1024), dtype=torch.float64)
    out = buf[: c.numel()].view(c.shape)
    out.copy_(c)
    return out


def _all_finite_on_cpu(t: torch.Tensor) -> bool:
    """True only when the tensor is on the CPU and every value is finite (a sum is NaN or inf otherwise)."""
    if t.device.type != "cpu":
        return False
    return math.isfinite(float(t.sum()))


def _cpu_says_no(count: torch.Tensor) -> bool:
    """True only when a count on the CPU is zero: the pass it guards can be skipped there (a GPU would stall to tell)."""
    return count.device.type == "cpu" and float(count) == 0


def _decades(a: torch.Tensor) -> torch.Tensor:
    """Counts per decade of |g| (bin 0: below 1e-11, … bin 16: 1e4 and above), zeros included in bin 0."""
    d = torch.log10(a.clamp(min=5e-324)).floor_().clamp_(HISTOGRAM_FROM, HISTOGRAM_TO).sub_(HISTOGRAM_FROM)
    return torch.bincount(d.to(torch.int64), minlength=HISTOGRAM_BINS - 2).to(torch.float64)


# Positions in the vector param_sums returns.
P_SUMSQ, P_SUMABS, P_MAXABS, P_ZEROS, P_SUBNORMAL, P_NONFINITE, P_WSUM, P_WSUMSQ, P_DSUMSQ, P_COUNT, P_ROWSPREAD, P_HIST = range(12)
PARAM_WIDTH = P_HIST + HISTOGRAM_BINS


def _grad_parts(g: torch.Tensor) -> List[torch.Tensor]:
    """[sumsq, sum|g|, max|g|, zeros, subnormal, nonfinite] and the histogram, for one chunk."""
    if _all_finite_on_cpu(g):
        a = _float64(g).abs_()
        nonfinite = torch.zeros((), dtype=torch.float64, device=g.device)
    else:
        finite = torch.isfinite(g)
        a = torch.where(finite, g, torch.zeros((), dtype=g.dtype, device=g.device)).to(torch.float64).abs_()
        nonfinite = (~finite).sum().to(torch.float64)
    # Non-finite entries are zeros in `a`: count them once, as non-finite.
    zeros = (g.numel() - torch.count_nonzero(a)).to(torch.float64) - nonfinite
    decades = _decades(a)
    decades[0] -= zeros + nonfinite
    # Subnormals sit in the lowest decade bin: counted only when something is there.
    subnormal = torch.zeros((), dtype=torch.float64, device=g.device) if _cpu_says_no(decades[0]) else (a < FLOAT32_MIN_NORMAL).sum().to(torch.float64) - zeros - nonfinite
    hist = torch.cat([zeros.reshape(1), decades, nonfinite.reshape(1)])
    total, largest = a.sum(), a.max()
    head = torch.stack([a.mul_(a).sum(), total, largest, zeros, subnormal, nonfinite])  # squares in place: `a` is ours
    return [head, hist]


def _row_spread(w: torch.Tensor) -> torch.Tensor:
    """How far a weight's rows (units, filters) are from one another: sqrt(mean_j var_i w[i, j]); 0 when
    every row is the same (a symmetry no update breaks), NaN for a vector or a single row."""
    if w.dim() < 2 or w.shape[0] < 2:
        return torch.tensor(float("nan"), dtype=torch.float64, device=w.device)
    rows = w.detach().reshape(w.shape[0], -1)
    total = torch.zeros((), dtype=torch.float64, device=w.device)
    size = CPU_CHUNK if w.device.type == "cpu" else CHUNK
    for cols in rows.split(max(1, size // rows.shape[0]), dim=1):
        c = _float64(cols)
        m = c.mean(0)
        total = total + (c.mul_(c).mean(0) - m * m).clamp_(min=0).sum()
    return (total / rows.shape[1]).sqrt()


def param_sums(grad: Optional[torch.Tensor], before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """Sums for one parameter's step: gradient (finite entries), weights before the step, and the update."""
    device = after.device
    n = after.numel()
    if grad is None:
        head = torch.tensor([0, 0, 0, n, 0, 0], dtype=torch.float64, device=device)
        hist = torch.zeros(HISTOGRAM_BINS, dtype=torch.float64, device=device)
        hist[0] = n
    else:
        parts = [_grad_parts(c) for c in _chunks(grad)]
        if len(parts) == 1:
            head, hist = parts[0]
        else:
            heads = torch.stack([p[0] for p in parts])
            head = heads.sum(0)
            head[2] = heads[:, 2].max()
            head[0] = heads[:, 0].sum()
            hist = torch.stack([p[1] for p in parts]).sum(0)
    wsum, wsq, dsq = [], [], []
    for w, w1 in zip(_chunks(before), _chunks(after)):
        w64 = _float64(w, 1)
        d = _float64(w1, 2).sub_(w64)
        wsum.append(w64.sum())
        wsq.append(w64.mul_(w64).sum())
        dsq.append(d.mul_(d).sum())
    weights = torch.stack([sum(wsum), sum(wsq), sum(dsq), torch.tensor(float(n), dtype=torch.float64, device=device), _row_spread(before)])
    return torch.cat([head.to(device), weights, hist.to(device)])


def param_step(v: List[float], reached: bool) -> dict:
    """A ParamStep (src/trace/types.ts) from param_sums' numbers, as the engine's paramStep derives it."""
    n = v[P_COUNT] or 1.0
    zeros, nonfinite = v[P_ZEROS], v[P_NONFINITE]
    nonzero = n - zeros - nonfinite
    mean = v[P_WSUM] / n
    weight_norm = math.sqrt(v[P_WSUMSQ]) if v[P_WSUMSQ] == v[P_WSUMSQ] else float("nan")
    update = math.sqrt(v[P_DSUMSQ]) if v[P_DSUMSQ] == v[P_DSUMSQ] else float("nan")
    if weight_norm > 0:
        ratio = update / weight_norm
    elif update == update:
        ratio = float("inf") if update > 0 else 0.0
    else:
        ratio = float("nan")
    var = v[P_WSUMSQ] / n - mean * mean
    return {
        "reached": reached,
        "gradNorm": math.sqrt(v[P_SUMSQ]),
        "gradMeanAbs": v[P_SUMABS] / n,
        "gradMaxAbs": v[P_MAXABS],
        "zeroFraction": zeros / n,
        "subnormalFraction": v[P_SUBNORMAL] / nonzero if nonzero > 0 else 0.0,
        "nonFinite": int(nonfinite),
        "weightNorm": weight_norm,
        "weightMean": mean,
        "weightStd": math.sqrt(max(0.0, var)) if var == var else float("nan"),
        "rowSpread": v[P_ROWSPREAD],
        "updateRatio": ratio,
        "histogram": [int(c) for c in v[P_HIST:]],
    }


# ── Activations ──────────────────────────────────────────────────────────────────────────────

Derivative = Callable[[torch.Tensor], torch.Tensor]


def _gelu_grad(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1 + torch.erf(x * math.sqrt(0.5))) + x * torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


GELU_PEAK = float(_gelu_grad(torch.tensor(math.sqrt(2.0), dtype=torch.float64)))


def _threshold(derivative: Callable[[float], float], level: float) -> float:
    """The |x| past which a derivative that falls with |x| is below `level` (bisection in float64, as the engine evaluates it)."""
    lo, hi = 0.0, 1.0
    while derivative(hi) >= level and hi < 1e6:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if derivative(mid) >= level:
            lo = mid
        else:
            hi = mid
    return lo


def _sigmoid_d(x: float) -> float:
    e = math.exp(-abs(x))
    return e / ((1 + e) * (1 + e))


def _tanh_d(x: float) -> float:
    e = math.exp(-2 * abs(x))
    return 4 * e / ((1 + e) * (1 + e))


class Shape:
    """An elementwise activation's derivative, as the statistics read it."""

    def __init__(self, op: str, peak: float, derivative: Optional[Derivative] = None, bounds: Optional[Tuple[float, float, float]] = None, relu: bool = False):
        self.op = op
        self.peak = peak
        self.derivative = derivative
        # For a derivative falling with |x|: |x| beyond which it is saturated, flat, exactly zero.
        self.bounds = bounds
        self.relu = relu


def _falling(op: str, peak: float, d: Callable[[float], float]) -> Shape:
    zero = _threshold(lambda x: 1.0 if d(x) > 0 else 0.0, 0.5)
    return Shape(op, peak, bounds=(_threshold(d, peak * SATURATED_FRACTION_OF_PEAK), _threshold(d, FLAT_DERIVATIVE), zero))


SIGMOID = _falling("sigmoid", 0.25, _sigmoid_d)
TANH = _falling("tanh", 1.0, _tanh_d)
RELU = Shape("relu", 1.0, relu=True)


def activation_shape(module: torch.nn.Module) -> Optional[Shape]:
    """How the statistics read an elementwise activation module, or None for other modules."""
    nn = torch.nn
    if isinstance(module, nn.Sigmoid):
        return SIGMOID
    if isinstance(module, nn.Tanh):
        return TANH
    if isinstance(module, nn.ReLU):
        return RELU
    if isinstance(module, nn.LeakyReLU):
        s = abs(float(module.negative_slope))
        return Shape("leaky_relu", max(1.0, s), lambda x: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, s)))
    if isinstance(module, nn.ELU):
        a = abs(float(module.alpha))
        return Shape("elu", max(1.0, a), lambda x: torch.where(x > 0, torch.ones_like(x), a * torch.exp(x)))
    if isinstance(module, nn.GELU):
        return Shape("gelu", GELU_PEAK, _gelu_grad)
    if isinstance(module, nn.Softplus):
        beta, threshold = float(module.beta), float(module.threshold)
        return Shape("softplus", 1.0, lambda x: torch.where(x * beta > threshold, torch.ones_like(x), torch.sigmoid(x * beta)))
    return None


# Positions in the vector activation_sums returns.
A_SAMPLES, A_UNITS, A_SATURATED, A_FLAT, A_ZERO, A_SUM, A_SUMSQ, A_MAXABS = range(8)
ACTIVATION_WIDTH = 8


def _masks(r: torch.Tensor, shape: Shape) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Boolean masks: saturated, flat, zero derivative (NaN inputs count as none of them, as in the engine)."""
    if shape.relu:
        m = r <= 0
        return m, m, m
    if shape.bounds is not None:
        a = r.abs()
        sat, flat, zero = shape.bounds
        return a > sat, a > flat, a > zero
    d = shape.derivative(r.to(torch.float64))
    return d < shape.peak * SATURATED_FRACTION_OF_PEAK, d < FLAT_DERIVATIVE, d == 0


def activation_sums(x: torch.Tensor, shape: Shape, sums: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Counts of saturated/flat/zero-derivative entries, input sums, and per unit how many samples were
    active. `sums`, x's tensor_sums when known: on the CPU, when every value is finite, its sum, sum
    of squares and largest magnitude are x's, and are not computed again."""
    x = x.detach()
    device = x.device
    samples = x.shape[0] if x.dim() > 1 else 1
    units = x.numel() // samples if samples else 0
    if samples == 0 or units == 0:
        out = torch.zeros(ACTIVATION_WIDTH, dtype=torch.float64, device=device)
        out[A_SAMPLES], out[A_UNITS] = samples, units
        return out, torch.zeros(units, dtype=torch.float64, device=device)
    known = sums is not None and sums.device.type == "cpu" and float(sums[T_NAN]) == 0 and float(sums[T_INF]) == 0
    parts = []
    active = None
    for r in x.reshape(samples, units).split(max(1, CHUNK // units)):
        sat, flat, zero = _masks(r, shape)
        # Counted in int32 (a chunk has fewer rows than that), then float64, as the rest.
        sat_count = sat.sum(0, dtype=torch.int32).to(torch.float64)
        active = r.shape[0] - sat_count if active is None else active + (r.shape[0] - sat_count)
        n_sat = sat_count.sum()
        counts = [
            n_sat,
            n_sat if flat is sat else flat.sum().to(torch.float64),
            n_sat if zero is sat else zero.sum().to(torch.float64),
        ]
        if not known:
            r64 = r.to(torch.float64)
            a = r64.abs()
            if not _all_finite_on_cpu(r):
                a = torch.where(torch.isnan(a), torch.zeros((), dtype=a.dtype, device=device), a)
            counts += [r64.sum(), (r64 * r64).sum(), a.max()]
        parts.append(torch.stack(counts))
    total = parts[0] if len(parts) == 1 else torch.stack(parts).sum(0)
    if len(parts) > 1 and not known:
        total[5] = torch.stack(parts)[:, 5].max()
    if known:
        total = torch.cat([total, sums[[T_SUM, T_SUMSQ, T_ABSMAX]]])
    head = torch.tensor([float(samples), float(units)], dtype=torch.float64, device=device)
    return torch.cat([head, total]), active


def dead_units(active: List[float], sample_shape: List[int], samples: float, channels: bool) -> Tuple[float, str]:
    """Share of units active on fewer than 1% of their entries, and what a unit is: channels (axis 1,
    after a convolution) or features (the last axis), as the engine's deadUnitShare counts them."""
    positions = len(active)
    by_channel = channels and len(sample_shape) >= 2
    kind = "channels" if by_channel else "units"
    if not positions:
        return 0.0, kind
    units = sample_shape[0] if by_channel else (sample_shape[-1] if sample_shape else positions)
    if not units > 0 or positions % units:
        return 0.0, kind
    per = positions // units
    counts = [0.0] * units
    for p, a in enumerate(active):
        counts[p // per if by_channel else p % units] += a
    dead = sum(1 for c in counts if c < DEAD_UNIT_ACTIVITY * samples * per)
    return dead / units, kind


def activation_step(layer: str, op: str, v: List[float], active: List[float], sample_shape: List[int], channels: bool) -> dict:
    """An ActivationStep (src/trace/types.ts) from pooled sums, as the engine's activationSteps derives it."""
    samples, units = v[A_SAMPLES], int(v[A_UNITS])
    entries = samples * units
    mean = v[A_SUM] / entries if entries else 0.0
    dead, kind = dead_units(active, sample_shape, samples, channels)
    var = v[A_SUMSQ] / entries - mean * mean if entries else 0.0
    return {
        "layer": layer,
        "op": op,
        "samples": int(samples),
        "units": units,
        "saturatedShare": v[A_SATURATED] / entries if entries else 0.0,
        "flatShare": v[A_FLAT] / entries if entries else 0.0,
        "deadShare": dead,
        "deadUnits": kind,
        "zeroDerivativeShare": v[A_ZERO] / entries if entries else 0.0,
        "inputMean": mean,
        "inputStd": math.sqrt(max(0.0, var)) if var == var else float("nan"),
        "inputMaxAbs": v[A_MAXABS],
    }


# ── Outputs and gradients flowing through modules ────────────────────────────────────────────

# Positions in the vector tensor_sums returns.
T_COUNT, T_NAN, T_INF, T_SUM, T_ABSMAX, T_SUMSQ = range(6)
TENSOR_WIDTH = 6


def _finite_sums_on_cpu(t: torch.Tensor) -> Optional[List[float]]:
    """tensor_sums' numbers for a CPU tensor whose values are all finite, as Python floats; None when
    one is not (its float64 sum is then NaN or inf: a float32 or float16 tensor's cannot overflow)."""
    total = sumsq = absmax = 0.0
    for c in _chunks(t):
        f = _float64(c)
        s = float(f.sum())
        if not math.isfinite(s):
            return None
        lo, hi = torch.aminmax(f)
        total += s
        absmax = max(absmax, -float(lo), float(hi))
        sumsq += float(f.mul_(f).sum())
    return [float(t.numel()), 0.0, 0.0, total, absmax, sumsq]


def tensor_sums(t: torch.Tensor) -> torch.Tensor:
    """Non-finite counts, and sum, largest magnitude and sum of squares of the finite entries."""
    device = t.device
    if not t.is_floating_point() or t.numel() == 0:
        return torch.tensor([float(t.numel()), 0, 0, 0, 0, 0], dtype=torch.float64, device=device)
    if device.type == "cpu":
        finite = _finite_sums_on_cpu(t)
        if finite is not None:
            return torch.tensor(finite, dtype=torch.float64)
    parts = []
    for c in _chunks(t):
        if _all_finite_on_cpu(c):
            nan = inf = torch.zeros((), dtype=torch.float64, device=device)
            f = c.to(torch.float64)
        else:
            isnan = torch.isnan(c)
            finite = torch.isfinite(c)
            nan = isnan.sum().to(torch.float64)
            inf = (c.numel() - finite.sum() - isnan.sum()).to(torch.float64)
            f = torch.where(finite, c, torch.zeros((), dtype=c.dtype, device=device)).to(torch.float64)
        lo, hi = torch.aminmax(f)
        parts.append(torch.stack([nan, inf, f.sum(), torch.maximum(-lo, hi), (f * f).sum()]))
    total = parts[0] if len(parts) == 1 else torch.stack(parts).sum(0)
    if len(parts) > 1:
        total[3] = torch.stack(parts)[:, 3].max()
    return torch.cat([torch.tensor([float(t.numel())], dtype=torch.float64, device=device), total])
