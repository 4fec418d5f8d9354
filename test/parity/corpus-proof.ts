/**
 * Runs the real-world corpus in PyTorch (corpus_proof.py, Debian's torch 1.13 through /usr/bin/python3)
 * and judges the `# torch:` claims of each model against what PyTorch measured.
 */
import { spawnSync } from 'node:child_process';
import type { LayerNode } from '../../src/model/graph';
import { parseSpec } from '../../src/model';
import type { CorpusModel, TorchClaim } from '../unit/rules/corpus';
import { PYTHON } from '../support/torch';

/** What "trains" means for a healthy model: its data-set loss at most this share of the initial one… */
export const TRAINS_LOSS_RATIO = 0.5;
/** …and at most this share of the best constant prediction's (a model that learned nothing from its inputs). */
export const TRAINS_BASELINE_RATIO = 0.8;
const DEFAULT_STEPS = 300;
const DEFAULT_SAMPLES = 256;

export interface ProofResult {
  metrics: Record<string, number>;
  error: string | null;
  losses: number[];
}


/** The layer tree as the Python side reads it: types, names, PyTorch keyword arguments and inits. */
function treeJson(node: LayerNode): unknown {
  const init: Record<string, unknown> = {};
  for (const [param, spec] of Object.entries(node.init)) init[param] = { scheme: spec.scheme, args: spec.args };
  return { type: node.type, name: node.name, args: node.args, init, children: node.children.map(treeJson) };
}

export function proofCase(m: CorpusModel, id: string): unknown {
  const { spec, diagnostics } = parseSpec(m.text, m.file);
  if (!spec) throw new Error(`${m.file} does not parse: ${diagnostics.map((d) => d.message).join('; ')}`);
  const teacher = m.run.teacher !== 'no';
  return {
    id,
    model: treeJson(spec.model),
    loss: { type: spec.loss.type, args: spec.loss.args },
    optimizer: {
      type: spec.optimizer.type,
      args: spec.optimizer.args,
      clip: spec.optimizer.clip && (spec.optimizer.clip.kind === 'norm' ? { norm: spec.optimizer.clip.maxNorm, type: spec.optimizer.clip.normType } : { value: spec.optimizer.clip.clipValue }),
    },
    input: { shape: spec.input.shape, distribution: spec.input.distribution },
    target: { shape: spec.target.shape, distribution: spec.target.distribution },
    batch_size: spec.trace.batchSize,
    seed: spec.trace.seed,
    steps: Number(m.run.steps ?? DEFAULT_STEPS),
    samples: Number(m.run.samples ?? DEFAULT_SAMPLES),
    teacher,
  };
}

/** Runs every case in one Python process (importing torch costs about a second). */
export function runProofs(models: readonly { id: string; model: CorpusModel }[]): { torch: string; results: Record<string, ProofResult> } {
  const request = { cases: models.map(({ id, model }) => proofCase(model, id)) };
  const r = spawnSync(PYTHON, [`${__dirname}/corpus_proof.py`], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`corpus_proof.py failed:\n${r.stderr}`);
  const out = JSON.parse(r.stdout, (_k, v) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));
  return out;
}

/** Whether PyTorch's measurement backs one claim, and the number it measured. */
export function holds(claim: TorchClaim, result: ProofResult): { ok: boolean; measured: string } {
  if (claim.kind === 'raises') {
    return { ok: !!result.error && result.error.includes(claim.text), measured: result.error ?? 'no error' };
  }
  const v = result.metrics[claim.metric];
  if (v === undefined) return { ok: false, measured: `no metric ${claim.metric} (have ${Object.keys(result.metrics).join(', ')})` };
  const ok = { '<': v < claim.value, '<=': v <= claim.value, '>': v > claim.value, '>=': v >= claim.value, '==': v === claim.value }[claim.op];
  return { ok, measured: String(v) };
}

