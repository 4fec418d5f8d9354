/**
 * Recurrent layers as fused ops, one direction of one layer over a whole sequence (as PyTorch's
 * own RNN kernels): the input projection of every step is one GEMM, each step one GEMM with the
 * recurrent weight, and the backward runs back through time in the same op. Fused, the tape holds
 * O(T) memory instead of a node per step, and the op can tell the instrument what only it knows:
 * its gates' activations and the gradient that reached each time step.
 *
 * Inputs: [x (T, B, I), h0 (B, H), (c0 (B, H) for lstm), weight_ih (G·H, I), weight_hh (G·H, H),
 * and optionally bias_ih (G·H), bias_hh (G·H)] with G = 1 (rnn), 3 (gru: r, z, n) or 4 (lstm:
 * i, f, g, o), PyTorch's gate order. The output is every step's hidden state (T, B, H) in time
 * order; for lstm it is (T, B, 2H), each row the hidden state then the cell state.
 */
import { FloatArray, like } from '../dtype';
import { RowSegment, unaryInto, unaryRowsInPlace } from '../kernels/elementwise';
import { gemm } from '../kernels/gemm';
import { addRows } from '../kernels/gemm-js';
import { formatShape, ShapeError } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, OpTable, RecurrentView } from './types';

export type RecurrentKind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

interface Direction {
  /** Runs from the last step to the first (the reverse half of a bidirectional layer). */
  reverse: boolean;
}

export interface RecurrentAttrs {
  rnn_tanh: Direction;
  rnn_relu: Direction;
  lstm: Direction;
  gru: Direction;
}

const GATES: Record<RecurrentKind, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };

interface Sizes {
  T: number;
  B: number;
  I: number;
  H: number;
  G: number;
  /** Indices of the weights and biases among the inputs. */
  wih: number;
  whh: number;
  bias: boolean;
}

function sizes(kind: RecurrentKind, inputs: readonly Tensor[]): Sizes {
  const lstm = kind === 'lstm';
  const wih = lstm ? 3 : 2;
  const [x, h0] = inputs;
  const G = GATES[kind];
  if (inputs.length !== wih + 2 && inputs.length !== wih + 4) throw new ShapeError(`${kind}: expected ${wih + 2} or ${wih + 4} inputs, got ${inputs.length}`);
  if (x.rank !== 3) throw new ShapeError(`${kind}: input must be (seq_len, batch, input_size), got ${formatShape(x.shape)}`);
  const [T, B, I] = x.shape;
  if (T === 0) throw new ShapeError('Expected sequence length to be larger than 0 in RNN');
  const w = inputs[wih];
  const u = inputs[wih + 1];
  const H = u.shape[1];
  if (w.rank !== 2 || w.shape[0] !== G * H || w.shape[1] !== I) throw new ShapeError(`${kind}: weight_ih must be [${G * H}, ${I}], got ${formatShape(w.shape)}`);
  if (u.rank !== 2 || u.shape[0] !== G * H) throw new ShapeError(`${kind}: weight_hh must be [${G * H}, ${H}], got ${formatShape(u.shape)}`);
  const state = (t: Tensor, what: string) => {
    if (t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== H) throw new ShapeError(`${kind}: expected ${what} of size [${B}, ${H}], got ${formatShape(t.shape)}`);
  };
  state(h0, 'hidden state');
  if (lstm) state(inputs[2], 'cell state');
  const bias = inputs.length === wih + 4;
  if (bias) for (const b of inputs.slice(wih + 2)) if (b.rank !== 1 || b.shape[0] !== G * H) throw new ShapeError(`${kind}: biases must be [${G * H}], got ${formatShape(b.shape)}`);
  return { T, B, I, H, G, wih, whh: wih + 1, bias };
}

/** What the backward (and the instrument) read. */
interface RecurrentSaved {
  s: Sizes;
  /** Gate activations, (T, B, G·H) in time order (for plain RNNs, the hidden state itself). */
  act: FloatArray;
  /** The hidden state before each step, (T, B, H) in time order. */
  hPrev: FloatArray;
  /** lstm: the cell state before and after each step, (T, B, H). */
  cPrev: FloatArray | null;
  c: FloatArray | null;
  /** gru: W_hn·h + b_hn of each step, which the reset gate multiplies. */
  hn: FloatArray | null;
  /** ‖∂loss/∂h_t‖ per step in time order, filled by the backward. */
  hiddenGradNorms: Float64Array | null;
}

function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

const JS_ACTIVATIONS = { sigmoid, tanh: Math.tanh } as const;
type Activation = keyof typeof JS_ACTIVATIONS;

/**
 * The gate activations, in place: float32 on the SIMD kernels (one call for all of a step's rows and
 * gates), float64 and small steps in JavaScript. Every forward activation and the backward's tanh(c)
 * go through here or `activate`, so both directions see the same values.
 */
