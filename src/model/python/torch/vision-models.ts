/**
 * torchvision.models: the common classifiers (ResNet, VGG, AlexNet, MobileNetV2) run from
 * Gradient Lens's own Python source of them (mirrored/torchvision/models.py), so every layer inside
 * is traced, with torchvision's module names. Layers built there are shown at the user's call that
 * built the model (runtime's `adopt`), their path naming the submodule ("layer4.1.conv2").
 * Pretrained weights cannot be downloaded here: a constructor asked for them is not followed, at
 * the argument that asks (findings about a randomly initialised copy would not be about the model).
 */
import type { Arg, Expr, Range } from '../ast';
import { CantFollow } from '../errors';
import type { Interpreter } from '../interpreter';
import { mirroredTree } from '../mirrored';
import { type CallSite, Kwargs, PyBuiltin, PyFunction, PyList, PyModule, PyOpaque, Value } from '../values';

/** The constructors' own arguments (torchvision 0.14 and the older `pretrained=`): positional ones are weights then progress. */
const WEIGHTS_ARGS = ['weights', 'progress', 'pretrained'];

/** Runs torchvision/models.py as the module `torchvision.models` of this run, its constructors checked for pretrained weights. */
export function visionModels(interp: Interpreter, r: Range): PyModule {
  const { path, ast } = mirroredTree('torchvision/models.py');
  const mod = interp.runMirrored('torchvision.models', path, ast, r);
  const all = mod.dict.get('__all__');
  for (const name of all instanceof PyList ? all.items : []) {
    const fn = typeof name === 'string' ? mod.dict.get(name) : undefined;
    if (fn instanceof PyFunction) mod.dict.set(name as string, constructorOf(interp, name as string, fn));
  }
  return mod;
}

/** The argument of the call being evaluated that passes `name` (a keyword, else the positional at `index`). */
function argumentOf(call: Extract<Expr, { k: 'call' }> | null, name: string, index: number): Arg | undefined {
  if (!call) return undefined;
  return call.args.find((a) => a.kind === 'kw' && a.name === name) ?? call.args.filter((a) => a.kind === 'pos')[index];
}

function constructorOf(interp: Interpreter, name: string, fn: PyFunction): PyBuiltin {
  return new PyBuiltin(name, (args: Value[], kwargs: Kwargs | null, site: CallSite) => {
    const call = interp.callNode;
    const given = new Map<string, Value>();
    args.forEach((v, i) => {
      if (i < 2) given.set(WEIGHTS_ARGS[i], v);
      else interp.raise('TypeError', `${name}() takes at most 2 positional arguments (weights, progress) but ${args.length} were given`, site.r);
    });
    const rest: Kwargs = new Map();
    for (const [k, v] of kwargs ?? []) {
      if (WEIGHTS_ARGS.includes(k)) given.set(k, v);
      else rest.set(k, v);
    }
    for (const k of ['weights', 'pretrained']) {
      const v = given.get(k);
      if (v === undefined || v === null || v === false) continue;
      const at = argumentOf(call, k, 0)?.r ?? site.r;
      const opaque = new PyOpaque(`pretrained weights (${name}(${k}=...)): torchvision would download them, Gradient Lens downloads nothing; with ${k}=${k === 'weights' ? 'None' : 'False'} it traces ${name} from its random initialisation`, at);
      throw new CantFollow(opaque, at);
    }
    return interp.call(fn, [], rest, site.r);
  });
}
