/**
 * One `model:` entry: the layer's type, name, arguments and init, or a container's children and
 * branches.
 */
import type { InitScheme, InitSpec, LayerNode, SourceRange } from '../graph';
import { formatShape, INIT_SCHEMES, INITS, layerTypes, layerDef } from '../catalogue';
import type { LEntry, LValue } from '../located';
import { closest, didYouMean } from '../suggest';
import type { SpecReading } from './context';
import { describe } from './messages';
import { isNull, readArgs, oneKey } from './args';

/** One layer entry as read: `ok` when it has no error, `flows` when its output shape can still be followed. */
export interface Entry {
  node: LayerNode;
  ok: boolean;
  flows: boolean;
  nameRange: SourceRange | null;
  children: LValue[];
  /** A container of named branches (Residual): each branch's Sequential and its entries. */
  branches?: { node: LayerNode; items: LValue[] }[];
}

/** One `model:` entry: `Sigmoid`, `{Linear: {...}, name, init}` or `{Sequential: [...], name}`. */
export function readEntry(cx: SpecReading, item: LValue, index: number, parent: LayerNode): Entry | null {
  const entryForm = 'a layer entry is a layer name (- ReLU) or a map with one layer key (- Linear: {in_features: 10, out_features: 5}), plus optional name and init';
  let type: string;
  let typeRange: SourceRange;
  let argsNode: LValue | null = null;
  let nameEntry: LEntry | undefined;
  let initEntry: LEntry | undefined;
  let ok = true;
  if (item.kind === 'scalar' && typeof item.value === 'string') {
    type = item.value;
    typeRange = item.range;
    if (!layerDef(type)) {
      const meant = unknownLayer(cx, type, typeRange);
      if (!meant) return null;
      // Read on as the layer it was meant to be, so the errors after it show now, not one at a time.
      type = meant;
      ok = false;
    }
  } else if (item.kind === 'map') {
    const layerKeys: LEntry[] = [];
    const other: LEntry[] = [];
    for (const e of item.entries) {
      if (e.key === 'name') nameEntry = e;
      else if (e.key === 'init') initEntry = e;
      else if (layerDef(e.key)) layerKeys.push(e);
      else other.push(e);
    }
    if (layerKeys.length === 0) {
      if (other.length === 0) {
        cx.error('spec/missing', `this entry has no layer: ${entryForm}`, cx.firstLine(item.range));
        return null;
      }
      const meant = unknownLayer(cx, other[0].key, other[0].keyRange);
      for (const o of other.slice(1)) cx.error('spec/unknown-key', `a layer entry has no key '${o.key}'.${didYouMean(o.key, ['name', 'init'])} ${entryForm}`, o.keyRange, cx.meant(o.key, ['name', 'init'], o.keyRange));
      if (!meant || other.length > 1) return null;
      // As for a bare name: read on as the layer it was meant to be.
      layerKeys.push({ ...other[0], key: meant });
      other.length = 0;
      ok = false;
    }
    for (const extra of layerKeys.slice(1)) {
      cx.error('spec/type', `one layer per entry: move ${extra.key} to its own entry (- ${extra.key}: ...)`, extra.keyRange);
      ok = false;
    }
    for (const o of other) {
      cx.error('spec/unknown-key', `a layer entry has no key '${o.key}'.${didYouMean(o.key, ['name', 'init'])} Besides the layer (${layerKeys[0].key}) it takes name and init.`, o.keyRange, cx.meant(o.key, ['name', 'init'], o.keyRange));
      ok = false;
    }
    type = layerKeys[0].key;
    typeRange = layerKeys[0].keyRange;
    argsNode = layerKeys[0].value;
  } else {
    cx.error('spec/type', `${entryForm}; got ${describe(item)}`, item.range);
    return null;
  }

  let name = String(index);
  let nameRange: SourceRange | null = null;
  if (nameEntry) {
    const nv = nameEntry.value;
    // No dots (they separate named_parameters() paths), no spaces or control characters.
    if (nv.kind === 'scalar' && typeof nv.value === 'string' && /^[^.\s\u0000-\u001f\u007f-\u009f]+$/.test(nv.value)) {
      name = nv.value;
      nameRange = nv.range;
    } else {
      cx.error('spec/type', `a layer name must be a non-empty string without dots or spaces, like fc1 (got ${describe(nv)})`, nv.range);
      ok = false;
    }
  }
  const def = layerDef(type)!;
  const node: LayerNode = {
    type,
    name,
    path: parent.path ? `${parent.path}.${name}` : name,
    args: {},
    init: {},
    params: [],
    children: [],
    range: item.range,
    typeRange,
    argRanges: {},
    inShape: [],
    outShape: [],
  };
  if (def.traits.branches) {
    if (initEntry) {
      cx.error('spec/unknown-param', `${type} has no parameters of its own: put init on the layers inside its branches`, initEntry.keyRange);
      ok = false;
    }
    const branches = readBranches(cx, type, def.traits.branches, argsNode, typeRange, node);
    if (!branches) return { node, ok: false, flows: false, nameRange, children: [], branches: [] };
    return { node, ok, flows: true, nameRange, children: [], branches };
  }
  if (def.traits.container) {
    let children: LValue[] = [];
    if (argsNode && !isNull(argsNode)) {
      if (argsNode.kind === 'list') children = argsNode.items;
      else {
        cx.error('spec/type', `Sequential takes a list of layer entries, e.g. Sequential: [{Linear: {in_features: 4, out_features: 4}}, ReLU] (got ${describe(argsNode)})`, argsNode.range);
        ok = false;
      }
    }
    if (initEntry) {
      cx.error('spec/unknown-param', 'Sequential has no parameters of its own: put init on the layers inside it', initEntry.keyRange);
      ok = false;
    }
    return { node, ok, flows: true, nameRange, children };
  }

  const a = readArgs(cx, def.args, argsNode, type, typeRange);
  node.args = a.values;
  node.argRanges = a.ranges;
  if (!a.ok) return { node, ok: false, flows: false, nameRange, children: [] };
  const wrong = def.check?.(a.values);
  if (wrong) {
    cx.error('spec/type', `${type} ${wrong.error}`, a.ranges[wrong.arg] ?? typeRange);
    return { node, ok: false, flows: false, nameRange, children: [] };
  }
  node.params = def.params(a.values);
  if (initEntry && !readInit(cx, initEntry, node)) ok = false;
  // A wrong name or init, or a misspelt layer read as the one meant, leaves the shapes to follow.
  return { node, ok, flows: true, nameRange, children: [] };
}