function activateRows(m: FloatArray, at: number, rows: number, width: number, segments: readonly (RowSegment & { op: Activation })[]): void {
  if (unaryRowsInPlace(m, at, rows, width, segments)) return;
  for (const { op, start, count } of segments) {
    const f = JS_ACTIVATIONS[op];
    for (let r = 0, o = at + start; r < rows; r++, o += width) for (let j = o; j < o + count; j++) m[j] = f(m[j]);
  }
}

/** y[yAt + i] = op(x[xAt + i]) for i < n (y may be x), on the kernels where `activateRows` would be. */
function activate(op: Activation, x: FloatArray, xAt: number, y: FloatArray, yAt: number, n: number): void {
  if (unaryInto(op, x, xAt, y, yAt, n)) return;
  const f = JS_ACTIVATIONS[op];
  for (let i = 0; i < n; i++) y[yAt + i] = f(x[xAt + i]);
}

/** An LSTM row's gates: i and f sigmoids side by side, g a tanh, o a sigmoid (PyTorch's order). */
function lstmGateSegments(H: number): (RowSegment & { op: Activation })[] {
  return [
    { op: 'sigmoid', start: 0, count: 2 * H },
    { op: 'tanh', start: 2 * H, count: H },
    { op: 'sigmoid', start: 3 * H, count: H },
  ];
}

function forward(kind: RecurrentKind, inputs: readonly Tensor[], reverse: boolean) {
  const s = sizes(kind, inputs);
  const { T, B, I, H, G } = s;
  const GH = G * H;
  const x = inputs[0].data;
  const wih = inputs[s.wih].data;
  const whh = inputs[s.whh].data;
  const bih = s.bias ? inputs[s.whh + 1].data : null;
  const bhh = s.bias ? inputs[s.whh + 2].data : null;
  // every step's input projection in one product: P = x·W_ihᵀ + b_ih (+ b_hh where it just adds)
  const act = like(x, T * B * GH);
  gemm(false, true, T * B, GH, I, x, 0, wih, 0, act, 0, false);
  if (bih) addRows(act, 0, T * B, GH, bih);
  if (bhh && kind !== 'gru') addRows(act, 0, T * B, GH, bhh);
  const hPrev = like(x, T * B * H);
  const lstm = kind === 'lstm';
  const cPrev = lstm ? like(x, T * B * H) : null;
  const c = lstm ? like(x, T * B * H) : null;
  const hn = kind === 'gru' ? like(x, T * B * H) : null;
  const hidden = kind === 'gru' ? like(x, B * GH) : null;
  const lstmGates = lstm ? lstmGateSegments(H) : null;
  // tanh(c) of the step in progress
  const tanhC = lstm ? like(x, B * H) : null;
  const out = like(x, T * B * (lstm ? 2 * H : H));
  let h: FloatArray = inputs[1].data;
  let hAt = 0;
  let cState: FloatArray | null = lstm ? inputs[2].data : null;
  let cAt = 0;
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const rowAt = t * B * GH;
    const hAtT = t * B * H;
    hPrev.set(h.subarray(hAt, hAt + B * H), hAtT);
    if (kind === 'gru') {
      // the hidden part stays apart: the reset gate scales W_hn·h + b_hn
      gemm(false, true, B, GH, H, hPrev, hAtT, whh, 0, hidden!, 0, false);
      if (bhh) addRows(hidden!, 0, B, GH, bhh);
      // r and z from both projections; then n, whose input the reset gate scales
      for (let b = 0; b < B; b++) for (let j = 0, row = rowAt + b * GH, hr = b * GH; j < 2 * H; j++) act[row + j] += hidden![hr + j];
      activateRows(act, rowAt, B, GH, [{ op: 'sigmoid', start: 0, count: 2 * H }]);
      for (let b = 0; b < B; b++) {
        for (let j = 0, row = rowAt + b * GH, hr = b * GH; j < H; j++) {
          const hnv = hidden![hr + 2 * H + j];
          hn![hAtT + b * H + j] = hnv;
          act[row + 2 * H + j] += act[row + j] * hnv;
        }
      }
      activateRows(act, rowAt, B, GH, [{ op: 'tanh', start: 2 * H, count: H }]);
      for (let b = 0; b < B; b++) {
        for (let j = 0, row = rowAt + b * GH; j < H; j++) {
          const z = act[row + H + j];
          out[hAtT + b * H + j] = (1 - z) * act[row + 2 * H + j] + z * hPrev[hAtT + b * H + j];
        }
      }
      h = out;
      hAt = hAtT;
      continue;
    }
    gemm(false, true, B, GH, H, hPrev, hAtT, whh, 0, act, rowAt, true);
    if (lstm) {
      cPrev!.set(cState!.subarray(cAt, cAt + B * H), hAtT);
      activateRows(act, rowAt, B, GH, lstmGates!);
      for (let b = 0; b < B; b++) {
        for (let j = 0, row = rowAt + b * GH, q = hAtT + b * H; j < H; j++) {
          c![q + j] = act[row + H + j] * cPrev![q + j] + act[row + j] * act[row + 2 * H + j];
        }
      }
      activate('tanh', c!, hAtT, tanhC!, 0, B * H);
      for (let b = 0; b < B; b++) {
        const row = rowAt + b * GH;
        const o2 = (t * B + b) * 2 * H;
        for (let j = 0; j < H; j++) {
          out[o2 + j] = act[row + 3 * H + j] * tanhC![b * H + j];
          out[o2 + H + j] = c![hAtT + b * H + j];
        }
      }
      // the next step reads h and c from contiguous copies
      const hNext = like(x, B * H);
      for (let b = 0; b < B; b++) hNext.set(out.subarray((t * B + b) * 2 * H, (t * B + b) * 2 * H + H), b * H);
      h = hNext;
      hAt = 0;
      cState = c;
      cAt = hAtT;
      continue;
    }
    if (kind === 'rnn_tanh') activate('tanh', act, rowAt, act, rowAt, B * H);
    else for (let i = rowAt; i < rowAt + B * H; i++) act[i] = act[i] <= 0 ? 0 : act[i];
    out.set(act.subarray(rowAt, rowAt + B * H), rowAt);
    h = out;
    hAt = hAtT;
  }
  const saved: RecurrentSaved = { s, act, hPrev, cPrev, c, hn, hiddenGradNorms: null };
  return { data: out, shape: [T, B, lstm ? 2 * H : H], saved };
}

