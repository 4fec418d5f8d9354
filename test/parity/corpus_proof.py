"""
PyTorch's proof for the real-world corpus (examples/bugs, examples/trains): for each case read from
stdin, build the spec's model in torch (same torch.nn layers, names and init), make a data set from
the spec's input distribution with targets a fixed random teacher network gives the inputs (mapped
onto the spec's target distribution, so the marginals are the spec's and there is something to
learn), train it with the spec's loss and optimiser in mini-batches of the spec's batch size, and
report what the corpus test checks: the loss over training, and the planted measures (saturated and
dead units, gradient norms across layers, update/weight ratios, weight growth, symmetric rows, the
error PyTorch raised). Run with Debian's /usr/bin/python3 (the interpreter that has python3-torch).

stdin:  {"cases": [{"id", "model": {type, name, args, init, children}, "loss": {type, args},
          "optimizer": {type, args, clip: null | {norm, type} | {value}}, "input": {shape, distribution, data?}, "target": {...},
          "batch_size", "seed", "steps", "samples", "teacher"}]}
stdout: {"torch": version, "results": {id: {"metrics": {name: number}, "error": str | null,
          "losses": [minibatch loss per step]}}}
Metric names: loss_ratio, initial_loss, final_loss, min_loss, baseline_loss (the best constant
prediction's loss), nonfinite, nonfinite_step, raised,
update_ratio, update_ratio_first, weight_growth, targets_min, targets_max, inputs_absmax, and per
layer path p: saturated(p), flat(p), dead(p), dead_end(p), zero_grad(p), out_std(p), out_absmax(p),
grad_norm(p), grad_ratio(p), grad_ratio_end(p), grad_norm_end(p), distinct_rows(p); for a one-layer,
one-direction RNN/LSTM/GRU p: time_ratio(p) (‖∂loss/∂h‖ at its first time step over its last, from
an unrolled copy of its recurrence), gate_saturated(p) (share of sigmoid gate entries whose
derivative is below 1% of its peak); for a layer p holding attention: collapsed(p) (the largest
share, over its MultiheadAttention modules and their heads, of rows with at least 99% of their
weight on one key).
"""
import math

import torch

from torch_common import build, serve

INTEGER_TARGETS = {"CrossEntropyLoss", "NLLLoss"}
SATURATING = {"Sigmoid": 0.25, "Tanh": 1.0}
# A unit is dead when its derivative reaches 1% of its peak on fewer than 1% of the samples.
ACTIVE_SHARE = 0.01


def apply_init(module, node):
    """The spec's `init:` per parameter, as torch.nn.init spells it."""
    for child in node.get("children", []):
        apply_init(module.get_submodule(child["name"]), child)
    for pname, spec in (node.get("init") or {}).items():
        p = getattr(module, pname)
        a = spec["args"]
        s = spec["scheme"]
        with torch.no_grad():
            if s == "zeros":
                torch.nn.init.zeros_(p)
            elif s == "ones":
                torch.nn.init.ones_(p)
            elif s == "constant":
                torch.nn.init.constant_(p, a.get("val", a.get("value", 0)))
            elif s == "normal":
                torch.nn.init.normal_(p, a.get("mean", 0), a.get("std", 1))
            elif s == "uniform":
                torch.nn.init.uniform_(p, a.get("a", 0), a.get("b", 1))
            elif s == "xavier_uniform":
                torch.nn.init.xavier_uniform_(p, a.get("gain", 1))
            elif s == "xavier_normal":
                torch.nn.init.xavier_normal_(p, a.get("gain", 1))
            elif s in ("kaiming_uniform", "kaiming_normal"):
                fn = getattr(torch.nn.init, s + "_")
                fn(p, a=a.get("a", 0), mode=a.get("mode", "fan_in"), nonlinearity=a.get("nonlinearity", "leaky_relu"))
            elif s != "default":
                raise ValueError(f"unknown init {s}")


def leaves(node, prefix=""):
    """(path, node) of every leaf layer in forward order."""
    out = []
    for child in node.get("children", []):
        path = f"{prefix}.{child['name']}" if prefix else child["name"]
        if child["type"] == "Sequential":
            out.extend(leaves(child, path))
        else:
            out.append((path, child))
    return out


