/**
 * What a trace records: plain JSON-serialisable summaries (numbers, never tensors), so a trace can
 * cross a worker boundary, feed the charts and be written to a report. Memory grows as steps × parameters.
 */

export interface TraceParam {
  /** named_parameters() name, e.g. "0.weight". */
  name: string;
  /** Path of the layer that owns it, e.g. "0". */
  layer: string;
  shape: number[];
}

export interface TraceLayer {
  path: string;
  /** torch.nn class name, e.g. "Sigmoid". */
  type: string;
  /** A training run's: where the module was built in the user's Python source. */
  site?: SourceSite;
}

/**
 * A place in a source file as a training run records it (the `nn.Linear(...)` call that built a
 * module): absolute path, 1-based lines and columns counted in UTF-16 code units as editors count
 * them, end exclusive.
 */
export interface SourceSite {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The module was built inside a library or copied (deepcopy): this is its container's site. */
  inherited?: boolean;
}

/** Edges of the gradient-magnitude histogram: log10|g| from -12 to 4, one bin per decade. */
export const HISTOGRAM_DECADES = { from: -12, to: 4 } as const;
/** Bin 0 counts exact zeros, bins 1.. the decades (the first and last are open-ended), the last bin non-finite values. */
export const HISTOGRAM_BINS = HISTOGRAM_DECADES.to - HISTOGRAM_DECADES.from + 2 + 1;

export interface ParamStep {
  /** False when backward never reached this parameter: no path from it to the loss. */
  reached: boolean;
  gradNorm: number;
  gradMeanAbs: number;
  gradMaxAbs: number;
  /** Share of gradient entries that are exactly zero. */
  zeroFraction: number;
  /** Share of nonzero gradient entries below float32's smallest normal (1.18e-38). */
  subnormalFraction: number;
  nonFinite: number;
  weightNorm: number;
  weightMean: number;
  weightStd: number;
  /** (Not in every producer's traces.) Spread of the weight's rows (units, filters) from one another; 0 when all are equal (symmetry). NaN for a single row or a vector. */
  rowSpread?: number;
  /** ‖Δw‖/‖w‖ of this step's optimiser update. */
  updateRatio: number;
  histogram: number[];
}

export interface ActivationStep {
  layer: string;
  /** The op, e.g. "sigmoid". */
  op: string;
  samples: number;
  units: number;
  /** Share of (sample, unit) entries whose local derivative is below 1% of its peak. */
  saturatedShare: number;
  /** Share of entries in the flat region (derivative below 1e-7). */
  flatShare: number;
  /**
   * Share of units active (derivative ≥ 1% of its peak) on fewer than 1% of their entries over the
   * batch: dead on every sample. Units are channels after a convolution (every position of the
   * channel counts), features otherwise.
   */
  deadShare: number;
  /** What deadShare counts. */
  deadUnits?: 'channels' | 'units';
  /** Share of entries whose derivative is exactly zero. */
  zeroDerivativeShare: number;
  inputMean: number;
  inputStd: number;
  inputMaxAbs: number;
}

export interface LayerOutputStep {
  layer: string;
  absMax: number;
  mean: number;
  /** Not recorded by every producer (a training-run log may leave it out). */
  std?: number;
  nonFinite: number;
}

/** Gradient norms at a layer's output and input in the backward pass: where the gradient stops or grows. */
export interface LayerFlowStep {
  layer: string;
  op: string;
  outputGradNorm: number;
  inputGradNorm: number | null;
}

/** The optimiser a trace trained with. */
export interface TraceOptimizer {
  type: string;
  lr: number;
  /** Gradient clipping before each step (the gradients recorded are those before it). */
  clip?: { kind: 'norm'; maxNorm: number; normType: number } | { kind: 'value'; clipValue: number } | null;
}

