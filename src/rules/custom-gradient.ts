/**
 * A hand-written backward is the one gradient the engine cannot vouch for: check it against
 * float64 central finite differences on the inputs the op really saw (torch.autograd.gradcheck's
 * method), e.g. a sigmoid derivative written x(1-x) on the input instead of y(1-y) on the output.
 */
import { noGrad } from '../engine/context';
import { Rng } from '../engine/rng';
import { Tensor } from '../engine/tensor';
import type { CustomOpUse, Rule, RuleContext, RuleFinding, Severity } from './types';
import { shortNumber } from '../numbers';

const ID = 'custom-gradient';
/** torch.autograd.gradcheck's step. */
const EPS = 1e-6;
/** A forward that computes in float32 cannot resolve a 1e-6 step: a coarser step and tolerance then. */
const EPS_FLOAT32 = 1e-3;
const TOLERANCE_FLOAT32 = 1e-2;
/** Entries checked per input: all of a small input, a seeded sample of a big one. */
const MAX_ENTRIES = 32;

export interface GradientCheck {
  /** max |backward − numeric| over the checked entries, relative to the largest of either. */
  relativeError: number;
  /** The entry where they differ most. */
  at: { index: number; x: number; backward: number; numeric: number };
  /** True when the upstream gradient was all ones (the values are then the op's derivatives for elementwise ops). */
  unitUpstream: boolean;
  /** The forward returned float32 values for float64 inputs. */
  float32: boolean;
  /**
   * The forward is flat at every checked entry (finite differences exactly 0) while the backward
   * is not: a surrogate gradient such as a straight-through estimator for round() or sign(),
   * whose backward is deliberately not the forward's derivative (which is 0 almost everywhere).
   */
  surrogate: boolean;
}

function asTensor(r: unknown, what: string): Tensor {
  if (!(r instanceof Tensor)) throw new TypeError(`${what} did not return a Tensor`);
  return r;
}

/** Σ forward(x) · dy: the scalar whose gradient the backward computes. */
function projected(op: CustomOpUse, x: Tensor, dy: Float64Array): number {
  const y = asTensor(op.forward(x), 'forward');
  let s = 0;
  for (let i = 0; i < dy.length; i++) s += y.data[i] * dy[i];
  return s;
}

/** Which entries to perturb: every one of a small input, else a seeded sample without repeats. */
function entries(size: number, rng: Rng): number[] {
  if (size <= MAX_ENTRIES) return Array.from({ length: size }, (_, i) => i);
  const picked = new Set<number>();
  while (picked.size < MAX_ENTRIES) picked.add(rng.integer(0, size));
  return [...picked].sort((a, b) => a - b);
}

/** One check of `op`'s backward at input `x` with upstream gradient `dy` (ones, or seeded random). */
function checkOnce(op: CustomOpUse, input: { shape: number[]; data: Float64Array }, unitUpstream: boolean, rng: Rng): GradientCheck | null {
  const x = new Tensor(Float64Array.from(input.data), [...input.shape]);
  const y = asTensor(op.forward(x), 'forward');
  if (y.data.some((v) => !Number.isFinite(v))) return null;
  const float32 = y.data instanceof Float32Array;
  const eps = float32 ? EPS_FLOAT32 : EPS;
  const dy = new Float64Array(y.size);
  for (let i = 0; i < dy.length; i++) dy[i] = unitUpstream ? 1 : rng.between(0.5, 1.5);
  const dx = asTensor(op.backward(x, y, new Tensor(dy, [...y.shape])), 'backward');
  if (dx.size !== x.size) return null;
  let worst = -1;
  let worstDiff = -1;
  let scale = 0;
  const values: { index: number; x: number; backward: number; numeric: number }[] = [];
  for (const i of entries(x.size, rng)) {
    const plus = Float64Array.from(input.data);
    const minus = Float64Array.from(input.data);
    plus[i] += eps;
    minus[i] -= eps;
    const numeric = (projected(op, new Tensor(plus, x.shape), dy) - projected(op, new Tensor(minus, x.shape), dy)) / (2 * eps);
    const backward = dx.data[i];
    const diff = Math.abs(backward - numeric);
    // A NaN from the user's backward is a disagreement too.
    const d = Number.isNaN(diff) ? Infinity : diff;
    if (d > worstDiff) {
      worstDiff = d;
      worst = values.length;
    }
    scale = Math.max(scale, Math.abs(numeric), Number.isFinite(backward) ? Math.abs(backward) : 0);
    values.push({ index: i, x: input.data[i], backward, numeric });
  }
  if (worst < 0) return null;
  const surrogate = values.every((v) => v.numeric === 0) && values.some((v) => v.backward !== 0);
  const relativeError = worstDiff === Infinity ? Infinity : worstDiff === 0 ? 0 : worstDiff / Math.max(scale, 1e-12);
  return { relativeError, at: values[worst], unitUpstream, float32, surrogate };
}

