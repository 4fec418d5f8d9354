/**
 * The multiply-add rate WebAssembly SIMD reaches on this machine (assembly/peak.ts), on one or
 * more threads at once: the ceiling the benchmark prints beside the GEMM's rate.
 */
import { kernelCore } from './core';
import { runJob, threadsFor, writeJob } from './pool';

const FMA_PEAK_JOB = 5;
/** Floating-point operations per iteration: twelve multiply-adds of four lanes. */
const FLOPS_PER_ITERATION = 12 * 4 * 2;

/** GFLOP/s of `threads` threads each running `iterations` rounds, timed on the wall clock; null without the core. */
export function measureFmaPeak(threads: number, iterations = 2e7): number | null {
  const core = kernelCore();
  if (!core) return null;
  const used = threads > 1 ? threadsFor(core, Infinity, threads) : 1;
  const job = writeJob(core, [FMA_PEAK_JOB, iterations]);
  const start = performance.now();
  runJob(core, job, used, used);
  const seconds = (performance.now() - start) / 1000;
  return (used * iterations * FLOPS_PER_ITERATION) / seconds / 1e9;
}
