/**
 * Loose tensors as the model: a script that trains `a = torch.randn((), requires_grad=True)` and
 * its siblings by hand (the autograd tutorials, before nn.Module) has no module, so the trace makes
 * one that holds them as parameters under the script's own names (`a`, `w1`). The findings and the
 * gradient table then speak of `a` as they would of `fc1.weight`, and `--state` takes those names,
 * as a dict of the same tensors would in PyTorch.
 */
import type { Range } from './ast';
import { PyEngineModule } from './torch/modules';
import { ModuleObj, TensorObj, Torch } from './torch/runtime';

export function looseModule(torch: Torch, params: readonly { name: string; t: TensorObj }[], fallback: Range): ModuleObj {
  const engine = new PyEngineModule(torch, null);
  const obj = new ModuleObj(torch.Module, engine);
  engine.obj = obj;
  obj.initialised = true;
  torch.adopt(obj, createdAt(torch, params[0].name) ?? fallback);
  for (const { name, t } of params) {
    engine.setParameter(name, t.t);
    torch.parameters.add(t.t);
  }
  return obj;
}

/** Where the script binds the first tensor at module level (`a = torch.randn(...)`): the model is "built" there. */
function createdAt(torch: Torch, name: string): Range | null {
  for (const s of torch.ast.body) if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name' && s.targets[0].id === name) return s.r;
  return null;
}
