/**
 * Arguments checked against their catalogue definitions (types, ranges, unknown and missing names),
 * and the one-key `Name` / `{Name: args}` form of losses, optimisers, init schemes and
 * distributions.
 */
import type { ArgValue, SourceRange } from '../graph';
import { type ArgDef, isRequired, MAX_SIZE, withDefaults } from '../catalogue';
import type { LList, LValue } from '../located';
import { didYouMean } from '../suggest';
import type { SpecReading } from './context';
import { describe, expectedForm, example, andList } from './messages';

const isScalar = (v: LValue | null | undefined, type: 'string' | 'number' | 'boolean'): boolean => !!v && v.kind === 'scalar' && typeof v.value === type;

export const isNull = (v: LValue | null | undefined): boolean => !v || (v.kind === 'scalar' && v.value === null);

interface ReadArgs {
  values: Record<string, ArgValue>;
  ranges: Record<string, SourceRange>;
  ok: boolean;
}

/** One argument's value, or undefined after reporting why it is wrong. */
export function readArg(cx: SpecReading, def: ArgDef, v: LValue, owner: string): ArgValue | undefined {
  const t = def.type;
  const bad = (range = v.range, got = describe(v)) => {
    cx.error('spec/type', `${owner} ${def.name} must be ${expectedForm(t)} (got ${got})`, range);
    return undefined;
  };
  const int = (x: LValue, min: number | undefined): number | undefined => {
    if (x.kind !== 'scalar' || typeof x.value !== 'number' || !Number.isFinite(x.value) || !Number.isInteger(x.value)) return bad(x.range, describe(x));
    if (Math.abs(x.value) > MAX_SIZE) {
      cx.error('spec/too-large', `${owner} ${def.name} is ${x.value}, above the largest supported value ${MAX_SIZE}`, x.range);
      return undefined;
    }
    if (min !== undefined && x.value < min) return bad(x.range, describe(x));
    return x.value;
  };
  const num = (x: LValue, b: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }): number | undefined => {
    if (x.kind !== 'scalar' || typeof x.value !== 'number' || !Number.isFinite(x.value)) return bad(x.range, describe(x));
    const y = x.value;
    if (b.min !== undefined && (b.minExclusive ? y <= b.min : y < b.min)) return bad(x.range, describe(x));
    if (b.max !== undefined && (b.maxExclusive ? y >= b.max : y > b.max)) return bad(x.range, describe(x));
    return y;
  };
  const ints = (list: LList, min: number, count?: number): number[] | undefined => {
    if (list.items.length === 0 || (count !== undefined && list.items.length !== count)) return bad();
    const out: number[] = [];
    for (const x of list.items) {
      const k = int(x, min);
      if (k === undefined) return undefined;
      out.push(k);
    }
    return out;
  };
  switch (t.kind) {
    case 'int':
      return int(v, t.min);
    case 'int-or-pair':
      return v.kind === 'list' ? ints(v, t.min, 2) : int(v, t.min);
    case 'int-or-list':
      return v.kind === 'list' ? ints(v, t.min) : int(v, t.min);
    case 'int-or-null':
      return isNull(v) ? null : int(v, undefined);
    case 'number':
      return num(v, t);
    case 'number-pair': {
      if (v.kind !== 'list' || v.items.length !== 2) return bad();
      const a = num(v.items[0], t);
      const b = a === undefined ? undefined : num(v.items[1], t);
      return a === undefined || b === undefined ? undefined : [a, b];
    }
    case 'bool':
      return isScalar(v, 'boolean') ? ((v as { value: boolean }).value as boolean) : bad();
    case 'enum':
      return v.kind === 'scalar' && typeof v.value === 'string' && t.values.includes(v.value) ? v.value : bad();
  }
}

/**
 * A map of arguments checked against their definitions: unknown names, types, the required
 * ones. `values` has every default filled; `ranges` has the values the user wrote.
 */
export function readArgs(cx: SpecReading, defs: readonly ArgDef[], node: LValue | null | undefined, owner: string, ownerRange: SourceRange, mustWrite = true): ReadArgs {
  const written: Record<string, ArgValue> = {};
  const ranges: Record<string, SourceRange> = {};
  // Written but wrong is reported as wrong, not also as missing.
  const present = new Set<string>();
  let ok = true;
  if (node && !isNull(node)) {
    if (node.kind !== 'map') {
      const form = defs.length ? `a map like ${example(defs).replace('{}', `{${defs[0].name}: …}`)}` : 'nothing (it takes no arguments)';
      cx.error('spec/type', `${owner} takes ${form}, not ${describe(node)}`, node.range);
      return { values: withDefaults(defs, {}), ranges, ok: false };
    }
    const names = defs.map((d) => d.name);
    for (const e of node.entries) {
      const def = defs.find((d) => d.name === e.key);
      if (def) present.add(def.name);
      if (!def) {
        const known = names.length ? ` Its arguments are ${names.join(', ')}.` : ' It takes no arguments.';
        cx.error('spec/unknown-arg', `${owner} has no argument '${e.key}'.${didYouMean(e.key, names)}${known}`, e.keyRange, cx.meant(e.key, names, e.keyRange));
        ok = false;
        continue;
      }
      // null means "the default" only where PyTorch takes None (pooling's stride).
      if (def.defaultFrom && isNull(e.value)) {
        ranges[def.name] = e.value.range;
        continue;
      }
      const v = readArg(cx, def, e.value, owner);
      if (v === undefined) ok = false;
      else {
        written[def.name] = v;
        ranges[def.name] = e.value.range;
      }
    }
  }
  const missing = defs.filter((d) => isRequired(d) && !present.has(d.name));
  if (missing.length && mustWrite) {
    const names = missing.map((d) => d.name);
    cx.error('spec/missing', `${owner} needs ${andList(names)}: write ${owner}: ${example(defs)}`, ownerRange);
    ok = false;
  }
  return { values: withDefaults(defs, written), ranges, ok };
}

/** `Name` or `{Name: args}`: the one-key form of losses, optimisers, init schemes and distributions. */
export function oneKey(cx: SpecReading, v: LValue, what: string): { key: string; keyRange: SourceRange; args: LValue | null } | null {
  if (v.kind === 'scalar' && typeof v.value === 'string') return { key: v.value, keyRange: v.range, args: null };
  if (v.kind === 'map' && v.entries.length === 1) return { key: v.entries[0].key, keyRange: v.entries[0].keyRange, args: v.entries[0].value };
  cx.error('spec/type', `${what} is a name or a map with one key (the name) holding its arguments, not ${v.kind === 'map' ? `a map with ${v.entries.length} keys` : describe(v)}`, v.range);
  return null;
}
