/** The trace worker's job, run in plain node: parse → trace → rules, with positions resolved. */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { runJob } from '../../../src/worker/job';
import type { TraceReply, TraceRequest } from '../../../src/worker/messages';

const SATURATED = readFileSync(join(__dirname, '..', '..', 'extension', 'fixtures', 'saturated.grad.yaml'), 'utf8');

/** Every reply, in order, as the host receives them. */
function runAll(over: Partial<TraceRequest> & { text: string }): TraceReply[] {
  const replies: TraceReply[] = [];
  runJob(
    { id: 7, fileName: 'm.grad.yaml', memoryLimitBytes: 2 ** 28, timeLimitMs: 60000, config: DEFAULT_CONFIG, progress: false, ...over },
    (r) => replies.push(structuredClone(r)),
  );
  return replies;
}

/** The replies but 'reading' (what the job reads now, for the host's time limit: its own test below). */
const run = (over: Partial<TraceRequest> & { text: string }): TraceReply[] => runAll(over).filter((r) => r.type !== 'reading');

/** What the job said it was reading, in order (null: tracing). */
const readings = (replies: TraceReply[]) => replies.flatMap((r) => (r.type === 'reading' ? [r.what] : []));

const lineOf = (text: string, re: RegExp) => text.split('\n').findIndex((l) => re.test(l));

