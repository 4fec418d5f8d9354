/**
 * PyTorch's side (bench/torch_bench.py on Debian's /usr/bin/python3), run with OPENBLAS_CORETYPE
 * and OPENBLAS_L2_SIZE unset in that one command: these machines set them for old OpenBLAS builds,
 * which forces an older kernel (99 instead of 144 GFLOP/s at 1024³ measured here), and a user's
 * PyTorch runs without them. Never unset in tests or CI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { layerTree, readSpec, ROOT } from './engine';
import { activationAfterLast, Workload } from './workloads';

export interface TorchResult {
  version: string;
  blas: { libraries: string[]; corename?: string; config?: string };
  ms: Record<string, number>;
  /** CPU ms per step of the Python process, by workload. */
  cpuMs: Record<string, number>;
  /** GFLOP/s of torch.mm at gemmSize³, by thread count. */
  gemm: Record<string, number>;
  /** What the machine had set and this run unset. */
  unset: string[];
}

export const BLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

function describe(w: Workload): unknown {
  if (w.kind === 'mlp') return { ...w, activationAfterLast: activationAfterLast(w) };
  if (w.kind !== 'spec') return w;
  const { spec } = readSpec(w);
  return {
    kind: 'spec',
    id: w.id,
    model: layerTree(spec.model),
    loss: { type: spec.loss.type, args: spec.loss.args },
    input: spec.input,
    target: spec.target,
    batch: spec.trace.batchSize,
  };
}

export function torchSide(workloads: Workload[], budgetMs: number, gemmSize: number, gemmThreads: number[]): TorchResult | string {
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 is missing';
  const env = { ...process.env };
  const unset = BLAS_OVERRIDES.filter((k) => k in env).map((k) => `${k}=${env[k]}`);
  for (const k of BLAS_OVERRIDES) delete env[k];
  // The thread count goes to OpenBLAS through its environment, one process per count:
  // torch.set_num_threads does not reach the system OpenBLAS Debian's torch calls, whose own
  // threads ran beside "one thread" (W2 at load 1: 5.7 ms a step, 1.0 ms with OPENBLAS_NUM_THREADS=1).
  const run = (threads: number, part: { workloads: Workload[]; gemmThreads: number[] }): Omit<TorchResult, 'unset'> | string => {
    const input = JSON.stringify({ budgetSeconds: budgetMs / 1000, workloads: part.workloads.map(describe), gemmSize, gemmThreads: part.gemmThreads });
    const threadEnv = { ...env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    const r = spawnSync('/usr/bin/python3', [join(ROOT, 'bench', 'torch_bench.py')], { input, encoding: 'utf8', env: threadEnv, timeout: 900_000, maxBuffer: 1 << 26 });
    if (r.status !== 0) return r.stderr.includes("No module named 'torch'") ? 'python3-torch is not installed' : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    return JSON.parse(r.stdout) as Omit<TorchResult, 'unset'>;
  };
  const result = run(1, { workloads, gemmThreads: [] });
  if (typeof result === 'string') return result;
  for (const threads of gemmThreads) {
    const gemm = run(threads, { workloads: [], gemmThreads: [threads] });
    if (typeof gemm === 'string') return gemm;
    Object.assign(result.gemm, gemm.gemm);
  }
  return { ...result, unset };
}
