/** A trace within the limits: the time limit interrupts even code that never returns, the memory cap stops growth; no clock bounds asserted. */
import assert from 'node:assert/strict';
import { chargeMemory, currentLayer, isGradEnabled, pushLayer, setMemoryLimit } from '../../../src/engine/context';
import { LimitError, withinLimits } from '../../../src/trace/bounded';

describe('withinLimits', () => {
  it('returns what the work returns, and passes its errors through', () => {
    assert.equal(withinLimits(() => 42, { timeLimitMs: 60_000, memoryLimitMB: 64 }), 42);
    assert.throws(() => withinLimits(() => { throw new TypeError('mine'); }, { timeLimitMs: 60_000, memoryLimitMB: 64 }), /mine/);
  });

  it('ends work that can never finish with a LimitError naming the time limit, and leaves the engine clean', () => {
    let caught: unknown;
    try {
      withinLimits(() => {
        pushLayer('stuck');
        setMemoryLimit(1);
        // An endless loop that even swallows what it can catch.
        for (;;) {
          try {
            Math.random();
          } catch {
            // nothing
          }
        }
      }, { timeLimitMs: 100, memoryLimitMB: 64 });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof LimitError);
    assert.equal(caught.limit, 'timeLimitMs');
    assert.match(caught.message, /did not finish within 100 ms \(--time-limit-ms \/ gradientLens\.timeLimitMs\)/);
    assert.deepEqual(caught.blame, { kind: 'model' });
    assert.equal(currentLayer(), null);
    assert.equal(isGradEnabled(), true);
    chargeMemory(1024, [256]);
  });

  it('stops growth of the process past twice the memory limit plus 256 MiB', () => {
    const keep: Float64Array[] = [];
    let caught: unknown;
    try {
      withinLimits(() => {
        for (;;) {
          const a = new Float64Array(1 << 21).fill(1);
          keep.push(a);
          chargeMemory(a.byteLength, [a.length]);
        }
      }, { timeLimitMs: 120_000, memoryLimitMB: 16 });
    } catch (e) {
      caught = e;
    }
    const held = keep.length * 16;
    keep.length = 0;
    assert.ok(caught instanceof LimitError, String(caught));
    assert.equal(caught.limit, 'memoryLimitMB');
    assert.match(caught.message, /over the 288 MiB it may take \(twice --memory-limit-mb \/ gradientLens\.memoryLimitMB plus 256 MiB\)/);
    assert.ok(held >= 250 && held < 600, `held ${held} MiB when stopped`);
  });
});
