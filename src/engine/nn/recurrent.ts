/**
 * torch.nn's recurrent layers: RNN (tanh or relu), LSTM, GRU and their cells, with PyTorch's
 * arguments, parameter names (weight_ih_l0, weight_hh_l0_reverse, bias_ih_l1, …), gate order and
 * default initialisation (every parameter U(−1/√hidden_size, 1/√hidden_size)).
 *
 * `run(input, hx)` is PyTorch's forward and returns what it returns: [output, h_n] (for LSTM
 * [output, [h_n, c_n]]). `call(input)` returns the output sequence alone, which is what a
 * recurrent layer passes on inside a Sequential (as the small wrapper a user writes around it).
 */
import { apply } from '../dispatch';
import type { DType } from '../dtype';
import * as F from '../functional';
import * as init from '../init';
import type { RecurrentKind } from '../ops/recurrent';
import type { Rng } from '../rng';
import type { Tensor } from '../tensor';
import { Module } from './module';

export interface RecurrentOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output are (batch, seq, feature) instead of (seq, batch, feature). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, while training. */
  dropout?: number;
  bidirectional?: boolean;
  /** LSTM only in PyTorch; not supported here (0). */
  projSize?: number;
  dtype?: DType;
  rng?: Rng;
}

const GATES: Record<RecurrentKind, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };

