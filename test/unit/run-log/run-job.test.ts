import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { RunWatchJob } from '../../../src/worker/run-job';
import type { RunWatchReply } from '../../../src/worker/run-messages';
import { graph, header, project, step, TempDir } from './fixture';

/** Replies of a job, and a way to wait for the next one that matches. */
function replies() {
  const seen: RunWatchReply[] = [];
  const waiters: { match: (r: RunWatchReply) => boolean; resolve: (r: RunWatchReply) => void }[] = [];
  const post = (r: RunWatchReply) => {
    seen.push(r);
    for (const w of waiters.splice(0)) {
      if (w.match(r)) w.resolve(r);
      else waiters.push(w);
    }
  };
  const next = <T extends RunWatchReply>(match: (r: RunWatchReply) => r is T): Promise<T> =>
    new Promise((resolve) => waiters.push({ match, resolve: resolve as (r: RunWatchReply) => void }));
  return { seen, post, next };
}

const isUpdate = (r: RunWatchReply): r is Extract<RunWatchReply, { type: 'update' }> => r.type === 'update';
const isError = (r: RunWatchReply): r is Extract<RunWatchReply, { type: 'error' }> => r.type === 'error';

describe('run log: the watch job of a worker thread', () => {
  let dir: TempDir;
  let job: RunWatchJob | undefined;
  let logDir: string;
  beforeEach(() => {
    dir = new TempDir();
    // The run was recorded in /home/user/proj with log_dir="runs/gl"; here the project is elsewhere.
    logDir = project(dir);
  });
  afterEach(() => {
    job?.dispose();
    dir.dispose();
  });

  it('posts each snapshot of a growing log with its findings on the .py lines', async () => {
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(), graph(), step(0)]);
    const r = replies();
    let update = r.next(isUpdate);
    job = new RunWatchJob({ path: logDir, throttleMs: 5, config: DEFAULT_CONFIG }, r.post);
    let u = await update;
    assert.deepEqual([u.keep, u.trace.steps.map((s) => s.step)], [0, [0]]);
    assert.deepEqual(u.findings, []);
    update = r.next((x): x is Extract<RunWatchReply, { type: 'update' }> => isUpdate(x) && x.trace.steps.some((s) => s.step === 16));
    dir.append('proj/runs/gl/rank0.gl.jsonl', [step(8, { saturated: 0.95 }), step(16, { saturated: 0.95 })]);
    job.handle({ type: 'kick' });
    u = await update;
    // Only the new steps are posted, after the one the host holds (whichever polls they came in).
    const held = r.seen.filter(isUpdate).reduce<number[]>((steps, x) => [...steps.slice(0, x.keep), ...x.trace.steps.map((s) => s.step)], []);
    assert.deepEqual(held, [0, 8, 16]);
    assert.equal(u.trace.steps[0].step === 0, false, 'step 0 is not sent again');
    const sat = u.findings.find((f) => f.rule === 'saturated-activation')!;
    assert.equal(sat.file, join(dir.path, 'proj', 'train.py'));
    assert.equal(sat.range.start.line, 5);
    assert.deepEqual(u.files, [join(dir.path, 'proj', 'train.py')]);
    assert.ok(u.caughtUp);
  });

  it('applies changed rule settings to what it has read', async () => {
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(), graph(), step(0, { saturated: 0.95 }), step(1, { saturated: 0.95 })]);
    const r = replies();
    const first = r.next(isUpdate);
    job = new RunWatchJob({ path: logDir, throttleMs: 5, config: DEFAULT_CONFIG }, r.post);
    assert.ok((await first).findings.some((f) => f.rule === 'saturated-activation'));
    const again = r.next(isUpdate);
    job.handle({ type: 'config', config: { ...DEFAULT_CONFIG, severity: { ...DEFAULT_CONFIG.severity, 'saturated-activation': 'off' } } });
    const u = await again;
    assert.ok(!u.findings.some((f) => f.rule === 'saturated-activation'));
    assert.deepEqual([u.keep, u.trace.steps], [2, []], 'the same steps: none sent again');
    const all = r.next(isUpdate);
    job.handle({ type: 'resend' });
    assert.deepEqual([(await all).keep, (await all).trace.steps.map((s) => s.step)], [0, [0, 1]], 'asked for everything');
  });

  it('waits for a log that is not there yet, and says why a log cannot be read', async () => {
    const r = replies();
    job = new RunWatchJob({ path: logDir, throttleMs: 5, config: DEFAULT_CONFIG, idleMs: 5 }, r.post);
    const error = r.next(isError);
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(0, { version: 99 }), graph(), step(0)]);
    assert.match((await error).message, /newer gradient_lens \(log format 99\)/);
    // Looked at again (it may be replaced), told once.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(r.seen.filter(isError).length, 1);
    assert.deepEqual(r.seen.filter(isUpdate), []);
  });
});
