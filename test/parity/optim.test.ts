/**
 * Optimiser parity: the same model (PyTorch's starting state_dict, loaded by name), the same batch,
 * three steps of each optimiser (and of gradient clipping before the step), parameters compared
 * after every step against torch 1.13, to 1e-5 relative in float64 and 1e-4 in float32.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as E from '../../src/engine';
import { backward, loadStateDict, nn, Rng, Tensor } from '../../src/engine';
import type { DType } from '../../src/engine';
import { PYTHON, requireTorch } from '../support/torch';

const F = E;
const STEPS = 3;
const TOLERANCE: Record<DType, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-5, atol: 1e-12 },
  float32: { rtol: 1e-4, atol: 1e-6 },
};

type Clip = { norm: number; type: number | 'inf' } | { value: number } | null;

interface OptimCase {
  name: string;
  optimizer: { type: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad' | 'Adadelta'; args: Record<string, unknown> };
  clip?: Clip;
  model?: 'mlp' | 'lstm';
}

const MODELS = {
  mlp: {
    py: 'nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))',
    ts: (dtype: DType, rng: Rng) => new nn.Sequential([new nn.Linear(4, 6, { dtype, rng }), new nn.Tanh(), new nn.Linear(6, 3, { dtype, rng })]),
    x: [5, 4],
    y: [5, 3],
    loss: 'loss = F.mse_loss(m(x), y)',
    tsLoss: (m: nn.Module, x: Tensor, y: Tensor) => F.mseLoss(m.call(x), y),
  },
  lstm: {
    py: 'nn.LSTM(3, 4, batch_first=True)',
    ts: (dtype: DType, rng: Rng) => new nn.LSTM(3, 4, { batchFirst: true, dtype, rng }),
    x: [2, 5, 3],
    y: [2, 4],
    loss: 'loss = F.mse_loss(m(x)[0][:, -1], y)',
    tsLoss: (m: nn.Module, x: Tensor, y: Tensor) => F.mseLoss(F.getItem((m as nn.LSTM).run(x)[0], [F.ALL, -1]), y),
  },
};

const CASES: OptimCase[] = [
  { name: 'AdamW defaults', optimizer: { type: 'AdamW', args: { lr: 0.01 } } },
  { name: 'AdamW amsgrad, strong decay', optimizer: { type: 'AdamW', args: { lr: 0.05, weight_decay: 0.5, amsgrad: true, betas: [0.8, 0.9] } } },
  { name: 'RMSprop defaults', optimizer: { type: 'RMSprop', args: {} } },
  { name: 'RMSprop centered with momentum and decay', optimizer: { type: 'RMSprop', args: { lr: 0.005, alpha: 0.9, momentum: 0.8, centered: true, weight_decay: 0.1 } } },
  { name: 'Adagrad defaults', optimizer: { type: 'Adagrad', args: {} } },
  { name: 'Adagrad lr decay, accumulator, decay', optimizer: { type: 'Adagrad', args: { lr: 0.1, lr_decay: 0.5, initial_accumulator_value: 0.1, weight_decay: 0.05 } } },
  { name: 'Adadelta defaults', optimizer: { type: 'Adadelta', args: {} } },
  { name: 'Adadelta rho and decay', optimizer: { type: 'Adadelta', args: { lr: 0.5, rho: 0.5, eps: 1e-4, weight_decay: 0.1 } } },
  { name: 'SGD with clip_grad_norm_', optimizer: { type: 'SGD', args: { lr: 0.5, momentum: 0.9 } }, clip: { norm: 0.05, type: 2 } },
  { name: 'Adam with clip_grad_norm_ (inf norm)', optimizer: { type: 'Adam', args: { lr: 0.01 } }, clip: { norm: 0.01, type: 'inf' } },
  { name: 'Adam with clip_grad_value_', optimizer: { type: 'Adam', args: { lr: 0.01 } }, clip: { value: 0.02 } },
  { name: 'AdamW on an LSTM, clipped', optimizer: { type: 'AdamW', args: { lr: 0.02 } }, clip: { norm: 0.1, type: 2 }, model: 'lstm' },
  { name: 'RMSprop on an LSTM', optimizer: { type: 'RMSprop', args: { lr: 0.01 } }, model: 'lstm' },
];

function build(type: OptimCase['optimizer']['type'], params: Tensor[], a: Record<string, unknown>): E.Optimizer {
  const n = (k: string) => a[k] as number | undefined;
  switch (type) {
    case 'SGD':
      return new E.SGD(params, { lr: n('lr')!, momentum: n('momentum'), weightDecay: n('weight_decay') });
    case 'Adam':
      return new E.Adam(params, { lr: n('lr'), weightDecay: n('weight_decay'), amsgrad: a.amsgrad as boolean | undefined, betas: a.betas as [number, number] | undefined });
    case 'AdamW':
      return new E.AdamW(params, { lr: n('lr'), weightDecay: n('weight_decay'), amsgrad: a.amsgrad as boolean | undefined, betas: a.betas as [number, number] | undefined });
    case 'RMSprop':
      return new E.RMSprop(params, { lr: n('lr'), alpha: n('alpha'), momentum: n('momentum'), centered: a.centered as boolean | undefined, weightDecay: n('weight_decay') });
    case 'Adagrad':
      return new E.Adagrad(params, { lr: n('lr'), lrDecay: n('lr_decay'), initialAccumulatorValue: n('initial_accumulator_value'), weightDecay: n('weight_decay') });
    case 'Adadelta':
      return new E.Adadelta(params, { lr: n('lr'), rho: n('rho'), eps: n('eps'), weightDecay: n('weight_decay') });
  }
}

const decode = (v: number | string): number => (typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN);

describe('PyTorch parity of the optimisers and gradient clipping (3 steps against torch 1.13)', function () {
  this.timeout(120_000);
  const results = new Map<string, { error?: string; state: Record<string, { shape: number[]; data: (number | string)[] }>; after: Record<string, (number | string)[]>[]; norms: (number | string)[] }>();
  const worst: Record<DType, { rel: number; where: string }> = { float64: { rel: 0, where: '' }, float32: { rel: 0, where: '' } };
  const batch = (shape: number[], seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.between(-1, 1));
  };

  before(function () {
    requireTorch(this, 'the optimiser parity suite');
    const cases = CASES.flatMap((c) =>
      (['float64', 'float32'] as DType[]).map((dtype) => {
        const m = MODELS[c.model ?? 'mlp'];
        return {
          id: `${c.name}:${dtype}`,
          dtype,
          module: m.py,
          loss: m.loss,
          x: { shape: m.x, data: batch(m.x, 1) },
          y: { shape: m.y, data: batch(m.y, 2) },
          optimizer: c.optimizer,
          clip: c.clip ?? null,
          steps: STEPS,
        };
      }),
    );
    const r = spawnSync(PYTHON, [join(__dirname, 'torch_optim.py')], { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`torch_optim.py failed:\n${r.stderr}`);
    for (const [id, res] of Object.entries((JSON.parse(r.stdout) as { results: Record<string, never> }).results)) results.set(id, res);
  });

  after(() => {
    for (const dtype of ['float64', 'float32'] as DType[]) console.log(`  optimisers, ${dtype}: worst relative error ${worst[dtype].rel.toExponential(2)} (${worst[dtype].where})`);
  });

  for (const c of CASES) {
    for (const dtype of ['float64', 'float32'] as DType[]) {
      it(`${c.name} (${dtype})`, () => {
        const ref = results.get(`${c.name}:${dtype}`);
        if (!ref) throw new Error('PyTorch returned nothing');
        if (ref.error) throw new Error(`PyTorch refused: ${ref.error}`);
        const spec = MODELS[c.model ?? 'mlp'];
        const model = spec.ts(dtype, new Rng(3));
        const state: Record<string, { shape: number[]; data: number[] }> = {};
        for (const [k, v] of Object.entries(ref.state)) state[k] = { shape: v.shape, data: v.data.map(decode) };
        loadStateDict(model, state);
        const x = F.tensor(batch(spec.x, 1), spec.x, dtype);
        const y = F.tensor(batch(spec.y, 2), spec.y, dtype);
        const params = model.parameters();
        const opt = build(c.optimizer.type, params, c.optimizer.args);
        const { rtol, atol } = TOLERANCE[dtype];
        const failures: string[] = [];
        const check = (what: string, a: number, b: number) => {
          const scale = Math.max(Math.abs(a), Math.abs(b));
          const rel = Math.abs(a - b) / (scale + atol / rtol);
          if (rel > worst[dtype].rel) worst[dtype] = { rel, where: `${c.name} ${what}` };
          if (!(Math.abs(a - b) <= rtol * scale + atol) && failures.length < 8) failures.push(`${what}: ours ${a}, PyTorch ${b}`);
        };
        for (let step = 0; step < STEPS; step++) {
          opt.zeroGrad();
          backward(spec.tsLoss(model, x, y));
          const clip = c.clip;
          if (clip && 'norm' in clip) check(`step ${step + 1} total norm`, E.clipGradNorm_(params, clip.norm, clip.type === 'inf' ? Infinity : clip.type), decode(ref.norms[step]));
          else if (clip && 'value' in clip) E.clipGradValue_(params, clip.value);
          opt.step();
          for (const [name, p] of model.namedParameters()) {
            const theirs = ref.after[step][name];
            if (!theirs) {
              failures.push(`${name}: not in PyTorch's parameters`);
              continue;
            }
            for (let i = 0; i < p.size; i++) check(`step ${step + 1} ${name}[${i}]`, p.data[i], decode(theirs[i]));
          }
        }
        if (failures.length) throw new Error(failures.join('\n'));
      });
    }
  }
});
