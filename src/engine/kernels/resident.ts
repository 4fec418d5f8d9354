/**
 * Tensors kept in the core's memory between kernel calls, so a linear layer's weight is copied in
 * once, not by its forward and again by its backward (and again each step while no optimiser step
 * wrote it).
 *
 * A kept copy is good while its tensor holds the same array, the same version counter, at the same
 * version: every write of a tensor's values bumps its version (optimiser steps, inits, in-place
 * ops, loading weights, `w.data = …`), so a stale copy is never read. Restoring a module's snapshot
 * moves counters back and calls `forgetResident`. The map is weak (a dead tensor's entry goes with
 * it); the blocks of dead tensors are reclaimed when the kept bytes would pass KEPT_MAX_BYTES, by
 * freeing them all.
 */
import { memoryCap } from '../context';
import type { FloatArray } from '../dtype';
import type { Tensor, VersionCounter } from '../tensor';
import type { WasmCore } from './core';

/**
 * Kept bytes at most; past this every block is freed and the live tensors are copied in again.
 * Under a tensor-memory cap, a sixteenth of it: the core's memory never shrinks while held, and
 * what it keeps must not crowd out the step's own tensors. 16 MB holds W4's weights (1024-1024-
 * 1024-10: 8.04 MB, which 8 MB did not, so each step copied 12 MB in again).
 */
export const KEPT_MAX_BYTES = 16 * 2 ** 20;
const CAP_SHARE = 16;

interface Kept {
  core: WasmCore;
  generation: number;
  at: number;
  values: FloatArray;
  counter: VersionCounter;
  version: number;
}

let kept = new WeakMap<Tensor, Kept>();

/** Where `t`'s values are kept in the core's memory, or -1 when they are not (or the copy is stale). */
export function keptOffset(core: WasmCore, t: Tensor): number {
  const k = kept.get(t);
  return k !== undefined && k.core === core && k.generation === core.keptGeneration && k.counter === t.counter && k.version === t.counter.value && k.values === t.data ? k.at : -1;
}

/** What `residentOffsets` returns, reused: it runs on every linear layer's forward and backward. */
const offsets: number[] = [];

/**
 * Byte offsets in the core's memory of each tensor's (float32) values, copying in those not kept
 * yet; null (nothing kept, nothing changed for the call) when the memory cap leaves no room. Called
 * before the call takes any scratch (`WasmCore.keep`). The array is reused: read it at once.
 */
export function residentOffsets(core: WasmCore, tensors: readonly Tensor[]): readonly number[] | null {
  const n = tensors.length;
  offsets.length = n;
  let missing = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = keptOffset(core, tensors[i]);
    if (offsets[i] < 0) missing += tensors[i].size * 4;
  }
  if (missing === 0) return offsets;
  const most = Math.min(KEPT_MAX_BYTES, memoryCap() / CAP_SHARE);
  if (missing > most) return null;
  if (core.keptBytes + missing > most) {
    core.dropKept();
    offsets.fill(-1);
  }
  for (let i = 0; i < n; i++) {
    if (offsets[i] >= 0) continue;
    const t = tensors[i];
    // the same tensor twice (linear(x, x)) is copied once
    let at = keptOffset(core, t);
    if (at < 0) {
      const values = t.data;
      at = core.keep(values.length * 4);
      if (at < 0) {
        core.dropKept();
        return null;
      }
      core.f32.set(values, at >> 2);
      kept.set(t, { core, generation: core.keptGeneration, at, values, counter: t.counter, version: t.counter.value });
    }
    offsets[i] = at;
  }
  return offsets;
}

/** Forgets every kept copy: a module's snapshot was restored, which moves version counters back. */
export function forgetResident(): void {
  kept = new WeakMap();
}
