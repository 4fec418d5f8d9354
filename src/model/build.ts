/** Turns a parsed spec into engine modules, a loss and an optimiser: the "build" arrow of the data flow. */
import type { DType, Tensor } from '../engine';
import { Rng } from '../engine';
import * as init from '../engine/init';
import * as nn from '../engine/nn';
import { Adam, SGD } from '../engine/optim';
import { layersBelow } from './graph';
import type { InitSpec, LayerNode, LossSpec, ModelSpec, OptimizerSpec } from './graph';

export interface Optimizer {
  step(): void;
  zeroGrad(): void;
  /** Tensors of each parameter's size kept as state (momentum, moments): for the memory count. */
  readonly stateSlots: number;
}

export interface LossModule {
  call(input: Tensor, target: Tensor): Tensor;
}

export interface BuiltModel {
  module: nn.Module;
  loss: LossModule;
  optimizer: Optimizer;
  /** named_parameters() order, each with `.name` set. */
  params: Tensor[];
  /** Every layer of the spec, depth-first in document order. */
  layers: LayerNode[];
}

const num = (v: unknown): number => v as number;
const pair = (v: unknown): number | [number, number] => v as number | [number, number];

function buildLayer(node: LayerNode, dtype: DType, rng: Rng, dropoutRng: Rng): nn.Module {
  const a = node.args;
  switch (node.type) {
    case 'Sequential':
      return new nn.Sequential(node.children.map((c) => [c.name, buildLayer(c, dtype, rng, dropoutRng)] as [string, nn.Module]));
    case 'Linear':
      return new nn.Linear(num(a.in_features), num(a.out_features), { bias: a.bias !== false, dtype, rng });
    case 'Conv1d':
      return new nn.Conv1d(num(a.in_channels), num(a.out_channels), num(a.kernel_size), {
        stride: num(a.stride),
        padding: num(a.padding),
        bias: a.bias !== false,
        dtype,
        rng,
      });
    case 'Conv2d':
      return new nn.Conv2d(num(a.in_channels), num(a.out_channels), pair(a.kernel_size), {
        stride: pair(a.stride),
        padding: pair(a.padding),
        bias: a.bias !== false,
        dtype,
        rng,
      });
    case 'MaxPool2d':
      return new nn.MaxPool2d(pair(a.kernel_size), { stride: pair(a.stride ?? a.kernel_size), padding: pair(a.padding) });
    case 'AvgPool2d':
      return new nn.AvgPool2d(pair(a.kernel_size), { stride: pair(a.stride ?? a.kernel_size), padding: pair(a.padding) });
    case 'ReLU':
      return new nn.ReLU();
    case 'Sigmoid':
      return new nn.Sigmoid();
    case 'Tanh':
      return new nn.Tanh();
    case 'LeakyReLU':
      return new nn.LeakyReLU(num(a.negative_slope));
    case 'ELU':
      return new nn.ELU(num(a.alpha));
    case 'GELU':
      return new nn.GELU(a.approximate as 'none' | 'tanh');
    case 'Softplus':
      return new nn.Softplus(num(a.beta), num(a.threshold));
    case 'Softmax':
      return new nn.Softmax(num(a.dim));
    case 'LogSoftmax':
      return new nn.LogSoftmax(num(a.dim));
    case 'BatchNorm1d':
      return new nn.BatchNorm1d(num(a.num_features), { eps: num(a.eps), momentum: num(a.momentum), affine: a.affine !== false, dtype });
    case 'BatchNorm2d':
      return new nn.BatchNorm2d(num(a.num_features), { eps: num(a.eps), momentum: num(a.momentum), affine: a.affine !== false, dtype });
    case 'LayerNorm':
      return new nn.LayerNorm(a.normalized_shape as number | number[], {
        eps: num(a.eps),
        elementwiseAffine: a.elementwise_affine !== false,
        dtype,
      });
    case 'Dropout':
      return new nn.Dropout(num(a.p), dropoutRng);
    case 'Embedding':
      return new nn.Embedding(num(a.num_embeddings), num(a.embedding_dim), {
        paddingIdx: (a.padding_idx ?? null) as number | null,
        dtype,
        rng,
      });
    case 'Flatten':
      return new nn.Flatten(num(a.start_dim), num(a.end_dim));
    case 'Identity':
      return new nn.Identity();
    default:
      throw new Error(`no module for layer type ${node.type}`);
  }
}

