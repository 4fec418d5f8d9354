/**
 * Run-wide state the dispatcher consults: which layer is running (so every op is attributed to the
 * user's layer), whether gradients are recorded, the tensor-memory cap, and the instrument.
 * Module-level because the engine is single-threaded and ops must stay cheap to call.
 */
import type { Instrument } from './instrument';
import { formatShape, Shape } from './shape';

const layerStack: string[] = [];
let gradEnabled = true;
let instrument: Instrument | null = null;
let memoryLimit = Infinity;
let memoryUsed = 0;

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
  ) {
    super(
      `tensor memory cap of ${formatBytes(limit)} exceeded${layer ? ` in layer ${layer}` : ''}: ` +
        `a ${formatShape(shape)} tensor (${formatBytes(bytes)}) would bring the step to ${formatBytes(memoryUsed + bytes)}`,
    );
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Typed arrays live outside V8's heap limit, so the engine counts what one step allocates. */
export function setMemoryLimit(bytes: number): void {
  memoryLimit = bytes;
  memoryUsed = 0;
}

export function resetMemory(): void {
  memoryUsed = 0;
}

export function memoryInUse(): number {
  return memoryUsed;
}

export function chargeMemory(bytes: number, shape: Shape): void {
  if (memoryUsed + bytes > memoryLimit) throw new TensorMemoryError(currentLayer(), bytes, memoryLimit, shape);
  memoryUsed += bytes;
}
