/**
 * The WebAssembly compute core (assembly/, built by esbuild.mjs): which build this runtime can run,
 * its one shared linear memory, and the scratch space each kernel call borrows from it.
 *
 * Tensors stay ordinary typed arrays; a kernel call copies its operands into the linear memory,
 * runs, and copies the result out (a copy is O(n), the products it feeds are O(n^1.5) and more).
 * The memory is shared (a SharedArrayBuffer), so the pool's worker threads run on the same copy.
 * It is counted against the engine's tensor-memory cap while it is held, never grows past the cap
 * (the call falls back to the JavaScript kernels instead), and is dropped after a call that needed
 * more than KEEP_BYTES, since linear memory cannot shrink.
 */
import { fitsMemoryCap, setHeldMemory, setKernelCopiesRelease, setKernelReset } from '../context';
import { environment, readKernelFile } from './host';

/** What runs the float32 products: WebAssembly with relaxed SIMD (fused multiply-add), plain SIMD, or JavaScript. */
export type KernelBackend = 'relaxed-simd' | 'simd' | 'js';

export interface KernelExports {
  sgemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    accumulate: number,
    work: number,
  ): void;
  addRowSums(x: number, rows: number, n: number, y: number): void;
  addRows(c: number, rows: number, n: number, row: number): void;
  run(job: number, chunk: number, thread: number): void;
  unary(op: number, x: number, y: number, n: number): void;
  unaryRows(op: number, x: number, y: number, rows: number, stride: number, n: number): void;
  reluGrad(y: number, gy: number, g: number, n: number): void;
  sigmoidGrad(y: number, gy: number, g: number, n: number): void;
  softmaxRows(x: number, y: number, rows: number, width: number): void;
  maxPool(job: number): void;
  WORK_BYTES: WebAssembly.Global;
}

const PAGE = 65536;
/** Linear memory kept between calls; a call that needed more gives its memory back afterwards. */
const KEEP_BYTES = 64 * 2 ** 20;
/** Layout: the pool's control words, then one job descriptor, then each thread's GEMM scratch, then the heap. */
export const CONTROL_OFFSET = 0;
export const JOB_OFFSET = 256;
const WORK_OFFSET = 1024;
const ALIGN = 64;

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** File name of each build (esbuild.mjs writes them to dist/). */
const FILES: Record<Exclude<KernelBackend, 'js'>, string> = {
  'relaxed-simd': 'kernels-relaxed-simd.wasm',
  simd: 'kernels-simd.wasm',
};

/** A compiled build, kept for the process: compiling is the slow part, instantiating is cheap. */
interface Compiled {
  backend: Exclude<KernelBackend, 'js'>;
  module: WebAssembly.Module;
}

let compiled: Compiled | null | undefined;
let requested: KernelBackend | 'auto' = readRequestedBackend();
let unavailable = '';

function readRequestedBackend(): KernelBackend | 'auto' {
  const v = environment('GRADIENT_LENS_KERNELS');
  return v === 'js' || v === 'simd' || v === 'relaxed-simd' ? v : 'auto';
}

/**
 * The best build this runtime validates (relaxed SIMD, else plain SIMD), or null when WebAssembly,
 * SIMD, shared memory or the files are missing; the reason is kept for `kernelInfo`.
 */
function compile(): Compiled | null {
  if (requested === 'js') return null;
  if (typeof WebAssembly !== 'object' || typeof SharedArrayBuffer !== 'function') {
    unavailable = 'this runtime has no WebAssembly or SharedArrayBuffer';
    return null;
  }
  const order: Exclude<KernelBackend, 'js'>[] = requested === 'auto' ? ['relaxed-simd', 'simd'] : [requested];
  const reasons: string[] = [];
  for (const backend of order) {
    const bytes = readKernelFile(FILES[backend]);
    if (!bytes) {
      reasons.push(`${FILES[backend]} not found (run npm run build)`);
      continue;
    }
    if (!WebAssembly.validate(bytes)) {
      reasons.push(`this runtime does not validate ${backend.replace('-', ' ')}`);
      continue;
    }
    return { backend, module: new WebAssembly.Module(bytes) };
  }
  unavailable = reasons.join('; ');
  return null;
}

