"""
PyTorch's answer for the Python-source parity suite: each case is a .py file run by real PyTorch
(Debian's python3-torch 1.13, /usr/bin/python3) as its author runs it, until its first
loss.backward(). At that moment the harness records the model's state_dict (the weights PyTorch
initialised), the batch the model and the loss were given, the loss and the gradients by
named_parameters() name, and stops the script. Gradient Lens is then given the same state and
batch (`gradient-lens grads file.py --state --batch --dtype`) and must agree.

A case whose file only defines modules gives `build` and `loss` expressions (a sidecar's): the
file is imported, the model built, the loss computed on a batch drawn here.

stdin:  {"cases": [{"id", "file", "dtype", "seed", "dropout": bool,
                    "build"?: str, "loss"?: str, "input"?: {shape, low, high}, "target"?: {...}}]}
stdout: {"torch": version, "results": {id: {"state", "batch", "loss", "grads"} or {"error"}}}
        (batch null: a script of loose tensors and its own fixed data, traced on that data)
"""
import base64
import contextlib
import gc
import importlib.util
import json
import os
import sys
import traceback

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)

# Debian's torch comes without torchvision and tqdm: stand-ins (see stubs/) where they are not
# installed; last on the path, so the real packages win where they are.
STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs")
sys.path.append(STUBS)


def stand_in_data():
    """
    Where the real torchvision is installed its models are run as they are, but never its datasets
    (they read files and download them) nor its transforms (over PIL images): the stand-ins' take
    their place, as where torchvision is missing.
    """
    import importlib.util
    import torchvision
    if os.path.dirname(os.path.abspath(torchvision.__file__)).startswith(STUBS):
        return
    for name in ("transforms", "datasets"):
        spec = importlib.util.spec_from_file_location(f"torchvision.{name}", os.path.join(STUBS, "torchvision", f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"torchvision.{name}"] = module
        spec.loader.exec_module(module)
        setattr(torchvision, name, module)


stand_in_data()

LOSS_FUNCTIONS = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
]


class Captured(BaseException):
    """Raised at the first backward: the script has given what the harness needs."""


def run_until_captured(file):
    """Runs the file as __main__ until it ends or the harness has what it needs (Captured). torch is
    seeded first: a script that seeds nothing (step_function.py, the Lightning loops) then draws the
    same weights on every run, so what a run saw can be seen again; one that seeds itself is as written."""
    import runpy
    torch.manual_seed(0)
    try:
        runpy.run_path(file, run_name="__main__")
    except Captured:
        pass


# Set by a request's "binary": floating-point tensors go out as base64 of their little-endian
# float64 bytes. Python's JSON of a ResNet-18's 11M weights takes a minute and gigabytes of float
# objects; the bytes take a moment (the reader: decodeNamed in compare.ts).
BINARY = False


def tensor_json(t):
    t = t.detach()
    if BINARY and t.is_floating_point():
        raw = t.to(torch.float64).contiguous().numpy().astype("<f8").tobytes()
        return {"shape": list(t.shape), "b64": base64.b64encode(raw).decode("ascii")}
    return {"shape": list(t.shape), "data": t.flatten().tolist()}


def smallest_model(params):
    """The smallest nn.Module alive that holds every parameter the optimiser trains; of modules that
    hold the same parameters (a model whose body is one Sequential), the outermost, as the script
    calls it. gc.get_objects() has no fixed order, so a tie must never be broken by it."""
    wanted = {id(p) for p in params}
    candidates = []
    for obj in gc.get_objects():
        if not isinstance(obj, nn.Module):
            continue
        own = {id(p) for p in obj.parameters()}
        if wanted <= own:
            candidates.append((len(own), obj))
    if not candidates:
        return None
    fewest = min(size for size, _ in candidates)
    tied = [m for size, m in candidates if size == fewest]
    return max(tied, key=lambda m: sum(1 for _ in m.modules()))


def trained_model(params, called=None):
    """The model the script trains: the optimiser's, or with none (parameters updated by hand) the
    module with the most parameters among those the script called (`called`: earlier scripts' run
    in the same process), else among the modules no other holds."""
    if params:
        return smallest_model(params)
    if called is None:
        modules = [m for m in gc.get_objects() if isinstance(m, nn.Module)]
        held = {id(c) for m in modules for c in m.modules() if c is not m}
        called = [m for m in modules if id(m) not in held]
    return max(called, key=lambda m: sum(p.numel() for p in m.parameters()))


def loop_variables(path):
    """The names a script's for loops bind (`p` of `for p in parameters`): no tensor's own name."""
    if not path or not path.endswith(".py"):
        return set()
    import ast
    with open(path) as f:
        tree = ast.parse(f.read())
    return {n.target.id for n in ast.walk(tree) if isinstance(n, ast.For) and isinstance(n.target, ast.Name)}


