"""
PyTorch's answer for the op parity suite (test/parity/ops.test.ts): for each case read from stdin,
build the input tensors from the given values, run the case's Python statements (which assign
`out`: a tensor or a list/tuple of tensors), then backward from sum(out_k * w_k) with the fixed
weights w[i] = sin(0.7 i + 0.3) over each float output, and report every output's dtype, shape and
values and every input's gradient. A case whose statements raise reports the error instead (the
engine must raise too). Run with Debian's /usr/bin/python3 (the interpreter with python3-torch).

stdin:  {"cases": [{"id", "dtype": "float32" | "float64", "py": statements,
          "inputs": {name: {"shape", "dtype": "float" | "int64" | "bool", "grad": bool, "data"}}}]}
stdout: {"torch": version, "results": {id: {"outputs": [{"dtype", "shape", "data"}],
          "grads": {name: {"shape", "data"} | null}} | {"error": message}}}
"""
import json
import math
import sys

import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)

FLOATS = {"float32": torch.float32, "float64": torch.float64}


def encode(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def as_json(t):
    t = t.detach()
    data = t.reshape(-1).double().tolist() if t.dtype != torch.bool else [1.0 if b else 0.0 for b in t.reshape(-1).tolist()]
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "data": [encode(v) for v in data]}


def decode(v):
    return float(v) if isinstance(v, str) else v


def weights(n, dtype):
    return torch.tensor([math.sin(0.7 * i + 0.3) for i in range(n)], dtype=torch.float64).to(dtype)


def run(case):
    float_dtype = FLOATS[case["dtype"]]
    env = {"torch": torch, "F": F, "nn": nn, "math": math}
    inputs = {}
    for name, spec in case["inputs"].items():
        data = [decode(v) for v in spec["data"]]
        kind = spec["dtype"]
        dtype = float_dtype if kind == "float" else (torch.int64 if kind == "int64" else torch.bool)
        t = torch.tensor(data, dtype=torch.float64).reshape(spec["shape"]).to(dtype)
        if spec.get("grad"):
            t.requires_grad_(True)
        inputs[name] = t
    env.update(inputs)
    exec(case["py"], env)
    out = env["out"]
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    total = None
    for o in outs:
        if o.requires_grad:
            term = (o * weights(o.numel(), o.dtype).reshape(o.shape)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = {}
    for name, t in inputs.items():
        if t.requires_grad:
            grads[name] = None if t.grad is None else {"shape": list(t.grad.shape), "data": [encode(v) for v in t.grad.reshape(-1).double().tolist()]}
    return {"outputs": [as_json(o) for o in outs], "grads": grads}


def main():
    cases = json.load(sys.stdin)["cases"]
    results = {}
    for case in cases:
        try:
            results[case["id"]] = run(case)
        except Exception as e:  # the engine must raise on the same cases
            results[case["id"]] = {"error": f"{type(e).__name__}: {e}"}
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)


main()
