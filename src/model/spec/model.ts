/**
 * The `model:` list read as a tree of layers, with each layer's output shape inferred from the
 * catalogue as it goes (the shape chain), nested Sequentials and Residual branches included.
 */
import type { DataSpec, LayerNode, TraceSettings } from '../graph';
import { formatShape, layerDef, type ShapeInput } from '../catalogue';
import type { LEntry, LValue } from '../located';
import { formatBytes } from '../../numbers';
import { formatValue } from '../spec-fixes';
import type { SpecReading } from './context';
import { describe } from './messages';
import { isNull } from './args';
import { readEntry } from './entries';
import { product, checkActivation } from './checks';

/** How the shape chain stands before the next layer. */
interface Flow {
  /** null once an earlier error makes the shape unknown: later shape checks would only echo it. */
  shape: number[] | null;
  indices: ShapeInput['indices'];
  from: string;
}

interface Frame {
  node: LayerNode;
  items: LValue[];
  next: number;
  names: Map<string, string>;
  /**
   * A container of named branches (Residual): each branch is a Sequential read from the same input
   * in turn, then their outputs are joined. `queue` holds the branches not yet read.
   */
  branches?: { queue: { node: LayerNode; items: LValue[] }[]; input: Flow; outputs: { node: LayerNode; shape: number[] | null }[]; running: LayerNode | null };
}

export function readModel(
  cx: SpecReading,
  e: LEntry,
  input: { spec: DataSpec } | null,
  trace: TraceSettings | null,
  bytesPer: number,
): { node: LayerNode; known: boolean } | null {
  const v = e.value;
  if (v.kind !== 'list' || v.items.length === 0) {
    const got = v.kind === 'list' ? 'an empty list' : describe(v);
    cx.error(v.kind === 'list' || isNull(v) ? 'spec/missing' : 'spec/type', `model must be a list of layers, e.g. [{Linear: {in_features: 10, out_features: 1}}] (got ${got})`, isNull(v) ? e.keyRange : v.range);
    return null;
  }
  const inShape = input ? [...input.spec.shape] : [];
  const root: LayerNode = {
    type: 'Sequential',
    name: '',
    path: '',
    args: {},
    init: {},
    params: [],
    children: [],
    range: v.range,
    typeRange: e.keyRange,
    argRanges: {},
    inShape,
    outShape: inShape,
  };
  const d = input?.spec.distribution;
  const flow: Flow = {
    shape: input && trace ? inShape : null,
    indices: input?.spec.file ? 'unknown' : d?.kind === 'integers' ? { low: d.low, high: d.high } : null,
    from: 'the input',
  };
  let ok = true;
  // An explicit stack of open Sequentials instead of recursion: nesting depth is the user's.
  const frames: Frame[] = [{ node: root, items: v.items, next: 0, names: new Map() }];
  while (frames.length) {
    const f = frames[frames.length - 1];
    if (f.branches) {
      const b = f.branches;
      if (b.running) b.outputs.push({ node: b.running, shape: flow.shape });
      const next = b.queue.shift();
      if (next) {
        // every branch starts from the container's input
        Object.assign(flow, { ...b.input, shape: b.input.shape && [...b.input.shape] });
        b.running = next.node;
        next.node.inShape = flow.shape ? [...flow.shape] : [];
        frames.push({ node: next.node, items: next.items, next: 0, names: new Map() });
        continue;
      }
      frames.pop();
      if (!joinBranches(cx, f.node, b.input, b.outputs, flow)) ok = false;
      continue;
    }
    if (f.next >= f.items.length) {
      f.node.outShape = flow.shape ? [...flow.shape] : [];
      frames.pop();
      continue;
    }
    const index = f.next++;
    const entry = readEntry(cx, f.items[index], index, f.node);
    if (!entry) {
      ok = false;
      flow.shape = null;
      continue;
    }
    const { node, nameRange } = entry;
    const clash = f.names.get(node.name);
    if (clash !== undefined) {
      const where = f.node.path ? `'${f.node.path}'` : 'model';
      cx.error('spec/duplicate-name', `two layers in ${where} are named '${node.name}' (${clash} and this one): names must be unique within a Sequential`, nameRange ?? node.typeRange);
      ok = false;
    } else {
      f.names.set(node.name, nameRange ? `the one named '${node.name}'` : `the entry at index ${index}`);
    }
    f.node.children.push(node);
    node.inShape = flow.shape ? [...flow.shape] : [];
    if (!entry.ok) ok = false;
    const def = layerDef(node.type)!;
    if (def.traits.branches) {
      const queue = (entry.branches ?? []).map((br) => ({ node: br.node, items: br.items }));
      for (const br of queue) node.children.push(br.node);
      frames.push({ node, items: [], next: 0, names: new Map(), branches: { queue, input: { ...flow, shape: flow.shape && [...flow.shape] }, outputs: [], running: null } });
      continue;
    }
    if (def.traits.container) {
      frames.push({ node, items: entry.children, next: 0, names: new Map() });
      continue;
    }
    if (!entry.flows) {
      flow.shape = null;
      continue;
    }
    for (const p of node.params) {
      const bytes = product(p.shape) * bytesPer;
      if (bytes > cx.maxBytes) {
        cx.overMemoryLimit(`${node.path}: ${node.type}'s ${p.name} ${formatShape(p.shape)} needs ${formatBytes(bytes)}`, node.typeRange);
        ok = false;
      }
    }
    if (!flow.shape || !trace) continue;
    const r = def.shape({ args: node.args, inShape: flow.shape, from: flow.from, batchSize: trace.batchSize, indices: flow.indices });
    if ('error' in r) {
      const written = r.arg ? node.argRanges[r.arg] : undefined;
      const fix = written && r.fit !== undefined ? cx.setTo(`Set ${r.arg} to ${formatValue(r.fit, cx.syntax)}`, written, r.fit) : undefined;
      cx.error(r.code ?? 'spec/shape-mismatch', r.error, written ?? node.typeRange, fix);
      ok = false;
      flow.shape = null;
      continue;
    }
    node.outShape = r.shape;
    if (!checkActivation(cx, r.shape, trace.batchSize, bytesPer, `the output of ${node.path}: ${node.type}`, node.typeRange)) {
      ok = false;
      flow.shape = null;
      continue;
    }
    flow.shape = r.shape;
    flow.indices = def.traits.keepsIndices ? flow.indices : null;
    flow.from = `the previous layer (${node.path}: ${node.type})`;
  }
  return { node: root, known: ok && flow.shape !== null && !!input && !!trace };
}