def loose_leaves(names, loss):
    """The script's loose leaf tensors the loss reaches, by their names in the script: a tensor bound
    to several names under its first, in the order the trace names them (the script's names, a
    loop's variable not one, then objects' attributes)."""
    reached = reached_leaves(loss)
    loop_vars = loop_variables(names.get("__file__"))
    first = {}
    for k, v in names.items():
        if isinstance(v, torch.Tensor) and id(v) in reached and id(v) not in first and k not in loop_vars:
            first[id(v)] = (k, v)
    # Or by the path through lists and the script's own objects (`layers[0]_weight`, `model_layers[0]_weight`).
    def visit(v, path, depth):
        if depth > 0 and isinstance(v, torch.Tensor) and id(v) in reached and id(v) not in first:
            first[id(v)] = (path, v)
        if depth >= 3:
            return
        if isinstance(v, list):
            for i, x in enumerate(v):
                visit(x, f"{path}[{i}]", depth + 1)
        elif type(v).__module__ == "__main__" and not isinstance(v, type):
            for a, x in vars(v).items():
                visit(x, f"{path}_{a}", depth + 1)

    for k, v in list(names.items()):
        if k not in loop_vars:
            visit(v, k, 0)
    return dict(first.values())


def reached_leaves(loss):
    """The ids of the leaf tensors the loss's graph reaches (what its backward gives a gradient)."""
    seen, out, stack = set(), set(), [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        if hasattr(fn, "variable"):
            out.add(id(fn.variable))
        stack.extend(f for f, _ in fn.next_functions)
    return out


def trained_params(loss, optimizers):
    """The parameters of the optimiser this backward trains: of several (a GAN's discriminator and
    generator, a teacher's and a student's), the first made whose parameters the loss reaches."""
    reached = reached_leaves(loss)
    for o in optimizers:
        params = [p for g in o.param_groups for p in g["params"]]
        if any(id(p) in reached for p in params):
            return params
    return [p for o in optimizers for g in o.param_groups for p in g["params"]]


def notebook_code(file):
    """A notebook as one program: its code cells in order, magics and shell lines commented out (as run top to bottom)."""
    import re
    cells = json.load(open(file))["cells"]
    parts = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells if c["cell_type"] == "code"]
    return "\n".join(re.sub(r"^(\s*)[%!]", r"\1#", p, flags=re.M) for p in parts) + "\n"


