"""
Gradient Lens's own torchvision.models (src/model/python/mirrored/torchvision/models.py) against
torchvision's (Debian's python3-torchvision 0.14), both run by PyTorch: for each constructor, the
same modules by name with the same types and settings (their repr), the same state_dict names and
shapes in the same order, the same output on torchvision's weights, and initial weights of the
same spread (torchvision's documented init, tensor by tensor).

stdin:  {"file": path of our models.py, "constructors": [[name, kwargs], ...]}
stdout: {"torchvision": version, "results": {name: [problem, ...]}}
"""
import importlib.util
import json
import sys

import torch
import torchvision

torch.set_num_threads(1)


def leaves(model):
    return [(name, type(m).__name__, repr(m) if not list(m.children()) else "") for name, m in model.named_modules()]


def spread(t):
    # Every value of a tensor is drawn alike, so a strided sample of about 2^20 of them measures the
    # spread to ~0.1%, against the 10% allowed; the whole of VGG's 25088x4096 weight took seconds.
    t = t.flatten()[:: max(1, t.numel() >> 20)]
    return float(t.double().std()) if t.numel() > 1 else float(t.double().abs().mean())


def compare(name, kwargs, ours_module):
    problems = []
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(**kwargs)
    torch.manual_seed(1)
    ours = getattr(ours_module, name)(**kwargs)
    a, b = leaves(theirs), leaves(ours)
    if a != b:
        problems.append(f"modules differ: first {next((x, y) for x, y in zip(a + [None], b + [None]) if x != y)}")
    sa = [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    sb = [(k, tuple(v.shape)) for k, v in ours.state_dict().items()]
    if sa != sb:
        problems.append("state_dict names or shapes differ")
        return problems
    # The same distributions: spreads within 10% (one draw each of at least 4096 values: sampling noise about 1%) or both zero.
    for (k, v), (_, w) in zip(theirs.state_dict().items(), ours.state_dict().items()):
        if v.numel() < 4096 or not v.is_floating_point():
            continue
        s, t = spread(v), spread(w)
        if abs(s - t) > 0.1 * max(s, t):
            problems.append(f"{k}: spread {t:.4g}, torchvision's {s:.4g}")
    ours.load_state_dict(theirs.state_dict())
    theirs.eval()
    ours.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        if not torch.allclose(theirs(x), ours(x), rtol=1e-5, atol=1e-6):
            problems.append("outputs differ on the same weights")
    return problems


def main():
    request = json.load(sys.stdin)
    spec = importlib.util.spec_from_file_location("gradient_lens_torchvision_models", request["file"])
    ours = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ours)
    results = {f"{name}({json.dumps(kwargs)})": compare(name, kwargs, ours) for name, kwargs in request["constructors"]}
    json.dump({"torchvision": torchvision.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
