/**
 * The model the last quick trace built, kept for the next run: after an edit that leaves the model
 * alone (the loss, the optimiser, the learning rate, the data, a comment) the worker starts from
 * the same module put back as it was built, instead of building and initialising it again (for the
 * CIFAR-size CNN about 30 ms of a 0.5 s trace).
 *
 * The key is everything buildModule reads: the layer tree without its source ranges, the dtype,
 * the seed and `trace.dropout`, and the memory limit the build ran under (a run under another limit
 * builds its own, as a fresh build would be refused or kept under that limit). One model is kept,
 * the last; a model whose state the snapshot cannot put back (snapshot.ts) is never kept.
 *
 * What is kept is memory the worker holds, about twice the model's (its arrays and their copy), so
 * it counts against gradientLens.memoryLimitMB like the run's own tensors (engine/context.ts,
 * KeptMemory). A user who sets that limit expects the worker's tensors to stay under it; they also
 * expect a trace that fits the limit to run, and to run the same whether or not a model was kept.
 * So a model is kept only when it and its copy fit the cap of the run that built it, and it is let
 * go, before the cap would refuse anything, by any later run that needs the room (a larger batch,
 * another model's run in the same worker): the next quick trace builds it again, and the worker's
 * log says why (`modelNote`).
 */
import type { DType } from '../engine';
import { roomToKeep, setKeptMemory, useKeptMemory } from '../engine/context';
import type { Module } from '../engine/nn';
import { ModuleSnapshot, restoreModule, snapshotModule } from '../engine/nn/snapshot';
import { limitName } from '../limits';
import type { ModelSpec } from '../model/graph';
import { formatBytes } from '../numbers';

let last: { key: string; module: Module; snapshot: ModuleSnapshot } | null = null;
/** How the last run had its model, for the worker's log: why a quick trace built it again is the user's question. */
let note: string | null = null;

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
 * else `build()`'s, kept for next time when it can be put back and the run's memory limit
 * (`limitBytes`, the cap in force) leaves room for it and its copy. `reused` says which.
 */
export function reusableModule(key: string, build: () => Module, limitBytes: number): { module: Module; reused: boolean } {
  if (last && last.key === key) {
    restoreModule(last.snapshot);
    useKeptMemory();
    note = 'the kept model, put back';
    return { module: last.module, reused: true };
  }
  // The old model is let go before the new one is built: both may not fit at once.
  forgetModel();
  const module = build();
  const limit = `the ${formatBytes(limitBytes)} memory limit (${limitName('memoryLimitMB')})`;
  let refused = 0;
  // The module's arrays (soon counted as the run's parameters) and their copy, both under the cap.
  const snapshot = snapshotModule(module, (bytes) => roomToKeep(2 * bytes) || ((refused = 2 * bytes), false));
  if (snapshot) {
    const entry = (last = { key, module, snapshot });
    note = `built, kept for the next trace (${formatBytes(2 * snapshot.bytes)} with its copy)`;
    const release = () => {
      if (last !== entry) return;
      last = null;
      note += `, then let go during the trace: ${limit} needed the room`;
    };
    setKeptMemory({ bytes: 2 * snapshot.bytes, bytesInUse: snapshot.bytes, release });
    useKeptMemory();
  } else {
    note = refused
      ? `built, not kept: with its copy it takes ${formatBytes(refused)}, more than ${limit} leaves`
      : 'built, not kept: it holds state that cannot be put back';
  }
  return { module, reused: false };
}

/** How the last run that could reuse a model had it: put back, built and kept, or built and why it was not kept. */
export function modelNote(): string | null {
  return note;
}

/** The kept model, if any (tests). */
export function keptModel(): Module | null {
  return last?.module ?? null;
}

/** Lets go of the kept model (tests start from none). */
export function forgetModel(): void {
  last = null;
  setKeptMemory(null);
}
