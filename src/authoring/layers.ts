/**
 * The engine's torch.nn layers as users construct them: the same arguments, the rng and dtype
 * taken from the run (so `new Linear(10, 10)` needs nothing else), and each remembers the line
 * that built it.
 */
import * as nn from '../engine/nn';
import type { Rng } from '../engine/rng';
import { ModuleList, noteCreated } from './module';
import { buildContext } from './registry';

type Pair = number | [number, number];

/** The options with the run's rng and dtype where the user gave none. */
function withRun<T extends { rng?: Rng; dtype?: 'float32' | 'float64' }>(options: T): T {
  const run = buildContext();
  return { ...options, rng: options.rng ?? run.rng, dtype: options.dtype ?? run.dtype };
}

export class Linear extends nn.Linear {
  constructor(inFeatures: number, outFeatures: number, options: nn.LinearOptions = {}) {
    super(inFeatures, outFeatures, withRun(options));
    noteCreated(this);
  }
}

export class Conv1d extends nn.Conv1d {
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number], options: nn.Conv1dOptions = {}) {
    super(inChannels, outChannels, kernelSize, withRun(options));
    noteCreated(this);
  }
}

export class Conv2d extends nn.Conv2d {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: nn.Conv2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, withRun(options));
    noteCreated(this);
  }
}

export class MaxPool2d extends nn.MaxPool2d {
  constructor(kernelSize: Pair, options: nn.PoolOptions = {}) {
    super(kernelSize, options);
    noteCreated(this);
  }
}

export class AvgPool2d extends nn.AvgPool2d {
  constructor(kernelSize: Pair, options: nn.PoolOptions = {}) {
    super(kernelSize, options);
    noteCreated(this);
  }
}

export class BatchNorm1d extends nn.BatchNorm1d {
  constructor(numFeatures: number, options: nn.BatchNormOptions = {}) {
    super(numFeatures, { ...options, dtype: options.dtype ?? buildContext().dtype });
    noteCreated(this);
  }
}

export class BatchNorm2d extends nn.BatchNorm2d {
  constructor(numFeatures: number, options: nn.BatchNormOptions = {}) {
    super(numFeatures, { ...options, dtype: options.dtype ?? buildContext().dtype });
    noteCreated(this);
  }
}

export class LayerNorm extends nn.LayerNorm {
  constructor(normalizedShape: number | number[], options: nn.LayerNormOptions = {}) {
    super(normalizedShape, { ...options, dtype: options.dtype ?? buildContext().dtype });
    noteCreated(this);
  }
}

export class Dropout extends nn.Dropout {
  /** PyTorch's default p = 0.5; the mask comes from the run's rng unless one is given. */
  constructor(p = 0.5, rng?: Rng) {
    super(p, rng ?? buildContext().rng);
    noteCreated(this);
  }
}

export class Embedding extends nn.Embedding {
  constructor(numEmbeddings: number, embeddingDim: number, options: nn.EmbeddingOptions = {}) {
    super(numEmbeddings, embeddingDim, withRun(options));
    noteCreated(this);
  }
}

export class Flatten extends nn.Flatten {
  constructor(startDim = 1, endDim = -1) {
    super(startDim, endDim);
    noteCreated(this);
  }
}

export class Identity extends nn.Identity {
  constructor() {
    super();
    noteCreated(this);
  }
}

export class Sequential extends nn.Sequential {
  constructor(children: (nn.Module | [string, nn.Module])[] = []) {
    super(children);
    noteCreated(this);
  }
}

export class ReLU extends nn.ReLU {
  constructor() {
    super();
    noteCreated(this);
  }
}

export class Sigmoid extends nn.Sigmoid {
  constructor() {
    super();
    noteCreated(this);
  }
}

export class Tanh extends nn.Tanh {
  constructor() {
    super();
    noteCreated(this);
  }
}

export class LeakyReLU extends nn.LeakyReLU {
  constructor(negativeSlope = 0.01) {
    super(negativeSlope);
    noteCreated(this);
  }
}

export class ELU extends nn.ELU {
  constructor(alpha = 1) {
    super(alpha);
    noteCreated(this);
  }
}

export class GELU extends nn.GELU {
  constructor(approximate: 'none' | 'tanh' = 'none') {
    super(approximate);
    noteCreated(this);
  }
}

export class Softplus extends nn.Softplus {
  constructor(beta = 1, threshold = 20) {
    super(beta, threshold);
    noteCreated(this);
  }
}

export class Softmax extends nn.Softmax {
  constructor(dim?: number) {
    super(dim);
    noteCreated(this);
  }
}

export class LogSoftmax extends nn.LogSoftmax {
  constructor(dim?: number) {
    super(dim);
    noteCreated(this);
  }
}

/** torch.nn class names of the engine's layers, most derived first, for a module's `type` (class names do not survive minification). */
export const LAYER_TYPES: [abstract new (...args: never[]) => nn.Module, string][] = [
  [nn.Linear, 'Linear'],
  [nn.Conv1d, 'Conv1d'],
  [nn.Conv2d, 'Conv2d'],
  [nn.MaxPool2d, 'MaxPool2d'],
  [nn.AvgPool2d, 'AvgPool2d'],
  [nn.BatchNorm1d, 'BatchNorm1d'],
  [nn.BatchNorm2d, 'BatchNorm2d'],
  [nn.LayerNorm, 'LayerNorm'],
  [nn.Dropout, 'Dropout'],
  [nn.Embedding, 'Embedding'],
  [nn.Flatten, 'Flatten'],
  [nn.Identity, 'Identity'],
  [nn.Sequential, 'Sequential'],
  [nn.ReLU, 'ReLU'],
  [nn.Sigmoid, 'Sigmoid'],
  [nn.Tanh, 'Tanh'],
  [nn.LeakyReLU, 'LeakyReLU'],
  [nn.ELU, 'ELU'],
  [nn.GELU, 'GELU'],
  [nn.Softplus, 'Softplus'],
  [nn.Softmax, 'Softmax'],
  [nn.LogSoftmax, 'LogSoftmax'],
];

/** The torch.nn type of a module ("Linear"), or the user's class name for their own modules ("Block"). */
export function layerType(m: nn.Module): string {
  for (const [cls, name] of LAYER_TYPES) if (m instanceof cls) return name;
  if (m instanceof ModuleList) return 'ModuleList';
  return m.constructor.name || 'Module';
}
