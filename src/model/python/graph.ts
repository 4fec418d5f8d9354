/**
 * A PyTorch model read from Python source as the model graph every rule reads: one LayerNode per
 * module (and per functional activation call site), its range the user's own call that built it
 * (`nn.Sigmoid()`), its children in the order the forward first applied them, and the layers whose
 * outputs reached it in that forward (the real data flow, not the order of the attributes).
 */
import type * as enn from '../../engine/nn';
import { layerDef } from '../catalogue';
import type { InitSpec, LayerNode, SourceRange } from '../graph';
import type { FunctionalSite } from './torch/functions';
import { layerTypeOfObj } from './torch/modules';
import type { Torch } from './torch/runtime';

/** Where the model as a whole is written: its class name, or the call that built it. */
export interface RootRanges {
  typeRange: SourceRange;
  range: SourceRange;
}

/**
 * A user's module class as a layer type: its name, qualified by its module when it is also a
 * catalogue name (a hand-written `class LayerNorm(nn.Module)` is not torch.nn.LayerNorm to the rules).
 */
function userType(name: string, module: string | null): string {
  return layerDef(name) ? `${module ?? '__main__'}.${name}` : name;
}

/** The graph of the model rooted at `root`: modules, functional activation sites, ranges, shapes and data flow. */
export function graphOf(torch: Torch, root: enn.Module, rootRanges: RootRanges): LayerNode {
  const order = new Map<enn.Module, number>();
  let i = 0;
  for (const m of torch.applications.modules()) order.set(m, i++);
  const functionalsByParent = new Map<string, FunctionalSite[]>();
  for (const f of torch.functionals.values()) {
    if (!order.has(f.module)) continue;
    const list = functionalsByParent.get(f.parent) ?? [];
    list.push(f);
    functionalsByParent.set(f.parent, list);
  }
  // A container the forward never calls itself (an nn.ModuleList it loops over or indexes) takes its
  // place from the first of its modules applied: fc_model's `hidden_layers` runs before `output`.
  const firstApplied = (m: enn.Module): number | undefined => {
    const own = order.get(m);
    if (own !== undefined) return own;
    let first: number | undefined;
    for (const [, c] of m.namedChildren()) {
      const o = firstApplied(c);
      if (o !== undefined && (first === undefined || o < first)) first = o;
    }
    return first;
  };
  const pathOf = (m: enn.Module) => m.path;
  const node = (m: enn.Module, name: string, fallback: RootRanges, functional: FunctionalSite | null): LayerNode => {
    const site = torch.sites.get(m);
    const obj = functional ? null : torch.moduleObjs.get(m);
    const type = functional ? functional.type : obj ? (layerTypeOfObj(obj) ?? userType(obj.cls.name, obj.cls.module)) : m.constructor.name;
    const def = layerDef(type);
    const init: Record<string, InitSpec> = {};
    for (const [k, t] of m.ownState().params) {
      const use = torch.inits.get(t);
      if (use) init[k] = { scheme: use.scheme, args: use.args, range: use.r, ...(use.span ? { span: use.span } : {}) };
    }
    const created = functional?.call ?? site?.created ?? fallback.range;
    const applied = torch.applications.get(m);
    const n: LayerNode = {
      type,
      name,
      path: m.path,
      args: def ? def.argsOf(m) : {},
      init,
      params: m.ownState().params.map(([k, t]) => ({ name: k, shape: [...t.shape] })),
      children: [],
      range: created,
      typeRange: created,
      argRanges: {},
      inShape: applied ? applied.inShape.slice() : [],
      outShape: applied ? applied.outShape.slice() : [],
    };
    const from = applied?.from;
    if (from) n.inputsFrom = [...from].map(pathOf);
    return n;
  };
  const top = node(root, '', rootRanges, null);
  top.typeRange = rootRanges.typeRange;
  top.range = rootRanges.range;
  const stack: [enn.Module, LayerNode][] = [[root, top]];
  while (stack.length) {
    const [m, n] = stack.pop()!;
    const kids: [number, LayerNode, enn.Module | null][] = [];
    m.namedChildren().forEach(([name, c], k) => {
      const child = node(c, name, { typeRange: n.typeRange, range: n.range }, null);
      kids.push([firstApplied(c) ?? 1e9 + k, child, c]);
    });
    for (const f of functionalsByParent.get(m.path) ?? []) {
      // Another instance's call (the same class's model run once before this one was built) is not this model's.
      if (f.owner && f.owner !== m) continue;
      kids.push([order.get(f.module) ?? 1e9, node(f.module, f.module.path.slice(m.path ? m.path.length + 1 : 0), n, f), null]);
    }
    // The order the forward applied them in: what "the layer before" means to the rules.
    kids.sort((a, b) => a[0] - b[0]);
    for (const [, child, c] of kids) {
      n.children.push(child);
      if (c) stack.push([c, child]);
    }
  }
  return top;
}