function positive(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${layer}: ${name} must be a positive integer, got ${v}`);
}

/** PyTorch's reset_parameters for every recurrent layer and cell: U(±1/√hidden_size) in registration order. */
function initUniform(params: readonly Tensor[], hiddenSize: number, rng: Rng): void {
  const stdv = hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0;
  for (const p of params) init.uniform(p, rng, -stdv, stdv);
}

interface LayerWeights {
  wih: Tensor;
  whh: Tensor;
  bih: Tensor | null;
  bhh: Tensor | null;
}

/** The shared body of RNN, LSTM and GRU (PyTorch's RNNBase). */
abstract class RecurrentBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  private readonly weights: LayerWeights[][] = [];
  private readonly rng: Rng;

  constructor(
    private readonly layerName: string,
    protected readonly kind: RecurrentKind,
    readonly inputSize: number,
    readonly hiddenSize: number,
    { numLayers = 1, bias = true, batchFirst = false, dropout = 0, bidirectional = false, projSize = 0, dtype = 'float32', rng }: RecurrentOptions,
  ) {
    super();
    positive(layerName, 'input_size', inputSize);
    positive(layerName, 'hidden_size', hiddenSize);
    positive(layerName, 'num_layers', numLayers);
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
      throw new RangeError('dropout should be a number in range [0, 1] representing the probability of an element being zeroed');
    }
    if (projSize !== 0) throw new RangeError(`${layerName}: proj_size=${projSize} (LSTM projections) is not supported; use proj_size=0`);
    if (!rng) throw new Error(`${layerName} needs a seeded rng for its default initialisation: pass { rng: new Rng(seed) }`);
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    this.rng = rng;
    const G = GATES[kind];
    const directions = bidirectional ? 2 : 1;
    for (let l = 0; l < numLayers; l++) {
      const perDirection: LayerWeights[] = [];
      for (let d = 0; d < directions; d++) {
        const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const layerInput = l === 0 ? inputSize : hiddenSize * directions;
        perDirection.push({
          wih: this.registerParameter(`weight_ih${suffix}`, F.zeros([G * hiddenSize, layerInput], dtype)),
          whh: this.registerParameter(`weight_hh${suffix}`, F.zeros([G * hiddenSize, hiddenSize], dtype)),
          bih: bias ? this.registerParameter(`bias_ih${suffix}`, F.zeros([G * hiddenSize], dtype)) : null,
          bhh: bias ? this.registerParameter(`bias_hh${suffix}`, F.zeros([G * hiddenSize], dtype)) : null,
        });
      }
      this.weights.push(perDirection);
    }
    initUniform(this.parameters(false), hiddenSize, rng);
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The output sequence, as a Sequential passes it on. */
  forward(input: Tensor): Tensor {
    return this.sequence(input, null)[0];
  }

  /**
   * Runs every layer and direction. Returns the output sequence in the input's layout and the final
   * states, (num_layers·directions, batch, hidden) each (no batch axis for an unbatched input).
   */
  protected sequence(input: Tensor, hx: readonly Tensor[] | null): [Tensor, Tensor[]] {
    const name = this.layerName;
    if (input.rank !== 2 && input.rank !== 3) throw new RangeError(`${name}: Expected input to be 2D or 3D, got ${input.rank}D instead`);
    if (input.shape[input.rank - 1] !== this.inputSize) {
      throw new RangeError(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${input.shape[input.rank - 1]}`);
    }
    const batched = input.rank === 3;
    let x = batched ? (this.batchFirst ? F.transpose(input, 0, 1) : input) : F.unsqueeze(input, 1);
    const [, B] = x.shape;
    const L = this.numLayers * this.numDirections;
    const states = this.kind === 'lstm' ? 2 : 1;
    const initial: Tensor[] = [];
    for (let k = 0; k < states; k++) {
      const given = hx?.[k];
      if (given) {
        const expected = batched ? [L, B, this.hiddenSize] : [L, this.hiddenSize];
        if (given.rank !== expected.length || given.shape.some((d, i) => d !== expected[i])) {
          throw new RangeError(`Expected hidden size (${expected.join(', ')}), got [${given.shape.join(', ')}]`);
        }
        initial.push(batched ? given : F.unsqueeze(given, 1));
      } else {
        initial.push(F.zeros([L, B, this.hiddenSize], input.dtype));
      }
    }
    const finals: Tensor[][] = Array.from({ length: states }, () => []);
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < this.numDirections; d++) {
        const w = this.weights[l][d];
        const k = l * this.numDirections + d;
        const init0 = initial.map((s) => F.select(s, 0, k));
        const params = w.bih && w.bhh ? [w.wih, w.whh, w.bih, w.bhh] : [w.wih, w.whh];
        const y = apply(this.kind, [x, ...init0, ...params], { reverse: d === 1 });
        const H = this.hiddenSize;
        const T = x.shape[0];
        // the state after the last step it processed: t = T−1 forward, t = 0 in reverse
        const last = d === 1 ? 0 : T - 1;
        if (this.kind === 'lstm') {
          outs.push(F.narrow(y, 2, 0, H));
          finals[0].push(F.narrow(F.select(y, 0, last), 1, 0, H));
          finals[1].push(F.narrow(F.select(y, 0, last), 1, H, H));
        } else {
          outs.push(y);
          finals[0].push(F.select(y, 0, last));
        }
      }
      x = outs.length === 1 ? outs[0] : F.cat(outs, 2);
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) x = F.dropout(x, this.dropout, true, this.rng);
    }
    const output = batched ? (this.batchFirst ? F.transpose(x, 0, 1) : x) : F.squeeze(x, 1);
    const hN = finals.map((f) => {
      const h = F.stack(f, 0);
      return batched ? h : F.squeeze(h, 1);
    });
    return [output, hN];
  }
}

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: 'tanh' | 'relu';
}

/** Elman RNN: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh) (or relu). */
export class RNN extends RecurrentBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = options.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new RangeError(`Unknown nonlinearity '${nonlinearity}'. Select from 'tanh' or 'relu'.`);
    super('RNN', nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  /** PyTorch's forward: [output, h_n]. */
  run(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    return this.inLayer(() => {
      const [out, [h]] = this.sequence(input, hx ? [hx] : null);
      return [out, h];
    });
  }
}

/** Long short-term memory, gates i, f, g, o in PyTorch's order. */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super('LSTM', 'lstm', inputSize, hiddenSize, options);
  }

  /** PyTorch's forward: [output, [h_n, c_n]]. */
  run(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    return this.inLayer(() => {
      const [out, [h, c]] = this.sequence(input, hx);
      return [out, [h, c]];
    });
  }
}

/** Gated recurrent unit, gates r, z, n in PyTorch's order. */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super('GRU', 'gru', inputSize, hiddenSize, options);
  }

  /** PyTorch's forward: [output, h_n]. */
  run(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    return this.inLayer(() => {
      const [out, [h]] = this.sequence(input, hx ? [hx] : null);
      return [out, h];
    });
  }
}

