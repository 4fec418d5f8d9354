import assert from 'node:assert/strict';
import { RunFollower } from '../../../src/trace/run-log/follow';
import { RunLogError, RunReader } from '../../../src/trace/run-log/reader';
import type { Trace } from '../../../src/trace/types';
import { header, step, TempDir } from './fixture';

/** The next update the follower reports. */
function nextUpdate(follower: { updates: { trace: Trace; caughtUp: boolean }[]; waiters: ((u: { trace: Trace; caughtUp: boolean }) => void)[] }) {
  return new Promise<{ trace: Trace; caughtUp: boolean }>((resolve) => follower.waiters.push(resolve));
}

describe('run log: RunFollower', () => {
  let dir: TempDir;
  let follower: RunFollower | undefined;
  beforeEach(() => (dir = new TempDir()));
  afterEach(() => {
    follower?.dispose();
    dir.dispose();
  });

  function follow(opts: { sliceBytes?: number } = {}) {
    const state = { updates: [] as { trace: Trace; caughtUp: boolean }[], waiters: [] as ((u: { trace: Trace; caughtUp: boolean }) => void)[], errors: [] as RunLogError[] };
    follower = new RunFollower(new RunReader(dir.path), {
      throttleMs: 5,
      sliceBytes: opts.sliceBytes,
      onUpdate: (trace, caughtUp) => {
        const u = { trace, caughtUp };
        state.updates.push(u);
        state.waiters.shift()?.(u);
      },
      onError: (e) => state.errors.push(e),
    });
    return state;
  }

  it('reports the steps of a growing log as they come, when asked to look', async () => {
    dir.file('rank0.gl.jsonl', [header(), step(0)]);
    const state = follow();
    let u = await nextUpdate(state);
    assert.deepEqual(
      u.trace.steps.map((s) => s.step),
      [0],
    );
    dir.append('rank0.gl.jsonl', [step(8), step(16)]);
    follower!.kick();
    u = await nextUpdate(state);
    assert.deepEqual(
      u.trace.steps.map((s) => s.step),
      [0, 8, 16],
    );
    assert.ok(u.caughtUp);
  });

  it('reads a big log in slices and says when it has caught up', async () => {
    const records: object[] = [header()];
    for (let i = 0; i < 300; i++) records.push(step(i));
    dir.file('rank0.gl.jsonl', records);
    const state = follow({ sliceBytes: 20_000 });
    let u = await nextUpdate(state);
    while (!u.caughtUp) u = await nextUpdate(state);
    assert.equal(u.trace.steps.length, 300);
    assert.ok(follower!.polls > 10, `${follower!.polls} polls`);
  });

  it('stops with the reason when the log cannot be read', async () => {
    dir.file('rank0.gl.jsonl', [header(0, { version: 7 })]);
    const state = follow();
    while (!state.errors.length) await new Promise((r) => setTimeout(r, 5));
    assert.match(state.errors[0].message, /log format 7/);
    assert.equal(state.updates.length, 0);
  });
});
