import * as assert from 'node:assert/strict';
import { alloc, like } from '../../../src/engine/dtype';

describe('array allocation', () => {
  it('hands out zero-filled arrays that never share elements, whatever their size and type', () => {
    // sizes around V8's on-heap limit, the carved range and past it, float32 and float64 interleaved
    const sizes = [1, 3, 16, 17, 25, 100, 255, 256, 511, 512, 513, 1000, 4096];
    const arrays = [];
    for (let round = 0; round < 200; round++) {
      for (const n of sizes) {
        const a = round % 2 ? alloc('float32', n) : alloc('float64', n);
        assert.equal(a.length, n);
        assert.ok(a.every((v) => v === 0), `a fresh array of ${n} is zero-filled`);
        a.fill(round + 1);
        arrays.push({ a, v: round + 1 });
        const b = like(a, n + 1);
        assert.equal(b.constructor, a.constructor);
        assert.ok(b.every((v) => v === 0));
        b.fill(-1);
        arrays.push({ a: b, v: -1 });
      }
    }
    // every array still holds what was written into it: no two overlap
    for (const { a, v } of arrays) assert.ok(a.every((x) => x === v));
  });

  it('aligns float64 arrays carved after odd-length float32 ones', () => {
    for (let i = 0; i < 100; i++) {
      alloc('float32', 17 + i);
      const d = alloc('float64', 20);
      assert.equal(d.byteOffset % 8, 0);
    }
  });
});