def run_script(case, out):
    """Runs the file as __main__ with PyTorch's training entry points watched."""
    optimizers = []
    calls = []
    targets = []
    depth = [0]
    originals = {}

    init = torch.optim.Optimizer.__init__

    def optimizer_init(self, params, defaults):
        init(self, params, defaults)
        optimizers.append(self)

    call = nn.Module.__call__

    def module_call(self, *args, **kwargs):
        if isinstance(self, nn.modules.loss._Loss):
            if len(args) >= 2:
                targets.append(args[1])
        elif depth[0] == 0:
            calls.append((self, args))
        depth[0] += 1
        try:
            return call(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    def watched_loss(fn):
        def loss(input, target, *args, **kwargs):
            targets.append(target)
            return fn(input, target, *args, **kwargs)
        return loss

    loader_iter = torch.utils.data.DataLoader.__iter__
    batches = []

    def watched_iter(self):
        # A loss the script writes itself names no target: the loader's (input, target) batch does.
        for batch in loader_iter(self):
            batches.append(batch)
            yield batch

    def target_of(inputs):
        if targets:
            return targets[-1]
        if batches and isinstance(batches[-1], (list, tuple)) and len(batches[-1]) == 2:
            return batches[-1][1]
        return inputs[0][1]

    def backward(self, *args, **kwargs):
        params = trained_params(self, optimizers)
        model = trained_model(params, [m for m, _ in calls]) if params or calls else None
        if model is None:
            # No module (none at all, or none holding what the optimiser steps): the script's loose
            # leaf tensors are its model, by their names in the script,
            # and its data is its own (no batch to hand over).
            loose = loose_leaves(sys._getframe(1).f_globals, self)
            out["state"] = {k: tensor_json(v) for k, v in loose.items()}
            originals["backward"](self, *args, **kwargs)
            out["loss"] = self.item()
            out["grads"] = {k: tensor_json(v.grad if v.grad is not None else torch.zeros_like(v)) for k, v in loose.items()}
            out["batch"] = None
            raise Captured()
        state = {k: tensor_json(v) for k, v in model.state_dict().items()}
        inputs = [a for m, a in calls if m is model]
        originals["backward"](self, *args, **kwargs)
        out["state"] = state
        out["loss"] = self.item()
        out["grads"] = {n: tensor_json(p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in model.named_parameters()}
        if not inputs:
            # `model.forward(images)` (the Udacity course's form) passes no hook: its first layer's call
            # (at the top level then) received the model's input.
            parts = set(model.modules())
            inputs = [a for m, a in calls if m in parts][:1]
        out["batch"] = {"input": tensor_json(inputs[0][0]), "target": tensor_json(target_of(inputs))}
        raise Captured()

    originals["backward"] = torch.Tensor.backward
    torch.optim.Optimizer.__init__ = optimizer_init
    nn.Module.__call__ = module_call
    torch.Tensor.backward = backward
    torch.utils.data.DataLoader.__iter__ = watched_iter
    saved_losses = {name: getattr(F, name) for name in LOSS_FUNCTIONS}
    for name, fn in saved_losses.items():
        setattr(F, name, watched_loss(fn))
    # As `python train.py` runs it: its folder first on sys.path, so its own modules import
    # (`from models import *`); they are forgotten afterwards, another case may have a `models` too.
    folder = os.path.dirname(case["file"])
    sys.path.insert(0, folder)
    before = set(sys.modules)
    try:
        source = notebook_code(case["file"]) if case["file"].endswith(".ipynb") else open(case["file"]).read()
        code = compile(source, case["file"], "exec")
        sys.argv = [case["file"]]
        try:
            exec(code, {"__name__": "__main__", "__file__": case["file"]})
        except Captured:
            return
        raise RuntimeError("the script ended without calling loss.backward()")
    finally:
        sys.path.remove(folder)
        for name in set(sys.modules) - before:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(folder + os.sep):
                del sys.modules[name]
        torch.optim.Optimizer.__init__ = init
        nn.Module.__call__ = call
        torch.Tensor.backward = originals["backward"]
        torch.utils.data.DataLoader.__iter__ = loader_iter
        for name, fn in saved_losses.items():
            setattr(F, name, fn)


def draw(spec, dtype):
    shape = spec["shape"]
    if "high" in spec:
        return torch.randint(spec.get("low", 0), spec["high"], shape, dtype=torch.int64)
    return torch.randn(shape, dtype=dtype)


def run_build(case, out):
    """Imports the file as a module, builds the model and computes the loss expression on a drawn batch."""
    name = os.path.splitext(os.path.basename(case["file"]))[0]
    spec = importlib.util.spec_from_file_location(name, case["file"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env = dict(vars(module))
    model = eval(case["build"], env)
    dtype = torch.float64 if case["dtype"] == "float64" else torch.float32
    x = draw(case["input"], dtype)
    y = draw(case["target"], dtype)
    state = {k: tensor_json(v) for k, v in model.state_dict().items()}
    env.update(model=model, x=x, y=y)
    loss = eval(case["loss"], env)
    loss.backward()
    out["state"] = state
    out["loss"] = loss.item()
    out["grads"] = {n: tensor_json(p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in model.named_parameters()}
    out["batch"] = {"input": tensor_json(x), "target": tensor_json(y)}


DROPOUT_FUNCTIONS = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]
DROPOUT_MODULES = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
SAVED_DROPOUT = {
    "functions": {name: getattr(F, name) for name in DROPOUT_FUNCTIONS if hasattr(F, name)},
    "modules": {name: getattr(nn, name).forward for name in DROPOUT_MODULES if hasattr(nn, name)},
}


def no_dropout(off=True):
    """Dropout of every kind draws different masks here and in Gradient Lens: exact comparisons
    switch it off (the functional forms and the modules alike), and the next case that keeps its
    dropout gets PyTorch's back."""
    for name, fn in SAVED_DROPOUT["functions"].items():
        setattr(F, name, (lambda input, *args, **kwargs: input) if off else fn)
    for name, forward in SAVED_DROPOUT["modules"].items():
        getattr(nn, name).forward = (lambda self, input: input) if off else forward


def main():
    global BINARY
    request = json.load(sys.stdin)
    BINARY = bool(request.get("binary"))
    results = {}
    here = os.getcwd()
    for case in request["cases"]:
        case["file"] = os.path.abspath(case["file"])
        out = {}
        torch.manual_seed(case.get("seed", 0))
        torch.set_default_dtype(torch.float64 if case["dtype"] == "float64" else torch.float32)
        no_dropout(not case.get("dropout", True))
        try:
            os.chdir(os.path.dirname(os.path.abspath(case["file"])))
            # What the file prints (while it is imported, built or run) is not the harness's answer.
            with contextlib.redirect_stdout(sys.stderr):
                if case.get("build"):
                    run_build(case, out)
                else:
                    run_script(case, out)
        except Exception as e:  # noqa: BLE001 - reported per case
            out = {"error": "".join(traceback.format_exception_only(type(e), e)).strip() + "\n" + traceback.format_exc()}
        finally:
            os.chdir(here)
        results[case["id"]] = out
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
