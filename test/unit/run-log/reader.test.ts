import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RunLogError, RunReader } from '../../../src/trace/run-log/reader';
import { graph, header, line, step, TempDir } from './fixture';

describe('run log: RunReader', () => {
  let dir: TempDir;
  beforeEach(() => (dir = new TempDir()));
  afterEach(() => dir.dispose());

  it('reads one rank into a Trace with the real step numbers, the sites and the run', () => {
    dir.file('rank0.gl.jsonl', [header(), graph(), step(0), step(8), step(16), { kind: 'end', step: 20, reason: 'finished', recordedSteps: 3, interval: 8, overheadShare: 0.02 }]);
    const trace = new RunReader(dir.path).readAll();
    assert.deepEqual(
      trace.steps.map((s) => s.step),
      [0, 8, 16],
    );
    assert.deepEqual(
      trace.params.map((p) => p.name),
      ['0.weight', '0.bias', '2.weight', '2.bias'],
    );
    assert.deepEqual(
      trace.layers.map((l) => [l.path, l.type, l.site?.line]),
      [
        ['0', 'Linear', 5],
        ['1', 'Sigmoid', 6],
        ['2', 'Linear', 7],
      ],
    );
    assert.equal(trace.batchSize, 8);
    assert.equal(trace.run?.ended, 'finished');
    assert.equal(trace.run?.loss?.type, 'MSELoss');
    assert.deepEqual(trace.run?.ranks.map((r) => [r.rank, r.lastStep, r.overheadShare]), [[0, 20, 0.02]]);
    assert.deepEqual(trace.run?.notes, []);
    assert.equal(trace.stoppedEarly, null);
  });

  it('follows a log while it is written: only new bytes, a half-written line waits', () => {
    dir.file('rank0.gl.jsonl', [header(), graph(), step(0)]);
    const reader = new RunReader(dir.path);
    let r = reader.poll();
    assert.ok(r.changed);
    assert.deepEqual(
      reader.trace!.steps.map((s) => s.step),
      [0],
    );
    const next = line(step(1));
    dir.append('rank0.gl.jsonl', next.slice(0, 50));
    r = reader.poll();
    assert.equal(r.bytes, 50);
    assert.equal(reader.trace!.steps.length, 1);
    dir.append('rank0.gl.jsonl', next.slice(50));
    r = reader.poll();
    assert.equal(r.bytes, next.length - 50);
    assert.ok(r.changed);
    assert.deepEqual(
      reader.trace!.steps.map((s) => s.step),
      [0, 1],
    );
    assert.equal(reader.poll().bytes, 0);
  });

  it('keeps everything before a last line cut short, and says so', () => {
    dir.file('rank0.gl.jsonl', line(header()) + line(step(0)) + line(step(1)).slice(0, 40));
    const trace = new RunReader(dir.path).readAll();
    assert.equal(trace.steps.length, 1);
    assert.match(trace.run!.notes.join('\n'), /rank0\.gl\.jsonl: the last line is cut short \(40 bytes without a newline\)/);
  });

  it('skips unknown records, malformed ones and lines that are not JSON, with a message each', () => {
    dir.file('rank0.gl.jsonl', [header(), { kind: 'gpu-memory', step: 0, bytes: 12 }, { kind: 'step', step: 1 }, step(2)]);
    dir.append('rank0.gl.jsonl', 'not json at all\n');
    dir.append('rank0.gl.jsonl', [step(3)]);
    const trace = new RunReader(dir.path).readAll();
    assert.deepEqual(
      trace.steps.map((s) => s.step),
      [2, 3],
    );
    const notes = trace.run!.notes.join('\n');
    assert.match(notes, /rank0\.gl\.jsonl:2: a record of unknown kind "gpu-memory" was skipped/);
    assert.match(notes, /rank0\.gl\.jsonl:3: malformed step record skipped: \(record\): missing "loss"/);
    assert.match(notes, /rank0\.gl\.jsonl:5: not JSON; skipped/);
  });

  it('reads NaN and Infinity written as strings back as numbers', () => {
    dir.file('rank0.gl.jsonl', [header(), step(0, { loss: NaN, norms: [Infinity, 1, 1, -Infinity] })]);
    const trace = new RunReader(dir.path).readAll();
    assert.ok(Number.isNaN(trace.steps[0].loss));
    assert.equal(trace.steps[0].params[0].gradNorm, Infinity);
    assert.equal(trace.steps[0].params[3].gradNorm, -Infinity);
  });

  it('refuses a log from a newer format version, and files that are not logs, clearly', () => {
    dir.file('rank0.gl.jsonl', [header(0, { version: 2 })]);
    assert.throws(() => new RunReader(dir.path).poll(), (e: Error) => e instanceof RunLogError && /written by a newer gradient_lens \(log format 2\); this Gradient Lens reads format 1/.test(e.message));
    dir.file('rank0.gl.jsonl', '{"hello": 1}\n');
    assert.throws(() => new RunReader(dir.path).poll(), /not a Gradient Lens run log/);
    assert.throws(() => new RunReader(join(dir.path, 'nothing-here')), /no such file or folder/);
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    assert.throws(() => new RunReader(empty).readAll(), /no Gradient Lens run log here yet/);
  });

  it('merges two ranks: gradients from the lowest, activations pooled, NaN on one rank noted', () => {
    const h = (r: number) => header(r, { worldSize: 2 });
    dir.file('rank0.gl.jsonl', [h(0), graph(), step(0, { saturated: 0.2, inputMean: 1 }), step(1, { saturated: 0.2 }), step(2, { loss: 1 })]);
    dir.file('rank1.gl.jsonl', [
      h(1),
      graph(),
      step(0, { saturated: 0.6, inputMean: 3 }),
      step(1, { saturated: 0.6, outputNonFinite: 5, loss: Infinity }),
      { kind: 'nonFinite', step: 1, op: 'Linear', layer: '0', phase: 'forward', nan: 0, inf: 5, inputMaxAbs: 3e38, recorded: true },
      step(2, { loss: 3 }),
    ]);
    const trace = new RunReader(dir.path).readAll();
    assert.deepEqual(
      trace.steps.map((s) => [s.step, s.ranks]),
      [
        [0, [0, 1]],
        [1, [0, 1]],
        [2, [0, 1]],
      ],
    );
    const a = trace.steps[0].activations[0];
    assert.equal(a.samples, 16);
    assert.ok(Math.abs(a.saturatedShare - 0.4) < 1e-12);
    assert.ok(Math.abs(a.inputMean - 2) < 1e-12);
    assert.equal(trace.steps[2].loss, 2);
    assert.equal(trace.steps[0].batchSize, 16);
    assert.deepEqual(trace.firstNonFinite, { step: 1, op: 'Linear', layer: '0', phase: 'forward', nan: 0, inf: 5, inputMaxAbs: 3e38, rank: 1, recorded: true });
    assert.match(trace.run!.notes.join('\n'), /step 1: NaN or Inf on rank 1 only/);
    // DDP averages the losses: the flow over the global batch is √(Σ n²)/R.
    assert.ok(Math.abs(trace.steps[0].flow[2].outputGradNorm - Math.sqrt(2 * 0.01) / 2) < 1e-12);
  });

  it('notes ranks whose gradients disagree (not averaged: no DDP)', () => {
    const h = (r: number) => header(r, { worldSize: 2 });
    dir.file('rank0.gl.jsonl', [h(0), step(0, { norms: [1, 1, 1, 1] })]);
    dir.file('rank1.gl.jsonl', [h(1), step(0, { norms: [2, 1, 1, 1] })]);
    const trace = new RunReader(dir.path).readAll();
    assert.match(trace.run!.notes.join('\n'), /ranks disagree on the gradient of 0\.weight at step 0 \(rank 0: 1\.000, rank 1: 2\.000\)/);
  });

  it('waits for every rank before merging a step while the run is live, and merges what it has at the end', () => {
    const h = (r: number) => header(r, { worldSize: 2 });
    dir.file('rank0.gl.jsonl', [h(0), step(0), step(4)]);
    dir.file('rank1.gl.jsonl', [h(1), step(0)]);
    const reader = new RunReader(dir.path);
    reader.poll();
    assert.deepEqual(
      reader.trace!.steps.map((s) => s.step),
      [0],
    );
    // Rank 1 records step 8 but not 4 (its schedule differs): step 4 is merged from rank 0 alone.
    dir.append('rank1.gl.jsonl', [step(8)]);
    reader.poll();
    assert.deepEqual(
      reader.trace!.steps.map((s) => [s.step, s.ranks]),
      [
        [0, [0, 1]],
        [4, [0]],
      ],
    );
    const trace = reader.finish();
    assert.deepEqual(
      trace.steps.map((s) => s.step),
      [0, 4, 8],
    );
  });

  it('reads the parts of a rank in order', () => {
    dir.file('rank0.gl.jsonl', [header(), step(0), step(1)]);
    dir.file('rank0.part1.gl.jsonl', [header(0, { part: 1 }), step(2), step(3)]);
    const trace = new RunReader(dir.path).readAll();
    assert.deepEqual(
      trace.steps.map((s) => s.step),
      [0, 1, 2, 3],
    );
    assert.deepEqual(
      trace.run!.ranks[0].files.map((f) => f.slice(dir.path.length + 1)),
      ['rank0.gl.jsonl', 'rank0.part1.gl.jsonl'],
    );
  });

  it('reads one file, the newest run folder below a folder, and ignores files of another run', () => {
    const sub = join(dir.path, 'gl');
    mkdirSync(sub);
    dir.file('gl/rank0.gl.jsonl', [header(), step(0)]);
    mkdirSync(join(dir.path, 'previous'));
    assert.deepEqual(
      new RunReader(dir.path).readAll().steps.map((s) => s.step),
      [0],
    );
    assert.deepEqual(
      new RunReader(join(sub, 'rank0.gl.jsonl')).readAll().steps.map((s) => s.step),
      [0],
    );
    dir.file('gl/rank1.gl.jsonl', [header(1, { run: 'old', startedAt: '2025-01-01T00:00:00+00:00' }), step(0)]);
    const trace = new RunReader(sub).readAll();
    assert.match(trace.run!.notes.join('\n'), /rank1\.gl\.jsonl belongs to another run \(old/);
  });

  it('starts over when a new run replaces the files', () => {
    dir.file('rank0.gl.jsonl', [header(), step(0), step(1)]);
    const reader = new RunReader(dir.path);
    reader.poll();
    assert.equal(reader.trace!.steps.length, 2);
    dir.file('rank0.gl.jsonl', [header(0, { run: 'run-2', startedAt: '2026-02-01T00:00:00+00:00' }), step(0)]);
    const r = reader.poll();
    assert.ok(r.changed);
    assert.equal(reader.trace!.run!.id, 'run-2');
    assert.equal(reader.trace!.steps.length, 1);
    assert.match(reader.trace!.run!.notes.join('\n'), /a new run started in this folder/);
  });

  describe('line endings and a byte-order mark, as a log written or copied on Windows has them', () => {
    const records = () => [header(), graph(), step(0), step(8, { loss: NaN }), step(16), { kind: 'end', step: 20, reason: 'finished', recordedSteps: 3, interval: 8, overheadShare: 0.02 }];
    /** What the reader makes of the log, without the file's path. */
    const read = (text: string, chunkBytes?: number) => {
      dir.file('rank0.gl.jsonl', text);
      const trace = new RunReader(dir.path, { chunkBytes }).readAll();
      return JSON.stringify({ ...trace, file: '' });
    };
    let plain: string;
    beforeEach(() => (plain = read(records().map(line).join(''))));

    for (const [what, text] of [
      ['a UTF-8 byte-order mark', () => `\ufeff${records().map(line).join('')}`],
      ['CRLF line endings', () => records().map(line).join('').replace(/\n/g, '\r\n')],
      ['CR-only line endings', () => records().map(line).join('').replace(/\n/g, '\r')],
    ] as [string, () => string][]) {
      it(`${what}: the same run, in one read and in 7-byte reads (a CRLF split between two)`, () => {
        assert.notEqual(text(), records().map(line).join(''));
        const trace = JSON.parse(read(text()));
        assert.deepEqual(trace.steps.map((s: { step: number }) => s.step), [0, 8, 16]);
        assert.deepEqual(trace.run.notes, []);
        assert.equal(read(text()), plain);
        assert.equal(read(text(), 7), plain);
      });
    }

    it('CRLF while the log is written: a CR last in one read and its LF first in the next make one line ending, not an empty line', () => {
      const first = records().slice(0, 3).map(line).join('').replace(/\n/g, '\r\n');
      const next = line(step(8)).replace(/\n/g, '\r\n');
      dir.file('rank0.gl.jsonl', `${first}${next.slice(0, -1)}`);
      const reader = new RunReader(dir.path);
      reader.poll();
      assert.deepEqual(reader.trace!.steps.map((s) => s.step), [0, 8]);
      dir.append('rank0.gl.jsonl', `\n${line(step(16)).replace(/\n/g, '\r\n')}{"kind": "nonsense"}\r\n`);
      reader.poll();
      assert.deepEqual(reader.trace!.steps.map((s) => s.step), [0, 8, 16]);
      // Line numbers count line endings, not CRs and LFs: the sixth line is the sixth.
      assert.match(reader.trace!.run!.notes.join('\n'), /rank0\.gl\.jsonl:6: /);
    });
  });

  it('keeps memory bounded on a long run: at most maxSteps, the latest and every NaN step kept', () => {
    const records: object[] = [header()];
    for (let i = 0; i < 1000; i++) records.push(step(i, { loss: i === 333 ? NaN : 0.5 }));
    dir.file('rank0.gl.jsonl', records);
    const trace = new RunReader(dir.path, { maxSteps: 50, chunkBytes: 4096 }).readAll();
    assert.ok(trace.steps.length <= 51, `${trace.steps.length} steps kept`);
    assert.equal(trace.steps[0].step, 0);
    assert.equal(trace.steps[trace.steps.length - 1].step, 999);
    assert.ok(trace.steps.some((s) => s.step === 333));
    assert.ok(trace.run!.stride >= 16);
    assert.match(trace.run!.notes.join('\n'), /long run: 1000 recorded steps; 1 in \d+ is kept in memory/);
  });

  it('reads in slices: a poll stays within its byte budget', () => {
    const records: object[] = [header()];
    for (let i = 0; i < 200; i++) records.push(step(i));
    dir.file('rank0.gl.jsonl', records);
    const reader = new RunReader(dir.path, { chunkBytes: 1024 });
    let polls = 0;
    let r;
    do {
      r = reader.poll(8192);
      assert.ok(r.bytes <= 8192, `${r.bytes}`);
      polls++;
    } while (r.more);
    assert.ok(polls > 10);
    assert.equal(reader.finish().steps.length, 200);
  });
});
