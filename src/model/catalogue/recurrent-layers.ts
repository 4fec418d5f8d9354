/**
 * The recurrent layers of the catalogue: RNN, LSTM, GRU and their cells, with PyTorch's arguments
 * and parameter names (weight_ih_l0, weight_hh_l0_reverse, …).
 *
 * In a spec's Sequential a recurrent layer passes on its output sequence (PyTorch's first output,
 * as the small wrapper a user writes around nn.LSTM does) and starts from zero states. The spec's
 * batch axis comes first, so a recurrent layer there reads (batch, seq, feature): batch_first must
 * be true, and the shape check says so.
 */
import * as nn from '../../engine/nn';
import type { ArgValue } from '../graph';
import { ArgDef, formatShape } from './args';
import type { LayerDef, LayerTraits } from './layers';
import { n, ParamDef, ShapeInput, ShapeResult } from './shapes';

export type RecurrentLayerType = 'RNN' | 'LSTM' | 'GRU' | 'RNNCell' | 'LSTMCell' | 'GRUCell';

/** Erases an entry's module type, keeping `build`/`argsOf` checked against its own class. */
function entry<M extends nn.Module>(def: LayerDef<M>): LayerDef {
  return def as unknown as LayerDef;
}

const GATES = { RNN: 1, LSTM: 4, GRU: 3 } as const;

/** The layers' names per direction and layer, as PyTorch's RNNBase registers them. */
function recurrentParams(kind: keyof typeof GATES) {
  return (a: Record<string, ArgValue>): ParamDef[] => {
    const G = GATES[kind];
    const H = n(a.hidden_size);
    const directions = a.bidirectional === true ? 2 : 1;
    const out: ParamDef[] = [];
    for (let l = 0; l < n(a.num_layers); l++) {
      for (let d = 0; d < directions; d++) {
        const s = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const input = l === 0 ? n(a.input_size) : H * directions;
        out.push({ name: `weight_ih${s}`, shape: [G * H, input] }, { name: `weight_hh${s}`, shape: [G * H, H] });
        if (a.bias !== false) out.push({ name: `bias_ih${s}`, shape: [G * H] }, { name: `bias_hh${s}`, shape: [G * H] });
      }
    }
    return out;
  };
}

/** Parameter names for up to four layers in both directions (what init keys and completion offer). */
function recurrentParamNames(): string[] {
  const names: string[] = [];
  for (let l = 0; l < 4; l++) for (const s of ['', '_reverse']) for (const p of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) names.push(`${p}_l${l}${s}`);
  return names;
}

const baseArgs = (kind: string): ArgDef[] => [
  { name: 'input_size', type: { kind: 'int', min: 1 }, doc: 'The number of expected features in the input x (its last axis).' },
  { name: 'hidden_size', type: { kind: 'int', min: 1 }, doc: 'The number of features in the hidden state h.' },
  { name: 'num_layers', type: { kind: 'int', min: 1 }, default: 1, doc: `Number of recurrent layers, each ${kind} reading the previous one's output sequence.` },
  { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'If false, the layer does not use the biases b_ih and b_hh.' },
  {
    name: 'batch_first',
    type: { kind: 'bool' },
    default: false,
    doc: "If true, input and output are (batch, seq, feature). A spec's batch axis comes first, so set it to true in a spec.",
  },
  { name: 'dropout', type: { kind: 'number', min: 0, max: 1 }, default: 0, doc: 'Dropout on the outputs of each layer except the last, while training.' },
  { name: 'bidirectional', type: { kind: 'bool' }, default: false, doc: 'If true, a second direction reads the sequence backwards; their outputs are concatenated.' },
];

