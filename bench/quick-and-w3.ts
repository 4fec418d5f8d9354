/**
 * Times the editor's quick trace of the CIFAR-size CNN (as bench/main.ts section 3 runs it) and
 * W3's replayed step, by this process's CPU time (median and fastest sample): one side of an
 * alternating comparison of two builds on a shared machine. Bundled into dist/ so the .wasm files
 * are found:
 *   npx esbuild bench/quick-and-w3.ts --bundle --platform=node --format=cjs --target=node20 \
 *     --keep-names --main-fields=module,main --outfile=dist/quick-and-w3.js
 *   node --experimental-wasm-relaxed-simd dist/quick-and-w3.js quick|w3|both [seconds]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setKernelThreads } from '../src/engine';
import { analyse } from '../src/analyse';
import { parseSpec } from '../src/model';
import { specFixes } from '../src/model/spec-fixes';
import { engineStep, ROOT } from './engine';
import { WORKLOADS } from './workloads';

const which = process.argv[2] ?? 'both';
const seconds = Number(process.argv[3] ?? 3);

/** The median and the fastest of samples of `inner` calls each, by this process's CPU time, in ms per call. */
function cpuTimes(fn: () => void, budgetMs: number, inner: number): [number, number] {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (performance.now() < end || samples.length < 5) {
    const t = process.cpuUsage();
    for (let i = 0; i < inner; i++) fn();
    const d = process.cpuUsage(t);
    samples.push((d.user + d.system) / 1000 / inner);
  }
  samples.sort((a, b) => a - b);
  return [samples[samples.length >> 1], samples[0]];
}

setKernelThreads(1);
const out: Record<string, number> = {};
const rounded = () => Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Number(v.toFixed(1))]));
if (which === 'quick' || which === 'both') {
  const file = join(ROOT, 'bench/models/cifar-cnn.grad.yaml');
  const text = readFileSync(file, 'utf8');
  [out.quickMs, out.quickBestMs] = cpuTimes(() => {
    const { spec } = parseSpec(text, file);
    if (!spec) throw new Error('no parse');
    analyse({ graph: spec, text, fileName: file, fixes: (g) => specFixes(text, file, g) }, { kind: 'build', options: { steps: 5, reuseModel: true } });
  }, seconds * 1000, 1);
}
if (which === 'w3' || which === 'both') {
  const step = engineStep(WORKLOADS.find((w) => w.id === 'W3')!);
  const [median, best] = cpuTimes(step, seconds * 1000, 20);
  out.w3Us = median * 1000;
  out.w3BestUs = best * 1000;
  out.w3replay = step.replay() === 'replayed' ? 1 : 0;
}
console.log(JSON.stringify(rounded()));