/** Joins the branches of a Residual: body(x) + shortcut(x), or body(x) + x, which must have one shape. */
function joinBranches(cx: SpecReading, node: LayerNode, input: Flow, outputs: { node: LayerNode; shape: number[] | null }[], flow: Flow): boolean {
  flow.indices = null;
  flow.from = `the previous layer (${node.path}: ${node.type})`;
  const body = outputs[0];
  const shortcut = outputs[1];
  if (!body || !body.shape || (shortcut && !shortcut.shape) || !input.shape) {
    flow.shape = null;
    node.outShape = [];
    return true;
  }
  const other = shortcut ? shortcut.shape! : input.shape;
  if (other.length !== body.shape.length || other.some((d, i) => d !== body.shape![i])) {
    const what = shortcut ? `the shortcut gives ${formatShape(other)}` : `its input is ${formatShape(other)}`;
    const hint = shortcut ? '' : ': add a shortcut that projects the input to the body\'s shape, e.g. shortcut: [{Linear: …}] or [{Conv2d: {…, kernel_size: 1}}]';
    cx.error('spec/shape-mismatch', `${node.type} adds its body's output to ${shortcut ? "its shortcut's" : 'its input'}, but the body gives ${formatShape(body.shape)} and ${what}${hint}`, node.typeRange);
    flow.shape = null;
    node.outShape = [];
    return false;
  }
  node.outShape = [...body.shape];
  flow.shape = [...body.shape];
  return true;
}
