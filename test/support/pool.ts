/** The buffer pool's checking mode for a suite, and the bit-for-bit comparison its tests make. */
import assert from 'node:assert/strict';
import { emptyPool, setPoolChecks } from '../../src/engine/buffer-pool';

/**
 * Poisoned pool for every test of the calling suite: an array given back is filled with NaN at
 * once, and one written after it was given back throws when handed out again, so a premature
 * give-back shows in every comparison the tests make. Each test starts from an empty pool.
 */
export function usePoisonedPool(): void {
  let checks: boolean;
  beforeEach(() => {
    checks = setPoolChecks(true);
    emptyPool();
  });
  afterEach(() => {
    setPoolChecks(checks);
    emptyPool();
  });
}

/** Bit for bit (NaN equal to NaN), told by the first differing index: deepEqual on millions of values takes minutes. */
export function sameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: [${i}] is ${got[i]}, was ${want[i]}`);
  }
}