function backward(kind: RecurrentKind, gy: FloatArray, inputs: readonly Tensor[], saved: RecurrentSaved, reverse: boolean, needs: readonly boolean[]): (FloatArray | null)[] {
  const { s, act, hPrev, cPrev, c, hn } = saved;
  const { T, B, I, H, G } = s;
  const GH = G * H;
  const x = inputs[0].data;
  const wih = inputs[s.wih].data;
  const whh = inputs[s.whh].data;
  const lstm = kind === 'lstm';
  const width = lstm ? 2 * H : H;
  // ∂loss/∂(input projection) and, for gru, ∂loss/∂(hidden projection), every step
  const dPi = like(gy, T * B * GH);
  const dPh = kind === 'gru' ? like(gy, T * B * GH) : dPi;
  let dh = like(gy, B * H);
  let dc = lstm ? like(gy, B * H) : null;
  const norms = new Float64Array(T);
  // tanh(c) of every step at once, as the forward computed it
  const tanhC = lstm ? like(gy, T * B * H) : null;
  if (lstm) activate('tanh', c!, 0, tanhC!, 0, T * B * H);
  for (let k = T - 1; k >= 0; k--) {
    const t = reverse ? T - 1 - k : k;
    const rowAt = t * B * GH;
    const hAtT = t * B * H;
    let sq = 0;
    // the gradient reaching h_t: from the output at t and from the step after it
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const v = dh[b * H + j] + gy[(t * B + b) * width + j];
        dh[b * H + j] = v;
        sq += v * v;
        if (dc) dc[b * H + j] += gy[(t * B + b) * width + H + j];
      }
    }
    norms[t] = Math.sqrt(sq);
    const dhPrev = like(gy, B * H);
    if (lstm) {
      for (let b = 0; b < B; b++) {
        const row = rowAt + b * GH;
        for (let j = 0; j < H; j++) {
          const q = b * H + j;
          const ig = act[row + j];
          const fg = act[row + H + j];
          const gg = act[row + 2 * H + j];
          const og = act[row + 3 * H + j];
          const tc = tanhC![hAtT + q];
          // d c = dc + dh·o·(1 − tanh²c); d o = dh·tanh c; d i = dc·g; d g = dc·i; d f = dc·c_prev
          const dcv = dc![q] + dh[q] * og * (1 - tc * tc);
          dPi[row + j] = dcv * gg * ig * (1 - ig);
          dPi[row + H + j] = dcv * cPrev![hAtT + q] * fg * (1 - fg);
          dPi[row + 2 * H + j] = dcv * ig * (1 - gg * gg);
          dPi[row + 3 * H + j] = dh[q] * tc * og * (1 - og);
          dc![q] = dcv * fg;
        }
      }
    } else if (kind === 'gru') {
      for (let b = 0; b < B; b++) {
        const row = rowAt + b * GH;
        for (let j = 0; j < H; j++) {
          const q = b * H + j;
          const r = act[row + j];
          const z = act[row + H + j];
          const n = act[row + 2 * H + j];
          const d = dh[q];
          // h = (1 − z)·n + z·h_prev; n = tanh(P_n + r·hn)
          const dn = d * (1 - z) * (1 - n * n);
          const dz = d * (hPrev[hAtT + q] - n) * z * (1 - z);
          const dr = dn * hn![hAtT + q] * r * (1 - r);
          dPi[row + j] = dr;
          dPi[row + H + j] = dz;
          dPi[row + 2 * H + j] = dn;
          dPh[row + j] = dr;
          dPh[row + H + j] = dz;
          dPh[row + 2 * H + j] = dn * r;
          dhPrev[q] = d * z;
        }
      }
    } else {
      const relu = kind === 'rnn_relu';
      for (let q = 0; q < B * H; q++) {
        const y = act[rowAt + q];
        dPi[rowAt + q] = dh[q] * (relu ? (y <= 0 ? 0 : 1) : 1 - y * y);
      }
    }
    // back through the recurrent weight to the state before this step
    gemm(false, false, B, H, GH, dPh, rowAt, whh, 0, dhPrev, 0, true);
    dh = dhPrev;
  }
  saved.hiddenGradNorms = norms;
  const n = inputs.length;
  const grads: (FloatArray | null)[] = new Array(n).fill(null);
  if (needs[0]) {
    const dx = like(x);
    gemm(false, false, T * B, I, GH, dPi, 0, wih, 0, dx, 0, false);
    grads[0] = dx;
  }
  if (needs[1]) grads[1] = dh;
  if (lstm && needs[2]) grads[2] = dc;
  if (needs[s.wih]) {
    const dw = like(wih);
    gemm(true, false, GH, I, T * B, dPi, 0, x, 0, dw, 0, false);
    grads[s.wih] = dw;
  }
  if (needs[s.whh]) {
    const du = like(whh);
    gemm(true, false, GH, H, T * B, dPh, 0, hPrev, 0, du, 0, false);
    grads[s.whh] = du;
  }
  if (s.bias) {
    const sumRows = (m: FloatArray): FloatArray => {
      const g = like(gy, GH);
      for (let r = 0, o = 0; r < T * B; r++) for (let j = 0; j < GH; j++, o++) g[j] += m[o];
      return g;
    };
    if (needs[s.whh + 1]) grads[s.whh + 1] = sumRows(dPi);
    if (needs[s.whh + 2]) grads[s.whh + 2] = sumRows(dPh);
  }
  return grads;
}

