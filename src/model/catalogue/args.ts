/**
 * Arguments as PyTorch names them: their types, defaults and docs. Layers, losses, optimisers, init
 * schemes and distributions all describe their arguments this way, so the parser, the JSON Schema,
 * the front ends and editor completion read one description.
 */
import type { ArgValue } from '../graph';

export type ArgType =
  /** An integer ≥ min (sizes: 1, paddings: 0; no min for dims). */
  | { kind: 'int'; min?: number }
  /** An integer or an [h, w] pair of them (Conv2d and pooling). */
  | { kind: 'int-or-pair'; min: number }
  /** An integer or a list of them (LayerNorm's normalized_shape). */
  | { kind: 'int-or-list'; min: number }
  /** An integer or null (Embedding's padding_idx). */
  | { kind: 'int-or-null' }
  | { kind: 'number'; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }
  /** Two numbers, each in range (Adam's betas). */
  | { kind: 'number-pair'; min: number; max: number; maxExclusive?: boolean }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] };

export interface ArgDef {
  name: string;
  type: ArgType;
  /** Absent when required. */
  default?: ArgValue | readonly number[];
  /** The default is another argument's value (pooling's stride is the kernel size); null means the same. */
  defaultFrom?: string;
  doc: string;
}

/** Sizes above this cannot be allocated as a typed array anyway. */
export const MAX_SIZE = 2 ** 31 - 1;

export function isRequired(a: ArgDef): boolean {
  return a.default === undefined && a.defaultFrom === undefined;
}

/** Whether a bare name (`- ReLU`, `loss: MSELoss`) is a complete entry: every argument has a default. */
export function hasRequiredArgs(def: { args: readonly ArgDef[] }): boolean {
  return def.args.some(isRequired);
}

/** Fills every default, in catalogue order. */
export function withDefaults(args: readonly ArgDef[], written: Record<string, ArgValue>): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const a of args) {
    const v = Object.hasOwn(written, a.name) ? written[a.name] : undefined;
    if (v !== undefined && !(v === null && a.defaultFrom)) out[a.name] = v;
    else if (a.defaultFrom) out[a.name] = written[a.defaultFrom] ?? null;
    else if (a.default !== undefined) out[a.name] = isList(a.default) ? [...a.default] : a.default;
  }
  return out;
}

const isList = (v: ArgDef['default']): v is readonly number[] => Array.isArray(v);

/** The default of argument `name`, as the catalogue writes it (a copy of a list). */
export function defaultOf(args: readonly ArgDef[], name: string): ArgValue | undefined {
  const d = args.find((a) => a.name === name)?.default;
  return isList(d) ? [...d] : d;
}

/** The TypeScript type of an argument's value: what a decorated model's options are checked against. */
export type ArgValueType<T extends ArgType> = T extends { kind: 'bool' }
  ? boolean
  : T extends { kind: 'number-pair' }
    ? [number, number]
    : T extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : T extends { kind: 'int-or-pair' }
        ? number | [number, number]
        : T extends { kind: 'int-or-list' }
          ? number | number[]
          : T extends { kind: 'int-or-null' }
            ? number | null
            : number;

/** `{name: value}` for a list of argument definitions (as const): the required ones required, the rest optional. */
export type ArgsObject<A extends readonly ArgDef[]> = {
  [D in A[number] as D extends { default: unknown } | { defaultFrom: string } ? never : D['name']]: ArgValueType<D['type']>;
} & {
  [D in A[number] as D extends { default: unknown } | { defaultFrom: string } ? D['name'] : never]?: ArgValueType<D['type']>;
};

/** "[64, 10]": written as the engine writes shapes in its own messages. */
export { formatShape } from '../../engine/shape';
