/**
 * A decorated TypeScript model as the same graph a spec gives: one LayerNode per module, its range
 * the user's own `new Sigmoid()` (where it was created), so every rule works unchanged.
 */
import { ModuleList } from '../../authoring/module';
import { appliedAt, createdAt } from '../../authoring/registry';
import type { Site } from '../../authoring/sites';
import type * as nn from '../../engine/nn';
import { LAYERS, layerTypeOf } from '../catalogue';
import type { ArgValue, LayerNode, SourceRange } from '../graph';
import { callRange, constructionRange, fieldStart, offsetOf } from './text';

/** Where a model's root is written: its class name (findings about the whole model) and its whole declaration. */
export interface RootRanges {
  name: SourceRange;
  whole: SourceRange;
}

/** The torch.nn type of a module ("Linear"), or the user's class name for their own modules ("Block"). */
export function layerType(m: nn.Module): string {
  const t = layerTypeOf(m);
  if (t) return t;
  if (m instanceof ModuleList) return 'ModuleList';
  return m.constructor.name || 'Module';
}

/** PyTorch's constructor arguments of a module, by PyTorch's names (the rules read them); none for the user's own modules. */
export function argsOf(m: nn.Module): Record<string, ArgValue> {
  const t = layerTypeOf(m);
  return t ? LAYERS[t].argsOf(m as never) : {};
}

export function siteOffset(text: string, site: Site): number {
  return offsetOf(text, site.line, site.column);
}

/** The range of the expression that created `m`, and its whole entry (`fc1 = new Linear(10, 10)`). */
function createdRanges(text: string, m: nn.Module): { typeRange: SourceRange; range: SourceRange } | null {
  const site = createdAt.get(m);
  if (!site) return null;
  const typeRange = constructionRange(text, siteOffset(text, site));
  return { typeRange, range: { start: fieldStart(text, typeRange.start), end: typeRange.end } };
}

/** Where `m` was first applied in the user's forward, if it was. */
export function appliedRange(text: string, m: nn.Module): SourceRange | null {
  const site = appliedAt.get(m)?.site;
  return site ? callRange(text, siteOffset(text, site)) : null;
}

/**
 * The graph of a built model: the root is the @model class itself (typeRange its name), children in
 * attribute order. A module built without a site in the file (in an imported helper) takes the
 * range of its nearest ancestor that has one.
 */
export function graphOf(root: nn.Module, text: string, rootRanges: RootRanges, inputShape: number[]): LayerNode {
  const node = (m: nn.Module, name: string, fallback: { typeRange: SourceRange; range: SourceRange }): LayerNode => {
    const applied = appliedAt.get(m);
    // A container the library made (a ModuleList for an array attribute) is where its first module was written.
    const firstChild = m.namedChildren()[0]?.[1];
    const where = createdRanges(text, m) ?? (firstChild && createdRanges(text, firstChild)) ?? fallback;
    return {
      type: layerType(m),
      name,
      path: m.path,
      args: argsOf(m),
      init: {},
      params: m.ownState().params.map(([k, t]) => ({ name: k, shape: [...t.shape] })),
      children: [],
      range: where.range,
      typeRange: where.typeRange,
      argRanges: {},
      inShape: applied?.inShape ?? [],
      outShape: applied?.outShape ?? [],
    };
  };
  const top = node(root, '', { typeRange: rootRanges.name, range: rootRanges.whole });
  top.typeRange = rootRanges.name;
  top.range = rootRanges.whole;
  if (!top.inShape.length) top.inShape = [...inputShape];
  const stack: [nn.Module, LayerNode][] = [[root, top]];
  while (stack.length) {
    const [m, n] = stack.pop()!;
    for (const [name, child] of m.namedChildren()) {
      const c = node(child, name, { typeRange: n.typeRange, range: n.range });
      n.children.push(c);
      stack.push([child, c]);
    }
  }
  return top;
}

export { layersBelow } from '../graph';
