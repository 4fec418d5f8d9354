/**
 * Run-wide state the dispatcher consults: which layer is running (so every op is attributed to the
 * user's layer), whether gradients are recorded, the tensor-memory cap, and the instrument.
 * Module-level because the engine is single-threaded and ops must stay cheap to call.
 */
import type { DType } from './dtype';
import type { Instrument } from './instrument';
import type { Module } from './nn/module';
import type { Rng } from './rng';
import type { Tensor } from './tensor';
import { formatBytes } from '../numbers';
import { closeRecordings, emptyPool, pooledBytes, setPoolRoom } from './buffer-pool';
import { formatShape, Shape } from './shape';

const layerStack: string[] = [];
let gradEnabled = true;
let instrument: Instrument | null = null;
let memoryLimit = Infinity;
let memoryUsed = 0;
/** Called every WATCH_EVERY bytes charged: where a caller checks the process's real memory. */
let memoryWatch: (() => void) | null = null;
let sinceWatch = 0;
const WATCH_EVERY = 16 * 1024 * 1024;
/** Bytes held outside tensors for the whole run: the WebAssembly kernels' linear memory. */
let memoryHeld = 0;

// An array joins the pool only while this step's tensors, the kernels' memory, the kept memory and
// the pool fit the cap.
setPoolRoom((bytes) => memoryUsed + memoryHeld + keptMemory() + pooledBytes() + bytes <= memoryLimit);

export function currentLayer(): string | null {
  return layerStack.length ? layerStack[layerStack.length - 1] : null;
}

/** For hot loops that cannot afford a closure per call; always pair with popLayer in a finally. */
export function pushLayer(layer: string | null): void {
  layerStack.push(layer ?? '');
}

export function popLayer(): void {
  layerStack.pop();
}

