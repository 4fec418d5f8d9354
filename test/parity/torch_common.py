"""
What the PyTorch scripts of the test suite share: the spec's layer tree as torch modules, and the
loop that answers every case read from stdin in one process (importing torch costs about a second).
"""
import json
import math
import sys

import torch


def build(node):
    """A LayerNode tree as torch modules; Sequential children keep their spec names (nested ones too)."""
    if node["type"] == "Sequential":
        seq = torch.nn.Sequential()
        for child in node["children"]:
            seq.add_module(child["name"], build(child))
        return seq
    cls = getattr(torch.nn, node["type"])
    return cls(**node["args"])


def finite_json(v):
    """JSON has no NaN/Infinity: send them as the strings "nan", "inf", "-inf"."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {k: finite_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [finite_json(x) for x in v]
    return v


def serve(run, failed):
    """Runs `run(case)` for every case on stdin; a case that raises gets `failed(message)`, so one
    bad case does not hide the others' answers."""
    torch.set_num_threads(1)
    cases = json.load(sys.stdin)["cases"]
    results = {}
    for case in cases:
        try:
            results[case["id"]] = run(case)
        except Exception as e:
            results[case["id"]] = failed(f"{type(e).__name__}: {e}")
    json.dump(finite_json({"torch": torch.__version__, "results": results}), sys.stdout)


FLOATS = {"float32": torch.float32, "float64": torch.float64}


def decode(v):
    """The strings finite_json sends back as floats."""
    return float(v) if isinstance(v, str) else v


def values(t):
    """A tensor's values, row-major, as doubles (serve makes NaN and ±inf JSON-safe)."""
    return t.detach().reshape(-1).double().tolist()


def error_answer(message):
    return {"error": message}