/**
 * `Residual: {body: [...], shortcut: [...]}`: each branch a Sequential under the container's path
 * (`0.body`, `0.shortcut`), as the engine's module names them. The first branch is required.
 */
function readBranches(cx: SpecReading, type: string, names: readonly string[], v: LValue | null, typeRange: SourceRange, parent: LayerNode): { node: LayerNode; items: LValue[] }[] | null {
  const form = `${type} takes {${names.map((b) => `${b}: [layers…]`).join(', ')}}${names.length > 1 ? ` (${names.slice(1).join(', ')} optional)` : ''}`;
  if (!v || isNull(v) || v.kind !== 'map') {
    cx.error(v && !isNull(v) ? 'spec/type' : 'spec/missing', `${form}, e.g. ${type}: {${names[0]}: [{Linear: {in_features: 8, out_features: 8}}, ReLU]}${v && !isNull(v) ? ` (got ${describe(v)})` : ''}`, v && !isNull(v) ? v.range : typeRange);
    return null;
  }
  let ok = true;
  const out: { node: LayerNode; items: LValue[] }[] = [];
  for (const e of v.entries) {
    if (!names.includes(e.key)) {
      cx.error('spec/unknown-key', `${type} has no branch '${e.key}'.${didYouMean(e.key, [...names])} ${form}.`, e.keyRange, cx.meant(e.key, [...names], e.keyRange));
      ok = false;
      continue;
    }
    if (e.value.kind !== 'list' || e.value.items.length === 0) {
      cx.error('spec/type', `${type} ${e.key} must be a non-empty list of layer entries (got ${e.value.kind === 'list' ? 'an empty list' : describe(e.value)})`, isNull(e.value) ? e.keyRange : e.value.range);
      ok = false;
      continue;
    }
    out.push({
      node: {
        type: 'Sequential',
        name: e.key,
        path: parent.path ? `${parent.path}.${e.key}` : e.key,
        args: {},
        init: {},
        params: [],
        children: [],
        range: e.value.range,
        typeRange: e.keyRange,
        argRanges: {},
        inShape: [],
        outShape: [],
      },
      items: e.value.items,
    });
  }
  if (ok && !out.some((b) => b.node.name === names[0])) {
    cx.error('spec/missing', `${type} needs its ${names[0]}: ${form}`, typeRange);
    ok = false;
  }
  // the engine adds the branches in the catalogue's order, whatever order they were written in
  out.sort((a, b) => names.indexOf(a.node.name) - names.indexOf(b.node.name));
  return ok ? out : null;
}

