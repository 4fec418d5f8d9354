"""
What the PyTorch scripts of the test suite share: the spec's layer tree as torch modules, and the
loop that answers every case read from stdin in one process (importing torch costs about a second).
"""
import json
import math
import sys

import torch


class Residual(torch.nn.Module):
    """The spec's Residual: body(x) + x, or body(x) + shortcut(x), as a ResNet block's forward writes it."""

    def __init__(self, body, shortcut):
        super().__init__()
        self.body = body
        if shortcut is not None:
            self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + (self.shortcut(x) if hasattr(self, "shortcut") else x)


def one_tensor(cls, call):
    """A subclass of cls (so parameter names stay PyTorch's own) whose forward takes and returns one
    tensor, as the small wrapper a user writes around a recurrent or attention layer does."""

    def forward(self, x):
        return call(cls.forward.__get__(self), x)

    return type(cls.__name__, (cls,), {"forward": forward})


# How a spec's Sequential calls each layer that does not take and return one tensor.
ONE_TENSOR_CALLS = {
    # recurrent layers: the output sequence, the first of (output, h_n[, c_n])
    "RNN": lambda f, x: f(x)[0],
    "LSTM": lambda f, x: f(x)[0],
    "GRU": lambda f, x: f(x)[0],
    "LSTMCell": lambda f, x: f(x)[0],
    # self-attention: query = key = value
    "MultiheadAttention": lambda f, x: f(x, x, x)[0],
    # the input is the memory (source) too
    "TransformerDecoderLayer": lambda f, x: f(x, x),
    "TransformerDecoder": lambda f, x: f(x, x),
    "Transformer": lambda f, x: f(x, x),
}

ONE_TENSOR = {getattr(torch.nn, name): one_tensor(getattr(torch.nn, name), call) for name, call in ONE_TENSOR_CALLS.items()}


def stack(node):
    """TransformerEncoder/Decoder: the spec flattens encoder_layer's arguments in, with num_layers and norm."""
    args = dict(node["args"])
    num_layers = args.pop("num_layers")
    norm = args.pop("norm", False)
    decoder = node["type"] == "TransformerDecoder"
    layer = (torch.nn.TransformerDecoderLayer if decoder else torch.nn.TransformerEncoderLayer)(**args)
    final = torch.nn.LayerNorm(args["d_model"], eps=args.get("layer_norm_eps", 1e-5)) if norm else None
    cls = ONE_TENSOR[torch.nn.TransformerDecoder] if decoder else torch.nn.TransformerEncoder
    return cls(layer, num_layers, norm=final)


def build(node):
    """A LayerNode tree as torch modules; Sequential children keep their spec names (nested ones too)."""
    if node["type"] == "Sequential":
        seq = torch.nn.Sequential()
        for child in node["children"]:
            seq.add_module(child["name"], build(child))
        return seq
    if node["type"] == "Residual":
        parts = {c["name"]: build(c) for c in node["children"]}
        return Residual(parts["body"], parts.get("shortcut"))
    if node["type"] in ("TransformerEncoder", "TransformerDecoder"):
        return stack(node)
    cls = getattr(torch.nn, node["type"])
    return ONE_TENSOR.get(cls, cls)(**node["args"])


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
