"""
PyTorch's losses over a script's first training steps, for what only shows after a step (an
optimiser's parameter groups): the file runs as its author runs it (torch 1.13, float64); every
loss.backward() records its loss, the first one also the state_dict of the model the optimiser
trains (the weights PyTorch initialised), and the run stops after `steps` of them.

stdin:  {"file", "steps", "binary"?} (binary: see torch_python.BINARY)
stdout: {"torch": version, "state": {name: {shape, data}}, "losses": [float]}
"""
import gc
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_python  # noqa: E402
from torch_python import Captured, loose_leaves, run_until_captured, tensor_json, trained_model  # noqa: E402

torch.set_num_threads(1)


def main():
    request = json.load(sys.stdin)
    torch_python.BINARY = bool(request.get("binary"))
    torch.set_default_dtype(torch.float64)
    optimizers = []
    losses = []
    out = {"torch": torch.__version__, "state": None, "losses": losses}
    init = torch.optim.Optimizer.__init__
    backward = torch.Tensor.backward

    def optimizer_init(self, params, defaults):
        init(self, params, defaults)
        optimizers.append(self)

    def watched_backward(self, *args, **kwargs):
        # The script's steps run until the one after the last recorded loss, so that loss's update happened.
        if len(losses) == request["steps"]:
            raise Captured()
        if out["state"] is None:
            params = [p for o in optimizers for g in o.param_groups for p in g["params"]]
            model = trained_model(params) if params or any(isinstance(m, torch.nn.Module) for m in gc.get_objects()) else None
            if model is not None:
                out["state"] = {k: tensor_json(v) for k, v in model.state_dict().items()}
            else:
                # No module: the script's loose leaf tensors the loss reaches, by their names in the script.
                out["state"] = {k: tensor_json(v) for k, v in loose_leaves(sys._getframe(1).f_globals, self).items()}
        losses.append(self.item())
        return backward(self, *args, **kwargs)

    torch.optim.Optimizer.__init__ = optimizer_init
    torch.Tensor.backward = watched_backward
    run_until_captured(request["file"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
