"""
PyTorch's answer for the optimiser parity suite (test/parity/optim.test.ts): for each case, build
the module (torch.manual_seed(0), the run's dtype), report its starting state_dict, then run `steps`
optimiser steps on the fixed batch (zero_grad, the case's loss statement, backward, optional
clip_grad_norm_ or clip_grad_value_, step) and report the parameters after each step and the
total norm clip_grad_norm_ returned. Run with Debian's /usr/bin/python3.

stdin:  {"cases": [{"id", "dtype", "module", "loss": statement assigning `loss` from m, x, y,
          "x": {"shape", "data"}, "y": {"shape", "data", "long"}, "optimizer": {"type", "args"},
          "clip": null | {"norm": max_norm, "type": norm_type} | {"value": clip_value}, "steps"}]}
stdout: {"torch": version, "results": {id: {"state", "after": [params per step], "norms": [...]}
          | {"error": message}}}
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from torch_common import FLOATS, error_answer, serve, values

def run(case):
    dtype = FLOATS[case["dtype"]]
    env = {"torch": torch, "F": F, "nn": nn, "math": math}
    torch.manual_seed(0)
    m = eval(case["module"], env).to(dtype)
    m.train()
    state = {k: {"shape": list(v.shape), "data": values(v)} for k, v in m.state_dict().items()}
    x = torch.tensor(case["x"]["data"], dtype=torch.float64).reshape(case["x"]["shape"]).to(dtype)
    y = torch.tensor(case["y"]["data"], dtype=torch.float64).reshape(case["y"]["shape"])
    y = y.long() if case["y"].get("long") else y.to(dtype)
    env.update({"m": m, "x": x, "y": y})
    opt = getattr(torch.optim, case["optimizer"]["type"])(m.parameters(), **case["optimizer"]["args"])
    clip = case.get("clip")
    after, norms = [], []
    for _ in range(case["steps"]):
        opt.zero_grad(set_to_none=True)
        exec(case["loss"], env)
        env["loss"].backward()
        if clip and "norm" in clip:
            norm_type = float("inf") if clip["type"] == "inf" else clip["type"]
            norms.append(float(torch.nn.utils.clip_grad_norm_(m.parameters(), clip["norm"], norm_type)))
        elif clip and "value" in clip:
            torch.nn.utils.clip_grad_value_(m.parameters(), clip["value"])
        opt.step()
        after.append({k: values(p) for k, p in m.named_parameters()})
    return {"state": state, "after": after, "norms": norms}


serve(run, error_answer)
