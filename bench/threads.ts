/**
 * `npm run bench -- threads [W2 …]`: what the pool's poll before sleeping does to each workload's
 * step on two threads, beside one thread, in one process in alternating rounds (each round runs
 * every mode, in a rotating order), so load that comes and goes on this shared machine falls on
 * all modes alike. Modes: one thread; two threads whose worker sleeps in Atomics.wait between jobs
 * (as before the poll); two threads as the CLI runs them now (the worker polls briefly first).
 * Wall clock (median and best: the best is the step when no other process got in the way) and CPU
 * time of the whole process, worker included, with the share of chunks the worker ran.
 */
import { loadavg } from 'node:os';
import { setKernelThreads } from '../src/engine';
import { poolReady, poolTally, setPoolSpin } from '../src/engine/kernels/pool';
import { engineStep } from './engine';
import { measure, median, table, type Workload } from './workloads';

const MODES = ['1T', '2T sleep', '2T poll'] as const;
type Mode = (typeof MODES)[number];

const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');

async function enter(mode: Mode, step: () => void): Promise<void> {
  setKernelThreads(mode === '1T' ? 1 : 2);
  setPoolSpin(mode === '2T sleep' ? 0 : undefined);
  step();
  await poolReady();
}

export async function threadsSection(workloads: readonly Workload[], budgetMs: number, rounds: number): Promise<void> {
  console.log(`Kernel threads: ms per step, median of ${rounds} alternating rounds of ~${budgetMs} ms per mode`);
  console.log(`  load average at start: ${load()} (1, 5, 15 min)`);
  const rows: string[][] = [['workload', ...MODES.map((m) => `${m} wall`), ...MODES.map((m) => `${m} best`), ...MODES.map((m) => `${m} CPU`), 'worker share sleep/poll']];
  for (const w of workloads) {
    const step = engineStep(w);
    const wall = { '1T': [], '2T sleep': [], '2T poll': [] } as Record<Mode, number[]>;
    const best = { '1T': [], '2T sleep': [], '2T poll': [] } as Record<Mode, number[]>;
    const cpu = { '1T': [], '2T sleep': [], '2T poll': [] } as Record<Mode, number[]>;
    const share = { '1T': [0, 0], '2T sleep': [0, 0], '2T poll': [0, 0] } as Record<Mode, [number, number]>;
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < MODES.length; k++) {
        const mode = MODES[(k + r) % MODES.length];
        await enter(mode, step);
        const before = poolTally();
        const t = measure(step, budgetMs);
        const after = poolTally();
        wall[mode].push(t.ms);
        best[mode].push(t.bestMs);
        cpu[mode].push(t.cpuMs);
        share[mode][0] += after.byWorkers - before.byWorkers;
        share[mode][1] += after.chunks - before.chunks;
      }
    }
    const f = (ms: number) => (ms < 10 ? ms.toPrecision(3) : ms.toFixed(1));
    const pct = (m: Mode) => `${((100 * share[m][0]) / Math.max(1, share[m][1])).toFixed(0)}%`;
    rows.push([w.id, ...MODES.map((m) => f(median(wall[m]))), ...MODES.map((m) => f(Math.min(...best[m]))), ...MODES.map((m) => f(median(cpu[m]))), `${pct('2T sleep')}/${pct('2T poll')}`]);
    console.error(`  measured ${w.id}`);
  }
  setPoolSpin();
  setKernelThreads(1);
  table(rows);
  console.log('  "best": the fastest sample of any round; CPU: the whole process, the worker thread included.');
  console.log(`  load average at end: ${load()}`);
}
