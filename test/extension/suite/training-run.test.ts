/**
 * Training runs in the editor: a log that grows while it is watched updates the panel, the sidebar
 * and the diagnostics on the .py file; a log that cannot be read says why; "Run Training Script
 * with Gradient Lens" runs a real PyTorch script under the hook and its findings land on its lines.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../../src/extension/extension';
import type { ToWebview } from '../../../src/protocol';
import { graph, header, line, MODEL_TEXT, step } from '../../unit/run-log/fixture';
import { PYTHON, requireTorch } from '../../support/torch';
import { api, closeAll, codeOf, file, open, ours, PATIENT_MS, setSettings, until } from '../support/helpers';

type TraceMessage = Extract<ToWebview, { type: 'trace' }>;

/** A project folder like the one the fixture's run was recorded in: train.py, and runs/gl/ for the log. */
function project(): { dir: vscode.Uri; script: vscode.Uri; logDir: vscode.Uri; log: string } {
  const dir = file(`scratch/run-${randomUUID()}`);
  mkdirSync(join(dir.fsPath, 'runs', 'gl'), { recursive: true });
  const script = vscode.Uri.joinPath(dir, 'train.py');
  writeFileSync(script.fsPath, MODEL_TEXT);
  const logDir = vscode.Uri.joinPath(dir, 'runs', 'gl');
  return { dir, script, logDir, log: join(logDir.fsPath, 'rank0.gl.jsonl') };
}

const write = (path: string, records: object[]) => appendFileSync(path, records.map(line).join(''));

/** The real step numbers the panel shows, while it shows this run. */
function panelSteps(gl: GradientLensApi, folder: vscode.Uri): number[] | undefined {
  const shown = gl.views.panel();
  return shown?.type === 'trace' && shown.uri === folder.toString() ? shown.trace.steps.map((s) => s.step) : undefined;
}

