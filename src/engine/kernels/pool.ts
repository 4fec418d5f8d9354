/**
 * Both cores: worker threads that run chunks of a kernel job on the core's shared memory.
 *
 * The caller writes a job descriptor, publishes it in the control words and claims chunks itself
 * like any worker, so a job never waits for a thread to start or wake: a worker that is late (still
 * starting, descheduled on a busy machine) simply gets fewer chunks. Workers poll briefly after a
 * job, then sleep in Atomics.wait, so an idle pool costs no CPU. Chunk boundaries do not depend on the thread count,
 * so results are the same with one thread or several.
 */
import { CONTROL_OFFSET, JOB_OFFSET, onCoreDropped, WasmCore } from './core';
import { HostWorker, startWorker } from './host';

export { availableCores } from './host';

/**
 * From this many multiply-adds on, a job is split across threads. Below it a chunk (a quarter of
 * the job) is under ~30 µs of work, which the copies the caller makes alone and the operands'
 * trip between the cores' caches outweigh: W6's per-step LSTM products (32×512×128, 2.1M) were
 * slower split than on one thread; W2's smallest (64×256×256, 4.2M) gain.
 */
export const PARALLEL_MIN_MACS = 3 << 20;

/**
 * How long a thread polls before it sleeps, in microseconds: a worker after its last chunk (the
 * step's next product is usually a few elementwise kernels away), the caller after its last chunk
 * (the worker's is about to finish). A sleeping thread comes back through a futex wake and the
 * scheduler, which can cost as much as a mid-size product's chunk (W2's products take 0.2-0.6 ms
 * on one thread, a chunk a quarter of that), so those products ran mostly on the caller. The poll
 * is short, and stops as soon as the thread finds it was descheduled (two readings of the clock
 * further apart than PREEMPTED_MS): on a machine busy with other work a polling thread only delays
 * the caller it shares a core with, and the scheduler favours a thread that slept. An idle pool
 * still costs no CPU.
 */
const DEFAULT_SPIN_MICROS = 200;
let spinMicros = DEFAULT_SPIN_MICROS;
const PREEMPTED_MS = 0.03;

/** For the benchmark and tests: the poll before sleeping (0 = sleep at once, as before); returns the previous value. */
export function setPoolSpin(micros: number = DEFAULT_SPIN_MICROS): number {
  const before = spinMicros;
  spinMicros = Math.max(0, Math.floor(micros));
  return before;
}

// Control words (Int32 indices from CONTROL_OFFSET): the job's sequence number, the claim word
// (sequence number << 16 | next chunk, so a late worker cannot claim a chunk of a newer job),
// chunks finished, chunk count, the job descriptor's address, chunks the workers ran (a tally
// for tests and the benchmark), the poll before sleeping in microseconds.
const SEQ = 0;
const CLAIM = 1;
const DONE = 2;
const TOTAL = 3;
const JOB = 4;
const BY_WORKERS = 5;
const SPIN = 6;

/**
 * Waits for ctrl[index] to differ from `value`: polls until the clock passes `until` (ms, as
 * performance.now()) or shows this thread was descheduled, then sleeps in Atomics.wait for at most
 * `sleepMs`. Returns on the change, or on waking (the caller reads the word again). Both sides use
 * it, the worker through this function's text (it runs in the worker as written, so it reads no
 * module names: only its arguments and the globals every thread has).
 */
function pollThenSleep(ctrl: Int32Array, index: number, value: number, until: number, preemptedMs: number, sleepMs: number): void {
  let last = performance.now();
  while (Atomics.load(ctrl, index) === value) {
    const now = performance.now();
    if (now >= until || now - last > preemptedMs) {
      Atomics.wait(ctrl, index, value, sleepMs);
      return;
    }
    last = now;
  }
}