/** Runs `fn` with every op it dispatches attributed to `layer`. */
export function withLayer<T>(layer: string, fn: () => T): T {
  layerStack.push(layer);
  try {
    return fn();
  } finally {
    layerStack.pop();
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** torch.set_grad_enabled / `with torch.no_grad():` entered and left by hand; returns the previous mode. */
export function setGradEnabled(on: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = on;
  return prev;
}

export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function getInstrument(): Instrument | null {
  return instrument;
}

export function setInstrument(i: Instrument | null): void {
  instrument = i;
}

export class TensorMemoryError extends Error {
  override name = 'TensorMemoryError';
  constructor(
    readonly layer: string | null,
    readonly bytes: number,
    readonly limit: number,
    readonly shape: Shape,
    /** Set when what the run holds throughout is already over: parameters, optimiser state, batch. */
    readonly baseline?: number,
  ) {
    super(
      baseline !== undefined
        ? `the parameters, their gradients and copies, the optimiser's state and the batch need ${formatBytes(baseline)}, over the tensor memory cap of ${formatBytes(limit)}`
        : `tensor memory cap of ${formatBytes(limit)} exceeded${layer ? ` in layer ${layer}` : ''}: ` +
            `a ${formatShape(shape)} tensor (${formatBytes(bytes)}) would bring the step to ${formatBytes(memoryUsed + memoryHeld + bytes)}` +
            (memoryBaseline ? ` (${formatBytes(memoryBaseline)} of it held throughout: parameters, optimiser state, the batch)` : '') +
            (memoryHeld ? ` (${formatBytes(memoryHeld)} of it the kernels' working memory)` : ''),
    );
  }
}

/** Typed arrays live outside V8's heap limit, so the engine counts what one step allocates. */
export function setMemoryLimit(bytes: number): void {
  memoryLimit = bytes;
  // A run's idle buffers do not outlive it (withMemoryLimit sets the cap before and after a run).
  emptyPool();
  memoryUsed = 0;
  memoryBaseline = 0;
  // A run starts or ends: whether it uses the kept memory is for the new run to say.
  keptInUse = false;
  if (memoryHeld > bytes) releaseHeld?.();
}

/** What a run holds throughout (parameters, optimiser state, the batch): every step starts from it. */
let memoryBaseline = 0;

/** Sets what every step starts from; throws when that alone is over the cap. */
export function setMemoryBaseline(bytes: number): void {
  memoryBaseline = bytes;
  memoryUsed = bytes;
  makeRoom(bytes + memoryHeld);
  if (bytes > memoryLimit) throw new TensorMemoryError(null, 0, memoryLimit, [], bytes);
}

/**
 * Runs `fn` under a cap on the tensor bytes one step may allocate, and puts the cap before it back
 * afterwards whatever happens: a run's cap must not outlive the run.
 */
export function withMemoryLimit<T>(bytes: number, fn: () => T): T {
  const before = memoryLimit;
  setMemoryLimit(bytes);
  try {
    return fn();
  } finally {
    setMemoryLimit(before);
  }
}

export function resetMemory(): void {
  memoryUsed = memoryBaseline;
}

/** Tensor bytes of this step (the kernels' memory counts against the cap too, but is not a tensor). */
export function memoryInUse(): number {
  return memoryUsed;
}

export function chargeMemory(bytes: number, shape: Shape): void {
  // Idle pooled arrays and kept memory are held too; they are let go before the cap refuses anything.
  makeRoom(memoryUsed + memoryHeld + bytes);
  // then the kernels' kept copies (never from fitsMemoryCap: that runs inside a kernel call)
  if (memoryUsed + memoryHeld + bytes > memoryLimit) releaseKernelCopies?.();
  if (memoryUsed + memoryHeld + bytes > memoryLimit) throw new TensorMemoryError(currentLayer(), bytes, memoryLimit, shape);
  memoryUsed += bytes;
  if (memoryWatch && (sinceWatch += bytes) >= WATCH_EVERY) {
    sinceWatch = 0;
    memoryWatch();
  }
}

/** `watch` runs as tensors are allocated (every 16 MiB) and may throw to stop the run; null removes it. */
export function setMemoryWatch(watch: (() => void) | null): void {
  memoryWatch = watch;
  sinceWatch = 0;
}

/**
 * Back to a clean state after a run that was cut short from outside: a terminated script runs no
 * `finally`, so the layer stack, the instrument and the caps may be left as it had them.
 */
export function resetEngineState(): void {
  layerStack.length = 0;
  closeRecordings();
  gradEnabled = true;
  instrument = null;
  memoryLimit = Infinity;
  memoryUsed = 0;
  memoryBaseline = 0;
  memoryWatch = null;
  sinceWatch = 0;
  emptyPool();
  keptInUse = false;
  // a step recorded when the run was cut short would take every op after it
  recorder = null;
  resetKernels?.();
}

// ── Memory kept from one run for the next ────────────────────────────────────

/**
 * What a process keeps from one run for the next: the trace worker's kept model and its snapshot
 * (trace/model-cache.ts). The worker holds it while a run allocates, so it counts against every
 * run's cap, honestly: a user who sets gradientLens.memoryLimitMB expects the worker's tensors to
 * stay under it, whatever the worker keeps to be quick. And it is the first thing to go (after the
 * pool's idle arrays): a cap that would refuse an allocation, or a run's baseline, lets go of it
 * instead, so keeping it never makes a run fail, or take another path, that would pass without it;
 * the next run just builds its model again.
 */
export interface KeptMemory {
  /** What it holds while a run does not use it (a kept model: its arrays and their copy). */
  bytes: number;
  /**
   * What it holds beyond the run's own tensors while the run uses it (the copy: the kept model's
   * arrays are then the run's parameters, counted in its baseline).
   */
  bytesInUse: number;
  /** Lets go of it (the cap needs the room). */
  release: () => void;
}

let kept: KeptMemory | null = null;
/** Set by the run that uses the kept memory; every run starts and ends without it (setMemoryLimit). */
let keptInUse = false;

/** Registers what is kept for the next run (null: nothing is). */
export function setKeptMemory(k: KeptMemory | null): void {
  kept = k;
  keptInUse = false;
}

/** The current run uses the kept memory (it started from the kept model): only its extra bytes count until the run ends. */
export function useKeptMemory(): void {
  keptInUse = true;
}

/** Bytes the kept memory counts against the current run's cap. */
export function keptMemory(): number {
  return kept ? (keptInUse ? kept.bytesInUse : kept.bytes) : 0;
}

/**
 * Whether the cap leaves room to keep `bytes` (in place of anything kept now) beside this step's
 * tensors and the kernels' memory; the pool's idle arrays make room when they are in the way.
 */
export function roomToKeep(bytes: number): boolean {
  const need = memoryUsed + memoryHeld + bytes;
  if (need + pooledBytes() > memoryLimit) emptyPool();
  return need <= memoryLimit;
}

/**
 * Lets go of what the run does not need, while `need` bytes would not fit beside it: the pool's
 * idle arrays first (this run reuses them), then the kept memory (the next run's).
 */
function makeRoom(need: number): void {
  if (need + pooledBytes() + keptMemory() <= memoryLimit) return;
  emptyPool();
  if (kept && need + keptMemory() > memoryLimit) {
    const release = kept.release;
    setKeptMemory(null);
    release();
  }
}

// ── Building modules ─────────────────────────────────────────────────────────

/** What layers built without an explicit rng or dtype take: a run's seeded rng and element type. */
export interface BuildScope {
  rng: Rng;
  dtype: DType;
}

let buildScope: BuildScope | null = null;
let onModuleCreated: ((m: Module) => void) | null = null;
let onModuleApplied: ((m: Module, input: Tensor, output: Tensor) => void) | null = null;

/** The scope set by whoever is building a model (a decorated TypeScript model's run), or null. */
export function currentBuildScope(): BuildScope | null {
  return buildScope;
}

export function setBuildScope(scope: BuildScope | null): void {
  buildScope = scope;
}

/** Called with every module as it is constructed (the authoring API records the user's line there); null for none. */
export function setModuleCreatedHook(hook: ((m: Module) => void) | null): void {
  onModuleCreated = hook;
}

/** @internal Module's constructor reports itself here. */
export function moduleCreated(m: Module): void {
  onModuleCreated?.(m);
}

let releaseHeld: (() => void) | null = null;
let releaseKernelCopies: (() => void) | null = null;
let resetKernels: (() => void) | null = null;

/**
 * What the kernels do when the engine is reset, as before and after every bounded run. A run the
 * time limit ended was terminated by V8, which runs no `finally`: a kernel call it cut short never
 * gave back its scratch, and its thread-pool job may still be running, so the kernels start anew.
 */
export function setKernelReset(reset: () => void): void {
  resetKernels = reset;
}

/**
 * How the kernels let go of the copies they keep between calls (kernels/resident.ts) when a
 * step's tensor would not fit beside them: the tensors come first.
 */
export function setKernelCopiesRelease(release: () => void): void {
  releaseKernelCopies = release;
}

/**
 * The kernels report the linear memory they hold (it cannot shrink, so it counts on every step),
 * and how to let go of it when a lower cap is set.
 */
export function setHeldMemory(bytes: number, release: () => void): void {
  memoryHeld = bytes;
  releaseHeld = bytes ? release : null;
}

/** Bytes the kernels hold for the whole run (their linear memory). */
export function kernelMemoryHeld(): number {
  return memoryHeld;
}

/** The cap on a step's tensor bytes (Infinity when none is set). */
export function memoryCap(): number {
  return memoryLimit;
}

/** Whether the kernels may hold `bytes` in all beside this step's tensors; when not they take the JavaScript path. */
export function fitsMemoryCap(bytes: number): boolean {
  // The answer never depends on what is kept or pooled (a float32 kernel's numbers differ from
  // JavaScript's): they make room instead.
  makeRoom(memoryUsed + bytes);
  return memoryUsed + bytes <= memoryLimit;
}

/**
 * Called with every module application, its input and output (a front end follows the data flow
 * between layers through the tape from there); null for none. One check per layer call when unset.
 */
export function setModuleAppliedHook(hook: ((m: Module, input: Tensor, output: Tensor) => void) | null): void {
  onModuleApplied = hook;
}

/** Whether a module-applied hook is set: a replayed step runs no module, so it is not replayed then. */
export function moduleAppliedHookSet(): boolean {
  return onModuleApplied !== null;
}

/** @internal Module.call reports each application here. */
export function moduleApplied(m: Module, input: Tensor, output: Tensor): void {
  onModuleApplied?.(m, input, output);
}

// ── Recording a step's ops (engine/replay) ──────────────────────────────────

/** What the dispatcher tells a recorder: every op as it ran, and any in-place write (not replayed). */
export interface OpRecorder {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onOp(kind: string, def: any, inputs: readonly Tensor[], attrs: unknown, out: Tensor, saved: unknown, layer: string | null): void;
  onInPlace(kind: string): void;
}

let recorder: OpRecorder | null = null;

/** The recorder of the step being recorded (engine/replay/plan.ts), or null: one check per op when unset. */
export function opRecorder(): OpRecorder | null {
  return recorder;
}

export function setOpRecorder(r: OpRecorder | null): void {
  recorder = r;
}
