/**
 * PyTorch source files in the editor: read by Gradient Lens's interpreter in the trace worker
 * (never run), the squiggle on the user's own `nn.Sigmoid()` line with the forward line related,
 * Python quick fixes that make the finding go, the sidebar, status bar and Trace Gradients panel,
 * what the reader cannot follow, and a module-only file traced through its sidecar spec, again
 * when the sidecar changes.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, applyQuickFix, closeAll, codeOf, file, idle, lineOf, open, ours, panelTabs, read, scratch, until } from '../support/helpers';

const messages = (uri: vscode.Uri) => JSON.stringify(ours(uri).map((d) => `${codeOf(d)}: ${d.message}`));

async function openModel(uri: vscode.Uri): Promise<vscode.TextDocument> {
  const editor = await open(uri);
  await idle(uri);
  return editor.document;
}

suite('PyTorch source files', () => {
  teardown(closeAll);

  test('the seed with a large init: the squiggle on its nn.Sigmoid() line, the forward call related, traced in the worker', async () => {
    const gl = await api();
    const runs = gl.python.stats().runs;
    const uri = file('fixtures/python/seed_large_init.py');
    const doc = await openModel(uri);
    assert.ok(gl.python.stats().runs > runs, 'the Python back end ran it');
    const d = ours(uri).find((x) => codeOf(x) === 'saturated-activation');
    assert.ok(d, messages(uri));
    assert.equal(d.range.start.line, lineOf(doc, /nn\.Sigmoid\(\)/));
    assert.equal(doc.getText(d.range), 'nn.Sigmoid()');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.match(d.message, /^sigmoid layer saturated: \d+(\.\d+)?% of units/);
    assert.ok(
      d.relatedInformation?.some((r) => r.location.range.start.line === lineOf(doc, /output = model\(x\)/) && /applied here/.test(r.message)),
      'the forward call that applies it is related',
    );
    const init = ours(uri).find((x) => codeOf(x) === 'poor-initialisation');
    assert.equal(init?.range.start.line, lineOf(doc, /nn\.Linear\(10, 10\)/), messages(uri));
    const last = gl.lastRun(uri);
    assert.equal(last?.models[0].trace.steps.length, 5, 'a quick run takes gradientLens.quickTraceSteps steps');
    console.log(`    seed_large_init.py: quick run in ${last!.durationMs.toFixed(0)} ms (read, trace, rules in the worker)`);
  });

  test('the quick fix Replace Sigmoid with ReLU, applied, makes the finding go', async () => {
    const gl = await api();
    const uri = await scratch(await read('fixtures/python/seed_large_init.py'), 'py');
    const doc = await openModel(uri);
    const d = ours(uri).find((x) => codeOf(x) === 'saturated-activation');
    assert.ok(d, messages(uri));
    const titles = await applyQuickFix(uri, d, 'Replace Sigmoid with ReLU');
    assert.match(doc.lineAt(d.range.start.line).text, /^\s*nn\.ReLU\(\),/);
    await idle(uri);
    assert.equal(gl.lastRun(uri)?.version, doc.version, 'the fixed text ran');
    assert.deepEqual(
      ours(uri).filter((x) => codeOf(x) === 'saturated-activation').map((x) => x.message),
      [],
      'the finding is gone',
    );
    console.log(`    quick fixes offered: ${titles.join(' | ')}`);
  });

  test('the sidebar and the status bar follow a .py model; Trace Gradients runs the script\'s steps and opens the panel', async () => {
    const gl = await api();
    const uri = file('fixtures/python/seed_large_init.py');
    await openModel(uri);
    const shown = gl.views.sidebar();
    assert.equal(shown.type, 'trace', JSON.stringify(shown).slice(0, 200));
    if (shown.type !== 'trace') return;
    assert.equal(shown.uri, uri.toString());
    assert.deepEqual(shown.trace.params.map((p) => p.name), ['0.weight', '0.bias', '2.weight', '2.bias'], 'the names of named_parameters()');
    assert.ok(shown.findings.some((f) => f.rule === 'saturated-activation'));
    const bar = gl.views.statusBar();
    assert.ok(bar.visible, 'the status bar item shows for a .py model');
    assert.match(bar.text, /^∇ \d+ findings?$/);
    const summary = await vscode.commands.executeCommand<{ steps: number; findings: string[] }>('gradientLens.traceGradients', uri);
    assert.equal(summary?.steps, 20, 'the full trace: the script\'s loop, at most 20 steps');
    assert.ok(summary?.findings.includes('saturated-activation'), JSON.stringify(summary));
    await until('the panel', () => panelTabs().length === 1);
  });

  test('what the reader cannot follow is an information at that expression, not a crash or a guess', async () => {
    const gl = await api();
    const text = (await read('fixtures/python/seed_large_init.py')).replace('import torch\n', 'import torch\nimport numpy as np\n').replace('nn.Linear(10, 10)', 'nn.Linear(np.load("n.npy").size, 10)');
    const uri = await scratch(text, 'py');
    const doc = await openModel(uri);
    const d = ours(uri).find((x) => codeOf(x) === 'python/cant-follow');
    assert.ok(d, messages(uri));
    assert.equal(d.severity, vscode.DiagnosticSeverity.Information);
    assert.match(d.message, /^Gradient Lens can't follow numpy\.load/);
    assert.equal(d.range.start.line, lineOf(doc, /np\.load/));
    assert.equal(gl.lastRun(uri)?.models.length ?? 0, 0, 'no model is guessed');
  });

  test('a module-only file is traced through its sidecar spec, and again when the sidecar changes', async () => {
    const gl = await api();
    const uri = file('fixtures/python/two_layer.py');
    await openModel(uri);
    const first = gl.lastRun(uri);
    assert.deepEqual(first?.failures, [], messages(uri));
    assert.deepEqual(first!.models[0].trace.params.map((p) => p.name), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    assert.equal(first!.models[0].trace.batchSize, 5);
    // The sidecar opened and edited (unsaved): the .py runs again with its new batch size.
    const sidecar = await vscode.workspace.openTextDocument(file('fixtures/python/two_layer.grad.yaml'));
    const edit = new vscode.WorkspaceEdit();
    const at = sidecar.getText().indexOf('batch_size: 5');
    edit.replace(sidecar.uri, new vscode.Range(sidecar.positionAt(at), sidecar.positionAt(at + 'batch_size: 5'.length)), 'batch_size: 7');
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      await until('the .py traced with the edited sidecar', () => gl.lastRun(uri)?.models[0]?.trace.batchSize === 7);
      await idle(sidecar.uri);
      assert.ok(
        ours(sidecar.uri).some((d) => codeOf(d) === 'python/sidecar' && /sidecar of two_layer\.py/.test(d.message)),
        messages(sidecar.uri),
      );
    } finally {
      await vscode.window.showTextDocument(sidecar);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });
});

