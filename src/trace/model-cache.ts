/**
 * The model the last quick trace built, kept for the next run: after an edit that leaves the model
 * alone (the loss, the optimiser, the learning rate, the data, a comment) the worker starts from
 * the same module put back as it was built, instead of building and initialising it again (for the
 * CIFAR-size CNN about 30 ms of a 0.5 s trace).
 *
 * The key is everything buildModule reads: the layer tree without its source ranges, the dtype,
 * the seed and `trace.dropout`, and the memory limit the build ran under (a lower limit must be able
 * to refuse the same model). One model is kept, the last; a model whose state the snapshot cannot
 * put back (snapshot.ts) is never kept.
 */
import type { DType } from '../engine';
import type { Module } from '../engine/nn';
import { ModuleSnapshot, restoreModule, snapshotModule } from '../engine/nn/snapshot';
import type { ModelSpec } from '../model/graph';

let last: { key: string; module: Module; snapshot: ModuleSnapshot } | null = null;

/** Source ranges move with every edit above the model; they never change what is built. */
function withoutRanges(key: string, value: unknown): unknown {
  if (/Ranges?$|^range$/.test(key)) return undefined;
  // JSON writes NaN and ±Infinity as null: spelled out, an argument of inf and one of null differ.
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

export function modelKey(spec: Pick<ModelSpec, 'model' | 'trace'>, dtype: DType, memoryLimitBytes: number): string {
  return JSON.stringify({ model: spec.model, dtype, seed: spec.trace.seed, dropout: spec.trace.dropout, memoryLimitBytes }, withoutRanges);
}

/**
 * The module for `key`: the kept one, put back as it was built, when the key is the last one's;
 * else `build()`'s, kept for next time when it can be put back. `reused` says which.
 */
export function reusableModule(key: string, build: () => Module): { module: Module; reused: boolean } {
  if (last && last.key === key) {
    restoreModule(last.snapshot);
    return { module: last.module, reused: true };
  }
  // The old model is let go before the new one is built: both may not fit at once.
  last = null;
  const module = build();
  const snapshot = snapshotModule(module);
  if (snapshot) last = { key, module, snapshot };
  return { module, reused: false };
}

/** The kept model, if any (tests). */
export function keptModel(): Module | null {
  return last?.module ?? null;
}

/** Lets go of the kept model (tests start from none). */
export function forgetModel(): void {
  last = null;
}