/** One recurrent op (one direction of one stacked layer of an RNN, LSTM or GRU, or a cell) in one step. */
export interface RecurrentStep {
  /** The module the op ran in (a spec layer's path). */
  layer: string;
  /** The op: 'lstm', 'gru', 'rnn_tanh', 'rnn_relu'. */
  op: string;
  /** Its place among the layer's ops, in order: stacked layer × direction (0 forward, 1 reverse of layer 0, …). */
  index: number;
  /** Reads the sequence backwards (the reverse direction of a bidirectional layer). */
  reverse: boolean;
  /** Time steps. */
  steps: number;
  /** Per gate nonlinearity (sigmoid gates, tanh candidates): the share of entries saturated and flat. */
  gates: { kind: 'sigmoid' | 'tanh'; saturatedShare: number; flatShare: number }[];
  /** ‖∂loss/∂h_t‖ per time step, in time order; null when the backward did not reach the op. */
  gradNorms: number[] | null;
  /** First time step whose hidden state was NaN or ±inf. */
  firstNonFiniteStep: number | null;
  /** First time step the backward reached whose gradient was not finite. */
  firstNonFiniteGradStep: number | null;
}

/** One attention softmax in one step: per head, how its rows spread their weight over the keys. */
export interface AttentionStep {
  layer: string;
  heads: number;
  /** Keys per row. */
  keys: number;
  perHead: {
    /** Mean row entropy over log(keys the row could attend to): 1 uniform, 0 one-hot. */
    meanNormalizedEntropy: number;
    /** Share of rows that put at least 99% of their weight on one key. */
    collapsedShare: number;
    meanMaxWeight: number;
  }[];
}

/** What gradient clipping did before this step's update. */
export interface ClipStep {
  /** The total norm of all gradients before clipping (the p-norm of clip_grad_norm's norm_type; L2 for clip_grad_value). */
  totalNorm: number;
  /** clip_grad_norm: what every gradient was scaled by (1 when under max_norm). */
  scale: number | null;
  /** clip_grad_value: the share of entries clamped. */
  clampedShare: number | null;
}

export interface NamedLoss {
  name: string;
  value: number;
}

export interface StepRecord {
  /** The optimiser step: 0, 1, 2… in a trace; the real step of a training run (0, 8, 16, 4096…). */
  step: number;
  loss: number;
  /**
   * Each backward()'s loss, named by its variable, when the step makes several (a GAN's errD_real,
   * errD_fake, errG); `loss` is then the last one's, whose gradients the traced model received.
   */
  losses?: NamedLoss[];
  /** A training run's: the learning rate of the first parameter group at this step. */
  lr?: number;
  /** A training run's: seconds since the run started (the first rank's clock). */
  time?: number;
  /** A training run's: samples in this step's batch, summed over the ranks. */
  batchSize?: number;
  /** A training run's: the ranks whose activation statistics are merged into this step. */
  ranks?: number[];
  /** Aligned with Trace.params. */
  params: ParamStep[];
  activations: ActivationStep[];
  outputs: LayerOutputStep[];
  flow: LayerFlowStep[];
  /** Recurrent ops (absent when there are none, and from training-run logs). */
  recurrent?: RecurrentStep[];
  /** Attention softmaxes (absent likewise). */
  attention?: AttentionStep[];
  /** Gradient clipping, when the optimizer clips. */
  clip?: ClipStep;
}

export interface NonFiniteEvent {
  step: number;
  op: string;
  layer: string | null;
  phase: 'forward' | 'backward';
  nan: number;
  inf: number;
  inputMaxAbs: number;
  /** A training run's: the rank that saw it first. */
  rank?: number;
  /** A training run's: false when only the loss of an unrecorded step showed it (no module is known). */
  recorded?: boolean;
}

/** The loss refused what the model fed it (BCELoss on values outside [0, 1]): the trace stops there. */
export interface LossRejection {
  step: number;
  /** PyTorch's message. */
  message: string;
  /** The loss as PyTorch names it: "binary_cross_entropy". */
  loss: string;
  accepts: [number, number];
  min: number;
  max: number;
  /** Share of the loss input's entries outside `accepts`. */
  outsideShare: number;
}