/** (seq, input_size) per sample → (seq, directions·hidden_size). */
function sequenceShape(layer: string) {
  return (i: ShapeInput): ShapeResult => {
    if (i.args.batch_first !== true) {
      return {
        error: `${layer} with batch_first: false reads axis 0 of the batch as time, but a spec's batch axis comes first: set batch_first: true (the input is [batch, seq, feature])`,
        arg: 'batch_first',
      };
    }
    if (i.inShape.length !== 2) return { error: `${layer} expects a per-sample input [seq, input_size] but ${i.from} gives ${formatShape(i.inShape)}` };
    if (i.inShape[1] !== n(i.args.input_size)) {
      return { error: `${layer} expects input_size ${n(i.args.input_size)} features but ${i.from} gives ${formatShape(i.inShape)}`, arg: 'input_size' };
    }
    if (i.inShape[0] < 1) return { error: `${layer} needs a sequence of at least one step, got ${formatShape(i.inShape)} from ${i.from}` };
    return { shape: [i.inShape[0], n(i.args.hidden_size) * (i.args.bidirectional === true ? 2 : 1)] };
  };
}

const recurrentTraits = (gates: 'rnn' | 'lstm' | 'gru'): LayerTraits => ({ recurrent: gates });

type RecurrentModule = nn.RNN | nn.LSTM | nn.GRU;

const recurrentArgsOf = (m: RecurrentModule): Record<string, ArgValue> => ({
  input_size: m.inputSize,
  hidden_size: m.hiddenSize,
  num_layers: m.numLayers,
  bias: m.bias,
  batch_first: m.batchFirst,
  dropout: m.dropout,
  bidirectional: m.bidirectional,
});

const options = (a: Record<string, ArgValue>) => ({
  numLayers: n(a.num_layers),
  bias: a.bias !== false,
  batchFirst: a.batch_first === true,
  dropout: n(a.dropout),
  bidirectional: a.bidirectional === true,
});

const cellArgs: ArgDef[] = [
  { name: 'input_size', type: { kind: 'int', min: 1 }, doc: 'The number of expected features in the input x.' },
  { name: 'hidden_size', type: { kind: 'int', min: 1 }, doc: 'The number of features in the hidden state h.' },
  { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'If false, the cell does not use the biases b_ih and b_hh.' },
];

function cellParams(gates: number) {
  return (a: Record<string, ArgValue>): ParamDef[] => {
    const H = n(a.hidden_size);
    const out: ParamDef[] = [
      { name: 'weight_ih', shape: [gates * H, n(a.input_size)] },
      { name: 'weight_hh', shape: [gates * H, H] },
    ];
    if (a.bias !== false) out.push({ name: 'bias_ih', shape: [gates * H] }, { name: 'bias_hh', shape: [gates * H] });
    return out;
  };
}

/** One step from a zero state: (input_size) per sample → (hidden_size). */
function cellShape(layer: string) {
  return (i: ShapeInput): ShapeResult => {
    if (i.inShape.length !== 1 || i.inShape[0] !== n(i.args.input_size)) {
      return { error: `${layer} expects a per-sample input [input_size] = [${n(i.args.input_size)}] but ${i.from} gives ${formatShape(i.inShape)}`, arg: 'input_size' };
    }
    return { shape: [n(i.args.hidden_size)] };
  };
}

type CellModule = nn.RNNCell | nn.LSTMCell | nn.GRUCell;

const cellArgsOf = (m: CellModule): Record<string, ArgValue> => ({ input_size: m.inputSize, hidden_size: m.hiddenSize, bias: m.biasIh !== null });

const nonlinearity: ArgDef = {
  name: 'nonlinearity',
  type: { kind: 'enum', values: ['tanh', 'relu'] },
  default: 'tanh',
  doc: "The non-linearity of the recurrence, 'tanh' or 'relu'.",
};

/** LSTM and GRU: the recurrent layers' arguments without a nonlinearity. */
function gatedLayer(layer: 'LSTM' | 'GRU', doc: string, Module: typeof nn.LSTM | typeof nn.GRU, kind: 'lstm' | 'gru'): LayerDef {
  return entry<nn.LSTM | nn.GRU>({
    doc: `${doc} In a Sequential it passes on its output sequence [seq, directions·hidden_size].`,
    torch: `torch.nn.${layer}`,
    args: baseArgs(layer),
    paramNames: recurrentParamNames(),
    params: recurrentParams(layer),
    shape: sequenceShape(layer),
    module: Module,
    build: (a, run) => new Module(n(a.input_size), n(a.hidden_size), { ...options(a), dtype: run.dtype, rng: run.rng }),
    argsOf: recurrentArgsOf,
    traits: recurrentTraits(kind),
  });
}

