/**
 * The few node APIs the kernels use: finding the .wasm files, the environment, the core count
 * and worker threads. Typed here and reached through `require`, because the engine is also
 * type-checked by browser-side projects (the webviews import the trace's types), which have no
 * node types. Everything else in the engine is plain JavaScript.
 */
declare const require: (id: string) => unknown;
declare const process: { env: Record<string, string | undefined> };
declare const __dirname: string;

/** The part of node's Worker the pool uses. */
export interface HostWorker {
  terminate(): Promise<number>;
  unref(): void;
  on(event: 'error', listener: (e: Error) => void): void;
  once(event: 'message', listener: (m: unknown) => void): void;
}

interface Fs {
  existsSync(path: string): boolean;
  readFileSync(path: string): Uint8Array<ArrayBuffer>;
}

export function environment(name: string): string | undefined {
  return typeof process === 'object' ? process.env[name] : undefined;
}

/**
 * The bytes of a kernel build, found next to the bundle (dist/), through GRADIENT_LENS_KERNELS_DIR,
 * or, running from source, in dist/; null when it is not there.
 */
export function readKernelFile(name: string): Uint8Array<ArrayBuffer> | null {
  const fs = require('node:fs') as Fs;
  const { join } = require('node:path') as { join(...parts: string[]): string };
  for (const dir of [environment('GRADIENT_LENS_KERNELS_DIR'), __dirname, join(__dirname, '..', '..', '..', 'dist')]) {
    if (dir && fs.existsSync(join(dir, name))) return fs.readFileSync(join(dir, name));
  }
  return null;
}

/** Node's Buffer, the one part of it used: a buffer the allocator does not zero. */
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(bytes: number): { buffer: ArrayBuffer } } }).Buffer;

/**
 * A new ArrayBuffer of `bytes` whose contents are whatever the allocator held (zeros where the
 * runtime has no such allocation), for a caller that writes every byte before anyone reads one.
 */
export function unzeroedBuffer(bytes: number): ArrayBuffer {
  return nodeBuffer ? nodeBuffer.allocUnsafeSlow(bytes).buffer : new ArrayBuffer(bytes);
}

export function availableCores(): number {
  const os = require('node:os') as { availableParallelism?(): number; cpus(): unknown[] };
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** A worker thread running `source` (CommonJS) with `workerData`. */
export function startWorker(source: string, name: string, workerData: unknown): HostWorker {
  const { Worker } = require('node:worker_threads') as {
    Worker: new (source: string, options: { eval: true; name: string; workerData: unknown }) => HostWorker;
  };
  return new Worker(source, { eval: true, name, workerData });
}
