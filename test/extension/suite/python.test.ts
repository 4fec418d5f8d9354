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
    // On the line to change: the user's own init call, not the layer it initialises.
    assert.equal(init?.range.start.line, lineOf(doc, /nn\.init\.normal_\(/), messages(uri));
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

  /**
   * Opens a scratch copy of a fixture, applies the quick fix `title` of its `rule` finding and
   * waits for the fixed text's run; returns the document and what the fix offered.
   */
  async function applyPythonFix(fixture: string, rule: string, title: string): Promise<{ doc: vscode.TextDocument; uri: vscode.Uri; titles: string[] }> {
    const gl = await api();
    const uri = await scratch(await read(`fixtures/python/${fixture}`), 'py');
    const doc = await openModel(uri);
    const d = ours(uri).find((x) => codeOf(x) === rule);
    assert.ok(d, messages(uri));
    const titles = await applyQuickFix(uri, d, title);
    await idle(uri);
    assert.equal(gl.lastRun(uri)?.version, doc.version, 'the fixed text ran');
    assert.deepEqual(gl.lastRun(uri)?.failures, [], messages(uri));
    return { doc, uri, titles };
  }

  test('the quick fix for a learning rate that diverges sets lr= in the optimiser call, and the findings are gone', async () => {
    const { doc, uri, titles } = await applyPythonFix('huge_lr.py', 'learning-rate', "Set SGD's lr to 0.002");
    assert.match(doc.lineAt(lineOf(doc, /^optimizer = /)).text, /^optimizer = optim\.SGD\(model\.parameters\(\), lr=0\.002\)$/);
    assert.deepEqual(ours(uri).map((d) => codeOf(d)), [], messages(uri));
    console.log(`    learning-rate quick fixes: ${titles.join(' | ')}`);
  });

  test('Softmax before CrossEntropyLoss: "Replace Softmax with LogSoftmax and use NLLLoss" edits both calls, and the finding is gone', async () => {
    const { doc, uri, titles } = await applyPythonFix('softmax_ce.py', 'loss-activation-mismatch', 'Replace Softmax with LogSoftmax and use NLLLoss');
    assert.match(doc.getText(), /^    nn\.LogSoftmax\(dim=1\),$/m);
    assert.match(doc.getText(), /^criterion = nn\.NLLLoss\(\)$/m);
    assert.deepEqual(ours(uri).filter((d) => codeOf(d) === 'loss-activation-mismatch').map((d) => d.message), []);
    assert.ok(titles.some((t) => /^Remove Softmax 3: CrossEntropyLoss applies log_softmax itself$/.test(t)), titles.join(' | '));
  });

  test('Softmax before CrossEntropyLoss: the preferred fix removes the Softmax from the nn.Sequential call, and the finding is gone', async () => {
    const { doc, uri } = await applyPythonFix('softmax_ce.py', 'loss-activation-mismatch', 'Remove Softmax 3: CrossEntropyLoss applies log_softmax itself');
    assert.doesNotMatch(doc.getText(), /nn\.Softmax\(/);
    assert.match(doc.getText(), /nn\.Linear\(32, 5\),\n\)/);
    assert.deepEqual(ours(uri).filter((d) => codeOf(d) === 'loss-activation-mismatch').map((d) => d.message), []);
  });

  test('a gradient exploding through an LSTM: the quick fix inserts clip_grad_norm_ after loss.backward() in the loop, and the finding is gone', async () => {
    const { doc, uri } = await applyPythonFix('lstm_explodes.py', 'gradient-through-time', 'Clip the gradient norm to 1 before each step (torch.nn.utils.clip_grad_norm_)');
    const backward = lineOf(doc, /loss\.backward\(\)/);
    assert.equal(doc.lineAt(backward + 1).text, '    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)');
    assert.match(doc.lineAt(backward + 2).text, /^    optimizer\.step\(\)$/);
    assert.deepEqual(ours(uri).filter((d) => codeOf(d) === 'gradient-through-time').map((d) => d.message), []);
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

  test("a script's own module: the finding on the layer built there is on that module's document; its unsaved edit traces the script again", async () => {
    const gl = await api();
    const uri = file('fixtures/python/imports/train.py');
    await openModel(uri);
    const blockUri = file('fixtures/python/imports/layers/block.py');
    const block = await vscode.workspace.openTextDocument(blockUri);
    const d = await until('the finding on block.py', () => ours(blockUri).find((x) => codeOf(x) === 'saturated-activation'));
    assert.equal(d.range.start.line, lineOf(block, /nn\.Sigmoid\(\)/));
    assert.equal(block.getText(d.range), 'nn.Sigmoid()');
    assert.ok(!ours(uri).some((x) => codeOf(x) === 'saturated-activation'), 'not on the script\'s lines');
    // The large init removed in block.py's editor, unsaved: the script runs again on that text.
    const runs = gl.python.stats().runs;
    const original = block.getText();
    const edit = new vscode.WorkspaceEdit();
    edit.delete(blockUri, block.lineAt(lineOf(block, /nn\.init\.normal_/)).rangeIncludingLineBreak);
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      await until('the script traced again without the finding', () => gl.python.stats().runs > runs && !ours(blockUri).some((x) => codeOf(x) === 'saturated-activation'));
      await idle(uri);
      assert.ok(!ours(blockUri).some((x) => codeOf(x) === 'saturated-activation'), messages(blockUri));
    } finally {
      // The fixture's text put back and saved (a revert command acts on whichever editor is active,
      // which left the edit in place for the tests after this one).
      const back = new vscode.WorkspaceEdit();
      back.replace(blockUri, new vscode.Range(block.positionAt(0), block.positionAt(block.getText().length)), original);
      await vscode.workspace.applyEdit(back);
      await block.save();
    }
  });

  /** The fixture's block.py as written (the test above edits the fixture's document): a Sigmoid after a Linear initialised 200x too wide. */
  const BLOCK = 'import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(4, 32)\n        self.act = nn.Sigmoid()\n        self.fc2 = nn.Linear(32, 1)\n        nn.init.normal_(self.fc1.weight, std=50.0)\n\n    def forward(self, x):\n        return self.fc2(self.act(self.fc1(x)))\n';

  /** A script and its modules written to a scratch folder of their own (edited by the test, never the fixtures). */
  async function project(files: Record<string, string>): Promise<(rel: string) => vscode.Uri> {
    const dir = `scratch/p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    for (const [rel, text] of Object.entries(files)) await vscode.workspace.fs.writeFile(file(`${dir}/${rel}`), Buffer.from(text, 'utf8'));
    return (rel) => file(`${dir}/${rel}`);
  }

  test("a finding on a layer built in an imported module: its quick fix is offered in the module's document, edits it there, and the script's trace no longer finds it", async () => {
    const gl = await api();
    const at = await project({
      'train.py': await read('fixtures/python/imports/train.py'),
      'layers/__init__.py': '',
      'layers/block.py': BLOCK,
    });
    const script = at('train.py');
    const blockUri = at('layers/block.py');
    await openModel(script);
    const block = await vscode.workspace.openTextDocument(blockUri);
    const d = await until('the finding on block.py', () => ours(blockUri).find((x) => codeOf(x) === 'saturated-activation'));
    assert.equal(block.getText(d.range), 'nn.Sigmoid()');
    const runs = gl.python.stats().runs;
    const titles = await applyQuickFix(blockUri, d, 'Replace Sigmoid with ReLU');
    assert.match(block.lineAt(d.range.start.line).text, /^\s*self\.act = nn\.ReLU\(\)$/, 'the module is edited where the layer is built');
    assert.ok(!/ReLU/.test((await vscode.workspace.openTextDocument(script)).getText()), 'the script is not edited');
    await until('the script traced again without the finding', () => gl.python.stats().runs > runs && !ours(blockUri).some((x) => codeOf(x) === 'saturated-activation'));
    await idle(script);
    assert.deepEqual(ours(blockUri).filter((x) => codeOf(x) === 'saturated-activation').map((x) => x.message), [], 'the finding is gone');
    await block.save();
    console.log(`    quick fixes offered in block.py: ${titles.join(' | ')}`);
  });

  test("what an imported module cannot follow is shown in that module at the expression; the script's line points there", async () => {
    const at = await project({
      'train.py': await read('fixtures/python/imports/train.py'),
      'layers/__init__.py': '',
      'layers/block.py': BLOCK.replace('import torch.nn as nn\n', 'import torch.nn as nn\nimport numpy as np\n').replace('nn.Linear(4, 32)', 'nn.Linear(4, np.load("w.npy").size)'),
    });
    const script = at('train.py');
    const blockUri = at('layers/block.py');
    const doc = await openModel(script);
    const block = await vscode.workspace.openTextDocument(blockUri);
    const inModule = await until('the can\'t-follow in block.py', () => ours(blockUri).find((x) => codeOf(x) === 'python/cant-follow'));
    assert.equal(block.getText(inModule.range), 'np.load("w.npy")');
    assert.equal(inModule.severity, vscode.DiagnosticSeverity.Information);
    const pointer = ours(script).find((x) => codeOf(x) === 'python/cant-follow');
    assert.ok(pointer, messages(script));
    assert.match(pointer.message, /\(block\.py line 8\)$/);
    assert.equal(pointer.range.start.line, lineOf(doc, /^from layers\.block import Block/));
    const reason = pointer.relatedInformation?.find((r) => r.location.uri.toString() === blockUri.toString());
    assert.ok(reason && reason.location.range.isEqual(inModule.range), 'the reason in block.py is related');
  });

  test('creating the module a failed import looked for traces the script again', async () => {
    const at = await project({ 'train.py': (await read('fixtures/python/imports/train.py')).replace('from layers.block import Block', 'from blocks import Block') });
    const script = at('train.py');
    await openModel(script);
    const before = ours(script).find((x) => codeOf(x) === 'python/cant-follow');
    assert.ok(before && /blocks\.Block/.test(before.message), messages(script));
    const blocksUri = at('blocks.py');
    const edit = new vscode.WorkspaceEdit();
    edit.createFile(blocksUri, { contents: Buffer.from(BLOCK, 'utf8') });
    assert.ok(await vscode.workspace.applyEdit(edit));
    const d = await until('the finding on the new blocks.py', () => ours(blocksUri).find((x) => codeOf(x) === 'saturated-activation'));
    assert.ok(d);
    await idle(script);
    assert.ok(!ours(script).some((x) => codeOf(x) === 'python/cant-follow'), messages(script));
  });

  /** A notebook of three code cells that trains the Block its folder's layers/block.py defines. */
  const BLOCK_NOTEBOOK = JSON.stringify({
    cells: [
      'import torch\nimport torch.nn.functional as F\n\nfrom layers.block import Block\n',
      'net = Block()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\nx = torch.randn(16, 4)\ny = torch.randn(16, 1)\n',
      'for step in range(5):\n    opt.zero_grad()\n    loss = F.mse_loss(net(x), y)\n    loss.backward()\n    opt.step()\n',
    ].map((source) => ({ cell_type: 'code', metadata: {}, source, execution_count: null, outputs: [] })),
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  });

  test("a notebook importing its folder's module: the module's finding and what it cannot follow are in that module once, the import cell points there", async () => {
    const at = await project({
      'train.ipynb': BLOCK_NOTEBOOK,
      'layers/__init__.py': '',
      'layers/block.py': BLOCK,
      'other/__init__.py': '',
      'other/block.py': BLOCK.replace('import torch.nn as nn\n', 'import torch.nn as nn\nimport numpy as np\n').replace('nn.Linear(4, 32)', 'nn.Linear(4, np.load("w.npy").size)'),
    });
    const nb = await vscode.workspace.openNotebookDocument(at('train.ipynb'));
    await vscode.window.showNotebookDocument(nb);
    const [imports, model, loop] = nb.getCells().map((c) => c.document);
    for (const c of [imports, model, loop]) await idle(c.uri);
    const blockUri = at('layers/block.py');
    const block = await vscode.workspace.openTextDocument(blockUri);
    await until('the finding on block.py', () => ours(blockUri).some((x) => codeOf(x) === 'saturated-activation'));
    const found = ours(blockUri).filter((x) => codeOf(x) === 'saturated-activation');
    assert.equal(found.length, 1, `once, not once per cell: ${messages(blockUri)}`);
    assert.equal(block.getText(found[0].range), 'nn.Sigmoid()');
    for (const c of [imports, model, loop]) assert.ok(!ours(c.uri).some((x) => codeOf(x) === 'saturated-activation'), `not in a cell: ${messages(c.uri)}`);
    // Its notes (the Linear feeding it, the init, the forward line) are block.py's lines, not the notebook's.
    const notes = found[0].relatedInformation ?? [];
    assert.ok(notes.length >= 2 && notes.every((r) => r.location.uri.toString() === blockUri.toString()), JSON.stringify(notes.map((r) => [r.location.uri.toString(), r.location.range.start.line, r.message])));
    assert.ok(notes.some((r) => /applied here/.test(r.message) && block.getText(r.location.range).includes('self.act(')));

    // The import cell now reads a module it cannot follow: the reason in the module, the cell's pointer at its import.
    const edit = new vscode.WorkspaceEdit();
    const line = lineOf(imports, /^from layers\.block import Block/);
    edit.replace(imports.uri, imports.lineAt(line).range, 'from other.block import Block');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const otherUri = at('other/block.py');
    const other = await vscode.workspace.openTextDocument(otherUri);
    await until('the can\'t-follow in other/block.py', () => ours(otherUri).some((x) => codeOf(x) === 'python/cant-follow'));
    for (const c of [imports, model, loop]) await idle(c.uri);
    const inModule = ours(otherUri).filter((x) => codeOf(x) === 'python/cant-follow');
    assert.equal(inModule.length, 1, messages(otherUri));
    assert.equal(other.getText(inModule[0].range), 'np.load("w.npy")');
    const back = inModule[0].relatedInformation?.find((r) => r.location.uri.toString() === imports.uri.toString());
    assert.ok(back && back.location.range.start.line === line, 'the module\'s note points at the import in its cell');
    const pointer = ours(imports.uri).find((x) => codeOf(x) === 'python/cant-follow');
    assert.ok(pointer, messages(imports.uri));
    assert.equal(pointer.range.start.line, line);
    const reason = pointer.relatedInformation?.find((r) => r.location.uri.toString() === otherUri.toString());
    assert.ok(reason && reason.location.range.isEqual(inModule[0].range), 'the reason in other/block.py is related, at its own range');
    await until('layers/block.py no longer imported: its finding gone', () => !ours(blockUri).some((x) => codeOf(x) === 'saturated-activation'));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
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

  test('a notebook: the squiggle on the nn.Sigmoid() line of its cell, the forward call in the loop\'s cell related, the quick fix applied in the cell', async () => {
    const uri = await scratch(await read('fixtures/python/seed_large_init.ipynb'), 'ipynb');
    const nb = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(nb);
    const [imports, model, loop] = nb.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code).map((c) => c.document);
    await idle(model.uri);
    const d = ours(model.uri).find((x) => codeOf(x) === 'saturated-activation');
    assert.ok(d, messages(model.uri));
    assert.equal(d.range.start.line, lineOf(model, /nn\.Sigmoid\(\)/));
    assert.equal(model.getText(d.range), 'nn.Sigmoid()');
    assert.ok(
      d.relatedInformation?.some((r) => r.location.uri.toString() === loop.uri.toString() && r.location.range.start.line === lineOf(loop, /output = model\(x\)/)),
      JSON.stringify(d.relatedInformation?.map((r) => [r.location.uri.toString(), r.location.range.start.line, r.message])),
    );
    await idle(loop.uri);
    await idle(imports.uri);
    assert.deepEqual([...ours(loop.uri), ...ours(imports.uri)].filter((x) => codeOf(x) === 'saturated-activation'), [], 'the finding is on its own cell only');
    const titles = await applyQuickFix(model.uri, d, 'Replace Sigmoid with ReLU');
    assert.match(model.lineAt(d.range.start.line).text, /^\s*nn\.ReLU\(\),/);
    await idle(model.uri);
    assert.deepEqual(ours(model.uri).filter((x) => codeOf(x) === 'saturated-activation').map((x) => x.message), [], 'the finding is gone');
    console.log(`    notebook cell quick fixes: ${titles.join(' | ')}`);
  });

  test('a notebook is one model: whichever cell is active, the sidebar, the status bar and the CodeLens show all its findings, and a finding reveals its own cell', async () => {
    const gl = await api();
    const uri = await scratch(await read('fixtures/python/seed_large_init.ipynb'), 'ipynb');
    const nb = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(nb);
    const [imports, model] = nb.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code).map((c) => c.document);
    // The imports cell, which holds no finding of its own, is the active editor.
    await vscode.window.showTextDocument(imports);
    await idle(imports.uri);
    await idle(model.uri);
    assert.deepEqual(ours(imports.uri).filter((d) => codeOf(d) === 'saturated-activation'), [], 'no squiggle of the model cell\'s finding in the imports cell');
    const shown = await until('the sidebar showing the imports cell\'s run', () => {
      const v = gl.views.sidebar();
      return v.type === 'trace' && v.uri === imports.uri.toString() && v;
    });
    if (shown.type !== 'trace') return;
    assert.equal(shown.fileName, uri.path.split('/').pop(), 'named after the notebook');
    const sat = shown.findings.find((f) => f.rule === 'saturated-activation');
    assert.ok(sat, JSON.stringify(shown.findings.map((f) => f.rule)));
    assert.equal(sat.uri, model.uri.toString(), 'the finding names the cell it is in');
    assert.equal(sat.range.start.line, lineOf(model, /nn\.Sigmoid\(\)/));
    assert.deepEqual(shown.trace.params.map((p) => p.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.ok(shown.layers?.some((l) => l.path === '1' && l.uri === model.uri.toString()), 'the layers are placed in their cell');
    const bar = gl.views.statusBar();
    assert.equal(bar.text, `∇ ${shown.findings.length} finding${shown.findings.length === 1 ? '' : 's'}`);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', imports.uri)).filter((l) => l.command?.command === 'gradientLens.traceGradients');
    assert.deepEqual(lenses.map((l) => l.command?.title), [`▶ Trace gradients · ${shown.findings.length} finding${shown.findings.length === 1 ? '' : 's'}`], 'the first code cell\'s lens counts the notebook\'s findings');
    // Activating the finding in the sidebar reveals the nn.Sigmoid() line in the model cell.
    await vscode.commands.executeCommand('gradientLens.revealLayer', sat.uri, sat.range);
    await until('the model cell active at the finding', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.toString() === model.uri.toString() && e.selection.start.line === sat.range.start.line;
    });
  });

  test('"Trace this model…" above an nn.Module class with nothing to trace it writes a sidecar, and the file is traced through it', async () => {
    const gl = await api();
    const uri = await scratch(await read('fixtures/python/two_layer.py'), 'py');
    const doc = await openModel(uri);
    const none = ours(uri).find((d) => codeOf(d) === 'python/no-model');
    assert.ok(none, messages(uri));
    assert.match(none.message, /the "Trace this model…" CodeLens writes one/);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).filter((l) => l.command?.command === 'gradientLens.traceThisModel');
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.title]), [[lineOf(doc, /^class TwoLayer/), 'Trace this model…']]);
    const answers = { build: 'TwoLayer(4, 8)', inputShape: [4], target: { classes: 3 } };
    const written = await vscode.commands.executeCommand<vscode.Uri>('gradientLens.traceThisModel', ...(lenses[0].command!.arguments ?? []), answers);
    assert.ok(written, 'a sidecar was written');
    assert.equal(written.path, uri.path.replace(/\.py$/, '.grad.yaml'));
    await until('the .py traced through its new sidecar', () => gl.lastRun(uri)?.models[0]?.trace.params.length === 4);
    assert.deepEqual(gl.lastRun(uri)!.models[0].trace.params.map((p) => p.name), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const after = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).filter((l) => l.command?.command === 'gradientLens.traceThisModel');
    assert.deepEqual(after, [], 'no lens once the sidecar exists');
  });
});

