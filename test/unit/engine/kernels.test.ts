/**
 * The float32 kernels of every build this machine can run, against float64 references: the
 * JavaScript kernels, WebAssembly with plain SIMD, and with relaxed SIMD (fused multiply-add),
 * which Node 20 runs only behind --experimental-wasm-relaxed-simd: there the checks run in a
 * child node with that flag. PyTorch parity of each build is in test/parity.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelInfo, setKernelBackend } from '../../../src/engine';
import { CheckResult, checkKernels } from '../support/kernel-checks';

const DIST = join(__dirname, '..', '..', '..', 'dist');
const relaxedHere = WebAssembly.validate(readFileSync(join(DIST, 'kernels-relaxed-simd.wasm')));

function report(r: CheckResult): void {
  console.log(`      ${r.backend}: worst float32 error per √depth, GEMM ${r.worstGemm.toExponential(2)}, convolution ${r.worstConv.toExponential(2)}; elementwise relative ${r.worstElementwise.toExponential(2)}`);
  assert.deepEqual(r.failures, []);
}

describe('kernels of every build', function () {
  this.timeout(120_000);

  it('auto picks relaxed SIMD where the runtime validates it, else plain SIMD', () => {
    assert.equal(setKernelBackend('auto'), relaxedHere ? 'relaxed-simd' : 'simd', kernelInfo().reason);
  });

  it('a build asked for by name that cannot run says why instead of falling back quietly', () => {
    if (relaxedHere) return;
    assert.equal(setKernelBackend('relaxed-simd'), 'js');
    assert.match(kernelInfo().reason, /does not validate relaxed simd/);
    setKernelBackend('auto');
  });

  for (const backend of ['js', 'simd'] as const) {
    it(`${backend}: GEMM in all transpositions, offsets and accumulation, non-finite values, convolutions, elementwise kernels, threads, memory cap`, async () => {
      report(await checkKernels(backend));
    });
  }

  it(`relaxed-simd: the same checks${relaxedHere ? '' : ' (in a child node with --experimental-wasm-relaxed-simd)'}`, async () => {
    if (relaxedHere) {
      report(await checkKernels('relaxed-simd'));
      return;
    }
    const script = join(__dirname, '..', 'support', 'kernel-checks.ts');
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-r', 'esbuild-register', script, 'relaxed-simd'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    report(JSON.parse(r.stdout) as CheckResult);
  });
});
