/**
 * How the spec reader words what it expected and what it found: the forms of values, lists of
 * names, and the hint for each missing section.
 */
import { type ArgDef, type ArgType, isRequired, LOSS_TYPES } from '../catalogue';
import type { LValue } from '../located';

export function describe(v: LValue): string {
  if (v.kind === 'list') return 'a list';
  if (v.kind === 'map') return 'a map';
  const x = v.value;
  if (x === null) return 'an empty value';
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
  return String(x);
}

function numberForm(t: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }): string {
  if (t.min !== undefined && t.max !== undefined) return `a number in ${t.minExclusive ? '(' : '['}${t.min}, ${t.max}${t.maxExclusive ? ')' : ']'}`;
  if (t.min !== undefined) return `a number ${t.minExclusive ? '>' : '≥'} ${t.min}`;
  if (t.max !== undefined) return `a number ${t.maxExclusive ? '<' : '≤'} ${t.max}`;
  return 'a number';
}

function intForm(min: number | undefined): string {
  return min === 1 ? 'a positive integer' : min === undefined ? 'an integer' : `an integer ≥ ${min}`;
}

export function expectedForm(t: ArgType): string {
  switch (t.kind) {
    case 'int':
      return intForm(t.min);
    case 'int-or-pair':
      return `${intForm(t.min)} or a [height, width] pair of them`;
    case 'int-or-list':
      return `${intForm(t.min)} or a list of them`;
    case 'int-or-null':
      return 'an integer or null';
    case 'number':
      return numberForm(t);
    case 'number-pair':
      return `a pair of numbers, each ${numberForm(t).replace(/^a number /, '')}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${t.values.map((v) => `'${v}'`).join(', ')}`;
  }
}

export function example(defs: readonly ArgDef[]): string {
  const req = defs.filter(isRequired);
  return `{${req.map((a) => `${a.name}: …`).join(', ')}}`;
}

export function andList(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export const MISSING_HINT: Record<string, string> = {
  model: 'add model: a list of layers, e.g. model: [{Linear: {in_features: 10, out_features: 1}}]',
  input: 'add input: {shape: [...], distribution: normal}, the shape of one sample without the batch axis',
  target: 'add target: {shape: [...], distribution: normal}, or {classes: N} for CrossEntropyLoss',
  loss: `add loss: one of ${LOSS_TYPES.join(', ')}`,
};
