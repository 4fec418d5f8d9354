/**
 * Every message from a model's child process is checked before the caller uses it: the user's code
 * runs in that process and can call `process.send` with anything. A message that does not have the
 * shape the caller reads (ranges inside the text, findings of known rules, a trace of numbers) is
 * refused with the first problem's path, instead of becoming a TypeError in the editor or the CLI.
 * Fields a newer runner adds are allowed; the ones read here must be right.
 */
import { RULE_IDS } from '../../rules/types';
import type { RunnerMessage } from './protocol';

/** A check returns the problem at `path`, or null. */
type Check = (v: unknown, path: string) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str: Check = (v, p) => (typeof v === 'string' ? null : `${p} is not a string`);
// NaN and ±Infinity are numbers a trace may hold; structured cloning keeps them.
const num: Check = (v, p) => (typeof v === 'number' ? null : `${p} is not a number`);
const bool: Check = (v, p) => (typeof v === 'boolean' ? null : `${p} is not true or false`);
const oneOf =
  (values: readonly unknown[]): Check =>
  (v, p) =>
    values.includes(v) ? null : `${p} is not one of ${values.join(', ')}`;
const nullable =
  (c: Check): Check =>
  (v, p) =>
    v === null ? null : c(v, p);
const optional =
  (c: Check): Check =>
  (v, p) =>
    v === undefined ? null : c(v, p);

/** A list of at most `max` entries, each passing `c`. */
const list =
  (c: Check, max = 1_000_000): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `${p} is not a list`;
    if (v.length > max) return `${p} has ${v.length} entries, more than ${max}`;
    for (let i = 0; i < v.length; i++) {
      const why = c(v[i], `${p}[${i}]`);
      if (why) return why;
    }
    return null;
  };

const obj =
  (fields: Record<string, Check>): Check =>
  (v, p) => {
    if (!isObject(v)) return `${p} is not an object`;
    for (const [k, c] of Object.entries(fields)) {
      const why = c(v[k], `${p}.${k}`);
      if (why) return why;
    }
    return null;
  };

/** Offsets into the user's text: whole numbers, in order, inside it. */
const range =
  (textLength: number): Check =>
  (v, p) => {
    if (!isObject(v)) return `${p} is not a range`;
    const { start, end } = v;
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (start as number) > (end as number) || (end as number) > textLength) {
      return `${p} is not a range inside the file (${JSON.stringify(v).slice(0, 60)})`;
    }
    return null;
  };

/**
 * The layer tree the editor walks for the sidebar's ranges (each node's path, the range of its type
 * and its children), checked without recursion: a message can nest deeper than any stack.
 */
const layerTree =
  (r: Check, maxNodes = 100_000): Check =>
  (v, p) => {
    const node = obj({ path: str, typeRange: r, children: (c, q) => (Array.isArray(c) ? null : `${q} is not a list`) });
    const stack: [unknown, string][] = [[v, p]];
    for (let seen = 0; stack.length; seen++) {
      if (seen === maxNodes) return `${p} has more than ${maxNodes} layers`;
      const [n, at] = stack.pop()!;
      const why = node(n, at);
      if (why) return why;
      const children = (n as { children: unknown[] }).children;
      for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], `${at}.children[${i}]`]);
    }
    return null;
  };

function runErrorCheck(r: Check): Check {
  return obj({ kind: oneOf(['timeout', 'oom', 'exit', 'error']), message: str, location: optional(r), className: optional(str) });
}

function findingCheck(r: Check): Check {
  return obj({
    rule: oneOf(RULE_IDS),
    severity: oneOf(['error', 'warning', 'info']),
    message: str,
    layer: str,
    range: r,
    related: list(obj({ range: r, message: str })),
    fixes: list(obj({ title: str, preferred: optional(bool), edits: list(obj({ range: r, newText: str })) })),
  });
}

const traceCheck: Check = (v, p) => {
  const params = obj({ name: str, layer: str, shape: list(num) });
  const paramStep = obj({
    reached: bool,
    gradNorm: num,
    gradMeanAbs: num,
    gradMaxAbs: num,
    zeroFraction: num,
    subnormalFraction: num,
    nonFinite: num,
    weightNorm: num,
    weightMean: num,
    weightStd: num,
    updateRatio: num,
    histogram: list(num),
  });
  const step = obj({
    step: num,
    loss: num,
    params: list(paramStep),
    activations: list(obj({ layer: str, op: str, samples: num, units: num, saturatedShare: num, flatShare: num, deadShare: num, zeroDerivativeShare: num, inputMean: num, inputStd: num, inputMaxAbs: num })),
    outputs: list(obj({ layer: str, absMax: num, mean: num, nonFinite: num })),
    flow: list(obj({ layer: str, op: str, outputGradNorm: num, inputGradNorm: nullable(num) })),
  });
  const shape = obj({
    file: str,
    dtype: oneOf(['float32', 'float64']),
    batchSize: num,
    seed: num,
    params: list(params),
    layers: list(obj({ path: str, type: str })),
    steps: list(step),
    stoppedEarly: nullable(str),
    durationMs: num,
    optimizer: obj({ type: str, lr: num }),
  });
  const why = shape(v, p);
  if (why) return why;
  // The rules and the charts index each step's parameters by the trace's.
  const t = v as { params: unknown[]; steps: { params: unknown[] }[] };
  const bad = t.steps.findIndex((s) => s.params.length !== t.params.length);
  return bad < 0 ? null : `${p}.steps[${bad}].params has ${t.steps[bad].params.length} entries for ${t.params.length} parameters`;
};

/** The message, when it is one the runner sends with the fields the caller reads; else why not. */
export function checkRunnerMessage(msg: unknown, textLength: number): { ok: true; message: RunnerMessage } | { ok: false; problem: string } {
  const r = range(textLength);
  const checks: Record<string, Check> = {
    loaded: obj({ models: list(str, 10_000) }),
    'model-start': obj({ className: str, location: optional(r) }),
    model: obj({
      model: obj({
        className: str,
        classRange: r,
        decoratorRange: r,
        spec: obj({ model: layerTree(r) }),
        trace: traceCheck,
        findings: list(findingCheck(r), 10_000),
      }),
    }),
    error: obj({ error: runErrorCheck(r) }),
    done: () => null,
  };
  if (!isObject(msg) || typeof msg.type !== 'string' || !Object.prototype.hasOwnProperty.call(checks, msg.type)) {
    return { ok: false, problem: `a message of an unknown kind (${String(JSON.stringify(isObject(msg) ? msg.type : msg)).slice(0, 40)})` };
  }
  const why = checks[msg.type](msg, msg.type);
  return why ? { ok: false, problem: why } : { ok: true, message: msg as unknown as RunnerMessage };
}
