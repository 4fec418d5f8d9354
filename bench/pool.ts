/**
 * `npm run bench -- pool [W1 …]`: what the buffer pool does to each workload's step, timed in one
 * process in alternating rounds (each round runs every mode, in a rotating order), so load that
 * comes and goes on this shared machine falls on all modes alike. Modes:
 *   - off: no pool; every array is fresh and the backward keeps no record (as before the pool);
 *   - backward: the backward's gradients go back once used (what a model built by code gets);
 *   - scope: besides, the step's forward intermediates and the step before's parameter gradients
 *     (what a spec's trace gets, src/engine/step-scope.ts).
 * CPU time of this process per step, one kernel thread: the work, less the wall clock's noise.
 * Then the same for a spec's whole 5-step trace (statistics and optimiser included), pool off and on.
 */
import { loadavg } from 'node:os';
import { setKernelThreads } from '../src/engine';
import { poolCounts, setPooling } from '../src/engine/buffer-pool';
import { traceModel } from '../src/trace/run';
import { engineStep, readSpec } from './engine';
import { measure, median, table, type Workload } from './workloads';

const MODES = ['off', 'backward', 'scope'] as const;
type Mode = (typeof MODES)[number];

const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');

/** MB allocated fresh and reused by one step (after the measurement's warm-up, so the pool is as a trace's later steps find it). */
function bytesOfStep(step: () => void): { fresh: number; reused: number } {
  const a = poolCounts();
  step();
  const b = poolCounts();
  return { fresh: (b.fresh - a.fresh) / 1e6, reused: (b.reused - a.reused) / 1e6 };
}

export function poolSection(workloads: readonly Workload[], budgetMs: number, rounds: number): void {
  setKernelThreads(1);
  const gc = (globalThis as { gc?: () => void }).gc;
  console.log(`Buffer pool: CPU ms per step, one thread, median of ${rounds} alternating rounds of ~${budgetMs} ms per mode`);
  console.log(`  load average at start: ${load()} (1, 5, 15 min)`);
  const rows: string[][] = [['workload', 'off', 'backward', 'scope', 'backward/off', 'scope/off', 'spread off', 'MB fresh/reused a step: off', 'backward', 'scope']];
  for (const w of workloads) {
    const steps: Record<Mode, () => void> = { off: engineStep(w, false), backward: engineStep(w, false), scope: engineStep(w, true) };
    const cpu: Record<Mode, number[]> = { off: [], backward: [], scope: [] };
    const bytes = {} as Record<Mode, { fresh: number; reused: number }>;
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < MODES.length; k++) {
        const mode = MODES[(k + r) % MODES.length];
        setPooling(mode !== 'off');
        // The garbage of the mode before is not this mode's to collect.
        gc?.();
        cpu[mode].push(measure(steps[mode], budgetMs, 3, 2).cpuMs);
        bytes[mode] ??= bytesOfStep(steps[mode]);
      }
    }
    setPooling(true);
    const m = (mode: Mode) => median(cpu[mode]);
    const f = (ms: number) => (ms < 10 ? ms.toPrecision(3) : ms.toFixed(1));
    const b = (mode: Mode) => `${bytes[mode].fresh.toFixed(1)}/${bytes[mode].reused.toFixed(1)}`;
    rows.push([w.id, f(m('off')), f(m('backward')), f(m('scope')), (m('backward') / m('off')).toFixed(3), (m('scope') / m('off')).toFixed(3), `${f(Math.min(...cpu.off))}–${f(Math.max(...cpu.off))}`, b('off'), b('backward'), b('scope')]);
    console.error(`  measured ${w.id}`);
  }
  table(rows);
  console.log('  ratios: CPU ms over the same step without the pool; < 1 is faster. "spread off": the fastest and slowest round without it.');
  const traces: string[][] = [['5-step trace', 'pool off', 'pool on', 'on/off', 'spread off', 'spread on']];
  for (const w of workloads) {
    if (w.kind !== 'spec') continue;
    const { spec, path } = readSpec(w);
    const once = () => void traceModel(spec, path, { steps: 5, dtype: 'float32' });
    const cpu: Record<'off' | 'on', number[]> = { off: [], on: [] };
    for (let r = 0; r < rounds; r++) {
      for (const mode of r % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        setPooling(mode === 'on');
        gc?.();
        cpu[mode].push(measure(once, budgetMs, 3, 1).cpuMs);
      }
    }
    setPooling(true);
    const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
    traces.push([w.id, median(cpu.off).toFixed(0), median(cpu.on).toFixed(0), (median(cpu.on) / median(cpu.off)).toFixed(3), spread(cpu.off), spread(cpu.on)]);
    console.error(`  measured the trace of ${w.id}`);
  }
  if (traces.length > 1) {
    console.log('\n  the same for a 5-step trace as the CLI and the editor run it (CPU ms per trace, model built each time):');
    table(traces);
  }
  console.log(`  load average at end: ${load()}`);
}
