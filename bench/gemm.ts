/**
 * Prints the GEMM kernel's speed in GFLOP/s for the four transpose combinations, float32 and float64.
 * Run: node -r esbuild-register bench/gemm.ts [size]
 */
import { gemm } from '../src/engine/kernels/gemm';

function randomArray(n: number, f64: boolean): Float32Array | Float64Array {
  const a = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

function measure(m: number, n: number, k: number, transA: boolean, transB: boolean, f64: boolean): number {
  const a = randomArray(m * k, f64);
  const b = randomArray(k * n, f64);
  const c = f64 ? new Float64Array(m * n) : new Float32Array(m * n);
  gemm(transA, transB, m, n, k, a, 0, b, 0, c, 0, false);
  let reps = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 0.5 || reps < 2) {
    gemm(transA, transB, m, n, k, a, 0, b, 0, c, 0, false);
    reps++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return (2 * m * n * k * reps) / elapsed / 1e9;
}

const size = Number(process.argv[2] ?? 1024);
const shapes: [number, number, number][] = [
  [size, size, size],
  [64, 256, 784],
  [256, 784, 64],
  [64, 784, 256],
  [1, 10, 10],
];
for (const [m, n, k] of shapes) {
  for (const f64 of [false, true]) {
    const cells = [false, true].flatMap((ta) => [false, true].map((tb) => `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${measure(m, n, k, ta, tb, f64).toFixed(2)}`));
    console.log(`${m}×${n}×${k} ${f64 ? 'f64' : 'f32'}: ${cells.join('  ')} GFLOP/s`);
  }
}