/** LSTMCell and GRUCell: the cell arguments, `gates` blocks of hidden_size rows in each weight. */
function gatedCell(layer: 'LSTMCell' | 'GRUCell', doc: string, Module: typeof nn.LSTMCell | typeof nn.GRUCell, gates: number, kind: 'lstm' | 'gru'): LayerDef {
  return entry<nn.LSTMCell | nn.GRUCell>({
    doc,
    torch: `torch.nn.${layer}`,
    args: cellArgs,
    paramNames: ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'],
    params: cellParams(gates),
    shape: cellShape(layer),
    module: Module,
    build: (a, run) => new Module(n(a.input_size), n(a.hidden_size), { bias: a.bias !== false, dtype: run.dtype, rng: run.rng }),
    argsOf: cellArgsOf,
    traits: recurrentTraits(kind),
  });
}

export const RECURRENT_LAYERS = {
  RNN: entry<nn.RNN>({
    doc: 'An Elman RNN, h_t = tanh(x_t W_ihᵀ + b_ih + h_(t−1) W_hhᵀ + b_hh) (or relu), over a sequence (torch.nn.RNN). In a Sequential it passes on its output sequence [seq, directions·hidden_size].',
    torch: 'torch.nn.RNN',
    // PyTorch's order: nonlinearity right after num_layers
    args: [...baseArgs('RNN').slice(0, 3), nonlinearity, ...baseArgs('RNN').slice(3)],
    paramNames: recurrentParamNames(),
    params: recurrentParams('RNN'),
    shape: sequenceShape('RNN'),
    module: nn.RNN,
    build: (a, run) => new nn.RNN(n(a.input_size), n(a.hidden_size), { ...options(a), nonlinearity: a.nonlinearity as 'tanh' | 'relu', dtype: run.dtype, rng: run.rng }),
    argsOf: (m) => ({ ...recurrentArgsOf(m), nonlinearity: m.nonlinearity }),
    traits: recurrentTraits('rnn'),
  }),
  LSTM: gatedLayer('LSTM', 'A long short-term memory layer over a sequence, gates i, f, g, o (torch.nn.LSTM).', nn.LSTM, 'lstm'),
  GRU: gatedLayer('GRU', 'A gated recurrent unit layer over a sequence, gates r, z, n (torch.nn.GRU).', nn.GRU, 'gru'),
  RNNCell: entry<nn.RNNCell>({
    doc: 'One step of an Elman RNN from a zero state (torch.nn.RNNCell): [input_size] → [hidden_size].',
    torch: 'torch.nn.RNNCell',
    args: [...cellArgs, nonlinearity],
    paramNames: ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'],
    params: cellParams(1),
    shape: cellShape('RNNCell'),
    module: nn.RNNCell,
    build: (a, run) => new nn.RNNCell(n(a.input_size), n(a.hidden_size), { bias: a.bias !== false, nonlinearity: a.nonlinearity as 'tanh' | 'relu', dtype: run.dtype, rng: run.rng }),
    argsOf: (m) => ({ ...cellArgsOf(m), nonlinearity: m.nonlinearity }),
    traits: recurrentTraits('rnn'),
  }),
  LSTMCell: gatedCell('LSTMCell', "One LSTM step from zero states (torch.nn.LSTMCell): [input_size] → h' [hidden_size].", nn.LSTMCell, 4, 'lstm'),
  GRUCell: gatedCell('GRUCell', 'One GRU step from a zero state (torch.nn.GRUCell): [input_size] → [hidden_size].', nn.GRUCell, 3, 'gru'),
} satisfies Record<RecurrentLayerType, LayerDef>;
