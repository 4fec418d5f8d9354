/** Restricted Mode: the extension runs (limited support), specs are traced, user code is refused. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, codeOf, exists, file, idle, open, ours, panelTabs, until } from '../support/helpers';

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

  test('Trace Gradients works in Restricted Mode', async () => {
    const uri = file('fixtures/saturated.grad.yaml');
    await open(uri);
    await idle(uri);
    const summary = await vscode.commands.executeCommand<{ steps: number }>('gradientLens.traceGradients');
    assert.equal(summary?.steps, 20);
    await until('the panel', () => panelTabs().length === 1);
  });

  test('a model written as code (decorated TypeScript) is not run in Restricted Mode', async function () {
    const uri = file('typescript/seed.model.ts');
    if (!(await exists(uri))) this.skip();
    const gl = await api();
    const before = gl.stats();
    await open(uri);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(gl.stats(), before, 'no trace was started for it');
    assert.deepEqual(ours(uri), [], 'and nothing about it was reported');
    assert.equal(gl.lastTrace(uri), undefined);
  });
});
