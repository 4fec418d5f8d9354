/** Restricted Mode: the extension runs (limited support), specs are traced, user code is refused. */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { graph, header, line, MODEL_TEXT, step } from '../../unit/run-log/fixture';
import { api, closeAll, codeOf, exists, file, idle, open, ours, panelTabs, PATIENT_MS, until, within } from '../support/helpers';

suite('restricted mode (untrusted workspace)', () => {
  teardown(closeAll);

  test('the workspace is untrusted and the extension is active anyway', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'this run must open the folder in Restricted Mode');
    const gl = await api();
    assert.ok(vscode.extensions.getExtension('gradient-lens.gradient-lens')?.isActive);
    const gate = gl.executionGate('user-code');
    assert.equal(gate.trust, 'restricted');
    assert.equal(gate.allowed, false, 'nothing from the workspace may execute');
  });

  test('spec files are data: they are still traced and flagged', async () => {
    const gl = await api();
    assert.equal(gl.executionGate('spec').allowed, true);
    const uri = file('fixtures/saturated.grad.yaml');
    await open(uri);
    await idle(uri);
    assert.ok(ours(uri).some((d) => codeOf(d) === 'saturated-activation'));
  });

  test('PyTorch files are read, never run: still traced and flagged on their nn.Sigmoid() line', async () => {
    const gl = await api();
    assert.equal(gl.executionGate('source').allowed, true);
    const uri = file('fixtures/python/seed_large_init.py');
    const editor = await open(uri);
    await idle(uri);
    const d = ours(uri).find((x) => codeOf(x) === 'saturated-activation');
    assert.ok(d, JSON.stringify(ours(uri).map((x) => x.message)));
    assert.equal(editor.document.getText(d.range), 'nn.Sigmoid()');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.ok(lenses.some((l) => l.command?.command === 'gradientLens.traceGradients'), 'the lens offers the trace, not Manage Workspace Trust');
  });

  test('Trace Gradients works in Restricted Mode', async () => {
    const uri = file('fixtures/saturated.grad.yaml');
    await open(uri);
    await idle(uri);
    const summary = await vscode.commands.executeCommand<{ steps: number }>('gradientLens.traceGradients');
    assert.equal(summary?.steps, 20);
    await until('the panel', () => panelTabs().length === 1);
  });

  test('decorated TypeScript models run nothing: a notice on each @model class and a Manage Workspace Trust CodeLens', async () => {
    const gl = await api();
    const before = gl.stats();
    const names = ['seed', 'saturating-deep-sigmoid', 'disconnected', 'wrong-backward', 'two-models'];
    for (const name of names) {
      const uri = file(`typescript/${name}.model.ts`);
      assert.ok(await exists(uri), `${name}.model.ts is in the workspace`);
      const editor = await open(uri);
      await within(PATIENT_MS, `${name}.model.ts`, gl.whenIdle(uri));
      const doc = editor.document;
      const classes = [...doc.getText().matchAll(/^export class (\w+)/gm)].map((m) => m[1]);
      assert.ok(classes.length >= 1);
      const notices = ours(uri);
      assert.equal(notices.length, classes.length, JSON.stringify(notices.map((d) => d.message)));
      for (const [i, d] of notices.entries()) {
        assert.equal(d.severity, vscode.DiagnosticSeverity.Information);
        assert.equal(codeOf(d), 'restricted');
        assert.match(d.message, /^Gradient Lens does not run code in Restricted Mode/);
        assert.equal(doc.getText(d.range), classes[i], 'on the class name');
      }
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      const trust = lenses.filter((l) => l.command?.command === 'workbench.trust.manage');
      assert.equal(trust.length, classes.length);
      for (const l of trust) assert.match(l.command!.title, /Manage Workspace Trust/);
      assert.ok(!lenses.some((l) => l.command?.command === 'gradientLens.traceModel'), 'no lens offers to run it');
      assert.deepEqual(gl.lastRun(uri)?.models ?? [], [], 'nothing was traced');
    }
    // Still nothing after a pause and an edit: no child process was ever started.
    const uri = file('typescript/seed.model.ts');
    const editor = await open(uri);
    await editor.edit((e) => e.insert(new vscode.Position(editor.document.lineCount, 0), '\n// edited\n'));
    await new Promise((r) => setTimeout(r, 1000));
    await within(PATIENT_MS, 'the edit', gl.whenIdle(uri));
    assert.deepEqual([gl.typescript.stats().runs, gl.typescript.stats().aborted], [0, 0], 'no TypeScript model was run');
    assert.deepEqual(gl.stats(), before, 'and no spec trace was started for them');
    assert.ok(ours(uri).every((d) => codeOf(d) === 'restricted'));
    await vscode.commands.executeCommand('workbench.action.files.revert');

    // The CodeLens command of a traced model refuses too, should anything call it.
    const refused = await vscode.commands.executeCommand('gradientLens.traceModel', uri, 'Seed');
    assert.equal(refused, undefined);
    assert.deepEqual([gl.typescript.stats().runs, gl.typescript.stats().aborted], [0, 0]);
  });

  test('a training run\'s log is data: it is watched and its findings shown; running a training script is refused', async () => {
    const gl = await api();
    const dir = file(`scratch/run-${randomUUID()}`);
    const logDir = vscode.Uri.joinPath(dir, 'runs', 'gl');
    mkdirSync(logDir.fsPath, { recursive: true });
    const script = vscode.Uri.joinPath(dir, 'train.py');
    writeFileSync(script.fsPath, MODEL_TEXT);
    writeFileSync(join(logDir.fsPath, 'rank0.gl.jsonl'), [header(), graph(), step(0, { saturated: 0.95 }), step(1, { saturated: 0.95 })].map(line).join(''));
    await open(script);
    assert.equal(await vscode.commands.executeCommand('gradientLens.runTrainingScript'), undefined, 'nothing is run');
    assert.deepEqual(vscode.tasks.taskExecutions.filter((t) => t.task.source === 'Gradient Lens'), []);
    await vscode.commands.executeCommand('gradientLens.watchTrainingRun', logDir);
    await until('the run\'s finding on train.py', () => ours(script).some((d) => codeOf(d) === 'saturated-activation'));
    await vscode.commands.executeCommand('gradientLens.stopWatchingTrainingRun', logDir);
    assert.deepEqual(gl.runs.list(), []);
  });
});
