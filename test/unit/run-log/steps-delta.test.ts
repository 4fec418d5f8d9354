import assert from 'node:assert/strict';
import { applyStepsDelta, completeTraceMessage, type TraceMessage } from '../../../src/protocol';
import { RunReader } from '../../../src/trace/run-log/reader';
import { HeldSteps } from '../../../src/trace/steps-delta';
import type { StepRecord, Trace } from '../../../src/trace/types';
import { header, step, TempDir } from './fixture';

const numbers = (steps: readonly StepRecord[]) => steps.map((s) => s.step);

describe('run log: updates carry only the steps a receiver lacks', () => {
  let dir: TempDir;
  beforeEach(() => (dir = new TempDir()));
  afterEach(() => dir.dispose());

  it('rebuilds the reader\'s steps at every poll of a growing, thinned log from the deltas alone', () => {
    // 300 steps with a NaN at 77, kept to at most 20 in memory: the reader thins every other step
    // several times over and replaces the latest one between strides.
    dir.file('rank0.gl.jsonl', [header()]);
    const reader = new RunReader(dir.path, { maxSteps: 20 });
    const sent = new HeldSteps();
    let held: StepRecord[] = [];
    let sentSteps = 0;
    let wholeSteps = 0;
    let polls = 0;
    let thinned = false;
    for (let n = 0; n < 300; ) {
      const burst = 1 + (n % 7);
      const records = [];
      for (let i = 0; i < burst && n < 300; i++, n++) records.push(step(n, { loss: n === 77 ? NaN : 0.5 }));
      dir.append('rank0.gl.jsonl', records);
      reader.poll();
      const steps = reader.trace!.steps;
      const before = held.length;
      const delta = sent.next('run', steps) ?? { keep: 0, steps: [...steps] };
      held = applyStepsDelta(held, delta)!;
      assert.deepEqual(numbers(held), numbers(steps), `after step ${n - 1}`);
      assert.deepEqual(held, steps);
      if (delta.keep < before) thinned = true;
      sentSteps += delta.steps.length;
      wholeSteps += steps.length;
      polls++;
    }
    assert.ok(thinned, 'the log was long enough to be thinned');
    assert.ok(held.some((s) => s.step === 77), 'the NaN step is kept');
    // Sending the whole trace every time would have sent every kept step at every poll.
    console.log(`      ${polls} updates sent ${sentSteps} steps; whole traces would have sent ${wholeSteps}`);
  });

  it('sends another run whole, and everything again once the receiver forgot', () => {
    const sent = new HeldSteps();
    const s = (...n: number[]) => n.map((k) => step(k) as unknown as StepRecord);
    assert.equal(sent.next('a', s(0, 1)), null);
    assert.deepEqual(numbers(sent.next('a', s(0, 1, 2))!.steps), [2]);
    assert.equal(sent.next('b', s(0, 1, 2)), null, 'another run');
    sent.forget();
    assert.equal(sent.next('b', s(0, 1, 2, 3)), null, 'forgotten');
    assert.deepEqual(sent.next('b', s(0, 1, 2, 3)), { keep: 4, steps: [] }, 'nothing new');
    assert.equal(applyStepsDelta(s(0, 1), { keep: 3, steps: [] }), null, 'holds fewer than the update keeps');
  });

  it('puts a page\'s run message together, and says when the page cannot', () => {
    const run = (id: string, steps: number[]) => ({ steps: steps.map((k) => step(k) as unknown as StepRecord), run: { id } }) as unknown as Trace;
    const msg = (uri: string, trace: Trace, keep?: number): TraceMessage => ({ type: 'trace', uri, fileName: 'runs/gl', trace, findings: [], health: [], quick: false, ...(keep === undefined ? {} : { keep }) });
    const held = msg('file:///runs/gl', run('r1', [0, 4, 8]));
    const whole = msg('file:///runs/gl', run('r1', [0, 8, 12]));
    assert.equal(completeTraceMessage(held, whole), whole, 'a whole message replaces what is held');
    const next = completeTraceMessage(held, msg('file:///runs/gl', run('r1', [12, 16]), 3))!;
    assert.deepEqual(numbers(next.trace.steps), [0, 4, 8, 12, 16]);
    assert.equal('keep' in next, false, 'what the page keeps is whole');
    assert.deepEqual(numbers(completeTraceMessage(held, msg('file:///runs/gl', run('r1', [16]), 1))!.trace.steps), [0, 16]);
    assert.equal(completeTraceMessage(null, msg('file:///runs/gl', run('r1', [12]), 3)), null, 'nothing held');
    assert.equal(completeTraceMessage(held, msg('file:///runs/other', run('r1', [12]), 3)), null, 'another folder');
    assert.equal(completeTraceMessage(held, msg('file:///runs/gl', run('r2', [12]), 3)), null, 'another run in the folder');
    assert.equal(completeTraceMessage(held, msg('file:///runs/gl', run('r1', [12]), 4)), null, 'more kept than held');
  });
});
