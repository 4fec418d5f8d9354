/**
 * Training runs in `npm run bench`: the gradient_lens hook's overhead on CPU training steps (an MLP
 * and a CNN, with and without the hook, bench/hook_bench.py), and the TypeScript reader on a big
 * log (default 2 GiB, BENCH_RUNLOG_MB to change): speed and memory.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunReader } from '../src/trace/run-log/reader';
import { HISTOGRAM_BINS } from '../src/trace/types';

interface HookWorkload {
  name: string;
  steps: number;
  plainMs: number;
  autoMs: number;
  everyMs: number;
  autoRatio: number;
  plainCpuMs: number;
  autoCpuMs: number;
  autoCpuRatio: number;
  everyCpuMs: number;
  everyRatio: number;
  autoRecorded: number | null;
  autoInterval: number | null;
}

export function hookOverhead(): void {
  console.log('\ngradient_lens hook on CPU training steps (PyTorch, 1 thread): ms per step without and with the hook');
  const script = join(__dirname, '..', 'bench', 'hook_bench.py');
  const input = JSON.stringify({
    rounds: Number(process.env.BENCH_HOOK_ROUNDS ?? 3),
    ...(process.env.BENCH_HOOK_MLP_STEPS ? { mlpSteps: Number(process.env.BENCH_HOOK_MLP_STEPS) } : {}),
    ...(process.env.BENCH_HOOK_CNN_STEPS ? { cnnSteps: Number(process.env.BENCH_HOOK_CNN_STEPS) } : {}),
  });
  const r = spawnSync('/usr/bin/python3', [script], { input, encoding: 'utf8', timeout: 3_600_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) {
    const reason = r.stderr.includes("No module named 'torch'") ? 'python3-torch is not installed' : r.stderr.trim().split('\n').pop();
    console.log(`  skipped (${reason})`);
    return;
  }
  const out = JSON.parse(r.stdout) as { torch: string; unrecordedStepUs: number; workloads: HookWorkload[] };
  const rows = [['workload', 'steps', 'no hook', 'default (auto)', 'ratio', 'CPU: no hook', 'default', 'ratio', 'recorded', 'every step', 'ratio']];
  for (const w of out.workloads) {
    rows.push([
      w.name,
      String(w.steps),
      `${w.plainMs.toFixed(2)} ms`,
      `${w.autoMs.toFixed(2)} ms`,
      `${w.autoRatio.toFixed(3)}×`,
      `${w.plainCpuMs.toFixed(2)} ms`,
      `${w.autoCpuMs.toFixed(2)} ms`,
      `${w.autoCpuRatio.toFixed(3)}×`,
      `${w.autoRecorded ?? '—'} (interval ${w.autoInterval ?? '—'})`,
      `${w.everyMs.toFixed(1)} ms`,
      `${w.everyRatio.toFixed(1)}×`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log('  ' + row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  // The same overhead from its parts, each measured where the machine's load hides it least: the
  // hook's cost on an unrecorded step (a tiny model's step, CPU time) on every step, plus each
  // recorded step's extra CPU time spread over the run.
  const parts = out.workloads.map((w) => {
    const recorded = w.autoRecorded ?? 0;
    return 1 + (out.unrecordedStepUs / 1000 + (recorded * Math.max(0, w.everyCpuMs - w.plainCpuMs)) / w.steps) / w.plainCpuMs;
  });
  console.log(
    `  an unrecorded step costs the hook ${out.unrecordedStepUs.toFixed(0)} µs of CPU; with the recorded steps' extra spread over the run: ${out.workloads.map((w, i) => `${w.name.split(' ')[0]} ${parts[i].toFixed(3)}×`).join(', ')}`,
  );
  const worst = Math.max(...out.workloads.map((w) => w.autoRatio));
  const worstCpu = Math.max(...out.workloads.map((w) => w.autoCpuRatio));
  console.log(
    `  target: under 1.05× at the default interval; largest measured ${worst.toFixed(3)}× by wall clock, ${worstCpu.toFixed(3)}× by CPU time (median of ${process.env.BENCH_HOOK_ROUNDS ?? 3} rounds, torch ${out.torch})`,
  );
}

/** A step record like a 40-parameter model's, as the Python writer writes it. */
export function stepLine(step: number): string {
  const params = Array.from({ length: 40 }, (_, i) => ({
    reached: true,
    gradNorm: 0.01 * (i + 1) + step * 1e-9,
    gradMeanAbs: 1e-4,
    gradMaxAbs: 3e-3,
    zeroFraction: 0,
    subnormalFraction: 0,
    nonFinite: 0,
    weightNorm: 12.5,
    weightMean: -0.0012,
    weightStd: 0.05,
    updateRatio: 1.3e-4,
    histogram: Array.from({ length: HISTOGRAM_BINS }, (_, b) => (b > 8 && b < 14 ? 1000 * b : 0)),
  }));
  const activations = Array.from({ length: 12 }, (_, i) => ({
    layer: `blocks.${i}.act`,
    op: 'relu',
    samples: 64,
    units: 512,
    saturatedShare: 0.48,
    flatShare: 0.48,
    deadShare: 0.01,
    zeroDerivativeShare: 0.48,
    inputMean: 0.01,
    inputStd: 0.9,
    inputMaxAbs: 4.2,
  }));
  const outputs = Array.from({ length: 30 }, (_, i) => ({ layer: `blocks.${i % 12}.m${i}`, absMax: 4.2, mean: 0.01, nonFinite: 0 }));
  const flow = outputs.map((o, i) => ({ layer: o.layer, op: 'Linear', outputGradNorm: 0.01, inputGradNorm: i ? 0.02 : null }));
  return JSON.stringify({ kind: 'step', step, loss: 2.3 - step * 1e-6, lr: 0.001, time: step * 0.1, batchSize: 64, params, activations, outputs, flow }) + '\n';
}