function runDiagnostics(uri: vscode.Uri, rule: string): vscode.Diagnostic[] {
  return ours(uri).filter((d) => codeOf(d) === rule && /\(training run /.test(d.message));
}

suite('training runs', () => {
  suiteSetup(async () => {
    await api();
  });
  teardown(async () => {
    for (const r of (await api()).runs.list()) await vscode.commands.executeCommand('gradientLens.stopWatchingTrainingRun', vscode.Uri.parse(r.folder));
    await closeAll();
  });

  test('a growing log updates the panel, the sidebar and the diagnostics on the .py file while it is written', async () => {
    const gl = await api();
    const p = project();
    write(p.log, [header(), graph(), step(0)]);
    const editor = await open(p.script);
    const summary = await vscode.commands.executeCommand<{ folder: string }>('gradientLens.watchTrainingRun', p.logDir);
    assert.equal(summary?.folder, p.logDir.toString());

    await until('the panel to show step 0 of the run', () => JSON.stringify(panelSteps(gl, p.logDir)) === '[0]');
    assert.deepEqual(runDiagnostics(p.script, 'saturated-activation'), [], 'a healthy start has no finding');

    // The run goes on: the Sigmoid saturates. The last line arrives in two writes, as a flush may cut it.
    write(p.log, [step(10, { saturated: 0.95 })]);
    const last = line(step(20, { saturated: 0.95 }));
    appendFileSync(p.log, last.slice(0, 100));
    await until('the panel to show step 10', () => panelSteps(gl, p.logDir)?.includes(10));
    assert.deepEqual(panelSteps(gl, p.logDir), [0, 10], 'a line still being written is not read');
    appendFileSync(p.log, last.slice(100));
    await until('the panel to show step 20', () => panelSteps(gl, p.logDir)?.includes(20));
    assert.deepEqual(panelSteps(gl, p.logDir), [0, 10, 20], 'the x axis is the real step');

    const d = await until('the saturated Sigmoid on its line of train.py', () => runDiagnostics(p.script, 'saturated-activation')[0]);
    assert.equal(editor.document.lineAt(d.range.start.line).text.trim(), 'nn.Sigmoid(),');
    assert.equal(editor.document.getText(d.range), 'nn.Sigmoid()');
    assert.match(d.message, /sigmoid layer saturated: \d+% of units/);
    assert.ok(d.relatedInformation?.some((r) => r.location.uri.toString() === p.script.toString() && editor.document.lineAt(r.location.range.start.line).text.includes('nn.Linear(10, 10)')), 'the feeding Linear is named');

    // The panel's findings point into train.py; the sidebar shows the run while train.py is active.
    const shown = gl.views.panel() as TraceMessage;
    assert.ok(shown.trace.run, 'the panel shows a training run');
    assert.ok(shown.findings.some((f) => f.rule === 'saturated-activation' && f.uri === p.script.toString()));
    const sidebar = await until('the sidebar to show the run', () => {
      const s = gl.views.sidebar();
      return s.type === 'trace' && s.uri === p.logDir.toString() && s.trace.steps.length === 3 ? s : undefined;
    });
    assert.ok(sidebar.layers?.some((l) => l.path === '1' && l.uri === p.script.toString() && l.range.start.line === d.range.start.line), 'the Sigmoid row reveals its line');

    // The status bar names the real step; the run ends; stopping the watch clears the diagnostics.
    write(p.log, [{ kind: 'end', step: 20, reason: 'finished', recordedSteps: 3, interval: 10, overheadShare: 0.02 }]);
    await until('the end of the run to be read', () => gl.runs.list().find((r) => r.folder === p.logDir.toString())?.ended === 'finished');
    await vscode.commands.executeCommand('gradientLens.stopWatchingTrainingRun', p.logDir);
    assert.deepEqual(runDiagnostics(p.script, 'saturated-activation'), []);
    assert.deepEqual(gl.runs.list(), []);
  });

  test('a log written by a newer gradient_lens is refused with the reason, and nothing is shown', async () => {
    const gl = await api();
    const p = project();
    write(p.log, [header(0, { version: 99 }), graph(), step(0)]);
    await vscode.commands.executeCommand('gradientLens.watchTrainingRun', p.logDir);
    const run = await until('the watch to give up on the log', () => gl.runs.list().find((r) => r.folder === p.logDir.toString() && r.error));
    assert.match(run.error!, /newer gradient_lens \(log format 99\)/);
    assert.deepEqual(run.steps, []);
  });

  test('a folder with no log yet is watched until the run writes one', async () => {
    const gl = await api();
    const p = project();
    await vscode.commands.executeCommand('gradientLens.watchTrainingRun', p.logDir);
    assert.deepEqual(gl.runs.list().find((r) => r.folder === p.logDir.toString())?.steps, []);
    write(p.log, [header(), graph(), step(0), step(5)]);
    await until('the log written after the watch started to be read', () => JSON.stringify(panelSteps(gl, p.logDir)) === '[0,5]');
  });

  test('Run Training Script with Gradient Lens runs the .py file under the hook and its findings land on its lines', async function () {
    requireTorch(this, 'Run Training Script with Gradient Lens');
    const gl = await api();
    const p = project();
    const script = vscode.Uri.joinPath(p.dir, 'seed_saturated.py');
    writeFileSync(
      script.fsPath,
      [
        'import torch',
        'import torch.nn as nn',
        '',
        'torch.manual_seed(0)',
        'model = nn.Sequential(',
        '    nn.Linear(10, 10),',
        '    nn.Sigmoid(),',
        '    nn.Linear(10, 1)',
        ')',
        'nn.init.normal_(model[0].weight, std=8.0)',
        'criterion = nn.MSELoss()',
        'optimizer = torch.optim.SGD(model.parameters(), lr=0.01)',
        'x = torch.randn(1, 10)',
        'y = torch.randn(1, 1)',
        'for epoch in range(200):',
        '    optimizer.zero_grad()',
        '    loss = criterion(model(x), y)',
        '    loss.backward()',
        '    optimizer.step()',
        '',
      ].join('\n'),
    );
    await setSettings({ pythonInterpreter: PYTHON, runLogDir: vscode.workspace.asRelativePath(p.logDir, false) });
    try {
      const editor = await open(script);
      const started = await vscode.commands.executeCommand<{ command: string[]; logDir: string }>('gradientLens.runTrainingScript');
      assert.ok(started, 'the script was started');
      assert.deepEqual(started.command.slice(0, 5), [PYTHON, '-m', 'gradient_lens', 'run', '--log-dir']);
      assert.equal(started.logDir, p.logDir.fsPath);
      const d = await until('the saturated Sigmoid of the real run on its line', () => runDiagnostics(script, 'saturated-activation')[0], PATIENT_MS);
      assert.equal(editor.document.getText(d.range), 'nn.Sigmoid()');
      const run = await until('the run to end', () => gl.runs.list().find((r) => r.folder === p.logDir.toString() && r.ended));
      assert.equal(run.ended, 'finished');
      console.log(`    real run under the hook: steps ${run.steps[0]}–${run.steps[run.steps.length - 1]} (${run.steps.length} recorded), findings ${run.findings.map((f) => `${f.rule}@${f.line + 1}`).join(', ')}`);
    } finally {
      await setSettings({ pythonInterpreter: undefined, runLogDir: undefined });
    }
  });
});
