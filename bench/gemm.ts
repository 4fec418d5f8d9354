/**
 * GEMM alone: GFLOP/s of the engine's float32 product at size³ (operands copied in and out of the
 * core, as every op pays), per kernel build and thread count, beside the multiply-add rate
 * WebAssembly SIMD can reach on this machine.
 */
import { KernelBackend, setKernelBackend, setKernelThreads } from '../src/engine';
import { gemm } from '../src/engine/kernels/gemm';
import { measureFmaPeak } from '../src/engine/kernels/peak';
import { poolReady } from '../src/engine/kernels/pool';

export interface GemmRow {
  backend: KernelBackend;
  /** GFLOP/s of the product, and of the multiply-add loop, by thread count. */
  gemm: Record<number, number>;
  peak: Record<number, number>;
}

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

/** Best GFLOP/s over about `budgetMs` (the best run is the one the machine's other load disturbed least). */
function best(flops: number, fn: () => void, budgetMs: number): number {
  fn();
  let top = 0;
  const start = performance.now();
  do {
    const t = performance.now();
    fn();
    top = Math.max(top, flops / ((performance.now() - t) / 1000) / 1e9);
  } while (performance.now() - start < budgetMs);
  return top;
}

export async function gemmRows(size: number, threads: number[], budgetMs: number): Promise<GemmRow[]> {
  const a = random(size * size);
  const b = random(size * size);
  const c = new Float32Array(size * size);
  const product = () => gemm(false, false, size, size, size, a, 0, b, 0, c, 0, false);
  const rows: GemmRow[] = [];
  for (const backend of ['relaxed-simd', 'simd', 'js'] as const) {
    if (setKernelBackend(backend) !== backend) continue;
    const row: GemmRow = { backend, gemm: {}, peak: {} };
    for (const t of backend === 'js' ? [1] : threads) {
      setKernelThreads(t);
      product();
      await poolReady();
      row.gemm[t] = best(2 * size ** 3, product, budgetMs);
      if (backend !== 'js') {
        let top = 0;
        for (let i = 0; i < 5; i++) top = Math.max(top, measureFmaPeak(t) ?? 0);
        row.peak[t] = top;
      }
    }
    rows.push(row);
  }
  setKernelBackend('auto');
  setKernelThreads(1);
  return rows;
}
