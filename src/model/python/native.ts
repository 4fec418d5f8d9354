/**
 * Functions written in TypeScript with Python signatures: `native('Linear(in_features,
 * out_features, bias=True, *, device=None, dtype=None)', fn)` binds positional and keyword
 * arguments, fills defaults and raises CPython's TypeErrors, so every built-in and every torch
 * binding reads its arguments the same way.
 */
import type { Range } from './ast';
import { CantFollow } from './errors';
import type { Interpreter } from './interpreter';
import { Kwargs, PyBuiltin, PyDict, PyOpaque, PyTuple, Value } from './values';

interface SigParam {
  name: string;
  kind: 'posonly' | 'pos' | 'varargs' | 'kwonly' | 'varkw';
  /** undefined: required. */
  default: Value | undefined;
}

export interface Signature {
  name: string;
  params: SigParam[];
}

const cache = new Map<string, Signature>();

function literal(text: string): Value {
  const t = text.trim();
  if (t === 'None') return null;
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === '()') return new PyTuple([]);
  if (/^-?\d+$/.test(t)) return BigInt(t);
  if (/^-?(?:\d+\.\d*|\.\d+|\d+)(?:e[+-]?\d+)?$/i.test(t) || t === 'inf' || t === '-inf') return Number(t.replace('inf', 'Infinity'));
  const q = /^(['"])(.*)\1$/.exec(t);
  if (q) return q[2].replace(/\\n/g, '\n');
  throw new Error(`native signature: unsupported default ${t}`);
}

/** Parses `name(a, b=1, /, c=None, *args, d=2, **kw)`. */
export function signature(text: string): Signature {
  const have = cache.get(text);
  if (have) return have;
  const m = /^([\w.]+)\((.*)\)$/s.exec(text.trim());
  if (!m) throw new Error(`native signature: cannot read ${text}`);
  const params: SigParam[] = [];
  let kwOnly = false;
  for (const raw of m[2].split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === '/') {
      for (const p of params) p.kind = 'posonly';
      continue;
    }
    if (raw === '*') {
      kwOnly = true;
      continue;
    }
    if (raw.startsWith('**')) {
      params.push({ name: raw.slice(2), kind: 'varkw', default: undefined });
      continue;
    }
    if (raw.startsWith('*')) {
      params.push({ name: raw.slice(1), kind: 'varargs', default: undefined });
      kwOnly = true;
      continue;
    }
    const eq = raw.indexOf('=');
    const name = eq < 0 ? raw : raw.slice(0, eq).trim();
    params.push({ name, kind: kwOnly ? 'kwonly' : 'pos', default: eq < 0 ? undefined : literal(raw.slice(eq + 1)) });
  }
  const sig = { name: m[1], params };
  cache.set(text, sig);
  return sig;
}

export type Bound = Record<string, Value> & { __varargs?: Value[]; __varkw?: Kwargs };

/** Arguments bound to a signature; `*args` in `__varargs`, `**kw` in `__varkw`. */
/**
 * The NumPy names PyTorch's C++ argument parser takes for its own (`x.sum(1, keepdims=True)`,
 * `axis=`): makemore's `counts.sum(1, keepdims=True)`. Only torch's native functions and methods
 * take them; those PyTorch writes in Python (`Tensor.norm`, `F.softmax`) do not.
 */
const NUMPY_NAMES: Record<string, string> = { keepdims: 'keepdim', axis: 'dim' };

export function bind(interp: Interpreter, sig: Signature, args: Value[], kwargs: Kwargs | null, r: Range, numpyNames = false): Bound {
  const out: Bound = Object.create(null);
  const positional = sig.params.filter((p) => p.kind === 'posonly' || p.kind === 'pos');
  const varargs = sig.params.find((p) => p.kind === 'varargs');
  const varkw = sig.params.find((p) => p.kind === 'varkw');
  if (args.length > positional.length && !varargs) {
    interp.raise('TypeError', `${sig.name}() takes ${positional.length} positional argument${positional.length === 1 ? '' : 's'} but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`, r);
  }
  for (let i = 0; i < Math.min(args.length, positional.length); i++) out[positional[i].name] = args[i];
  if (varargs) out.__varargs = args.slice(positional.length);
  if (kwargs) {
    for (const [given, v] of kwargs) {
      const own = (name: string) => sig.params.find((q) => q.name === name && (q.kind === 'pos' || q.kind === 'kwonly'));
      const k = numpyNames && !own(given) && NUMPY_NAMES[given] && own(NUMPY_NAMES[given]) ? NUMPY_NAMES[given] : given;
      const p = own(k);
      if (p) {
        if (k in out) interp.raise('TypeError', `${sig.name}() got multiple values for argument '${k}'`, r);
        out[k] = v;
      } else if (varkw) (out.__varkw ??= new Map()).set(k, v);
      else interp.raise('TypeError', `${sig.name}() got an unexpected keyword argument '${k}'`, r);
    }
  }
  for (const p of sig.params) {
    if (p.kind === 'varargs' || p.kind === 'varkw' || p.name in out) continue;
    if (p.default === undefined) interp.raise('TypeError', `${sig.name}() missing 1 required ${p.kind === 'kwonly' ? 'keyword-only' : 'positional'} argument: '${p.name}'`, r);
    out[p.name] = p.default;
  }
  return out;
}

export interface NativeOptions {
  /** Bound to its instance when read through one (a method): `self` is the first parameter. */
  method?: boolean;
  /**
   * With an opaque argument, return it instead of calling (pure functions such as len, max, int).
   * Functions that store or act on their arguments leave it false and meet opaque values themselves.
   */
  propagate?: boolean;
  /** Takes NumPy's argument names for its own, as PyTorch's native functions do (NUMPY_NAMES). */
  numpyNames?: boolean;
}

/** A built-in function with a Python signature. */
export function native(sigText: string, fn: (a: Bound, r: Range, interp: Interpreter) => Value, opts: NativeOptions = {}): PyBuiltin {
  const sig = signature(sigText);
  const short = sig.name.split('.').pop()!;
  return new PyBuiltin(
    short,
    (args, kwargs, site) => {
      if (opts.propagate) {
        const o = firstOpaque(args, kwargs);
        if (o) return o;
      }
      return fn(bind(site.interp, sig, args, kwargs, site.r, !!opts.numpyNames), site.r, site.interp);
    },
    !!opts.method,
  );
}

export function firstOpaque(args: readonly Value[], kwargs: Kwargs | null): PyOpaque | null {
  for (const a of args) if (a instanceof PyOpaque) return a;
  if (kwargs) for (const v of kwargs.values()) if (v instanceof PyOpaque) return v;
  return null;
}

/** Throws CantFollow when `v` is opaque: the caller needs its value. */
export function need<V extends Value>(v: V, r: Range): Exclude<V, PyOpaque> {
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  return v as Exclude<V, PyOpaque>;
}

/** Keyword arguments as a dict value (for **kwargs parameters handed on). */
export function kwargsDict(kw: Kwargs | undefined): PyDict {
  const d = new PyDict();
  if (kw) for (const [k, v] of kw) d.set(k, v);
  return d;
}
