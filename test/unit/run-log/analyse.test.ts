import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyseRun } from '../../../src/analyse';
import { positionAt } from '../../../src/model/graph';
import { RunReader } from '../../../src/trace/run-log/reader';
import { readSource } from '../../../src/trace/run-log/read-source';
import { RunSources } from '../../../src/trace/run-log/sources';
import { resolveRun } from '../../../src/worker/run-findings';
import { graph, header, MODEL_FILE, MODEL_TEXT, project, step, TempDir } from './fixture';

describe('run log: findings on the .py lines', () => {
  let dir: TempDir;
  let logDir: string;
  beforeEach(() => {
    dir = new TempDir();
    // The run was recorded in /home/user/proj with log_dir="runs/gl"; here the project is elsewhere.
    logDir = project(dir);
  });
  afterEach(() => dir.dispose());

  function write(steps: object[]): void {
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(), graph(), ...steps]);
  }

  it('maps the recorded paths to this machine through the log folder', () => {
    write([step(0)]);
    const trace = new RunReader(logDir).readAll();
    const sources = new RunSources(trace, logDir, readSource);
    const local = join(dir.path, 'proj', 'train.py');
    assert.equal(sources.localPath(MODEL_FILE), local);
    assert.ok(sources.isReal(MODEL_FILE));
    const r = sources.rangeOf({ file: MODEL_FILE, line: 6, column: 5, endLine: 6, endColumn: 17 });
    assert.equal(r.file, local);
    assert.equal(MODEL_TEXT.slice(r.start, r.end), 'nn.Sigmoid()');
  });

  it('a file it cannot read keeps the recorded lines and columns', () => {
    write([step(0)]);
    const trace = new RunReader(logDir).readAll();
    const sources = new RunSources(trace, logDir, () => undefined);
    const r = sources.rangeOf({ file: MODEL_FILE, line: 6, column: 5, endLine: 6, endColumn: 17 });
    assert.ok(!sources.isReal(MODEL_FILE));
    const text = sources.text(MODEL_FILE);
    assert.deepEqual(positionAt(text, r.start), { line: 5, character: 4 });
    assert.deepEqual(positionAt(text, r.end), { line: 5, character: 16 });
  });

  it('a saturated sigmoid in a real run is reported on its nn.Sigmoid() line, a healthy run is silent', () => {
    write([step(0, { saturated: 0.9 }), step(10, { saturated: 0.85 })]);
    let trace = new RunReader(logDir).readAll();
    let { findings } = analyseRun(trace, logDir, readSource);
    const sat = findings.filter((f) => f.rule === 'saturated-activation');
    assert.equal(sat.length, 1, findings.map((f) => f.message).join('\n'));
    assert.equal(sat[0].range.file, join(dir.path, 'proj', 'train.py'));
    assert.equal(MODEL_TEXT.slice(sat[0].range.start, sat[0].range.end), 'nn.Sigmoid()');
    assert.match(sat[0].message, /sigmoid layer saturated: 88% of units/);
    assert.deepEqual(sat[0].fixes, []);
    write([step(0), step(10)]);
    trace = new RunReader(logDir).readAll();
    ({ findings } = analyseRun(trace, logDir, readSource));
    assert.deepEqual(findings, []);
  });

  it('the editor gets each finding and module with positions in its own .py file', () => {
    write([step(0, { saturated: 0.9 }), step(10, { saturated: 0.85 })]);
    const trace = new RunReader(logDir).readAll();
    const local = join(dir.path, 'proj', 'train.py');
    const { findings, layers, files } = resolveRun(analyseRun(trace, logDir, readSource));
    const sat = findings.find((f) => f.rule === 'saturated-activation')!;
    assert.equal(sat.file, local);
    assert.deepEqual(sat.range, { start: { line: 5, character: 4 }, end: { line: 5, character: 16 } });
    assert.ok(sat.related.length > 0 && sat.related.every((r) => r.file === local));
    assert.deepEqual(
      layers.map((l) => [l.path, l.range.start.line, l.file]),
      [
        ['0', 4, local],
        ['1', 5, local],
        ['2', 6, local],
      ],
    );
    assert.deepEqual(files, [local]);
  });

  it('a NaN on one rank is reported with its step, rank and module line', () => {
    const h = (r: number) => header(r, { worldSize: 2 });
    dir.file('proj/runs/gl/rank0.gl.jsonl', [h(0), graph(), step(0), step(1), step(2, { loss: NaN })]);
    dir.file('proj/runs/gl/rank1.gl.jsonl', [
      h(1),
      graph(),
      step(0),
      step(1, { loss: Infinity, outputNonFinite: 10 }),
      { kind: 'nonFinite', step: 1, op: 'Linear', layer: '0', phase: 'forward', nan: 0, inf: 10, inputMaxAbs: 3e38, recorded: true },
      step(2, { loss: NaN }),
    ]);
    const trace = new RunReader(logDir).readAll();
    const f = analyseRun(trace, logDir, readSource).findings.find((x) => x.rule === 'non-finite')!;
    assert.match(f.message, /Linear overflowed to Inf in Linear 0 at step 1 on rank 1, forward pass: inputs reached 3e38/);
    assert.equal(MODEL_TEXT.slice(f.range.start, f.range.end), 'nn.Linear(10, 10)');
  });

  it('a NaN seen only in the loss of an unrecorded step says how to find its module', () => {
    write([step(0), step(64, { loss: NaN }), { kind: 'nonFinite', step: 40, op: 'loss', layer: null, phase: 'forward', nan: 1, inf: 0, inputMaxAbs: 0, recorded: false }]);
    const trace = new RunReader(logDir).readAll();
    const f = analyseRun(trace, logDir, readSource).findings.find((x) => x.rule === 'non-finite')!;
    assert.match(f.message, /the loss \(MSELoss\) is NaN at step 40; step 40 was not recorded, so which module made it is unknown: record every step/);
    assert.equal(MODEL_TEXT.slice(f.range.start, f.range.end), 'nn.MSELoss()');
  });
});