/**
 * Checks `op`'s backward on one input: first with an upstream gradient of ones (its messages read
 * as derivatives), then with a random one (a backward that ignores dy passes the first).
 */
export function checkCustomBackward(op: CustomOpUse, input: { shape: number[]; data: Float64Array }, tolerance: number): GradientCheck | null {
  const rng = new Rng(0);
  return noGrad(() => {
    const unit = checkOnce(op, input, true, rng);
    if (!unit) return null;
    if (unit.surrogate) return unit;
    if (unit.relativeError > (unit.float32 ? Math.max(tolerance, TOLERANCE_FLOAT32) : tolerance)) return unit;
    const random = checkOnce(op, input, false, rng);
    return random && random.relativeError > unit.relativeError ? random : unit;
  });
}

function message(op: CustomOpUse, c: GradientCheck): string {
  const x = op.input ?? 'x';
  const where = c.unitUpstream ? `at ${x} = ${shortNumber(c.at.x)}` : `at ${x} = ${shortNumber(c.at.x)} with a random upstream gradient`;
  const of = op.input === undefined ? op.name : `${op.name} for ${op.input}`;
  const coarse = c.float32 ? '; the forward computes in float32, so the check used a step of 1e-3' : '';
  return (
    `custom backward of ${of} disagrees with finite differences: relative error ${shortNumber(c.relativeError)} ` +
    `(${where}: backward ${shortNumber(c.at.backward)}, numeric ${shortNumber(c.at.numeric)}${coarse})`
  );
}

export const customGradient: Rule = {
  id: ID,
  title: "A custom op's hand-written backward disagrees with float64 finite differences",
  defaultSeverity: 'error',
  check(ctx: RuleContext): RuleFinding[] {
    const findings: RuleFinding[] = [];
    const tolerance = ctx.config.customGradient.relativeError;
    const severity: Severity = 'error';
    const reported = new Set<string>();
    for (const op of ctx.customOps ?? []) {
      const key = `${op.backwardRange.start}:${op.name}`;
      if (reported.has(key)) continue;
      const errors: number[] = [];
      let worst: GradientCheck | null = null;
      for (const input of op.inputs) {
        let c: GradientCheck | null;
        try {
          c = checkCustomBackward(op, input, tolerance);
        } catch {
          // A forward or backward that throws here threw during the trace too, and was reported there.
          c = null;
        }
        // A surrogate gradient is a design choice finite differences cannot judge: silent.
        if (!c || c.surrogate) continue;
        errors.push(c.relativeError);
        if (!worst || c.relativeError > worst.relativeError) worst = c;
      }
      if (!worst || !(worst.relativeError > (worst.float32 ? Math.max(tolerance, TOLERANCE_FLOAT32) : tolerance))) continue;
      reported.add(key);
      findings.push({
        rule: ID,
        severity,
        message: message(op, worst),
        layer: op.layers.find((l) => l !== '') ?? '',
        range: op.backwardRange,
        related: [],
        evidence: [{ label: 'relative error per checked input', values: errors }],
        fixes: [],
      });
    }
    return findings;
  },
};
