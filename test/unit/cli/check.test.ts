/** `gradient-lens check` and `report` on a training run's log folder (synthetic logs; the real runs are in test/parity/run-hook.test.ts). */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Io, main } from '../../../src/cli/main';
import { readUserFile } from '../../../src/user-files';
import { graph, header, MODEL_TEXT, step, TempDir } from '../run-log/fixture';

/** As the CLI shows a path: relative to the working folder when inside it (the temp folder is not). */
function displayed(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readFile: readUserFile };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('gradient-lens check / report on a training run', () => {
  let dir: TempDir;
  let logDir: string;
  let py: string;
  beforeEach(() => {
    dir = new TempDir();
    logDir = join(dir.path, 'proj', 'runs', 'gl');
    mkdirSync(logDir, { recursive: true });
    py = join(dir.path, 'proj', 'train.py');
    writeFileSync(py, MODEL_TEXT);
  });
  afterEach(() => dir.dispose());

  function saturatedRun(): void {
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(), graph(), step(0, { saturated: 0.9 }), step(64, { saturated: 0.8 }), { kind: 'end', step: 99, reason: 'finished', recordedSteps: 2, interval: 64 }]);
  }

  it('prints the findings on the .py lines, compiler style, then the run and its notes', async () => {
    saturatedRun();
    const r = await run(['check', logDir, '--fail-on', 'warning']);
    assert.equal(r.code, 1, r.err);
    const shown = displayed(py);
    assert.match(r.out, /run run-1 \(torch 1\.13\.0\), steps 0–64 \(2 recorded\), ended: finished/);
    assert.ok(r.out.includes(`${shown}:6:5: warning saturated-activation: sigmoid layer saturated: 85% of units`), r.out);
    assert.ok(r.out.includes(`    ${shown}:5:5: note: its inputs come from Linear 0`), r.out);
    assert.match(r.out, /gradient L2 norm per parameter:/);
  });

  it('--fail-on: a warning passes the default (error), never exits 0; a healthy run exits 0', async () => {
    saturatedRun();
    assert.equal((await run(['check', logDir])).code, 0);
    assert.equal((await run(['check', logDir, '--fail-on', 'never'])).code, 0);
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(), graph(), step(0), step(1)]);
    const r = await run(['check', join(logDir, 'rank0.gl.jsonl'), '--fail-on', 'warning']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /no findings: gradients look healthy/);
  });

  it('SARIF names each finding\'s own .py file', async () => {
    saturatedRun();
    const r = await run(['check', logDir, '--format', 'sarif']);
    const sarif = JSON.parse(r.out);
    const loc = sarif.runs[0].results[0].locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uri, displayed(py).replace(/\\/g, '/'));
    assert.deepEqual(loc.region, { startLine: 6, startColumn: 5, endLine: 6, endColumn: 17 });
  });

  it('--format json gives the findings with their places, the notes and the trace', async () => {
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(), graph(), step(0, { saturated: 0.9, loss: NaN })]);
    const r = await run(['check', logDir, '--format', 'json', '--fail-on', 'never']);
    const json = JSON.parse(r.out);
    assert.equal(json.trace.steps[0].loss, 'NaN');
    assert.ok(json.findings.every((f: { location: { line: number } }) => f.location.line > 0));
  });

  it('a log it cannot read exits 2 with one line', async () => {
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(0, { version: 9 })]);
    let r = await run(['check', logDir]);
    assert.equal(r.code, 2);
    assert.match(r.err, /written by a newer gradient_lens \(log format 9\)/);
    assert.equal(r.err.trim().split('\n').length, 1);
    r = await run(['check', join(dir.path, 'nowhere')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /no such file or folder/);
    r = await run(['check']);
    assert.equal(r.code, 2);
    assert.match(r.err, /usage: gradient-lens check/);
  });

  it('report writes the run\'s HTML report with the .py places, and never over a log file', async () => {
    saturatedRun();
    const out = join(dir.path, 'report.html');
    const r = await run(['report', logDir, '-o', out]);
    assert.equal(r.code, 0, r.err);
    const html = readFileSync(out, 'utf8');
    assert.ok(html.includes('training run') || html.includes('gradient-lens-data'));
    const data = JSON.parse(/<script type="application\/json" id="gradient-lens-data">([\s\S]*?)<\/script>/.exec(html)![1]);
    assert.equal(data.findings[0].file, displayed(py));
    assert.equal(data.findings[0].range.start.line, 5);
    assert.ok(data.trace.run);
    const clash = await run(['report', logDir, '-o', join(logDir, 'rank0.gl.jsonl')]);
    assert.equal(clash.code, 2);
    assert.ok(existsSync(join(logDir, 'rank0.gl.jsonl')));
    assert.match((await run(['report', logDir, '--steps', '3'])).err, /--steps does not apply to a training run's report/);
  });

  it('python-path prints the folder of the gradient_lens package', async () => {
    const r = await run(['python-path']);
    assert.equal(r.code, 0);
    assert.ok(existsSync(join(r.out.trim(), 'gradient_lens', 'watch.py')));
  });
});
