/** Turns a model graph into engine modules, a loss and an optimiser: the "build" arrow of the data flow, read from the catalogue. */
import type { DType, Tensor } from '../engine';
import { Rng } from '../engine';
import type * as nn from '../engine/nn';
import type { Optimizer } from '../engine/optim';
import { applyInit, layerDef, layerTypeOf, LOSSES, OPTIMIZERS, withDefaults, type BuildRun } from './catalogue';
import { layersBelow } from './graph';
import type { LayerNode, LossSpec, ModelSpec, OptimizerSpec } from './graph';

export type { Optimizer };

export interface BuiltModel {
  module: nn.Module;
  loss: nn.Loss;
  optimizer: Optimizer;
  /** named_parameters() order, each with `.name` set. */
  params: Tensor[];
  /** Every layer, depth-first in document order: its path and torch.nn type. */
  layers: readonly { path: string; type: string }[];
}

/** A layer and, first, everything inside it (children are built in document order, as PyTorch's constructors run). */
function buildLayer(node: LayerNode, run: BuildRun): nn.Module {
  const def = layerDef(node.type);
  if (!def) throw new Error(`no module for layer type ${node.type}`);
  const children = node.children.map((c) => [c.name, buildLayer(c, run)] as [string, nn.Module]);
  return def.build(withDefaults(def.args, node.args), run, children);
}

export function buildLoss(spec: Pick<LossSpec, 'type' | 'args'>): nn.Loss {
  const def = LOSSES[spec.type];
  return def.build(withDefaults(def.args, spec.args));
}

/** The optimiser over `params`; arguments not given take the catalogue's defaults (torch.optim's); the spec's gradient clipping runs before each step. */
export function buildOptimizer(spec: Pick<OptimizerSpec, 'type' | 'args'> & { clip?: OptimizerSpec['clip'] }, params: Tensor[]): Optimizer {
  const def = OPTIMIZERS[spec.type];
  const optimizer = def.build(params, withDefaults(def.args, spec.args));
  const clip = spec.clip;
  if (clip) optimizer.clip = clip.kind === 'norm' ? { kind: 'norm', maxNorm: clip.maxNorm, normType: clip.normType } : { kind: 'value', clipValue: clip.clipValue };
  return optimizer;
}

/** The graph's module, every layer built by its catalogue entry, with the graph's per-layer `init:` applied over PyTorch's defaults. */
export function buildModule(spec: ModelSpec, dtype: DType, rng: Rng): nn.Module {
  const module = buildLayer(spec.model, { dtype, rng, dropoutRng: new Rng(spec.trace.seed + 2) });
  // `trace: {dropout: false}`: every dropout in evaluation mode, so nothing is dropped (exact comparisons).
  if (spec.trace.dropout === false) for (const [, m] of module.namedModules()) if (layerTypeOf(m) === 'Dropout') m.training = false;
  const named = new Map(module.namedParameters());
  for (const layer of layersBelow(spec.model)) {
    for (const [param, init] of Object.entries(layer.init)) {
      const t = named.get(layer.path ? `${layer.path}.${param}` : param);
      if (t) applyInit(t, init.scheme, init.args, rng);
    }
  }
  return module;
}
