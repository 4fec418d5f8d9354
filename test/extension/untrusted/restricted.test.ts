/** Restricted Mode: the extension runs (limited support), specs are traced, user code is refused. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, codeOf, file, idle, open, ours, panelTabs, until } from '../support/helpers';

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
});