def draw(d, shape, gen, integer):
    kind = d["kind"]
    if kind == "normal":
        t = torch.randn(shape, generator=gen, dtype=torch.float64) * d["std"] + d["mean"]
    elif kind == "uniform":
        t = torch.rand(shape, generator=gen, dtype=torch.float64) * (d["high"] - d["low"]) + d["low"]
    elif kind == "integers":
        t = torch.randint(d["low"], d["high"], shape, generator=gen, dtype=torch.int64)
    elif kind == "classes":
        t = torch.randint(0, d["count"], shape, generator=gen, dtype=torch.int64)
    elif kind == "bernoulli":
        t = torch.bernoulli(torch.full(shape, float(d["p"]), dtype=torch.float64), generator=gen)
    else:
        raise ValueError(f"unknown distribution {kind}")
    return t if integer else t.double()


def teacher_features(x, integer_input, gen):
    """What the teacher sees: standardised features (one-hot counts for token inputs)."""
    n = x.shape[0]
    if integer_input:
        vocab = int(x.max().item()) + 1
        f = torch.zeros(n, vocab, dtype=torch.float64)
        f.scatter_add_(1, x.reshape(n, -1), torch.ones(x.reshape(n, -1).shape, dtype=torch.float64))
    else:
        f = x.reshape(n, -1).double()
    f = f - f.mean(0)
    return f / f.std(0, unbiased=False).clamp_min(1e-8)


def teacher(x, spec, integer_input, integer_target, gen):
    """Targets with the spec's marginal distribution that a random two-layer tanh network gives the inputs."""
    n = x.shape[0]
    d = spec["distribution"] or {"kind": "normal", "mean": 0, "std": 1}
    per = 1
    for s in spec["shape"]:
        per *= s
    f = teacher_features(x, integer_input, gen)
    classes = d["count"] if d["kind"] == "classes" else 1
    w1 = torch.randn(f.shape[1], 64, generator=gen, dtype=torch.float64) / math.sqrt(f.shape[1])
    w2 = torch.randn(64, per * classes, generator=gen, dtype=torch.float64)
    score = torch.tanh(f @ w1 * 2) @ w2
    shape = [n, *spec["shape"]]
    if d["kind"] == "classes":
        return score.reshape(n, per, classes).argmax(-1).reshape(shape)
    # Each output column by rank: uniform quantiles in (0, 1), then onto the spec's distribution.
    u = (score.argsort(0).argsort(0).double() + 0.5) / n
    if d["kind"] == "normal":
        z = (score - score.mean(0)) / score.std(0, unbiased=False).clamp_min(1e-12)
        y = z * d["std"] + d["mean"]
    elif d["kind"] == "uniform":
        y = d["low"] + (d["high"] - d["low"]) * u
    elif d["kind"] == "integers":
        y = (d["low"] + torch.floor(u * (d["high"] - d["low"]))).clamp(max=d["high"] - 1)
    elif d["kind"] == "bernoulli":
        y = (u > 1 - d["p"]).double()
    else:
        raise ValueError(d["kind"])
    y = y.reshape(shape)
    return y.long() if integer_target else y


def dataset(case, gen):
    n = case["samples"]
    first = leaves(case["model"])[0][1]
    integer_input = first["type"] == "Embedding"
    integer_target = case["loss"]["type"] in INTEGER_TARGETS
    inp, tgt = case["input"], case["target"]
    if inp.get("data") is not None:
        x = torch.tensor(inp["data"]["data"], dtype=torch.float64).reshape(inp["data"]["shape"])
        x = x.long() if integer_input else x
    else:
        x = draw(inp["distribution"] or {"kind": "normal", "mean": 0, "std": 1}, [n, *inp["shape"]], gen, integer_input)
    if tgt.get("data") is not None:
        y = torch.tensor(tgt["data"]["data"], dtype=torch.float64).reshape(tgt["data"]["shape"])
    elif case["teacher"]:
        y = teacher(x, tgt, integer_input, integer_target, gen)
    else:
        y = draw(tgt["distribution"] or {"kind": "normal", "mean": 0, "std": 1}, [x.shape[0], *tgt["shape"]], gen, integer_target)
    return x.float() if not integer_input else x, (y.long() if integer_target else y.float())


