/** The rest of the spec format's vocabulary: synthetic data distributions, the trace settings, the top-level keys. */
import type { ArgDef } from './args';

export type DistributionKind = 'normal' | 'uniform' | 'integers' | 'bernoulli';

export const DISTRIBUTIONS: Record<DistributionKind, { doc: string; args: ArgDef[] }> = {
  normal: {
    doc: 'Samples from N(mean, std²).',
    args: [
      { name: 'mean', type: { kind: 'number' }, default: 0, doc: 'Mean.' },
      { name: 'std', type: { kind: 'number', min: 0 }, default: 1, doc: 'Standard deviation.' },
    ],
  },
  uniform: {
    doc: 'Samples from U(low, high).',
    args: [
      { name: 'low', type: { kind: 'number' }, default: 0, doc: 'Lower bound.' },
      { name: 'high', type: { kind: 'number' }, default: 1, doc: 'Upper bound.' },
    ],
  },
  integers: {
    doc: 'Integers in [low, high) as torch.randint draws them: indices for Embedding.',
    args: [
      { name: 'low', type: { kind: 'int', min: 0 }, default: 0, doc: 'Lowest index (inclusive).' },
      { name: 'high', type: { kind: 'int', min: 1 }, doc: 'One past the highest index (exclusive); at most num_embeddings.' },
    ],
  },
  bernoulli: {
    doc: '1 with probability p, else 0 (targets for BCELoss).',
    args: [{ name: 'p', type: { kind: 'number', min: 0, max: 1 }, default: 0.5, doc: 'Probability of a 1, in [0, 1].' }],
  },
};

export const DISTRIBUTION_KINDS = Object.keys(DISTRIBUTIONS) as DistributionKind[];

export const TOP_LEVEL_KEYS = ['model', 'input', 'target', 'loss', 'optimizer', 'trace'];
export const REQUIRED_TOP_LEVEL_KEYS = ['model', 'input', 'target', 'loss'];

export const TRACE_ARGS: ArgDef[] = [
  { name: 'steps', type: { kind: 'int', min: 1 }, default: 20, doc: 'Training steps to trace.' },
  { name: 'batch_size', type: { kind: 'int', min: 1 }, default: 8, doc: 'Samples per step.' },
  { name: 'seed', type: { kind: 'int', min: 0 }, default: 0, doc: 'Seed of the initialisation and the synthetic data.' },
  { name: 'dtype', type: { kind: 'enum', values: ['float32', 'float64'] }, default: 'float32', doc: 'Floating-point type of parameters and activations.' },
  { name: 'dropout', type: { kind: 'bool' }, default: true, doc: 'false turns every dropout off, for exact comparisons with another run (its random masks differ from ours).' },
];