/** The worker's whole program: instantiate the same module on the same memory, then serve jobs. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, thread, control } = workerData;
const { run } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, control, 8);
parentPort.postMessage('ready');
const pollThenSleep = (${pollThenSleep.toString()});
// Serve the job in flight at start too: it may have been published before this thread ran.
let seen = -1;
for (;;) {
  const current = Atomics.load(ctrl, ${SEQ});
  if (current === seen) {
    pollThenSleep(ctrl, ${SEQ}, seen, performance.now() + Atomics.load(ctrl, ${SPIN}) / 1000, ${PREEMPTED_MS}, Infinity);
    continue;
  }
  seen = current;
  const total = Atomics.load(ctrl, ${TOTAL});
  const job = Atomics.load(ctrl, ${JOB});
  const tag = (seen & 0x7fff) << 16;
  for (;;) {
    const v = Atomics.load(ctrl, ${CLAIM});
    if ((v & ~0xffff) !== tag || (v & 0xffff) >= total) break;
    if (Atomics.compareExchange(ctrl, ${CLAIM}, v, v + 1) !== v) continue;
    run(job, v & 0xffff, thread);
    Atomics.add(ctrl, ${BY_WORKERS}, 1);
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
`;

let wanted = 1;
let workers: HostWorker[] = [];
let ready: Promise<void>[] = [];
let poolCore: WasmCore | null = null;
const tally = { parallelJobs: 0, chunks: 0 };

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

function stopWorkers(): void {
  for (const w of workers) void w.terminate();
  workers = [];
  ready = [];
  poolCore = null;
  tally.parallelJobs = tally.chunks = 0;
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
    poolCore = core;
    for (let t = workers.length + 1; t < wanted; t++) {
      const w = startWorker(WORKER_SOURCE, `gradient-lens-kernels-${t}`, { module: core.compiled.module, memory: core.memory, thread: t, control: CONTROL_OFFSET });
      w.unref();
      w.on('error', () => stopWorkers());
      workers.push(w);
      ready.push(new Promise((resolve) => w.once('message', () => resolve())));
    }
  }
  return wanted;
}

/**
 * Runs chunks 0..chunks-1 of the job at `job` (a descriptor in the core's memory) on `threads`
 * threads (from `threadsFor`), this one included. Returns when all chunks are done.
 */
export function runJob(core: WasmCore, job: number, chunks: number, threads: number): void {
  runChunks(core, job, chunks, threads, callerClaims);
}

let callerClaims = true;

/** For tests: with false the calling thread only waits, so every chunk of a parallel job runs on a worker. */
export function setCallerClaims(claims: boolean): void {
  callerClaims = claims;
}

/** Resolves once every worker started so far is serving jobs. */
export function poolReady(): Promise<void> {
  return Promise.all(ready).then(() => undefined);
}

function runChunks(core: WasmCore, job: number, chunks: number, threads: number, callerClaims: boolean): void {
  if (threads === 1 || poolCore !== core) {
    for (let i = 0; i < chunks; i++) core.exports.run(job, i, 0);
    return;
  }
  tally.parallelJobs++;
  tally.chunks += chunks;
  const ctrl = core.i32;
  const base = CONTROL_OFFSET >> 2;
  const seq = (ctrl[base + SEQ] + 1) & 0x7fff;
  // The previous job's claim word is closed (index 0xffff), so a worker still holding its
  // sequence number cannot claim a chunk while these words change.
  Atomics.store(ctrl, base + TOTAL, chunks);
  Atomics.store(ctrl, base + JOB, job);
  Atomics.store(ctrl, base + DONE, 0);
  Atomics.store(ctrl, base + SPIN, spinMicros);
  Atomics.store(ctrl, base + CLAIM, seq << 16);
  Atomics.store(ctrl, base + SEQ, seq);
  Atomics.notify(ctrl, base + SEQ);
  while (callerClaims) {
    const v = Atomics.load(ctrl, base + CLAIM);
    const i = v & 0xffff;
    if (i >= chunks) break;
    if (Atomics.compareExchange(ctrl, base + CLAIM, v, v + 1) !== v) continue;
    core.exports.run(job, i, 0);
    Atomics.add(ctrl, base + DONE, 1);
  }
  // One poll for the whole wait (a chunk finishing does not renew it), then sleeps of at most 100 ms.
  const until = performance.now() + spinMicros / 1000;
  for (;;) {
    const done = Atomics.load(ctrl, base + DONE);
    if (done >= chunks) break;
    pollThenSleep(ctrl, base + DONE, done, until, PREEMPTED_MS, 100);
  }
  Atomics.store(ctrl, base + CLAIM, (seq << 16) | 0xffff);
}

/** Chunks run so far by the caller's thread and by the pool's workers (since the core was created). */
export function poolTally(): { parallelJobs: number; chunks: number; byWorkers: number } {
  return { ...tally, byWorkers: poolCore ? Atomics.load(poolCore.i32, (CONTROL_OFFSET >> 2) + BY_WORKERS) : 0 };
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
