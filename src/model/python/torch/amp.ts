/**
 * Mixed precision as PyTorch runs it on a machine without CUDA, which is what the trace is:
 * `torch.cuda.amp.autocast()` (or `torch.autocast('cuda')`) is disabled, so its block and the
 * functions it decorates compute as written; `GradScaler` is disabled too, so `scaler.scale(loss)`
 * is the loss, `scaler.step(optimizer)` is `optimizer.step()` and the rest does nothing. Autocast
 * on the CPU is not disabled: it computes in bfloat16, which the engine does not, so it is a
 * construct Gradient Lens can't follow, said where it is written.
 */
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import type { Interpreter } from '../interpreter';
import { bind, type Bound, native, signature } from '../native';
import { OBJECT, PyClass, PyDict, PyOpaque, Value } from '../values';
import { NativeObj, type Torch } from './runtime';

/** An autocast context on `device`, as PyTorch would run it here (no CUDA). */
function autocastOn(torch: Torch, cls: PyClass, device: Value, enabled: Value, r: Range): Value {
  if (torch.bool(enabled, r) && String(device) === 'cpu') {
    throw new CantFollow(new PyOpaque('autocast on the CPU (bfloat16 arithmetic; the engine computes in float32 and float64)', r), r);
  }
  return new NativeObj(cls, null);
}

export function makeAmp(torch: Torch): { autocast: PyClass; cudaAutocast: PyClass; cpuAutocast: PyClass; GradScaler: PyClass } {
  const context = (name: string, sig: string, device: (a: Bound) => Value) => {
    const cls: PyClass = new PyClass(
      name,
      [OBJECT],
      {
        construct: (c, args, kwargs, r, interp) => {
          const a = bind(interp, signature(sig), args, kwargs, r);
          return autocastOn(torch, c, device(a), a.enabled, r);
        },
        enter: () => null,
        exit: () => undefined,
        // `@autocast()` on a forward: disabled here, so the function is called as written.
        call: (_self, args) => args[0],
      },
      'torch',
    );
    return cls;
  };
  const autocast = context('autocast', 'autocast(device_type, dtype=None, enabled=True, cache_enabled=None)', (a) => a.device_type);
  const cudaAutocast = context('autocast', 'autocast(enabled=True, dtype=None, cache_enabled=True)', () => 'cuda');
  const cpuAutocast = context('autocast', 'autocast(enabled=True, dtype=None, cache_enabled=True)', () => 'cpu');

  const GradScaler = new PyClass('GradScaler', [OBJECT], { construct: (c) => new NativeObj(c, null) }, 'torch.cuda.amp');
  const method = (sig: string, fn: (a: Bound, r: Range, interp: Interpreter) => Value) => GradScaler.dict.set(sig.slice(0, sig.indexOf('(')), native(sig, fn, { method: true }));
  method('scale(self, outputs)', (a) => a.outputs);
  method('step(self, optimizer, *args, **kwargs)', (a, r, interp) => interp.call(interp.getAttr(a.optimizer, 'step', r), a.__varargs ?? [], a.__varkw ?? null, r));
  method('update(self, new_scale=None)', () => null);
  method('unscale_(self, optimizer)', () => null);
  method('get_scale(self)', () => 1.0);
  method('is_enabled(self)', () => false);
  method('state_dict(self)', () => new PyDict());
  method('load_state_dict(self, state_dict)', () => null);
  return { autocast, cudaAutocast, cpuAutocast, GradScaler };
}
