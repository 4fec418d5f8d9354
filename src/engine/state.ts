/**
 * state_dict in and out: parameters and buffers by their PyTorch names as {shape, data}, the form a
 * PyTorch state_dict takes when exported to JSON. Values are copied as doubles, so float64 weights
 * round-trip exactly.
 */
import type { Module } from './nn/module';
import { formatShape, sameShape, sizeOf } from './shape';
import type { Tensor } from './tensor';

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

/** JSON has no NaN or infinity; exporters write them as strings ("nan", "inf", "-inf"). */
function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v === 'nan' || v === 'NaN') return NaN;
  if (v === 'inf' || v === 'Infinity') return Infinity;
  if (v === '-inf' || v === '-Infinity') return -Infinity;
  return null;
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
  if (strict && missing.length) problems.push(`missing keys: ${missing.join(', ')}`);
  if (strict && unexpected.length) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
  const writes: [Tensor, number[]][] = [];
  for (const [name, t] of own) {
    if (!Object.prototype.hasOwnProperty.call(state, name)) continue;
    const entry = state[name] as Partial<StateEntry> | null;
    if (!entry || typeof entry !== 'object' || !validShape(entry.shape) || !Array.isArray(entry.data)) {
      problems.push(`${name}: expected an object {"shape": [...], "data": [...]}`);
      continue;
    }
    if (!sameShape(entry.shape, t.shape)) {
      problems.push(`${name}: expected ${formatShape(t.shape)}, got ${formatShape(entry.shape)}`);
      continue;
    }
    // PyTorch's tolist() nests by dimension; a flat list is row-major already.
    const flat = (entry.data as unknown[]).flat(Infinity);
    if (flat.length !== sizeOf(t.shape)) {
      problems.push(`${name}: shape ${formatShape(t.shape)} needs ${sizeOf(t.shape)} values, got ${flat.length}`);
      continue;
    }
    const values: number[] = new Array(flat.length);
    let bad = -1;
    for (let i = 0; i < flat.length && bad < 0; i++) {
      const v = toNumber(flat[i]);
      if (v === null) bad = i;
      else values[i] = v;
    }
    if (bad >= 0) {
      problems.push(`${name}: data[${bad}] is not a number (${JSON.stringify(flat[bad])})`);
      continue;
    }
    writes.push([t, values]);
  }
  if (problems.length) throw new StateError(`error loading the state_dict:\n  ${problems.join('\n  ')}`);
  for (const [t, values] of writes) t.data.set(values);
}
