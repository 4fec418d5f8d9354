/**
 * argparse as a training script uses it: the parser the script declares, read against the
 * arguments the script is run with. Those are known when the user gives them (the sidecar's
 * `args`, the CLI's words after `--`); else the script runs as with none, each argument taking its
 * default, and a required one is a value Gradient Lens cannot follow. Parsing follows CPython's
 * argparse for what scripts write: long and short flags, `--flag=value`, `-xVALUE`, grouped short
 * switches, unique prefixes of long flags, nargs (?, *, +, N), choices, type conversion, append
 * and count actions, and its error messages, which stop the script as Python's do.
 */
import type { Range } from './ast';
import { PyRaise, ScriptExit } from './errors';
import type { Interpreter } from './interpreter';
import { native, need } from './native';
import * as P from './protocol';
import { OBJECT, PyClass, PyInstance, PyList, PyModule, PyOpaque, PyTuple, toBigInt, Value } from './values';

type ActionKind = 'store' | 'store_true' | 'store_false' | 'store_const' | 'append' | 'append_const' | 'count' | 'help' | 'version';

interface ArgAction {
  dest: string;
  flags: string[];
  positional: boolean;
  kind: ActionKind;
  type: Value;
  default: Value | undefined;
  const: Value;
  choices: Value;
  required: boolean;
  /** null: one value; '?', '*', '+' or a count. */
  nargs: string | number | null;
  r: Range;
}

const PARSERS = new WeakMap<PyInstance, ArgAction[]>();
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;
const TAKES_NO_VALUE: ReadonlySet<ActionKind> = new Set(['store_true', 'store_false', 'store_const', 'append_const', 'count', 'help', 'version']);

/** argparse's error: Python prints it with the usage and exits with status 2. */
class ArgumentError extends Error {}

/** What one action is called in argparse's messages: its flags joined by '/', or its dest. */
function displayName(act: ArgAction): string {
  return act.positional ? act.dest : act.flags.join('/');
}

export function argparseModule(mod: (name: string, members: Record<string, Value>) => PyModule): PyModule {
  const Namespace = new PyClass('Namespace', [OBJECT], null, 'argparse');
  Namespace.dict.set('__init__', native('__init__(self, **kwargs)', (a, r, interp) => {
    for (const [k, v] of a.__varkw ?? []) interp.setAttr(a.self, k, v, r);
    return null;
  }, { method: true }));
  const Parser = new PyClass('ArgumentParser', [OBJECT], {
    alloc: (cls) => {
      const p = new PyInstance(cls);
      PARSERS.set(p, []);
      return p;
    },
  }, 'argparse');
  const actions = (p: Value) => PARSERS.get(p as PyInstance) ?? [];
  Parser.dict.set('__init__', native('__init__(self, *args, **kwargs)', (a, r, interp) => {
    const addHelp = a.__varkw?.get('add_help');
    if (addHelp === undefined || interp.truthy(addHelp, r)) actions(a.self).push(helpAction(r));
    return null;
  }, { method: true }));
  const addArgument = native('add_argument(self, *flags, **kwargs)', (a, r, interp) => {
    const flags = (a.__varargs ?? []).map((f) => String(need(f, r)));
    const kw = a.__varkw ?? new Map<string, Value>();
    const positional = flags.length > 0 && !flags[0].startsWith('-');
    const long = flags.find((f) => f.startsWith('--')) ?? flags[0] ?? '';
    const dest = String(kw.get('dest') ?? (positional ? flags[0] : long.replace(/^-+/, '').replace(/-/g, '_')));
    const kind = String(kw.get('action') ?? 'store') as ActionKind;
    const nargsValue = kw.get('nargs') ?? null;
    const nargs = nargsValue === null ? null : typeof nargsValue === 'bigint' ? Number(nargsValue) : String(nargsValue);
    let dflt = kw.get('default');
    if (dflt === undefined) dflt = kind === 'store_true' ? false : kind === 'store_false' ? true : undefined;
    actions(a.self).push({
      dest,
      flags,
      positional,
      kind,
      type: kw.get('type') ?? null,
      default: dflt,
      const: kw.get('const') ?? null,
      choices: kw.get('choices') ?? null,
      required: kw.has('required') ? interp.truthy(kw.get('required')!, r) : positional && nargs !== '?' && nargs !== '*',
      nargs,
      r,
    });
    return null;
  }, { method: true });
  Parser.dict.set('add_argument', addArgument);
  Parser.dict.set('add_argument_group', native('add_argument_group(self, *args, **kwargs)', (a) => a.self, { method: true }));
  Parser.dict.set('add_mutually_exclusive_group', native('add_mutually_exclusive_group(self, *args, **kwargs)', (a) => a.self, { method: true }));
  Parser.dict.set('set_defaults', native('set_defaults(self, **kwargs)', (a) => {
    for (const [k, v] of a.__varkw ?? []) {
      const act = actions(a.self).find((x) => x.dest === k);
      if (act) act.default = v;
      else actions(a.self).push({ dest: k, flags: [], positional: false, kind: 'store', type: null, default: v, const: null, choices: null, required: false, nargs: null, r: { start: 0, end: 0 } });
    }
    return null;
  }, { method: true }));
  for (const n of ['print_help', 'print_usage']) Parser.dict.set(n, native(`${n}(self, *args)`, () => null, { method: true }));
  const parse = (known: boolean) =>
    native(`parse_${known ? 'known_' : ''}args(self, args=None, namespace=None)`, (a, r, interp) => {
      const given = a.args === null ? (interp.argv?.slice(1) ?? null) : interp.toArray(a.args, r).map((v) => String(need(v, r)));
      const ns = new PyInstance(Namespace);
      try {
        const extras = fill(interp, actions(a.self), given, ns, known, r);
        return known ? new PyTuple([ns, new PyList(extras)]) : ns;
      } catch (e) {
        if (e instanceof ArgumentError) throw new ScriptExit(r, e.message);
        throw e;
      }
    }, { method: true });
  Parser.dict.set('parse_args', parse(false));
  Parser.dict.set('parse_known_args', parse(true));
  Parser.dict.set('error', native('error(self, message)', (a, r) => {
    throw new ScriptExit(r, String(a.message));
  }, { method: true }));
  return mod('argparse', {
    ArgumentParser: Parser,
    Namespace,
    ArgumentDefaultsHelpFormatter: OBJECT,
    RawTextHelpFormatter: OBJECT,
    RawDescriptionHelpFormatter: OBJECT,
    SUPPRESS: '==SUPPRESS==',
  });
}

