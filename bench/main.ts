/**
 * `npm run bench`: ms per forward+backward step on the workloads W1–W4 for the engine,
 * @tensorflow/tfjs-backend-cpu and (when Debian's python3-torch is present) PyTorch, side by side.
 * Then training runs: the gradient_lens hook's overhead and the run-log reader (bench/run-log.ts).
 * Numbers, not assertions: these machines are shared and noisy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backward, Rng, Tensor } from '../src/engine';
import * as nn from '../src/engine/nn';
import { analyse } from '../src/analyse';
import { parseSpec } from '../src/model';
import { specFixes } from '../src/model/spec-fixes';
import { hookOverhead, readerBench } from './run-log';
import { activationAfterLast, timeIt, Workload, WORKLOADS } from './workloads';

const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 1500);

function engineStep(w: Workload): () => void {
  const rng = new Rng(0);
  const layers: nn.Module[] = [];
  for (let i = 0; i < w.widths.length - 1; i++) {
    layers.push(new nn.Linear(w.widths[i], w.widths[i + 1], { rng }));
    if (i < w.widths.length - 2 || activationAfterLast(w)) layers.push(w.activation === 'sigmoid' ? new nn.Sigmoid() : new nn.ReLU());
  }
  const model = new nn.Sequential(layers);
  const params = model.parameters();
  const out = w.widths[w.widths.length - 1];
  const x = new Tensor(new Float32Array(w.batch * w.widths[0]).map(() => rng.normal()), [w.batch, w.widths[0]]);
  const y =
    w.loss === 'mse'
      ? new Tensor(new Float32Array(w.batch * out).map(() => rng.normal()), [w.batch, out])
      : new Tensor(new Float32Array(w.batch).map(() => rng.integer(0, out)), [w.batch]);
  const loss = w.loss === 'mse' ? new nn.MSELoss() : new nn.CrossEntropyLoss();
  return () => {
    for (const p of params) p.grad = null;
    backward(loss.call(model.call(x), y));
  };
}

function tfjsStep(w: Workload): (() => void) | null {
  let tf: typeof import('@tensorflow/tfjs');
  try {
    // Requiring the umbrella package registers the gradients; the core alone fails with "gradient function not found".
    tf = require('@tensorflow/tfjs');
    require('@tensorflow/tfjs-backend-cpu');
  } catch {
    return null;
  }
  tf.setBackend('cpu');
  const vars: import('@tensorflow/tfjs').Variable[] = [];
  for (let i = 0; i < w.widths.length - 1; i++) {
    vars.push(tf.variable(tf.randomNormal([w.widths[i], w.widths[i + 1]], 0, 0.05)));
    vars.push(tf.variable(tf.zeros([w.widths[i + 1]])));
  }
  const out = w.widths[w.widths.length - 1];
  const x = tf.randomNormal([w.batch, w.widths[0]]);
  const y = w.loss === 'mse' ? tf.randomNormal([w.batch, out]) : tf.oneHot(tf.randomUniform([w.batch], 0, out, 'int32'), out);
  const forward = () => {
    let h: import('@tensorflow/tfjs').Tensor = x;
    for (let i = 0; i < vars.length; i += 2) {
      h = tf.add(tf.matMul(h, vars[i]), vars[i + 1]);
      if (i < vars.length - 2 || activationAfterLast(w)) h = w.activation === 'sigmoid' ? tf.sigmoid(h) : tf.relu(h);
    }
    return (w.loss === 'mse' ? tf.losses.meanSquaredError(y, h) : tf.losses.softmaxCrossEntropy(y, h)) as import('@tensorflow/tfjs').Scalar;
  };
  return () => {
    const { value, grads } = tf.variableGrads(forward);
    value.dispose();
    tf.dispose(grads);
  };
}

function torchTimes(): { version: string; ms: Record<string, number> } | null {
  if (!existsSync('/usr/bin/python3')) return null;
  const script = join(__dirname, '..', 'bench', 'torch_bench.py');
  const input = JSON.stringify({
    budgetSeconds: BUDGET_MS / 1000,
    workloads: WORKLOADS.map((w) => ({ ...w, activationAfterLast: activationAfterLast(w) })),
  });
  const r = spawnSync('/usr/bin/python3', [script], { input, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    const reason = r.stderr.includes("No module named 'torch'") ? 'python3-torch is not installed' : r.stderr.trim().split('\n').pop();
    console.log(`PyTorch: skipped (${reason})`);
    return null;
  }
  return JSON.parse(r.stdout);
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 0.01 ? `${(ms * 1000).toFixed(2)} µs` : ms < 10 ? `${ms.toFixed(3)} ms` : `${ms.toFixed(1)} ms`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined) return '—';
  const r = a / b;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toPrecision(2)}×`;
}

/** What the editor does after each pause in typing: parse, a 5-step quick trace, every rule. */
function quickTrace(file: string): { cold: number; warm: number } {
  const text = readFileSync(file, 'utf8');
  const once = () => {
    const { spec } = parseSpec(text, file);
    if (!spec) throw new Error(`${file} does not parse`);
    analyse({ graph: spec, text, fileName: file, fixes: (g) => specFixes(text, file, g) }, { kind: 'build', options: { steps: 5 } });
  };
  const t = performance.now();
  once();
  const cold = performance.now() - t;
  return { cold, warm: timeIt(once, BUDGET_MS) };
}

function main(): void {
  if (process.argv.includes('run-log')) {
    // `node --expose-gc dist/bench.js run-log`: only the training-run numbers.
    hookOverhead();
    readerBench();
    return;
  }
  const only = process.argv.slice(2).filter((a) => /^W\d$/.test(a));
  const workloads = only.length ? WORKLOADS.filter((w) => only.includes(w.id)) : WORKLOADS;
  console.log(`Gradient Lens benchmark — ms per forward+backward step (median; budget ${BUDGET_MS} ms per measurement)`);
  console.log(`node ${process.version}, ${require('node:os').cpus()[0]?.model ?? 'unknown CPU'}`);
  const torch = torchTimes();
  if (torch) console.log(`PyTorch ${torch.version}, 1 thread`);
  const rows: string[][] = [['workload', 'engine', 'tfjs-cpu', 'PyTorch', 'tfjs/engine', 'PyTorch/engine']];
  for (const w of workloads) {
    const engine = timeIt(engineStep(w), BUDGET_MS);
    const tfStep = tfjsStep(w);
    const tfjs = tfStep ? timeIt(tfStep, BUDGET_MS, 2, 1) : undefined;
    const pt = torch?.ms[w.id];
    rows.push([`${w.id} ${w.title}`, fmtMs(engine), fmtMs(tfjs), fmtMs(pt), ratio(tfjs, engine), ratio(pt, engine)]);
    console.error(`  measured ${w.id}`);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  console.log('\nquick trace (parse + 5 steps + all rules), the editor\'s work per pause in typing; target < 20 ms:');
  for (const f of ['examples/seed.grad.yaml', 'examples/seed-saturated.grad.yaml']) {
    const path = join(__dirname, '..', f);
    if (!existsSync(path)) continue;
    const { cold, warm } = quickTrace(path);
    console.log(`  ${f}: ${fmtMs(warm)} warm (first run in a fresh process ${fmtMs(cold)}), ${(20 / warm).toFixed(0)}× under target`);
  }
  hookOverhead();
  readerBench();
}

main();