class Probe:
    """Forward hooks on every leaf layer: each one's input and output for the last forward pass."""

    def __init__(self, model, layer_list):
        self.seen = {}
        self.handles = []
        for path, node in layer_list:
            m = model.get_submodule(path)
            self.handles.append(m.register_forward_hook(self.hook(path)))

    def hook(self, path):
        def fn(_module, inputs, output):
            x = inputs[0]
            if x.requires_grad:
                x.retain_grad()
            self.seen[path] = (x, output)

        return fn

    def close(self):
        for h in self.handles:
            h.remove()


def unit_axis(layer_list, i):
    """Channels for activations after a convolution, the last axis otherwise (features)."""
    for _path, node in reversed(layer_list[:i]):
        if node["type"].startswith("Conv"):
            return 1
        if node["type"] in ("Linear", "Embedding"):
            return -1
    return -1


def activation_stats(layer_list, probe, metrics, suffix=""):
    for i, (path, node) in enumerate(layer_list):
        if path not in probe.seen:
            continue
        x, out = probe.seen[path]
        x = x.detach().double()
        t = node["type"]
        metrics[f"out_std{suffix}({path})"] = out.detach().double().std().item() if out.numel() > 1 else 0.0
        metrics[f"out_absmax{suffix}({path})"] = out.detach().double().abs().max().item()
        if t in SATURATING:
            if t == "Sigmoid":
                s = torch.sigmoid(x)
                d = s * (1 - s)
            else:
                d = 1 - torch.tanh(x) ** 2
            metrics[f"saturated{suffix}({path})"] = (d < SATURATING[t] * 0.01).double().mean().item()
            metrics[f"flat{suffix}({path})"] = (d < 1e-7).double().mean().item()
        if t == "ReLU" and x.dim() >= 2:
            axis = unit_axis(layer_list, i) % x.dim()
            active = (x > 0).double().movedim(axis, -1).reshape(-1, x.shape[axis])
            metrics[f"dead{suffix}({path})"] = (active.mean(0) < ACTIVE_SHARE).double().mean().item()


def weight_paths(layer_list, model):
    return [p for p, _n in layer_list if isinstance(getattr(model.get_submodule(p), "weight", None), torch.nn.Parameter) and model.get_submodule(p).weight.dim() >= 2]


def full_pass(model, loss_fn, x, y, layer_list, metrics, suffix, with_grad=True):
    """One forward (and backward) on the whole data set: activation stats, gradient norms."""
    probe = Probe(model, layer_list)
    seen, handles = sequence_probes(model, layer_list) if not suffix else ({"recurrent": {}, "attention": []}, [])
    try:
        model.zero_grad(set_to_none=True)
        torch.manual_seed(1)
        out = model(x)
        loss = loss_fn(out, y)
        activation_stats(layer_list, probe, metrics, suffix)
        if with_grad and torch.isfinite(loss):
            loss.backward()
            for h in handles:
                h.remove()
            handles = []
            sequence_metrics(seen, metrics)
            for path, node in layer_list:
                if path in probe.seen and node["type"] in ("ReLU", "LeakyReLU", "Sigmoid", "Tanh") and not suffix:
                    xin = probe.seen[path][0]
                    if xin.grad is not None:
                        metrics[f"zero_grad({path})"] = (xin.grad == 0).double().mean().item()
            ws = weight_paths(layer_list, model)
            last = model.get_submodule(ws[-1]).weight.grad if ws else None
            last_norm = last.norm().item() if last is not None else float("nan")
            for p in ws:
                g = model.get_submodule(p).weight.grad
                n = g.norm().item() if g is not None else 0.0
                metrics[f"grad_norm{suffix}({p})"] = n
                metrics[f"grad_ratio{suffix}({p})"] = n / last_norm if last_norm > 0 else float("nan")
            model.zero_grad(set_to_none=True)
        return loss.item()
    finally:
        probe.close()
        for h in handles:
            h.remove()


