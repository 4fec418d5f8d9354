"""
PyTorch's side of the step parity for scripts that draw noise in their step or make several
backward() calls in it (a GAN's discriminator and generator, a VAE's `torch.randn_like(std)`): the
file runs as its author runs it (torch 1.13, float64) and the harness records
- every torch.randn / randn_like / rand / rand_like call's values and every numpy.random draw
  (normal, uniform, random, randint), in call order: Gradient Lens is given them
  (PythonOptions.noise), so both sides draw the same noise;
- torch.FloatTensor is torch.DoubleTensor (the run is in float64, as Gradient Lens's FloatTensor is
  the run's float type);
- at the first backward(), the state_dict of each optimiser's model (the weights PyTorch initialised);
- at every optimizer.step(), the gradients its parameters hold (what the step applies), by the
  model's parameter names;
- every backward()'s loss.
The run stops once every optimiser has stepped `steps` times.

stdin:  {"file", "steps"}
stdout: {"torch", "noise": [[float]], "models": [{name: {shape, data}}], "steps": [{"optimizer", "grads": {name: [float]}}], "losses": [float]}
"""
import json
import os
import sys

import numpy
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_python import Captured, run_until_captured, smallest_model, tensor_json  # noqa: E402

torch.set_num_threads(1)
DRAWS = ["randn", "randn_like", "rand", "rand_like"]
NUMPY_DRAWS = ["normal", "uniform", "random", "randint"]


def main():
    request = json.load(sys.stdin)
    torch.set_default_dtype(torch.float64)
    optimizers = []
    models = []
    stepped = []
    out = {"torch": torch.__version__, "noise": [], "models": None, "steps": [], "losses": []}
    init = torch.optim.Optimizer.__init__
    backward = torch.Tensor.backward
    saved = {name: getattr(torch, name) for name in DRAWS}

    def drawing(fn):
        def draw(*args, **kwargs):
            t = fn(*args, **kwargs)
            out["noise"].append(t.detach().flatten().tolist() if isinstance(t, torch.Tensor) else numpy.asarray(t, dtype=float).flatten().tolist())
            return t
        return draw

    def optimizer_init(self, params, defaults):
        init(self, params, defaults)
        optimizers.append(self)
        stepped.append(0)
        step = self.step

        def watched_step(*args, **kwargs):
            i = optimizers.index(self)
            model = models[i]
            out["steps"].append({"optimizer": i, "grads": {n: (p.grad if p.grad is not None else torch.zeros_like(p)).flatten().tolist() for n, p in model.named_parameters()}})
            result = step(*args, **kwargs)
            stepped[i] += 1
            if all(n >= request["steps"] for n in stepped):
                raise Captured()
            return result

        self.step = watched_step

    def watched_backward(self, *args, **kwargs):
        if out["models"] is None:
            for o in optimizers:
                models.append(smallest_model([p for g in o.param_groups for p in g["params"]]))
            out["models"] = [{k: tensor_json(v) for k, v in m.state_dict().items()} for m in models]
        out["losses"].append(self.item())
        return backward(self, *args, **kwargs)

    torch.optim.Optimizer.__init__ = optimizer_init
    torch.Tensor.backward = watched_backward
    for name, fn in saved.items():
        setattr(torch, name, drawing(fn))
    for name in NUMPY_DRAWS:
        setattr(numpy.random, name, drawing(getattr(numpy.random, name)))
    torch.FloatTensor = torch.DoubleTensor
    run_until_captured(request["file"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
