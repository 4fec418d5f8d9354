/** A trace within the limits: the time limit interrupts even code that never returns, the memory cap stops growth; no clock bounds asserted. */
import assert from 'node:assert/strict';
import { chargeMemory, currentLayer, isGradEnabled, pushLayer, setMemoryLimit } from '../../../src/engine/context';
import { LimitError, stepTimeBudget, withinLimits } from '../../../src/trace/bounded';

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

  it('says where the time went: while reading, that fewer steps would not help; while tracing, to lower the steps', () => {
    /** The message of work that sets what it reads (`reading`, then null once it traces) and never ends. */
    const stuckAfter = (...stages: (string | null)[]): string => {
      let reading: string | null = null;
      try {
        withinLimits(
          () => {
            for (const s of stages) reading = s;
            for (;;) Math.random();
          },
          { timeLimitMs: 50, memoryLimitMB: 64 },
          () => reading,
        );
      } catch (e) {
        assert.ok(e instanceof LimitError, String(e));
        return e.message;
      }
      assert.fail('the endless loop ended');
    };
    assert.equal(
      stuckAfter('parsing m.py (600 KiB of Python)'),
      'parsing m.py (600 KiB of Python) did not finish within 50 ms (--time-limit-ms / gradientLens.timeLimitMs): no step was traced yet, so fewer steps or a smaller batch would not help; raise the limit',
    );
    // Read, then stuck in the trace: the steps and the batch are what to lower.
    assert.equal(
      stuckAfter('reading m.py', null),
      'the trace did not finish within 50 ms (--time-limit-ms / gradientLens.timeLimitMs): lower trace.steps or batch_size, or raise the limit',
    );
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
    // What to set: a limit whose cap the growth seen would fit under, at least.
    const needed = Number(/set --memory-limit-mb \/ gradientLens\.memoryLimitMB above (\d+) MB, or give it a smaller batch$/.exec(caught.message)?.[1]);
    assert.ok(needed > 16 && 2 * needed + 256 >= 288, caught.message);
    assert.ok(held >= 250 && held < 600, `held ${held} MiB when stopped`);
  });
});

describe('stepTimeBudget', () => {
  /** A clock the test moves: no real time is read. */
  const fakeClock = () => {
    const c = { t: 0, now: () => c.t };
    return c;
  };

  it('stops before the step that would pass the limit, keeping the steps that fit, and names the setting', () => {
    const clock = fakeClock();
    // 40 ms reading the file, then steps of 10 ms under a 100 ms limit (90 ms of it for the steps).
    const budget = stepTimeBudget(100, '--time-limit-ms / gradientLens.timeLimitMs', 0, clock.now);
    clock.t = 40;
    budget.traceStarts();
    const answers: (true | string)[] = [];
    for (let step = 0; step < 10; step++) {
      clock.t += 10;
      const a = budget.onStep({ step });
      answers.push(a);
      if (a !== true) break;
    }
    // After step 3 (80 ms) one more 10 ms step would reach 90 ms: still within; after step 4 (90 ms) it would not.
    assert.deepEqual(answers.slice(0, 4), [true, true, true, true]);
    assert.equal(answers.length, 5);
    assert.equal(answers[4], '5 steps traced: one more (up to 10 ms each) would pass the time limit of 100 ms (--time-limit-ms / gradientLens.timeLimitMs); raise it to trace more');
  });

  it('judges the next step by the longest so far, not counting the time spent reading the file', () => {
    const clock = fakeClock();
    const budget = stepTimeBudget(1000, 'gradientLens.quickTraceTimeLimitMs', 0, clock.now);
    clock.t = 500;
    budget.traceStarts();
    clock.t = 600; // step 0: 100 ms (not 600)
    assert.equal(budget.onStep({ step: 0 }), true);
    clock.t = 900; // step 1: 300 ms, the longest: 900 + 300 > 900
    assert.match(String(budget.onStep({ step: 1 })), /^2 steps traced: one more \(up to 300 ms each\) would pass the time limit of 1 s \(gradientLens\.quickTraceTimeLimitMs\)/);
  });
});
