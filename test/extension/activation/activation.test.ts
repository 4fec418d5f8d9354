/**
 * Lazy activation, measured by VS Code itself. This run opens a folder with no model files: the
 * extension must stay inactive through start-up, and activate when a model file is opened. VS Code
 * measures every activation and shows it in "Developer: Show Running Extensions"; no API exposes
 * it, so under scripts/run-ext-tests.js this test asks the harness (which drives the window) to read
 * that editor and prints it next to our own measure. The numbers are printed, not asserted.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../../src/extension/extension';
import { codeOf, idle, ours, PATIENT_MS } from '../support/helpers';

const ID = 'gradient-lens.gradient-lens';

suite('activation', () => {
  test('stays inactive while no model file is open', async () => {
    // Let start-up finish (workspaceContains is evaluated after the window opens).
    await new Promise((r) => setTimeout(r, 3000));
    const ext = vscode.extensions.getExtension(ID);
    assert.ok(ext, 'installed');
    assert.equal(ext.isActive, false, 'nothing in this folder should activate Gradient Lens');
  });

  test('activates when a model file is opened, and traces it', async function () {
    const ext = vscode.extensions.getExtension<GradientLensApi>(ID)!;
    const model = vscode.Uri.joinPath(ext.extensionUri, 'test', 'extension', 'fixtures', 'saturated.grad.yaml');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(model));
    const end = Date.now() + PATIENT_MS;
    while (!ext.isActive) {
      assert.ok(Date.now() < end, 'opening a *.grad.yaml file activates the extension');
      await new Promise((r) => setTimeout(r, 20));
    }
    await idle(model);
    assert.ok(ours(model).some((d) => codeOf(d) === 'saturated-activation'));
    const a = ext.exports.activation;
    console.log(`    our own measure: bundle evaluated in ${a.loadMs.toFixed(1)} ms, activate() ${a.activateMs.toFixed(1)} ms`);

    const dir = process.env.GL_TEST_HANDSHAKE;
    if (!dir) return; // not under scripts/run-ext-tests.js: no one to read the Running Extensions editor
    const file = path.join(dir, 'activation.txt');
    console.log('[gradient-lens-test] read activation time');
    while (!fs.existsSync(file)) {
      assert.ok(Date.now() < end + PATIENT_MS, 'the harness did not answer');
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`    VS Code's Running Extensions: ${fs.readFileSync(file, 'utf8')}`);
  });
});
