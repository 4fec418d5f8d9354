"""
PyTorch's answer for the parity suite: for each case read from stdin, build the same
torch.nn.Sequential (same names, so the same state_dict keys), initialise it with PyTorch's
defaults under torch.manual_seed(seed), draw a batch, and report the loss, the gradients, the
batch-norm buffers after one training-mode forward, and the parameters after each of three steps
of each optimiser (with gradient clipping between backward and step when the case asks for it). Run with Debian's /usr/bin/python3 (the interpreter that has python3-torch).

stdin:  {"cases": [{"id", "model": {type, name, args, children}, "loss": {type, args},
          "input": {shape, distribution}, "target": {shape, distribution}, "batch_size", "dtype",
          "seed", "optimizers": [{"key", "type": torch.optim class, "args": {PyTorch keyword arguments},
          "clip": null | {"norm": max_norm, "type": norm_type} | {"value": clip_value}}]}]}
stdout: {"torch": version, "results": {id: {"state", "batch", "loss", "grads", "buffers",
          "after": {optimizer key: [params after step 1, 2, 3]}}}}
        or {"error": message} per case when PyTorch itself rejects it.
Tensors are {"shape": [...], "data": [row-major values]}; Python's float repr round-trips
doubles exactly, so float64 values reach the engine bit for bit.
"""
import torch

from torch_common import build, serve

DTYPES = {"float32": torch.float32, "float64": torch.float64}
INTEGER_TARGETS = {"CrossEntropyLoss", "NLLLoss"}
STEPS = 3


def first_leaf(node):
    while node["type"] == "Sequential" and node["children"]:
        node = node["children"][0]
    return node


def draw(spec, batch_size, integer):
    """A batch from the spec's distribution, with torch's generator (the engine gets the values, not the rng)."""
    shape = [batch_size, *spec["shape"]]
    d = spec.get("distribution") or {"kind": "normal", "mean": 0, "std": 1}
    kind = d["kind"]
    if kind == "normal":
        t = torch.randn(shape, dtype=torch.float64) * d["std"] + d["mean"]
    elif kind == "uniform":
        t = torch.rand(shape, dtype=torch.float64) * (d["high"] - d["low"]) + d["low"]
    elif kind == "integers":
        t = torch.randint(d["low"], d["high"], shape, dtype=torch.int64)
    elif kind == "classes":
        t = torch.randint(0, d["count"], shape, dtype=torch.int64)
    elif kind == "bernoulli":
        t = torch.bernoulli(torch.full(shape, float(d["p"]), dtype=torch.float64))
    else:
        raise ValueError(f"unknown distribution {kind}")
    return t.long() if integer else t


def as_json(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def params_json(model):
    return {k: as_json(p) for k, p in model.named_parameters()}


def run(case):
    dtype = DTYPES[case["dtype"]]
    torch.manual_seed(case["seed"])
    model = build(case["model"]).to(dtype)
    model.train()
    start = {k: v.clone() for k, v in model.state_dict().items()}

    leaf = first_leaf(case["model"])
    x = draw(case["input"], case["batch_size"], integer=leaf["type"] == "Embedding")
    if leaf["type"] == "Embedding" and leaf["args"].get("padding_idx") is not None:
        # Make sure the padding row is looked up, so "no gradient for padding_idx" is actually exercised.
        x.view(-1)[0] = leaf["args"]["padding_idx"] % leaf["args"]["num_embeddings"]
    y = draw(case["target"], case["batch_size"], integer=case["loss"]["type"] in INTEGER_TARGETS)
    if not x.dtype == torch.int64:
        x = x.to(dtype)
    if not y.dtype == torch.int64:
        y = y.to(dtype)

    loss_fn = getattr(torch.nn, case["loss"]["type"])(**case["loss"]["args"])
    loss = loss_fn(model(x), y)
    loss.backward()
    result = {
        "state": {k: as_json(v) for k, v in start.items()},
        "batch": {"input": as_json(x), "target": as_json(y)},
        "loss": loss.item(),
        "grads": {k: as_json(p.grad if p.grad is not None else torch.zeros_like(p)) for k, p in model.named_parameters()},
        # After one training-mode forward: batch norm's running stats and num_batches_tracked.
        "buffers": {k: as_json(v) for k, v in model.named_buffers()},
        "after": {},
    }

    for opt in case["optimizers"]:
        m = build(case["model"]).to(dtype)
        m.load_state_dict(start)
        m.train()
        optimizer = getattr(torch.optim, opt["type"])(m.parameters(), **opt["args"])
        clip = opt.get("clip")
        steps = []
        for _ in range(STEPS):
            optimizer.zero_grad(set_to_none=True)
            loss_fn(m(x), y).backward()
            if clip and "norm" in clip:
                torch.nn.utils.clip_grad_norm_(m.parameters(), clip["norm"], clip["type"])
            elif clip:
                torch.nn.utils.clip_grad_value_(m.parameters(), clip["value"])
            optimizer.step()
            steps.append(params_json(m))
        result["after"][opt["key"]] = steps
    return result


if __name__ == "__main__":  # bench/torch_bench.py imports draw
    serve(run, lambda message: {"error": message})
