/**
 * Both cores: worker threads that run chunks of a kernel job on the core's shared memory.
 *
 * The caller writes a job descriptor, publishes it in the control words and claims chunks itself
 * like any worker, so a job never waits for a thread to start or wake: a worker that is late (still
 * starting, descheduled on a busy machine) simply gets fewer chunks. Workers sleep in Atomics.wait
 * between jobs, so an idle pool costs no CPU. Chunk boundaries do not depend on the thread count,
 * so results are the same with one thread or several.
 */
import type { Worker } from 'node:worker_threads';
import { CONTROL_OFFSET, JOB_OFFSET, onCoreDropped, WasmCore } from './core';

/** From this many multiply-adds on, a job is split across threads (waking one costs microseconds). */
export const PARALLEL_MIN_MACS = 1 << 19;

// Control words (Int32 indices from CONTROL_OFFSET): the job's sequence number, the claim word
// (sequence number << 16 | next chunk, so a late worker cannot claim a chunk of a newer job),
// chunks finished, chunk count, the job descriptor's address.
const SEQ = 0;
const CLAIM = 1;
const DONE = 2;
const TOTAL = 3;
const JOB = 4;

/** The worker's whole program: instantiate the same module on the same memory, then serve jobs. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, thread, control } = workerData;
const { run } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, control, 8);
let seen = Atomics.load(ctrl, ${SEQ});
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  const total = Atomics.load(ctrl, ${TOTAL});
  const job = Atomics.load(ctrl, ${JOB});
  const tag = (seen & 0x7fff) << 16;
  for (;;) {
    const v = Atomics.load(ctrl, ${CLAIM});
    if ((v & ~0xffff) !== tag || (v & 0xffff) >= total) break;
    if (Atomics.compareExchange(ctrl, ${CLAIM}, v, v + 1) !== v) continue;
    run(job, v & 0xffff, thread);
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
`;

let wanted = 1;
let workers: Worker[] = [];
let poolCore: WasmCore | null = null;

onCoreDropped(() => stopWorkers());

/**
 * Threads the float32 kernels may use, the caller's included (1 = no pool). The CLI and the full
 * trace use every core; the editor's quick trace keeps to its one worker so the extension host
 * keeps a core.
 */
export function setKernelThreads(threads: number): void {
  wanted = Math.max(1, Math.min(Math.floor(threads) || 1, 64));
  if (workers.length > wanted - 1) stopWorkers();
}

export function kernelThreads(): number {
  return wanted;
}

/** Cores of this machine (what `setKernelThreads` is usually given). */
export function availableCores(): number {
  const os = require('node:os') as typeof import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function stopWorkers(): void {
  for (const w of workers) void w.terminate();
  workers = [];
  poolCore = null;
}

/**
 * Threads for a job of `macs` multiply-adds in `chunks` chunks: 1 below PARALLEL_MIN_MACS, else
 * the configured count, with missing workers started (they join jobs once running) and every
 * thread's scratch sized. Call before taking scratch for the job: sizing resets the heap.
 */
export function threadsFor(core: WasmCore, macs: number, chunks: number): number {
  if (wanted === 1 || chunks < 2 || macs < PARALLEL_MIN_MACS) return 1;
  if (poolCore !== core) stopWorkers();
  if (core.threadCount !== wanted && !core.setThreads(wanted)) return 1;
  if (workers.length < wanted - 1) {
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    poolCore = core;
    for (let t = workers.length + 1; t < wanted; t++) {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        name: `gradient-lens-kernels-${t}`,
        workerData: { module: core.compiled.module, memory: core.memory, thread: t, control: CONTROL_OFFSET },
      });
      w.unref();
      w.on('error', () => stopWorkers());
      workers.push(w);
    }
  }
  return wanted;
}

/**
 * Runs chunks 0..chunks-1 of the job at `job` (a descriptor in the core's memory) on `threads`
 * threads (from `threadsFor`), this one included. Returns when all chunks are done.
 */
export function runJob(core: WasmCore, job: number, chunks: number, threads: number): void {
  if (threads === 1 || poolCore !== core) {
    for (let i = 0; i < chunks; i++) core.exports.run(job, i, 0);
    return;
  }
  const ctrl = core.i32;
  const base = CONTROL_OFFSET >> 2;
  const seq = (ctrl[base + SEQ] + 1) & 0x7fff;
  ctrl[base + TOTAL] = chunks;
  ctrl[base + JOB] = job;
  Atomics.store(ctrl, base + DONE, 0);
  Atomics.store(ctrl, base + CLAIM, seq << 16);
  Atomics.store(ctrl, base + SEQ, seq);
  Atomics.notify(ctrl, base + SEQ);
  for (;;) {
    const v = Atomics.load(ctrl, base + CLAIM);
    const i = v & 0xffff;
    if (i >= chunks) break;
    if (Atomics.compareExchange(ctrl, base + CLAIM, v, v + 1) !== v) continue;
    core.exports.run(job, i, 0);
    Atomics.add(ctrl, base + DONE, 1);
  }
  for (;;) {
    const done = Atomics.load(ctrl, base + DONE);
    if (done >= chunks) break;
    Atomics.wait(ctrl, base + DONE, done, 100);
  }
}

/** Writes a job descriptor (i32 words, in the field order of its class in assembly/) and returns its address. */
export function writeJob(core: WasmCore, words: readonly number[]): number {
  core.i32.set(words, JOB_OFFSET >> 2);
  return JOB_OFFSET;
}

/** Chunks over `units` (rows, columns) in multiples of `granule`: two per thread, so a late thread costs little. */
export function chunking(units: number, granule: number, threads: number): { size: number; count: number } {
  const per = Math.ceil(units / (2 * threads) / granule) * granule || granule;
  return { size: per, count: Math.ceil(units / per) };
}