/** Reports an unknown layer; returns the layer it was most likely meant to be, if one is near enough. */
function unknownLayer(cx: SpecReading, type: string, range: SourceRange): string | undefined {
  const hint = didYouMean(type, layerTypes());
  const list = hint ? '' : ` Layers are ${layerTypes().join(', ')}.`;
  const fixes = cx.meant(type, layerTypes(), range);
  cx.error('spec/unknown-layer', `unknown layer '${type}'.${hint}${list}`, range, fixes);
  return fixes ? closest(type, layerTypes()) : undefined;
}

/** `init: {weight: xavier_uniform, bias: {constant: 0.1}}`, checked against the layer's parameters. */
function readInit(cx: SpecReading, e: LEntry, node: LayerNode): boolean {
  const v = e.value;
  const def = layerDef(node.type)!;
  if (v.kind !== 'map') {
    cx.error('spec/type', `init maps parameter names to schemes, e.g. init: {weight: xavier_uniform, bias: zeros} (got ${describe(v)})`, isNull(v) ? e.keyRange : v.range);
    return false;
  }
  let ok = true;
  for (const p of v.entries) {
    const param = node.params.find((x) => x.name === p.key);
    if (!param) {
      const has = node.params.map((x) => x.name);
      const why = def.paramNames.includes(p.key)
        ? ` because of its arguments (${Object.keys(node.args).filter((k) => node.args[k] === false).map((k) => `${k}: false`).join(', ')})`
        : `.${didYouMean(p.key, def.paramNames)}`;
      const list = has.length ? ` Its parameters are ${has.join(', ')}.` : ' It has no parameters.';
      cx.error('spec/unknown-param', `${node.type} has no parameter '${p.key}'${why}${list}`, p.keyRange, cx.meant(p.key, has, p.keyRange));
      ok = false;
      continue;
    }
    const one = oneKey(cx, p.value, `init of ${p.key}`);
    if (!one) {
      ok = false;
      continue;
    }
    if (!(INIT_SCHEMES as string[]).includes(one.key)) {
      cx.error('spec/unknown-init', `unknown init scheme '${one.key}'.${didYouMean(one.key, INIT_SCHEMES)} Schemes are ${INIT_SCHEMES.join(', ')}.`, one.keyRange, cx.meant(one.key, INIT_SCHEMES, one.keyRange));
      ok = false;
      continue;
    }
    const scheme = one.key as InitScheme;
    const idef = INITS[scheme];
    let argsNode = one.args;
    // `{constant: 0.5}` is `{constant: {val: 0.5}}`.
    if (idef.shorthand && argsNode && argsNode.kind === 'scalar' && argsNode.value !== null) {
      argsNode = { kind: 'map', entries: [{ key: idef.shorthand, keyRange: argsNode.range, value: argsNode }], range: argsNode.range };
    }
    const a = readArgs(cx, idef.args, argsNode, scheme, one.keyRange);
    if (!a.ok) {
      ok = false;
      continue;
    }
    if (idef.needsFans && param.shape.length < 2) {
      cx.error(
        'spec/init',
        `${scheme} needs a parameter with at least 2 axes to compute fan in and fan out, but ${p.key} has shape ${formatShape(param.shape)}: use zeros, constant, normal or uniform`,
        one.keyRange,
      );
      ok = false;
      continue;
    }
    if (idef.axes && (param.shape.length < idef.axes.min || param.shape.length > idef.axes.max)) {
      const { min, max } = idef.axes;
      const want = max === Infinity ? `at least ${min} axes` : min === max ? `${min} axes` : `${min} to ${max} axes`;
      cx.error('spec/init', `${scheme} needs a parameter with ${want}, but ${p.key} has shape ${formatShape(param.shape)}`, one.keyRange);
      ok = false;
      continue;
    }
    if (scheme === 'dirac' && param.shape[0] % (a.values.groups as number) !== 0) {
      cx.error('spec/init', `dirac needs dim 0 (${param.shape[0]}) divisible by groups (${a.values.groups})`, a.ranges.groups ?? one.keyRange);
      ok = false;
      continue;
    }
    if (scheme === 'uniform' && (a.values.a as number) > (a.values.b as number)) {
      cx.error('spec/init', `uniform needs a ≤ b (got a ${a.values.a}, b ${a.values.b})`, a.ranges.a ?? one.keyRange);
      ok = false;
      continue;
    }
    const args: Record<string, number | string> = {};
    for (const k of Object.keys(a.ranges)) args[k] = a.values[k] as number | string;
    node.init[p.key] = { scheme, args, range: p.value.range } satisfies InitSpec;
  }
  return ok;
}