/** One instance over one memory, with a bump allocator for the call in progress. */
export class WasmCore {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  private readonly workStride: number;
  private threads = 1;
  /** Kept blocks (`keep`) run from here to heapBase; each call's scratch from heapBase up. */
  private keptBase = 0;
  private heapBase = 0;
  private top = 0;
  /** Bumped whenever the kept blocks are freed: a block handed out under an older number is gone. */
  keptGeneration = 0;
  /**
   * Bumped by everything that hands out memory (scratch, kept blocks, threads' scratch): scratch
   * left by a call is as it was while this holds (chain.ts).
   */
  stamp = 0;
  /** Scratch of the call in progress that a result of the call before sits in (`reserve`): alloc steps over it. */
  private holeAt = 0;
  private holeEnd = 0;
  private f32view: Float32Array;
  private i32view: Int32Array;
  /**
   * The memory's size, kept here: only `ensure` grows it (the pool's threads never do), and reading
   * `memory.buffer` is a call into the runtime (~60 ns), several per kernel call otherwise.
   */
  private size: number;

  constructor(readonly compiled: Compiled) {
    this.memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const instance = new WebAssembly.Instance(compiled.module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.workStride = align(this.exports.WORK_BYTES.value as number);
    this.f32view = new Float32Array(this.memory.buffer);
    this.i32view = new Int32Array(this.memory.buffer);
    this.size = this.f32view.byteLength;
  }

  get backend(): Exclude<KernelBackend, 'js'> {
    return this.compiled.backend;
  }

  get bytes(): number {
    return this.size;
  }

  /** GEMM scratch of thread 0; thread t's is `workStride` bytes further. */
  get work(): number {
    return WORK_OFFSET;
  }

  get workBytesPerThread(): number {
    return this.workStride;
  }

  /** Makes room for every thread's scratch; false when that does not fit the memory cap. */
  setThreads(threads: number): boolean {
    const base = align(WORK_OFFSET + threads * this.workStride);
    if (!this.ensure(base)) return false;
    this.threads = threads;
    this.keptBase = this.heapBase = this.top = base;
    this.keptGeneration++;
    this.stamp++;
    return true;
  }

  get threadCount(): number {
    return this.threads;
  }

  /** A float32 view of the whole memory, renewed after the memory grew. */
  get f32(): Float32Array {
    if (this.f32view.byteLength !== this.size) this.f32view = new Float32Array(this.memory.buffer);
    return this.f32view;
  }

  get i32(): Int32Array {
    if (this.i32view.byteLength !== this.size) this.i32view = new Int32Array(this.memory.buffer);
    return this.i32view;
  }

  /** Byte offset of `bytes` of scratch for the call in progress, or -1 when the cap leaves no room. */
  alloc(bytes: number): number {
    let at = this.top;
    if (at < this.holeEnd && at + align(bytes) > this.holeAt) at = this.holeEnd;
    if (!this.ensure(at + align(bytes))) return -1;
    this.top = at + align(bytes);
    this.stamp++;
    return at;
  }

  /**
   * Takes `bytes` of scratch at `at` for the call in progress, as they are (a result the call
   * before left there, chain.ts): later allocations go around them. Before any other scratch.
   */
  reserve(at: number, bytes: number): void {
    if (this.top !== this.heapBase || at < this.heapBase || at + bytes > this.size) throw new Error('WasmCore.reserve outside free scratch');
    this.holeAt = at;
    this.holeEnd = at + align(bytes);
    this.stamp++;
  }

  /**
   * Byte offset of `bytes` kept across calls until `dropKept` (resident.ts), or -1 when the cap leaves
   * no room. Only before the call in progress took any scratch: the kept blocks sit below it.
   */
  keep(bytes: number): number {
    if (this.top !== this.heapBase) throw new Error('WasmCore.keep after the call took scratch');
    const at = this.heapBase;
    if (!this.ensure(at + align(bytes))) return -1;
    this.heapBase = this.top = at + align(bytes);
    this.stamp++;
    return at;
  }

  get keptBytes(): number {
    return this.heapBase - this.keptBase;
  }

  /** Frees every kept block (before the call in progress took scratch). */
  dropKept(): void {
    this.heapBase = this.top = this.keptBase;
    this.keptGeneration++;
    this.stamp++;
  }

  /** Whether a call holds scratch: between a call's first `alloc` and its `release`. */
  get inCall(): boolean {
    return this.top !== this.heapBase;
  }

  /** Ends the call: its scratch is free again (what it left there stays until the next call takes some). */
  release(): void {
    this.top = this.heapBase;
    this.holeAt = this.holeEnd = 0;
  }

  private ensure(bytes: number): boolean {
    const have = this.size;
    if (bytes <= have) return true;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have + pages * PAGE > 2 ** 32 - PAGE || !fitsMemoryCap(have + pages * PAGE)) return false;
    this.memory.grow(pages);
    this.size = this.memory.buffer.byteLength;
    if (core === this) setHeldMemory(this.size, dropCore);
    return true;
  }
}