describe('trace worker job', () => {
  it('posts the parse first, then the trace with findings at line/character positions', () => {
    const replies = run({ text: SATURATED, steps: 5 });
    assert.deepEqual(replies.map((r) => r.type), ['parsed', 'traced']);
    assert.ok(replies.every((r) => r.id === 7), 'every reply carries the request id');
    const parsed = replies[0] as Extract<TraceReply, { type: 'parsed' }>;
    assert.equal(parsed.ok, true);
    assert.deepEqual(parsed.layers.map((l) => l.path), ['0', '1', '2']);
    assert.equal(parsed.layers[1].range.start.line, lineOf(SATURATED, /- Sigmoid/));
    const traced = replies[1] as Extract<TraceReply, { type: 'traced' }>;
    assert.equal(traced.trace.steps.length, 5);
    const f = traced.findings.find((x) => x.rule === 'saturated-activation');
    assert.ok(f, JSON.stringify(traced.findings.map((x) => x.rule)));
    const sigmoid = lineOf(SATURATED, /- Sigmoid/);
    assert.equal(f.range.start.line, sigmoid);
    assert.equal(SATURATED.split('\n')[sigmoid].slice(f.range.start.character, f.range.end.character), 'Sigmoid');
    assert.ok(f.fixes.length >= 2 && f.fixes.filter((x) => x.preferred).length === 1);
    for (const fix of f.fixes) for (const e of fix.edits) assert.ok(e.range.start.line >= 0 && typeof e.newText === 'string');
    assert.ok(traced.timings.traceMs >= 0 && traced.timings.parseMs >= 0 && traced.timings.checkMs >= 0);
  });

  it('never runs more steps than the spec asks for, and runs the spec\'s steps when none are given', () => {
    const capped = run({ text: SATURATED, steps: 500 }).find((r) => r.type === 'traced') as Extract<TraceReply, { type: 'traced' }>;
    assert.equal(capped.trace.steps.length, 20);
    const full = run({ text: SATURATED, progress: true });
    const progress = full.filter((r) => r.type === 'progress') as Extract<TraceReply, { type: 'progress' }>[];
    assert.deepEqual(progress.map((p) => p.step), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.ok(progress.every((p) => p.of === 20));
  });

  it('stops between steps once over the time budget and says why', () => {
    const traced = run({ text: SATURATED, timeLimitMs: 0, timeLimitName: 'gradientLens.quickTraceTimeLimitMs' }).find((r) => r.type === 'traced') as Extract<TraceReply, { type: 'traced' }>;
    assert.equal(traced.trace.steps.length, 1);
    assert.match(traced.trace.stoppedEarly ?? '', /^1 step traced: one more \(up to .+ each\) would pass the time limit of 0 ms \(gradientLens\.quickTraceTimeLimitMs\)/);
  });

  it('tells the host what it reads (the spec, its data files) before the trace starts, for the time limit\'s message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-job-'));
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ shape: [2, 10], data: new Array(20).fill(1) }));
    const withData = SATURATED.replace('input: {shape: [10], distribution: normal}', 'input: {shape: [10], data: x.json}');
    assert.notEqual(withData, SATURATED);
    const replies = runAll({ text: withData, fileName: join(dir, 'sat.grad.yaml'), dataRoots: [], steps: 2 });
    assert.deepEqual(
      replies.map((r) => (r.type === 'reading' ? `reading: ${r.what}` : r.type)),
      ['reading: reading the spec sat.grad.yaml', 'parsed', 'reading: reading the data files of sat.grad.yaml', 'reading: null', 'traced'],
    );
    // Without data files the trace follows the spec; a spec with errors is never traced.
    assert.deepEqual(readings(runAll({ text: SATURATED, steps: 1 })), ['reading the spec m.grad.yaml', null]);
    assert.deepEqual(readings(runAll({ text: SATURATED.replace('- Sigmoid', '- Sigmod') })), ['reading the spec m.grad.yaml']);
  });

  it('reports spec errors at their positions and traces nothing', () => {
    const text = SATURATED.replace('- Sigmoid', '- Sigmod');
    const replies = run({ text });
    assert.deepEqual(replies.map((r) => r.type), ['parsed']);
    const parsed = replies[0] as Extract<TraceReply, { type: 'parsed' }>;
    assert.equal(parsed.ok, false);
    const err = parsed.problems.find((p) => p.severity === 'error');
    assert.ok(err && /Sigmod/.test(err.message));
    assert.equal(err.range.start.line, lineOf(text, /- Sigmod/));
  });

  it('turns an engine error (the tensor memory cap) into a failure at the model', () => {
    const replies = run({ text: SATURATED, memoryLimitBytes: 64 });
    assert.deepEqual(replies.map((r) => r.type), ['parsed', 'failed']);
    const failed = replies[1] as Extract<TraceReply, { type: 'failed' }>;
    assert.match(failed.message, /memory/i);
    assert.ok(failed.range, 'placed on the model');
  });

  describe('data files and errors on the right line', () => {
    const SPEC = `model:
  - Linear: {in_features: 3, out_features: 1}
input: {shape: [3], data: x.json}
target: {shape: [1]}
loss: MSELoss
trace: {steps: 2}
`;
    const failure = (replies: TraceReply[]) => {
      assert.deepEqual(replies.map((r) => r.type), ['parsed', 'failed']);
      return replies[1] as Extract<TraceReply, { type: 'failed' }>;
    };

    it('traces on the spec\'s data file, its batch the file\'s first axis', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gl-job-'));
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ shape: [5, 3], data: new Array(15).fill(1) }));
      const replies = run({ text: SPEC, fileName: join(dir, 'm.grad.yaml'), dataRoots: [] });
      const traced = replies.find((r) => r.type === 'traced') as Extract<TraceReply, { type: 'traced' }>;
      assert.ok(traced, JSON.stringify(replies));
      assert.equal(traced.trace.batchSize, 5);
    });

    it('a missing data file, one outside the folders, or a spec off the local disk: a failure on the data value', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gl-job-'));
      mkdirSync(join(dir, 'sub'));
      const line = lineOf(SPEC, /data: x\.json/);
      const col = SPEC.split('\n')[line].indexOf('x.json');
      for (const [text, over, message] of [
        [SPEC, { dataRoots: [] }, /input data x\.json: cannot read it: no such file/],
        [SPEC.replace('x.json', '../x.json'), { fileName: join(dir, 'sub', 'm.grad.yaml'), dataRoots: [join(dir, 'sub')] }, /outside the spec's folder and the workspace/],
        [SPEC, { dataRoots: null }, /data files are read only for specs on the local disk/],
      ] as [string, Partial<TraceRequest>, RegExp][]) {
        writeFileSync(join(dir, 'x.json'), JSON.stringify({ shape: [1, 3], data: [1, 2, 3] }));
        const f = failure(run({ fileName: join(dir, 'nope', 'm.grad.yaml'), ...over, text }));
        assert.match(f.message, message);
        assert.equal(f.range?.start.line, line, f.message);
        assert.equal(f.range?.start.character, col);
      }
    });

    it('a model without parameters fails on the model key, not with a stack', () => {
      const f = failure(run({ text: 'model: [ReLU]\ninput: {shape: [3]}\ntarget: {shape: [3]}\nloss: MSELoss\n' }));
      assert.equal(f.name, 'TraceError');
      assert.match(f.message, /the model has no parameters \(only ReLU\)/);
      assert.deepEqual(f.range?.start, { line: 0, character: 0 });
    });
  });
});
