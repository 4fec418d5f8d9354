/**
 * The editor as a newcomer meets it: an empty file is a hint with a skeleton, completion and hover
 * come from the layer catalogue (YAML and JSON), a typo and a size that does not fit come with
 * their fixes and are reported together, New Model File and Open Example give the user a file of
 * their own, and the sidebar follows the active editor.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, exists, file, idle, open, ours, rangeOf, read, root, scratch, until } from '../support/helpers';

async function quickFixes(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, vscode.CodeActionKind.QuickFix.value)) ?? [];
}

async function apply(action: vscode.CodeAction): Promise<void> {
  assert.ok(action.edit, `${action.title} has an edit`);
  assert.ok(await vscode.workspace.applyEdit(action.edit));
}

async function completions(uri: vscode.Uri, at: vscode.Position): Promise<vscode.CompletionItem[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, at);
  return list?.items ?? [];
}

const labelOf = (i: vscode.CompletionItem) => (typeof i.label === 'string' ? i.label : i.label.label);
const docOf = (i: vscode.CompletionItem) => (i.documentation instanceof vscode.MarkdownString ? i.documentation.value : String(i.documentation ?? ''));

suite('editor experience', () => {
  suiteSetup(async () => {
    await api();
  });
  teardown(closeAll);

  test('an empty spec is an information hint with a skeleton to start from, never an error; the status bar is not red', async () => {
    const uri = await scratch('');
    const editor = await open(uri);
    await idle(uri);
    const diags = ours(uri);
    assert.equal(diags.length, 1, JSON.stringify(diags.map((d) => d.message)));
    assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Information);
    assert.match(diags[0].message, /empty/);
    const gl = await api();
    const bar = gl.views.statusBar();
    assert.doesNotMatch(bar.text, /no trace|error/, bar.text);
    const [start] = (await quickFixes(uri, diags[0].range)).filter((a) => /Start from a small model/.test(a.title));
    assert.ok(start, 'the skeleton quick fix');
    await apply(start);
    await idle(uri);
    assert.deepEqual(ours(uri).map((d) => d.message), [], 'the skeleton traces clean');
    assert.match(editor.document.getText(), /^model:\n {2}- Linear: \{in_features: 10, out_features: 32\}/m);
    assert.equal(gl.views.statusBar().text, '∇ 0 findings');
  });

  test('completion offers the catalogue in YAML: layers with their arguments, arguments with PyTorch defaults, losses', async () => {
    const uri = await scratch('model:\n  - Linear: {in_features: 10, }\n  - Sig\ninput: {shape: [10]}\ntarget: {shape: [1]}\nloss: MSE\n');
    const editor = await open(uri);
    const doc = editor.document;
    const layers = await completions(uri, rangeOf(doc, /Sig$/m).end);
    const sigmoid = layers.find((i) => labelOf(i) === 'Sigmoid');
    assert.ok(sigmoid, `Sigmoid among ${layers.map(labelOf).join(', ')}`);
    assert.match(docOf(sigmoid), /torch\.nn\.Sigmoid/);
    const linear = layers.find((i) => labelOf(i) === 'Linear')!;
    assert.equal((linear.insertText as vscode.SnippetString).value, 'Linear: {in_features: ${1:in_features}, out_features: ${2:out_features}}');
    const args = await completions(uri, new vscode.Position(1, doc.lineAt(1).text.indexOf('}')));
    const bias = args.find((i) => labelOf(i) === 'bias');
    assert.ok(bias && args.some((i) => labelOf(i) === 'out_features'), args.map(labelOf).join(', '));
    assert.match(docOf(bias), /Default: `true` \(PyTorch's\)/);
    assert.ok(!args.some((i) => labelOf(i) === 'in_features'), 'an argument already written is not offered again');
    const losses = await completions(uri, rangeOf(doc, /MSE$/m).end);
    assert.ok(losses.some((i) => labelOf(i) === 'MSELoss' && docOf(i).includes('Mean squared error')));
  });

  test('completion and hover in JSON, in JSON syntax; no docs for an unknown layer (the schema is not registered)', async () => {
    const uri = await scratch('{"model": [{"Linear": {"in_features": 10, "out_features": 1}}, "Sigmiod", ], "input": {"shape": [10]}, "target": {"shape": [1]}, "loss": "MSELoss"}', 'grad.json');
    const editor = await open(uri);
    const doc = editor.document;
    const at = doc.positionAt(doc.getText().indexOf(', ]') + 2);
    const items = await completions(uri, at);
    const linear = items.find((i) => labelOf(i) === 'Linear');
    assert.ok(linear, items.map(labelOf).join(', '));
    assert.equal((linear.insertText as vscode.SnippetString).value, '{"Linear": {"in_features": ${1:in_features}, "out_features": ${2:out_features}}}');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, doc.positionAt(doc.getText().indexOf('Linear') + 2));
    const text = (hs: vscode.Hover[]) => hs.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text(hovers), /torch\.nn\.Linear/);
    const onTypo = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, doc.positionAt(doc.getText().indexOf('Sigmiod') + 2));
    assert.doesNotMatch(text(onTypo), /torch\.nn\./, 'no docs of another layer on a name nobody knows');
  });

  test('a typo and a size that does not fit are reported together, each with its fix; the JSON fix is JSON', async () => {
    const uri = await scratch(JSON.stringify({ model: [{ Linear: { in_features: 10, out_features: 16 } }, 'Sigmiod', { Linear: { in_features: 10, out_features: 1 } }], input: { shape: [10] }, target: { shape: [1] }, loss: 'MSELoss' }, null, 2), 'grad.json');
    await open(uri);
    await idle(uri);
    const diags = ours(uri);
    assert.deepEqual(
      diags.map((d) => d.message),
      ["unknown layer 'Sigmiod'. Did you mean 'Sigmoid'?", 'Linear expects 10 input features but the previous layer (1: Sigmoid) gives [16]'],
    );
    const [typo] = (await quickFixes(uri, diags[0].range)).filter((a) => a.title === "Change to 'Sigmoid'");
    const [size] = (await quickFixes(uri, diags[1].range)).filter((a) => a.title === 'Set in_features to 16');
    assert.ok(typo && size, 'both fixes are offered');
    assert.equal(typo.isPreferred, true);
    await apply(size);
    await idle(uri);
    const [typoNow] = (await quickFixes(uri, ours(uri)[0].range)).filter((a) => a.title === "Change to 'Sigmoid'");
    await apply(typoNow);
    await idle(uri);
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    assert.deepEqual(JSON.parse(text).model.slice(1), ['Sigmoid', { Linear: { in_features: 16, out_features: 1 } }]);
    assert.ok(!ours(uri).some((d) => d.severity === vscode.DiagnosticSeverity.Error), JSON.stringify(ours(uri).map((d) => d.message)));
  });

  test('New Model File starts a spec of the user\'s in the workspace, which traces clean', async () => {
    const made = await vscode.commands.executeCommand<string>('gradientLens.newModelFile');
    const uri = vscode.Uri.parse(made);
    try {
      assert.ok(uri.path.startsWith(root().path), `in the workspace: ${uri.toString()}`);
      assert.match(uri.path, /\/model(-\d+)?\.grad\.yaml$/);
      await idle(uri);
      assert.deepEqual(ours(uri).map((d) => d.message), []);
    } finally {
      await closeAll();
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('Open Example opens a copy in the workspace, never the file inside the extension; its preferred fix clears it', async () => {
    const gl = await api();
    const made = await vscode.commands.executeCommand<string>('gradientLens.openExample');
    const uri = vscode.Uri.parse(made);
    try {
      const ext = vscode.extensions.getExtension('gradient-lens.gradient-lens')!;
      assert.ok(!uri.path.startsWith(ext.extensionUri.path), `not inside the extension: ${uri.toString()}`);
      assert.ok(uri.path.startsWith(root().path), `a copy in the workspace: ${uri.toString()}`);
      assert.equal((await vscode.workspace.openTextDocument(uri)).getText(), await read('seed-saturated.grad.yaml'));
      await idle(uri);
      const d = ours(uri).find((x) => /sigmoid layer saturated/.test(x.message));
      assert.ok(d, 'the example shows its finding');
      const preferred = (await quickFixes(uri, d.range)).find((a) => a.isPreferred);
      assert.ok(preferred);
      await apply(preferred);
      await idle(uri);
      assert.deepEqual(gl.lastTrace(uri)?.findings.map((f) => f.message), []);
    } finally {
      await closeAll();
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('the sidebar follows the active editor: it names a file that is not a model, and shows the model that is', async () => {
    const gl = await api();
    const notes = file(`scratch/notes-${Date.now()}.txt`);
    await vscode.workspace.fs.writeFile(notes, Buffer.from('not a model\n'));
    const model = file('fixtures/saturated.grad.yaml');
    await open(model);
    await idle(model);
    await until('the sidebar to show the model', () => {
      const m = gl.views.sidebar();
      return m.type === 'trace' && m.fileName.endsWith('saturated.grad.yaml');
    });
    await open(notes);
    const empty = await until('the sidebar to name the other file', () => {
      const m = gl.views.sidebar();
      return m.type === 'empty' ? m : undefined;
    });
    assert.match(empty.message, /notes-\d+\.txt\) is not a model file/);
    await open(model);
    await until('the sidebar to follow back', () => gl.views.sidebar().type === 'trace');
    assert.ok(await exists(notes));
    await vscode.workspace.fs.delete(notes);
    // A model file with no trace (a misspelt layer) is named, with where its problems are, not
    // offered the ways to get a model as if none were open.
    const broken = await scratch('model: [{Linear: {in_features: 4, out_features: 1}}, Sigmiod]\ninput: {shape: [4]}\ntarget: {shape: [1]}\nloss: MSELoss\n');
    try {
      await open(broken);
      await idle(broken);
      const untraced = await until('the sidebar to name the model file without a trace', () => {
        const m = gl.views.sidebar();
        return m.type === 'empty' && m.file ? m : undefined;
      });
      assert.equal(untraced.file, broken.fsPath);
      assert.match(untraced.message, /Problems view/);
    } finally {
      await closeAll();
      await vscode.workspace.fs.delete(broken);
    }
  });
});