/** What a batch tensor holds: enough for a rule to tell labels from probabilities, or raw pixels from scaled ones. */
export interface DataSummary {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Every value is a whole number (class labels, counts, token ids). */
  integers: boolean;
  /** Shares of the values below 0, below -1 and above 1: outside the ranges of sigmoid, tanh and ReLU outputs. */
  belowZero: number;
  belowMinusOne: number;
  aboveOne: number;
}

export interface Trace {
  file: string;
  dtype: 'float32' | 'float64';
  batchSize: number;
  seed: number;
  params: TraceParam[];
  layers: TraceLayer[];
  /** The batch the steps trained on (absent from traces of training-run logs). */
  data?: { input: DataSummary; target: DataSummary };
  steps: StepRecord[];
  firstNonFinite: NonFiniteEvent | null;
  /** The loss refused the model's outputs on this step; the steps before it are recorded. */
  lossRejected?: LossRejection | null;
  /** Why the trace ended before the requested number of steps, if it did. */
  stoppedEarly: string | null;
  durationMs: number;
  optimizer: TraceOptimizer;
  /** Set when the trace was read from a real training run's log rather than traced by Gradient Lens. */
  run?: RunInfo;
}

/** A module of a training run's model, as named_modules() lists it. */
export interface RunModule {
  path: string;
  /** The class name: "Linear", or the user's own ("Net"). */
  type: string;
  /** A torch.nn layer's constructor arguments by PyTorch's names (`bias` says whether it exists). */
  args: Record<string, number | boolean | string | null | number[]>;
  params: { name: string; shape: number[] }[];
  children: string[];
  site?: SourceSite;
}

/** What a training run's log says about the run besides the steps. */
export interface RunInfo {
  /** The run's id, shared by its ranks. */
  id: string;
  startedAt: string;
  torch: string;
  python: string;
  worldSize: number;
  ranks: RankInfo[];
  /** The recording interval asked for: a number, or "auto". */
  every: number | 'auto';
  argv: string[];
  cwd: string;
  /** The log folder as the script named it (relative to cwd, usually): maps the run's paths to ours. */
  logDir: string;
  loss: RunLoss | null;
  /** Where backward() was called: findings about the loss go there when its module is unknown. */
  backwardSite: SourceSite | null;
  /** The optimiser's constructor arguments as torch.optim holds them. */
  optimizerArgs: Record<string, unknown>;
  /** Where the optimiser was built, when known. */
  optimizerSite: SourceSite | null;
  /** The model's modules as named_modules() lists them ("" is the model itself). */
  modules: RunModule[];
  /** Module paths in the order their forward passes finished (inner before outer); empty until a step was recorded. */
  order: string[];
  /** Per module, input and output shapes without the batch axis. */
  shapes: Record<string, { in: number[]; out: number[] }>;
  /** What the reader noticed: ranks that disagree, records skipped, a line cut short. */
  notes: string[];
  /** 1 when every recorded step is kept; k when only every k-th is (bounded memory on long runs). */
  stride: number;
  /** Why the run ended ("finished", "error: …"), or null while it is being written. */
  ended: string | null;
}

export interface RankInfo {
  rank: number;
  host: string;
  pid: number;
  /** Log files of this rank, in order. */
  files: string[];
  /** The last step this rank wrote. */
  lastStep: number | null;
  ended: string | null;
  /** Recording's measured share of step time, from the rank's end record. */
  overheadShare: number | null;
}

/** The loss the run computes, read from the autograd graph of the tensor passed to backward(). */
export interface RunLoss {
  /** torch.nn name: "MSELoss", "CrossEntropyLoss"… */
  type: string;
  reduction: string;
  /** Where the loss module was built (`criterion = nn.MSELoss()`); null for a functional loss. */
  site: SourceSite | null;
}
