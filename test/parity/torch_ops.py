"""
PyTorch's answer for the op parity suite (test/parity/ops.test.ts): for each case read from stdin,
build the input tensors from the given values, run the case's Python statements (which assign
`out`: a tensor or a list/tuple of tensors), then backward from sum(out_k * w_k) with the fixed
weights w[i] = sin(0.7 i + 0.3) over each float output, and report every output's dtype, shape and
values and every input's gradient. A case whose statements raise reports the error instead (the
engine must raise too). Run with Debian's /usr/bin/python3 (the interpreter with python3-torch).

stdin:  {"cases": [{"id", "dtype": "float32" | "float64", "py": statements, "module": expression or null,
          "inputs": {name: {"shape", "dtype": "float" | "int64" | "bool", "grad": bool, "data"}}}]}
stdout: {"torch": version, "results": {id: {"outputs": [{"dtype", "shape", "data"}],
          "grads": {name: {"shape", "data"} | null}, with a module also "state" (its state_dict
          before the step) and "param_grads" {name: values | null}} | {"error": message}}}

A case with a module builds it (torch.manual_seed(0), the run's dtype, training mode) as `m`; the
engine loads the same state_dict by PyTorch's names, so names and layouts are checked too.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from torch_common import FLOATS, decode, error_answer, serve, values

def as_json(t):
    t = t.detach()
    data = t.reshape(-1).double().tolist() if t.dtype != torch.bool else [1.0 if b else 0.0 for b in t.reshape(-1).tolist()]
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "data": data}


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
    module = None
    state = None
    if case.get("module"):
        torch.manual_seed(0)
        module = eval(case["module"], env).to(float_dtype)
        module.train()
        state = {k: {"shape": list(v.shape), "data": values(v)} for k, v in module.state_dict().items()}
        env["m"] = module
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
            grads[name] = None if t.grad is None else {"shape": list(t.grad.shape), "data": values(t.grad)}
    result = {"outputs": [as_json(o) for o in outs], "grads": grads}
    if module is not None:
        result["state"] = state
        result["param_grads"] = {k: None if p.grad is None else values(p.grad) for k, p in module.named_parameters()}
    return result


serve(run, error_answer)