let core: WasmCore | null = null;
const dropListeners: (() => void)[] = [];

/**
 * The core, created on first use; null means the JavaScript kernels (float64 always takes them
 * too). A build asked for by name (setKernelBackend, GRADIENT_LENS_KERNELS) that cannot run is an
 * error, not a quiet fallback.
 */
export function kernelCore(): WasmCore | null {
  if (core) return core;
  if (compiled === undefined) compiled = compile();
  if (!compiled) {
    if (requested !== 'auto' && requested !== 'js') throw new Error(`the ${requested} kernels cannot run here: ${unavailable}`);
    return null;
  }
  const created = new WasmCore(compiled);
  // One thread's scratch must fit the memory cap, else the JavaScript kernels run (and the next call tries again).
  if (!fitsMemoryCap(created.bytes) || !created.setThreads(1)) return null;
  core = created;
  setHeldMemory(core.bytes, dropCore);
  return core;
}

/** Registers what must let go of the core when it is dropped (the thread pool). */
export function onCoreDropped(listener: () => void): void {
  dropListeners.push(listener);
}

/** After a call: gives back linear memory past KEEP_BYTES by dropping the core (a new one starts small). */
export function trimCore(): void {
  if (core && core.bytes > KEEP_BYTES) dropCore();
}

// A call still open when the engine is reset was cut short (a terminated run runs no `finally`): its
// scratch is still taken and a pool job may still be writing into the memory, so the core goes and
// the next call starts a new one, with new threads.
setKernelReset(() => {
  if (core?.inCall) dropCore();
});

// Copies kept between calls grow the memory, which cannot shrink: a tensor that needs the room drops the core.
setKernelCopiesRelease(() => {
  if (core && core.keptBytes > 0) dropCore();
});

function dropCore(): void {
  core = null;
  setHeldMemory(0, dropCore);
  for (const l of dropListeners) l();
}

/**
 * Chooses the kernels: 'auto' (the default, or GRADIENT_LENS_KERNELS) takes the best build this
 * runtime validates. For tests and the benchmark; returns what is now in use.
 */
export function setKernelBackend(backend: KernelBackend | 'auto'): KernelBackend {
  requested = backend;
  compiled = undefined;
  unavailable = '';
  if (core) dropCore();
  return kernelInfo().backend;
}

export interface KernelInfo {
  backend: KernelBackend;
  /** Why WebAssembly is not in use, when it is not. */
  reason: string;
  /** Bytes of linear memory held now. */
  memoryBytes: number;
}

export function kernelInfo(): KernelInfo {
  let c: WasmCore | null = null;
  try {
    c = kernelCore();
  } catch {
    // A requested build that cannot run: reported as the JavaScript kernels with the reason.
  }
  return { backend: c ? c.backend : 'js', reason: c ? '' : requested === 'js' ? 'JavaScript kernels requested' : unavailable, memoryBytes: c ? c.bytes : 0 };
}