export function headerLine(): string {
  return (
    JSON.stringify({
      kind: 'header',
      format: 'gradient-lens-run',
      version: 1,
      rank: 0,
      run: 'bench',
      startedAt: '2026-01-01T00:00:00+00:00',
      worldSize: 1,
      torch: '1.13',
      python: '3.11',
      host: 'bench',
      pid: 1,
      cwd: '/bench',
      logDir: 'runs/gl',
      argv: ['train.py'],
      every: 1,
      dtype: 'float32',
      optimizer: { type: 'SGD', lr: 0.001, args: {} },
      params: Array.from({ length: 40 }, (_, i) => ({ name: `p${i}.weight`, layer: `p${i}`, shape: [512, 512] })),
      modules: [{ path: '', type: 'Net', args: {}, params: [], children: [] }],
    }) + '\n'
  );
}

export function readerBench(): void {
  const mb = Number(process.env.BENCH_RUNLOG_MB ?? 2048);
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-run-'));
  try {
    const file = join(dir, 'rank0.gl.jsonl');
    const fd = openSync(file, 'w');
    let bytes = 0;
    let steps = 0;
    const t0 = performance.now();
    writeSync(fd, headerLine());
    const target = mb * 1024 * 1024;
    while (bytes < target) {
      let chunk = '';
      for (let i = 0; i < 64; i++) chunk += stepLine(steps++);
      bytes += writeSync(fd, chunk);
    }
    closeSync(fd);
    const written = (performance.now() - t0) / 1000;
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const t1 = performance.now();
    const reader = new RunReader(dir);
    let polls = 0;
    let r;
    do {
      r = reader.poll(64 << 20);
      polls++;
      peak = Math.max(peak, process.memoryUsage().rss);
    } while (r.more);
    const trace = reader.finish();
    const seconds = (performance.now() - t1) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    console.log(
      `\nreading a training-run log: ${(bytes / 2 ** 30).toFixed(2)} GiB, ${steps} steps of ${(bytes / steps / 1024).toFixed(1)} KiB (written in ${written.toFixed(1)} s)`,
    );
    console.log(
      `  read in ${seconds.toFixed(1)} s (${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s, ${polls} polls of 64 MiB), ${trace.steps.length} steps kept (1 in ${trace.run!.stride}); ` +
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (${((peak - rss0) / 2 ** 20).toFixed(0)} MiB above the start)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