/** The gates the instrument reads: which columns of each row of `act` are which nonlinearity. */
function view(kind: RecurrentKind, saved: RecurrentSaved, reverse: boolean): RecurrentView {
  const { T, H, G } = saved.s;
  const GH = G * H;
  const gate = (k: 'sigmoid' | 'tanh', start: number, count: number) => ({ kind: k, values: saved.act, width: GH, start, count });
  const gates =
    kind === 'lstm'
      ? [gate('sigmoid', 0, 2 * H), gate('tanh', 2 * H, H), gate('sigmoid', 3 * H, H)]
      : kind === 'gru'
        ? [gate('sigmoid', 0, 2 * H), gate('tanh', 2 * H, H)]
        : kind === 'rnn_tanh'
          ? [gate('tanh', 0, H)]
          : [];
  return { steps: T, reverse, gates, hiddenGradNorms: saved.hiddenGradNorms };
}

function recurrentOp(kind: RecurrentKind) {
  const wih = kind === 'lstm' ? 3 : 2;
  return defineOp({
    // x for the input weight's gradient, the weights for the input's and the recurrence's
    saves: [0, wih, wih + 1],
    forward: (inputs: readonly Tensor[], { reverse }: Direction) => forward(kind, inputs, reverse),
    backward: ({ gy, inputs, saved, attrs, needs }) => backward(kind, gy, inputs, saved as RecurrentSaved, attrs.reverse, needs),
    recurrent: (saved: RecurrentSaved, { reverse }: Direction) => view(kind, saved, reverse),
  });
}

export const recurrentOps: OpTable<RecurrentAttrs> = {
  // d rnn_tanh: back through time, d pre = dh·(1 − h²), d h_prev = d pre·W_hh
  rnn_tanh: recurrentOp('rnn_tanh'),
  // d rnn_relu: back through time, d pre = dh where h > 0, d h_prev = d pre·W_hh
  rnn_relu: recurrentOp('rnn_relu'),
  // d lstm: back through time, d c = dc + dh·o·(1 − tanh²c), gates i f g o by their local slopes, d c_prev = d c·f
  lstm: recurrentOp('lstm'),
  // d gru: back through time, h = (1 − z)·n + z·h_prev, n = tanh(P_n + r·(W_hn h + b_hn))
  gru: recurrentOp('gru'),
};