def unrolled(module, x):
    """A one-layer, one-direction RNN/LSTM/GRU (batch_first) step by step from zero states, with the
    same parameters, so the gradient reaching each h_t can be read: (output, [h_t], [sigmoid gates])."""
    kind = type(module).__name__
    w_ih, w_hh = module.weight_ih_l0, module.weight_hh_l0
    b_ih = module.bias_ih_l0 if module.bias else torch.zeros(w_ih.shape[0], dtype=x.dtype)
    b_hh = module.bias_hh_l0 if module.bias else torch.zeros(w_hh.shape[0], dtype=x.dtype)
    n, steps, _ = x.shape
    hidden = module.hidden_size
    h = torch.zeros(n, hidden, dtype=x.dtype)
    c = torch.zeros(n, hidden, dtype=x.dtype)
    hs, gates = [], []
    for t in range(steps):
        gi = x[:, t] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        if kind == "LSTM":
            i, f, g, o = (gi + gh).chunk(4, 1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            gates.append(torch.cat([i, f, o], 1))
        elif kind == "GRU":
            ri, zi, ni = gi.chunk(3, 1)
            rh, zh, nh = gh.chunk(3, 1)
            r, z = torch.sigmoid(ri + rh), torch.sigmoid(zi + zh)
            cand = torch.tanh(ni + r * nh)
            h = (1 - z) * cand + z * h
            gates.append(torch.cat([r, z], 1))
        else:
            pre = gi + gh
            h = torch.relu(pre) if module.nonlinearity == "relu" else torch.tanh(pre)
        h.retain_grad()
        hs.append(h)
    return torch.stack(hs, 1), hs, gates


def sequence_probes(model, layer_list):
    """Forward hooks that replace each plain recurrent layer's output by its unrolled copy and keep
    each attention module's (query, key, value): read after the backward by sequence_metrics."""
    seen = {"recurrent": {}, "attention": []}
    handles = []
    for path, node in layer_list:
        m = model.get_submodule(path)
        if node["type"] in ("RNN", "LSTM", "GRU") and m.num_layers == 1 and not m.bidirectional and m.batch_first:

            def replace(mod, inputs, _output, path=path):
                out, hs, gates = unrolled(mod, inputs[0])
                seen["recurrent"][path] = (hs, gates)
                return out

            handles.append(m.register_forward_hook(replace))
        for sub_name, sub in m.named_modules():
            if isinstance(sub, torch.nn.MultiheadAttention):

                def keep(mod, inputs, kwargs=None, path=path):
                    seen["attention"].append((path, mod, [t.detach() for t in inputs[:3]]))

                handles.append(sub.register_forward_pre_hook(keep))
    return seen, handles


def sequence_metrics(seen, metrics):
    for path, (hs, gates) in seen["recurrent"].items():
        norms = [h.grad.norm().item() if h.grad is not None else 0.0 for h in hs]
        metrics[f"time_ratio({path})"] = norms[0] / norms[-1] if norms[-1] > 0 else float("nan")
        if gates:
            g = torch.cat([x.detach() for x in gates], 1).double()
            metrics[f"gate_saturated({path})"] = (g * (1 - g) < 0.25 * 0.01).double().mean().item()
    for path, mod, (q, k, v) in seen["attention"]:
        with torch.no_grad():
            _, w = mod(q, k, v, need_weights=True, average_attn_weights=False)
        share = (w.max(-1).values >= 0.99).double().mean(dim=(0, 2)).max().item()
        metrics[f"collapsed({path})"] = max(metrics.get(f"collapsed({path})", 0.0), share)


def baseline_loss(loss_type, y):
    """The loss of the best constant prediction: what a model that learned nothing from its inputs reaches."""
    if loss_type in INTEGER_TARGETS:
        p = torch.bincount(y.reshape(-1)).double()
        p = p[p > 0] / p.sum()
        return -(p * p.log()).sum().item()
    y = y.double().reshape(y.shape[0], -1)
    if loss_type in ("BCELoss", "BCEWithLogitsLoss"):
        p = y.mean(0).clamp(1e-7, 1 - 1e-7)
        return (-(y * p.log() + (1 - y) * (1 - p).log())).mean().item()
    if loss_type == "L1Loss":
        return (y - y.median(0).values).abs().mean().item()
    return ((y - y.mean(0)) ** 2).mean().item()


def run(case):
    gen = torch.Generator().manual_seed(case["seed"] + 1000)
    torch.manual_seed(case["seed"])
    model = build(case["model"])
    apply_init(model, case["model"])
    model.train()
    layer_list = leaves(case["model"])
    x, y = dataset(case, gen)
    loss_fn = getattr(torch.nn, case["loss"]["type"])(**case["loss"]["args"])
    opt = getattr(torch.optim, case["optimizer"]["type"])(model.parameters(), **case["optimizer"]["args"])
    metrics = {
        "targets_min": y.double().min().item(),
        "targets_max": y.double().max().item(),
        "inputs_absmax": x.double().abs().max().item(),
        "raised": 0,
        "baseline_loss": baseline_loss(case["loss"]["type"], y) * (y.numel() if case["loss"]["args"].get("reduction") == "sum" else 1),
    }
    result = {"metrics": metrics, "error": None, "losses": []}
    ws = weight_paths(layer_list, model)
    w0 = {p: model.get_submodule(p).weight.detach().norm().item() for p in ws}
    try:
        initial = full_pass(model, loss_fn, x, y, layer_list, metrics, "")
    except (RuntimeError, ValueError) as e:
        metrics["raised"] = 1
        result["error"] = f"{type(e).__name__}: {e}"
        return result
    metrics["initial_loss"] = initial
    n = x.shape[0]
    bs = min(case["batch_size"], n)
    order = torch.randperm(n, generator=gen)
    at = 0
    ratios, first_ratio = [], None
    nonfinite_step = None
    for step in range(case["steps"]):
        if at + bs > n:
            order = torch.randperm(n, generator=gen)
            at = 0
        idx = order[at : at + bs]
        at += bs
        opt.zero_grad(set_to_none=True)
        try:
            loss = loss_fn(model(x[idx]), y[idx])
        except (RuntimeError, ValueError) as e:
            metrics["raised"] = 1
            result["error"] = f"step {step}: {type(e).__name__}: {e}"
            nonfinite_step = step
            break
        result["losses"].append(loss.item())
        if not torch.isfinite(loss):
            nonfinite_step = step
            break
        loss.backward()
        clip = case["optimizer"].get("clip")
        if clip and "norm" in clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip["norm"], clip["type"])
        elif clip:
            torch.nn.utils.clip_grad_value_(model.parameters(), clip["value"])
        before = {p: model.get_submodule(p).weight.detach().clone() for p in ws}
        opt.step()
        r = []
        for p in ws:
            w = model.get_submodule(p).weight.detach()
            wn = before[p].norm().item()
            if wn > 0:
                r.append((w - before[p]).norm().item() / wn)
        if r:
            ratios.append(max(r))
            if first_ratio is None:
                first_ratio = max(r)
        if any(not torch.isfinite(model.get_submodule(p).weight).all() for p in ws):
            nonfinite_step = step
            break
    metrics["nonfinite"] = 0 if nonfinite_step is None else 1
    metrics["nonfinite_step"] = -1 if nonfinite_step is None else nonfinite_step
    finite = [v for v in result["losses"] if math.isfinite(v)]
    metrics["min_loss"] = min(finite) if finite else float("nan")
    metrics["update_ratio"] = sorted(ratios)[len(ratios) // 2] if ratios else float("nan")
    metrics["update_ratio_first"] = first_ratio if first_ratio is not None else float("nan")
    growth = [model.get_submodule(p).weight.detach().norm().item() / w0[p] for p in ws if w0[p] > 0]
    metrics["weight_growth"] = (max(growth) if all(math.isfinite(g) for g in growth) else float("inf")) if growth else float("nan")
    for p in ws:
        w = model.get_submodule(p).weight.detach().reshape(model.get_submodule(p).weight.shape[0], -1).double()
        distinct = []
        for row in w:
            if not any(torch.allclose(row, d, rtol=1e-5, atol=1e-7) for d in distinct):
                distinct.append(row)
        metrics[f"distinct_rows({p})"] = len(distinct)
    if nonfinite_step is None:
        final = full_pass(model, loss_fn, x, y, layer_list, metrics, "_end")
        metrics["final_loss"] = final
        metrics["loss_ratio"] = final / initial if initial > 0 and math.isfinite(final) else float("inf")
    else:
        metrics["final_loss"] = float("nan")
        metrics["loss_ratio"] = float("inf")
    return result


serve(run, lambda message: {"metrics": {}, "error": f"harness: {message}", "losses": []})