function helpAction(r: Range): ArgAction {
  return { dest: 'help', flags: ['-h', '--help'], positional: false, kind: 'help', type: null, default: undefined, const: null, choices: null, required: false, nargs: 0, r };
}

/**
 * Sets every action's value on `ns` from the arguments (null: not known, so a required argument
 * is opaque); returns the arguments parse_known_args leaves over.
 */
function fill(interp: Interpreter, acts: ArgAction[], given: string[] | null, ns: Value, known: boolean, r: Range): string[] {
  const values = new Map<string, Value>();
  const seen = new Set<ArgAction>();
  const extras: string[] = [];
  const optionals = acts.filter((x) => !x.positional);
  const looksLikeFlag = (tok: string) => tok.startsWith('-') && tok !== '-' && !NEGATIVE_NUMBER.test(tok);
  /** A word as its action's `type` makes it (a string without one), as argparse's _get_value. */
  const typed = (act: ArgAction, v: string): Value => {
    if (act.type === null) return v;
    try {
      return interp.call(act.type, [v], null, r);
    } catch (e) {
      if (!(e instanceof PyRaise)) throw e;
      const tn = (act.type as { name?: string }).name ?? 'type';
      throw new ArgumentError(`argument ${displayName(act)}: invalid ${tn} value: '${v}'`);
    }
  };
  /** `v` itself when it is one of the action's choices (argparse's _check_value). */
  const checked = (act: ArgAction, v: Value): Value => {
    if (act.choices !== null && !P.contains(interp, act.choices, v, r)) {
      const options = interp.toArray(act.choices, r).map((c) => P.repr(interp, c, r)).join(', ');
      throw new ArgumentError(`argument ${displayName(act)}: invalid choice: ${P.repr(interp, v, r)} (choose from ${options})`);
    }
    return v;
  };
  const convert = (act: ArgAction, v: string): Value => checked(act, typed(act, v));
  /**
   * What an action not on the command line holds: its default, converted when a string (CPython
   * 3.11 checks no choices here, so a default outside them stands).
   */
  const defaultOf = (act: ArgAction): Value => {
    if (act.default === undefined) return null;
    return typeof act.default === 'string' ? typed(act, act.default) : act.default;
  };
  /**
   * What a '?' takes with no word (a positional its default, a flag its const): converted and
   * checked against the choices when a string, as CPython 3.11's _get_values does.
   */
  const absentValue = (act: ArgAction, v: Value | undefined): Value => (typeof v === 'string' ? convert(act, v) : (v ?? null));
  /** The optional a flag names: exactly, or (a long flag) by a unique prefix, as allow_abbrev does. */
  const findOptional = (flag: string): ArgAction | null => {
    const exact = optionals.find((x) => x.flags.includes(flag));
    if (exact) return exact;
    if (!flag.startsWith('--')) return null;
    const byPrefix = optionals.filter((x) => x.flags.some((f) => f.startsWith('--') && f.startsWith(flag)));
    if (byPrefix.length > 1) {
      const names = byPrefix.flatMap((x) => x.flags.filter((f) => f.startsWith(flag)));
      throw new ArgumentError(`ambiguous option: ${flag} could match ${names.join(', ')}`);
    }
    return byPrefix[0] ?? null;
  };
  const apply = (act: ArgAction, value: Value | undefined) => {
    seen.add(act);
    switch (act.kind) {
      case 'store_true':
      case 'store_false':
        values.set(act.dest, act.kind === 'store_true');
        return;
      case 'store_const':
        values.set(act.dest, act.const);
        return;
      case 'count':
        values.set(act.dest, toBigInt((values.get(act.dest) as bigint | undefined) ?? (typeof act.default === 'bigint' ? act.default : 0n)) + 1n);
        return;
      case 'append':
      case 'append_const': {
        const list = (values.get(act.dest) as PyList | undefined) ?? new PyList(act.default instanceof PyList ? [...act.default.items] : []);
        list.items.push(act.kind === 'append' ? value! : act.const);
        values.set(act.dest, list);
        return;
      }
      case 'help':
      case 'version':
        // Python prints the help or version and exits with status 0: the script does not go on.
        throw new ScriptExit(r);
      default:
        values.set(act.dest, value!);
    }
  };

  if (given) {
    // Each word as argparse classifies it: an option ('O') or an argument ('A'); after `--`, all arguments.
    const words: string[] = [];
    const isOption: boolean[] = [];
    let rest = false;
    for (const w of given) {
      if (!rest && w === '--') {
        rest = true;
        continue;
      }
      words.push(w);
      isOption.push(!rest && looksLikeFlag(w));
    }
    const argumentsFrom = (i: number) => {
      let n = 0;
      while (i + n < words.length && !isOption[i + n]) n++;
      return n;
    };
    let pending = acts.filter((x) => x.positional);
    /** Gives the run of arguments at i to as many pending positionals as match it, as argparse's greedy match does; returns the index after. */
    const consumePositionals = (i: number): number => {
      const run = argumentsFrom(i);
      for (let n = pending.length; n > 0; n--) {
        const counts = greedyCounts(pending.slice(0, n), run);
        if (!counts) continue;
        pending.slice(0, n).forEach((act, k) => {
          seen.add(act);
          values.set(act.dest, positionalValue(act, words.slice(i, i + counts[k])));
          i += counts[k];
        });
        pending = pending.slice(n);
        return i;
      }
      return i;
    };
    const positionalValue = (act: ArgAction, ws: string[]): Value => {
      if (act.nargs === null) return convert(act, ws[0]);
      if (act.nargs === '?') return ws.length ? convert(act, ws[0]) : absentValue(act, act.default);
      // CPython 3.11 checks the whole default (or the empty list) against the choices here.
      if (act.nargs === '*' && !ws.length) return checked(act, act.default === undefined || act.default === null ? new PyList([]) : act.default);
      return new PyList(ws.map((w) => convert(act, w)));
    };
    /** The option at i with the arguments its nargs takes; returns the index after. */
    const consumeOptional = (i: number): number => {
      const tok = words[i];
      const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
      let inline: string | undefined = eq >= 0 ? tok.slice(eq + 1) : undefined;
      let act = findOptional(eq >= 0 ? tok.slice(0, eq) : tok);
      // A short flag with its value attached (-n5), or grouped switches (-vq).
      if (!act && !tok.startsWith('--') && tok.length > 2) {
        act = findOptional(tok.slice(0, 2));
        if (act && TAKES_NO_VALUE.has(act.kind)) {
          for (let k = 1; k < tok.length; k++) {
            const sw = findOptional(`-${tok[k]}`);
            if (!sw || !TAKES_NO_VALUE.has(sw.kind)) throw new ArgumentError(`argument ${displayName(act)}: ignored explicit argument '${tok.slice(k)}'`);
            apply(sw, undefined);
          }
          return i + 1;
        }
        if (act) inline = tok.slice(2);
      }
      if (!act) {
        extras.push(tok);
        return i + 1;
      }
      if (TAKES_NO_VALUE.has(act.kind)) {
        if (inline !== undefined) throw new ArgumentError(`argument ${displayName(act)}: ignored explicit argument '${inline}'`);
        apply(act, undefined);
        return i + 1;
      }
      const ws = inline !== undefined ? [inline] : words.slice(i + 1, i + 1 + argumentsFrom(i + 1));
      const count = greedyCounts([act], ws.length)?.[0];
      if (count === undefined) throw new ArgumentError(`argument ${displayName(act)}: ${expected(act.nargs)}`);
      const taken = ws.slice(0, count);
      apply(act, act.nargs === null ? convert(act, taken[0]) : act.nargs === '?' ? (taken.length ? convert(act, taken[0]) : absentValue(act, act.const)) : new PyList(taken.map((w) => convert(act, w))));
      return i + 1 + (inline !== undefined ? 0 : count);
    };
    let i = 0;
    while (i < words.length) {
      if (isOption[i]) {
        i = consumeOptional(i);
        continue;
      }
      const next = consumePositionals(i);
      if (next > i) {
        i = next;
        continue;
      }
      // Arguments no positional takes: left over.
      while (i < words.length && !isOption[i]) extras.push(words[i++]);
    }
    // Positionals that take none ('?', '*') get their defaults.
    consumePositionals(words.length);
  }
  if (given) {
    const missing = acts.filter((x) => x.required && !seen.has(x));
    if (missing.length) throw new ArgumentError(`the following arguments are required: ${missing.map(displayName).join(', ')}`);
    if (extras.length && !known) throw new ArgumentError(`unrecognized arguments: ${extras.join(' ')}`);
  }
  for (const act of acts) {
    if (act.kind === 'help' || act.kind === 'version') continue;
    let v = values.get(act.dest);
    if (v === undefined && !given && act.required) {
      v = new PyOpaque(`the command-line argument ${act.flags[0] ?? act.dest} (argparse; give the script's arguments with args: in its sidecar or after -- on the command line)`, act.r);
    }
    if (v === undefined) v = defaultOf(act);
    interp.setAttr(ns, act.dest, v, r);
  }
  return extras;
}

