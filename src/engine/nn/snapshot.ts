/**
 * Everything a built module holds, taken once and put back in place: so a model can be trained for
 * a few steps and then start again exactly as it was built, without building it again (the quick
 * trace after an edit that left the model alone).
 *
 * Parameters alone are not enough: a Dropout's generator, MultiheadAttention's (its attention
 * dropout draws from the generator that initialised it), batch norm's running statistics and
 * counter, each tensor's gradient, version counter and autograd fields are module state too. So the
 * snapshot walks every object the module reaches — modules, tensors, generators, their arrays,
 * maps and plain fields — and records each one's own properties (typed arrays by value). Anything
 * it does not know how to put back (a Set, a WeakMap, WebAssembly memory, a class with native
 * internals) makes the module not restorable: `snapshotModule` returns null and the caller builds
 * the model afresh.
 */
import { forgetResident } from '../kernels/resident';
import type { Module } from './module';

type Typed = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | BigInt64Array | BigUint64Array;

type Saved =
  | { kind: 'typed'; of: Typed; values: Typed }
  | { kind: 'array'; of: unknown[]; items: unknown[] }
  | { kind: 'map'; of: Map<unknown, unknown>; entries: [unknown, unknown][] }
  | { kind: 'object'; of: Record<PropertyKey, unknown>; props: [PropertyKey, unknown][] };

export interface ModuleSnapshot {
  readonly saved: readonly Saved[];
  /** Bytes of typed-array values the snapshot holds (the parameters' copy, mostly). */
  readonly bytes: number;
}

const STATELESS = new WeakSet<object>();

/** Marks an engine function that holds no state, so a module keeping a reference to it stays restorable. */
export function statelessFunction<F extends (...args: never[]) => unknown>(fn: F): F {
  STATELESS.add(fn);
  return fn;
}

/** What `restoreModule` can put back: plain objects and class instances without native slots, arrays, maps, typed arrays. */
function kindOf(v: object): Saved['kind'] | null {
  if (ArrayBuffer.isView(v)) return v instanceof DataView ? null : 'typed';
  if (Array.isArray(v)) return 'array';
  const tag = Object.prototype.toString.call(v);
  if (tag === '[object Map]') return 'map';
  // Class instances without Symbol.toStringTag read as [object Object]; Set, Date, WeakMap,
  // Promise, WebAssembly objects and functions do not.
  return tag === '[object Object]' ? 'object' : null;
}

/**
 * The module's whole reachable state, or null when some of it cannot be put back, or when `room`
 * refuses the bytes its arrays' copy would take (asked before anything is copied).
 */
export function snapshotModule(root: Module, room: (bytes: number) => boolean = () => true): ModuleSnapshot | null {
  const seen = new Set<object>();
  const saved: Saved[] = [];
  const typed: Typed[] = [];
  const pending: unknown[] = [root];
  let bytes = 0;
  while (pending.length) {
    const v = pending.pop();
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) continue;
    // A function's state is out of reach (its closure): a module holding one is rebuilt, unless
    // the engine marked the function stateless (a transformer layer's relu or gelu).
    if (typeof v === 'function') {
      if (STATELESS.has(v)) continue;
      return null;
    }
    if (seen.has(v)) continue;
    seen.add(v);
    switch (kindOf(v)) {
      case 'typed': {
        const t = v as Typed;
        typed.push(t);
        bytes += t.byteLength;
        break;
      }
      case 'array': {
        const a = v as unknown[];
        saved.push({ kind: 'array', of: a, items: [...a] });
        pending.push(...a);
        break;
      }
      case 'map': {
        const m = v as Map<unknown, unknown>;
        const entries = [...m];
        saved.push({ kind: 'map', of: m, entries });
        for (const [k, x] of entries) pending.push(k, x);
        break;
      }
      case 'object': {
        const o = v as Record<PropertyKey, unknown>;
        const props: [PropertyKey, unknown][] = [];
        for (const key of Reflect.ownKeys(o)) {
          const d = Object.getOwnPropertyDescriptor(o, key)!;
          // An accessor's state lives elsewhere, out of this walk's sight.
          if (!('value' in d)) return null;
          props.push([key, d.value]);
          pending.push(d.value);
        }
        saved.push({ kind: 'object', of: o, props });
        break;
      }
      default:
        return null;
    }
  }
  if (!room(bytes)) return null;
  for (const t of typed) saved.push({ kind: 'typed', of: t, values: t.slice() as Typed });
  return { saved, bytes };
}

/** Puts every object the snapshot saw back as it was then: the same objects, their old contents. */
export function restoreModule(snapshot: ModuleSnapshot): void {
  // version counters go back to earlier values: a kept copy's version could match again
  forgetResident();
  for (const s of snapshot.saved) {
    switch (s.kind) {
      case 'typed':
        (s.of as Float64Array).set(s.values as Float64Array);
        break;
      case 'array':
        // Written only where changed: a frozen array (a shape) that never changed is left alone.
        if (s.of.length !== s.items.length) s.of.length = s.items.length;
        for (let i = 0; i < s.items.length; i++) if (!Object.is(s.of[i], s.items[i])) s.of[i] = s.items[i];
        break;
      case 'map':
        s.of.clear();
        for (const [k, v] of s.entries) s.of.set(k, v);
        break;
      case 'object': {
        const keep = new Set(s.props.map(([k]) => k));
        for (const key of Reflect.ownKeys(s.of)) if (!keep.has(key)) delete s.of[key];
        for (const [k, v] of s.props) if (!Object.is(s.of[k], v)) s.of[k] = v;
        break;
      }
    }
  }
}