// ── cells: one step ─────────────────────────────────────────────────────────

export interface CellOptions {
  bias?: boolean;
  dtype?: DType;
  rng?: Rng;
}

abstract class CellBase extends Module {
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHh: Tensor | null;

  constructor(
    private readonly layerName: string,
    protected readonly kind: RecurrentKind,
    readonly inputSize: number,
    readonly hiddenSize: number,
    { bias = true, dtype = 'float32', rng }: CellOptions,
  ) {
    super();
    positive(layerName, 'input_size', inputSize);
    positive(layerName, 'hidden_size', hiddenSize);
    if (!rng) throw new Error(`${layerName} needs a seeded rng for its default initialisation: pass { rng: new Rng(seed) }`);
    const G = GATES[kind];
    this.weightIh = this.registerParameter('weight_ih', F.zeros([G * hiddenSize, inputSize], dtype));
    this.weightHh = this.registerParameter('weight_hh', F.zeros([G * hiddenSize, hiddenSize], dtype));
    this.biasIh = bias ? this.registerParameter('bias_ih', F.zeros([G * hiddenSize], dtype)) : null;
    this.biasHh = bias ? this.registerParameter('bias_hh', F.zeros([G * hiddenSize], dtype)) : null;
    initUniform(this.parameters(false), hiddenSize, rng);
  }

  /** One step: the fused op over a sequence of one. Returns the new states, batched like the input. */
  protected step(input: Tensor, states: (Tensor | null)[]): Tensor[] {
    const name = this.layerName;
    if (input.rank !== 1 && input.rank !== 2) throw new RangeError(`${name}: Expected input to be 1D or 2D, got ${input.rank}D instead`);
    if (input.shape[input.rank - 1] !== this.inputSize) {
      throw new RangeError(`input has inconsistent input_size: got ${input.shape[input.rank - 1]} expected ${this.inputSize}`);
    }
    const batched = input.rank === 2;
    const x = F.unsqueeze(batched ? input : F.unsqueeze(input, 0), 0);
    const B = x.shape[1];
    const init0 = states.map((s) => (s ? (batched ? s : F.unsqueeze(s, 0)) : F.zeros([B, this.hiddenSize], input.dtype)));
    const params = this.biasIh && this.biasHh ? [this.weightIh, this.weightHh, this.biasIh, this.biasHh] : [this.weightIh, this.weightHh];
    const y = F.select(apply(this.kind, [x, ...init0, ...params], { reverse: false }), 0, 0);
    const H = this.hiddenSize;
    const outs = this.kind === 'lstm' ? [F.narrow(y, 1, 0, H), F.narrow(y, 1, H, H)] : [y];
    return batched ? outs : outs.map((o) => F.squeeze(o, 0));
  }
}

/** A cell with one state, h (RNNCell, GRUCell). */
abstract class SingleStateCell extends CellBase {
  forward(input: Tensor): Tensor {
    return this.step(input, [null])[0];
  }

  /** PyTorch's forward: h'. */
  run(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.inLayer(() => this.step(input, [hx])[0]);
  }
}

export interface RNNCellOptions extends CellOptions {
  nonlinearity?: 'tanh' | 'relu';
}

export class RNNCell extends SingleStateCell {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    const nonlinearity = options.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new RangeError(`Unknown nonlinearity: ${nonlinearity}`);
    super('RNNCell', nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }
}

export class GRUCell extends SingleStateCell {
  constructor(inputSize: number, hiddenSize: number, options: CellOptions = {}) {
    super('GRUCell', 'gru', inputSize, hiddenSize, options);
  }
}

export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: CellOptions = {}) {
    super('LSTMCell', 'lstm', inputSize, hiddenSize, options);
  }

  /** The new hidden state h' (what a Sequential passes on). */
  forward(input: Tensor): Tensor {
    return this.step(input, [null, null])[0];
  }

  /** PyTorch's forward: [h', c']. */
  run(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    return this.inLayer(() => {
      const [h, c] = this.step(input, hx ? [hx[0], hx[1]] : [null, null]);
      return [h, c];
    });
  }
}