/** How many words each action takes from a run of `available`, leftmost first and greedy, as argparse's regular expression does; null: no match. */
function greedyCounts(acts: readonly ArgAction[], available: number): number[] | null {
  const bounds = acts.map((a) => nargsBounds(a.nargs));
  const counts: number[] = [];
  let left = available;
  for (let k = 0; k < bounds.length; k++) {
    const laterMin = bounds.slice(k + 1).reduce((sum, b) => sum + b[0], 0);
    const c = Math.min(bounds[k][1], left - laterMin);
    if (c < bounds[k][0]) return null;
    counts.push(c);
    left -= c;
  }
  return counts;
}

function nargsBounds(nargs: ArgAction['nargs']): [number, number] {
  if (nargs === null) return [1, 1];
  if (nargs === '?') return [0, 1];
  if (nargs === '*') return [0, Infinity];
  if (nargs === '+') return [1, Infinity];
  return [Number(nargs), Number(nargs)];
}

/** argparse's message when an option's arguments do not match its nargs. */
function expected(nargs: ArgAction['nargs']): string {
  if (nargs === null) return 'expected one argument';
  if (nargs === '?') return 'expected at most one argument';
  if (nargs === '+') return 'expected at least one argument';
  return `expected ${nargs} argument${Number(nargs) === 1 ? '' : 's'}`;
}