/** The spec's per-layer `init:` overrides the PyTorch default the module was built with. */
function applyInit(t: Tensor, spec: InitSpec, rng: Rng): void {
  const a = spec.args;
  switch (spec.scheme) {
    case 'default':
      return;
    case 'zeros':
      init.zeros(t);
      return;
    case 'ones':
      init.ones(t);
      return;
    case 'constant':
      init.constant(t, num(a.value ?? a.val ?? 0));
      return;
    case 'normal':
      init.normal(t, rng, num(a.mean ?? 0), num(a.std ?? 1));
      return;
    case 'uniform':
      init.uniform(t, rng, num(a.a ?? 0), num(a.b ?? 1));
      return;
    case 'xavier_uniform':
      init.xavierUniform(t, rng, num(a.gain ?? 1));
      return;
    case 'xavier_normal':
      init.xavierNormal(t, rng, num(a.gain ?? 1));
      return;
    case 'kaiming_uniform':
    case 'kaiming_normal': {
      const kaiming = spec.scheme === 'kaiming_uniform' ? init.kaimingUniform : init.kaimingNormal;
      kaiming(t, rng, num(a.a ?? 0), (a.mode ?? 'fan_in') as init.FanMode, (a.nonlinearity ?? 'leaky_relu') as init.Nonlinearity);
      return;
    }
  }
}

export function buildLoss(spec: LossSpec): LossModule {
  const reduction = spec.args.reduction;
  switch (spec.type) {
    case 'MSELoss':
      return new nn.MSELoss({ reduction });
    case 'L1Loss':
      return new nn.L1Loss({ reduction });
    case 'HuberLoss':
      return new nn.HuberLoss({ reduction, delta: spec.args.delta ?? 1 });
    case 'CrossEntropyLoss':
      return new nn.CrossEntropyLoss({ reduction });
    case 'NLLLoss':
      return new nn.NLLLoss({ reduction });
    case 'BCELoss':
      return new nn.BCELoss({ reduction });
    case 'BCEWithLogitsLoss':
      return new nn.BCEWithLogitsLoss({ reduction });
  }
}

export function buildOptimizer(spec: OptimizerSpec, params: Tensor[]): Optimizer {
  const a = spec.args;
  if (spec.type === 'Adam') {
    return new Adam(params, {
      lr: num(a.lr ?? 1e-3),
      betas: (a.betas ?? [0.9, 0.999]) as [number, number],
      eps: num(a.eps ?? 1e-8),
      weightDecay: num(a.weight_decay ?? 0),
      amsgrad: a.amsgrad === true,
    });
  }
  return new SGD(params, {
    lr: num(a.lr),
    momentum: num(a.momentum ?? 0),
    dampening: num(a.dampening ?? 0),
    weightDecay: num(a.weight_decay ?? 0),
    nesterov: a.nesterov === true,
  });
}


export function buildModel(spec: ModelSpec, dtype: DType, rng: Rng): BuiltModel {
  const dropoutRng = new Rng(spec.trace.seed + 2);
  const module = buildLayer(spec.model, dtype, rng, dropoutRng);
  const layers = layersBelow(spec.model);
  const named = new Map(module.namedParameters());
  for (const layer of layers) {
    for (const [param, scheme] of Object.entries(layer.init)) {
      const t = named.get(layer.path ? `${layer.path}.${param}` : param);
      if (t) applyInit(t, scheme, rng);
    }
  }
  const params = module.parameters();
  return { module, loss: buildLoss(spec.loss), optimizer: buildOptimizer(spec.optimizer, params), params, layers };
}
