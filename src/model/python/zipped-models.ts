/**
 * Several models trained one after another in one loop over their optimisers
 * (`for net, opt, l_his in zip(nets, optimizers, losses_his):` inside the batch loop, as MorvanZhou's
 * optimizer comparison writes it). The batch loop is the trace's step: each step runs the inner loop
 * as the script does for every model but the last, whose backward the trace does; every model is
 * traced, under the name the user knows it by (`net_SGD`, else `nets[0]`).
 */
import type { Expr } from './ast';
import type { Interpreter, Scope } from './interpreter';
import { isTrainingLoop, type LoopStmt } from './loop';
import { ModuleObj, type Torch } from './torch/runtime';
import { PyList, PyTuple, type Value } from './values';
import { nestedBlocks, targetNames } from './walk';

export interface ZippedModels {
  /** The loop over zip(...) whose body calls backward once for its item's model. */
  inner: Extract<LoopStmt, { k: 'for' }>;
  /** Each item's model under its user-facing name, in the zip's order. */
  names: Map<ModuleObj, string>;
  /** The model of each item, in the zip's order (the last is the one the trace steps). */
  models: ModuleObj[];
  /** The zip's items, as the inner loop binds them. */
  items: Value[];
}

/**
 * The loop over zip(...) of models and their optimisers that `s`'s own body holds (not inside a
 * loop of its own), when every item pairs a different model with its optimiser. Null otherwise: a
 * zip of inputs and targets stays a loop of its own.
 */
export function zippedModels(torch: Torch, s: LoopStmt, scope: Scope): ZippedModels | null {
  const inner = zipLoopIn(s);
  if (!inner) return null;
  const interp = torch.interp;
  const zip = zipCall(inner.iter)!;
  const zipped = itemsOf(interp, zip, scope);
  if (!zipped || zipped.length < 2) return null;
  // `enumerate(zip(...))`: each item is (index, the zip's item), as the loop binds it.
  const items = zip === inner.iter ? zipped : zipped.map((x, i) => new PyTuple([BigInt(i), x]));
  const models: ModuleObj[] = [];
  for (const item of zipped) {
    const parts = item instanceof PyTuple ? item.items : [item];
    const ms = parts.filter((v): v is ModuleObj => v instanceof ModuleObj && v.engine.parameters().length > 0);
    const opts = parts.filter((v) => torch.optimizers.some((o) => (v as { state?: { use?: unknown } } | null)?.state?.use === o));
    if (ms.length !== 1 || opts.length !== 1 || models.includes(ms[0])) return null;
    models.push(ms[0]);
  }
  const loopNames = new Set(targetNames(inner.target));
  const names = new Map<ModuleObj, string>();
  models.forEach((m, i) => names.set(m, boundName(scope, m, loopNames) ?? listItemName(torch, zip, zipped[i], m, i)));
  return { inner, names, models, items };
}

/** The one `for ... in zip(...)` training loop in `s`'s body outside loops of its own, else null. */
function zipLoopIn(s: LoopStmt): Extract<LoopStmt, { k: 'for' }> | null {
  const found: Extract<LoopStmt, { k: 'for' }>[] = [];
  const stack = [...s.body];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.k === 'while') continue;
    if (x.k === 'for') {
      if (zipCall(x.iter) && isTrainingLoop(x)) found.push(x);
      continue;
    }
    for (const b of nestedBlocks(x)) stack.push(...b);
  }
  return found.length === 1 ? found[0] : null;
}

/** The `zip(...)` call a loop iterates over, directly or under `enumerate(...)`; else null. */
function zipCall(e: Expr): Expr | null {
  const called = (x: Expr, name: string) => x.k === 'call' && x.fn.k === 'name' && x.fn.id === name;
  if (called(e, 'zip')) return e;
  if (e.k === 'call' && called(e, 'enumerate') && e.args.length === 1 && e.args[0].kind === 'pos' && called(e.args[0].value, 'zip')) return e.args[0].value;
  return null;
}

/**
 * The zip's items, when its arguments are lists or tuples the script names (`zip(nets, optimizers,
 * losses_his)`): read without running anything, so a zip of loaders is never drawn from here.
 */
function itemsOf(interp: Interpreter, e: Expr, scope: Scope): Value[] | null {
  if (e.k !== 'call' || !e.args.length || e.args.some((a) => a.kind !== 'pos' || (a.value.k !== 'name' && a.value.k !== 'attr'))) return null;
  const lists: (readonly Value[])[] = [];
  for (const a of e.args) {
    let v: Value;
    try {
      v = interp.eval(a.value, scope);
    } catch {
      return null;
    }
    if (!(v instanceof PyList) && !(v instanceof PyTuple)) return null;
    lists.push(v.items);
  }
  const n = Math.min(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => new PyTuple(lists.map((l) => l[i])));
}

/** A variable the script bound the model to (`net_SGD`), not the inner loop's own. */
function boundName(scope: Scope, m: ModuleObj, skip: ReadonlySet<string>): string | null {
  for (let s: Scope | null = scope; s; s = s.parent) {
    for (const [name, v] of s.vars) if (v === m && !skip.has(name)) return name;
  }
  return null;
}

/** `nets[0]`: the zipped list's item, when the zip's argument holding the model is a name; else `model 0`. */
function listItemName(torch: Torch, zip: Expr, item: Value, m: ModuleObj, i: number): string {
  const at = item instanceof PyTuple ? item.items.indexOf(m) : 0;
  const arg = zip.k === 'call' ? zip.args[at]?.value : undefined;
  return arg?.k === 'name' ? `${arg.id}[${i}]` : arg ? `${torch.text.slice(arg.r.start, arg.r.end)}[${i}]` : `model ${i}`;
}
