/**
 * state_dict in and out: parameters and buffers by their PyTorch names as {shape, data}, the form a
 * PyTorch state_dict takes when exported to JSON. Values are copied as doubles, so float64 weights
 * round-trip exactly.
 */
import type { Module } from './nn/module';
import { formatShape, sameShape, sizeOf } from './shape';
import { markWritten, type Tensor } from './tensor';

export interface StateEntry {
  shape: number[];
  data: number[];
}

export type StateDict = Record<string, StateEntry>;

/** Every parameter and buffer, in PyTorch's state_dict order: per module, its parameters, then its buffers. */
function stateTensors(module: Module): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const seen = new Set<Tensor>();
  for (const [prefix, m] of module.namedModules()) {
    const { params, buffers } = m.ownState();
    for (const [k, t] of [...params, ...buffers]) {
      if (seen.has(t)) continue;
      seen.add(t);
      out.push([prefix ? `${prefix}.${k}` : k, t]);
    }
  }
  return out;
}

/** A state_dict that does not fit the model: names missing or unexpected, shapes wrong, values not numbers. */
export class StateError extends Error {
  override name = 'StateError';
  constructor(
    message: string,
    /** The names at fault, in the order reported: where a caller can point in the file. */
    readonly keys: string[] = [],
  ) {
    super(message);
  }
}

export function stateDict(module: Module): StateDict {
  const out: StateDict = {};
  for (const [name, t] of stateTensors(module)) out[name] = { shape: [...t.shape], data: Array.from(t.data) };
  return out;
}

export interface LoadOptions {
  /** As PyTorch's strict=True: missing and unexpected names are errors. Shapes are always checked. */
  strict?: boolean;
}

/**
 * A number as JSON carries it. JSON has no NaN or infinity: Gradient Lens writes them as the strings
 * "NaN", "Infinity" and "-Infinity" (JavaScript's names), and reads those and PyTorch exporters'
 * "nan", "inf", "-inf".
 */
export function numberFromJson(v: unknown): number | null {
  if (typeof v === 'number') return v;
  switch (v) {
    case 'NaN':
    case 'nan':
      return NaN;
    case 'Infinity':
    case 'inf':
      return Infinity;
    case '-Infinity':
    case '-inf':
      return -Infinity;
    default:
      return null;
  }
}

/**
 * Nested lists flattened row-major, with a loop: `Array.prototype.flat(Infinity)` recurses once per
 * level, and a file's nesting is the user's.
 */
export function flatten(data: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  const stack: { list: readonly unknown[]; at: number }[] = [{ list: data, at: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.at >= top.list.length) {
      stack.pop();
      continue;
    }
    const v = top.list[top.at++];
    if (Array.isArray(v)) stack.push({ list: v, at: 0 });
    else out.push(v);
  }
  return out;
}

function validShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0);
}

/**
 * Copies `state` into the module's parameters and buffers in place (references held elsewhere,
 * such as batch norm's running stats, stay valid). Every problem is collected first and reported in
 * one Error: missing names, unexpected names, wrong shapes ("0.weight: expected [10, 10], got
 * [10, 5]"), malformed entries; nothing is written unless the whole dict is valid.
 */
export function loadStateDict(module: Module, state: Record<string, StateEntry>, { strict = true }: LoadOptions = {}): void {
  const own = new Map(stateTensors(module));
  const missing = [...own.keys()].filter((k) => !Object.prototype.hasOwnProperty.call(state, k));
  const unexpected = Object.keys(state).filter((k) => !own.has(k));
  const problems: string[] = [];
  const keys: string[] = [];
  if (strict && missing.length) problems.push(`missing keys: ${missing.join(', ')}`);
  if (strict && unexpected.length) {
    problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    keys.push(unexpected[0]);
  }
  const writes: [Tensor, number[]][] = [];
  for (const [name, t] of own) {
    if (!Object.prototype.hasOwnProperty.call(state, name)) continue;
    const entry = state[name] as Partial<StateEntry> | null;
    if (!entry || typeof entry !== 'object' || !validShape(entry.shape) || !Array.isArray(entry.data)) {
      problems.push(`${name}: expected an object {"shape": [...], "data": [...]}`);
      keys.push(name);
      continue;
    }
    if (!sameShape(entry.shape, t.shape)) {
      problems.push(`${name}: expected ${formatShape(t.shape)}, got ${formatShape(entry.shape)}`);
      keys.push(name);
      continue;
    }
    // PyTorch's tolist() nests by dimension; a flat list is row-major already.
    const flat = flatten(entry.data as unknown[]);
    if (flat.length !== sizeOf(t.shape)) {
      problems.push(`${name}: shape ${formatShape(t.shape)} needs ${sizeOf(t.shape)} values, got ${flat.length}`);
      keys.push(name);
      continue;
    }
    const values: number[] = new Array(flat.length);
    let bad = -1;
    for (let i = 0; i < flat.length && bad < 0; i++) {
      const v = numberFromJson(flat[i]);
      if (v === null) bad = i;
      else values[i] = v;
    }
    if (bad >= 0) {
      problems.push(`${name}: data[${bad}] is not a number (${String(JSON.stringify(flat[bad])).slice(0, 40)})`);
      keys.push(name);
      continue;
    }
    writes.push([t, values]);
  }
  if (problems.length) throw new StateError(`error loading the state_dict:\n  ${problems.join('\n  ')}`, keys.length ? keys : missing.slice(0, 1));
  for (const [t, values] of writes) {
    t.data.set(values);
    markWritten(t);
  }
}
