/**
 * Decorated TypeScript models in a trusted window: each example's findings on the user's own lines,
 * a CodeLens per @model class that opens the panel, and models that loop forever or exhaust memory
 * ending with a diagnostic while the extension host keeps answering.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, applyQuickFix, closeAll, codeOf, describeSample, file, lineOf, open, ours, panelTabs, PATIENT_MS, rangeOf, sampleHost, setSettings, until, withSettings, within } from '../support/helpers';

/** Waits until the TypeScript model file's current text has run and its diagnostics are published. */
async function tsIdle(uri: vscode.Uri, ms = PATIENT_MS): Promise<void> {
  const gl = await api();
  await within(ms, `the run of ${uri.path}`, gl.whenIdle(uri));
}

async function openModel(rel: string): Promise<{ uri: vscode.Uri; doc: vscode.TextDocument }> {
  const uri = file(rel);
  const editor = await open(uri);
  await tsIdle(uri);
  return { uri, doc: editor.document };
}

const severe = (ds: vscode.Diagnostic[]) => ds.filter((d) => d.severity !== vscode.DiagnosticSeverity.Information);
const messages = (uri: vscode.Uri) => JSON.stringify(ours(uri).map((d) => `${codeOf(d)}: ${d.message}`));

async function lenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  return (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).filter((l) => l.command?.command.startsWith('gradientLens.') || l.command?.command === 'workbench.trust.manage');
}

suite('decorated TypeScript models (trusted)', () => {
  const cfg = () => vscode.workspace.getConfiguration('gradientLens');
  let before: unknown;
  suiteSetup(async () => {
    await api();
    // A machine busy with the rest of the suite may take longer than 2 s to start node and transpile.
    before = cfg().inspect('quickTraceTimeLimitMs')?.workspaceValue;
    await setSettings({ quickTraceTimeLimitMs: 20000 });
  });
  suiteTeardown(async () => {
    await setSettings({ quickTraceTimeLimitMs: before });
  });
  teardown(closeAll);

  test('the seed model runs in a child process and has no problem', async () => {
    const gl = await api();
    const runs = gl.typescript.stats().runs;
    const { uri } = await openModel('typescript/seed.model.ts');
    assert.ok(gl.typescript.stats().runs > runs, 'a run was started');
    const last = gl.lastRun(uri);
    assert.ok(last, 'a run was published');
    assert.deepEqual(last.failures, []);
    assert.deepEqual(last.models.map((m) => m.name), ['Seed']);
    assert.equal(last.models[0].trace.steps.length, 5, 'quick runs take gradientLens.quickTraceSteps steps');
    assert.deepEqual(severe(ours(uri)), [], messages(uri));
    console.log(`    seed.model.ts: quick run of 5 steps in ${last.durationMs.toFixed(0)} ms (transpile, child process, trace, rules)`);
  });

  test('saturating-deep-sigmoid: the saturated Sigmoid is flagged on its `new Sigmoid()` line', async () => {
    const { uri, doc } = await openModel('typescript/saturating-deep-sigmoid.model.ts');
    const d = ours(uri).find((x) => codeOf(x) === 'saturated-activation');
    assert.ok(d, messages(uri));
    assert.equal(d.range.start.line, lineOf(doc, /act1 = new Sigmoid\(\)/));
    assert.equal(doc.getText(d.range), 'new Sigmoid()');
    assert.match(d.message, /sigmoid layer saturated: \d+(\.\d+)?% of units/);
    assert.equal(d.source, 'Gradient Lens');
    assert.equal((d.code as { target: vscode.Uri }).target.fragment, 'rule-saturated-activation');
    assert.ok(
      d.relatedInformation?.some((r) => r.location.range.start.line === lineOf(doc, /this\.act1\.forward\(this\.fc1\.forward\(x\)\)/)),
      'the forward line that applies it is related',
    );
  });

  test('saturating-deep-sigmoid: the sidebar shows its parameters, the status bar its count, and the quick fix makes the finding go', async () => {
    const gl = await api();
    const { uri, doc } = await openModel('typescript/saturating-deep-sigmoid.model.ts');
    const run = gl.lastRun(uri);
    assert.ok(run?.models.length, 'the model ran');
    const findings = run.models.flatMap((m) => m.findings);

    // The sidebar follows the active model file, whatever its kind: the class's trace and parameters.
    const shown = gl.views.sidebar();
    assert.equal(shown.type, 'trace', JSON.stringify(shown).slice(0, 200));
    if (shown.type !== 'trace') return;
    assert.equal(shown.uri, uri.toString());
    assert.match(shown.fileName, /saturating-deep-sigmoid\.model\.ts · DeepSigmoid/);
    assert.deepEqual(
      shown.trace.params.map((p) => p.name),
      ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias', 'fc4.weight', 'fc4.bias'],
    );
    assert.ok(shown.findings.some((f) => f.rule === 'saturated-activation'));

    // The status bar counts the file's findings.
    const bar = gl.views.statusBar();
    assert.ok(bar.visible, 'the status bar item shows for a TypeScript model');
    assert.equal(bar.text, `∇ ${findings.length} finding${findings.length === 1 ? '' : 's'}`);

    // The quick fixes of the saturated Sigmoid, written in TypeScript; applying one runs the model again.
    const d = ours(uri).find((x) => codeOf(x) === 'saturated-activation' && x.range.start.line === lineOf(doc, /act1 = new Sigmoid\(\)/));
    assert.ok(d, messages(uri));
    const titles = await applyQuickFix(uri, d, 'Replace Sigmoid with ReLU');
    try {
      assert.match(doc.lineAt(d.range.start.line).text, /act1 = new ReLU\(\);/);
      await tsIdle(uri);
      const after = gl.lastRun(uri);
      assert.equal(after?.version, doc.version, 'the fixed text ran');
      assert.deepEqual(after.failures, []);
      const still = ours(uri).filter((x) => codeOf(x) === 'saturated-activation' && x.range.start.line === d.range.start.line);
      assert.deepEqual(still.map((x) => x.message), [], 'the finding is gone');
      console.log(`    quick fixes offered: ${titles.join(' | ')}`);
    } finally {
      await open(uri);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  test('disconnected: the layer never applied in forward is flagged on its line', async () => {
    const { uri, doc } = await openModel('typescript/disconnected.model.ts');
    const d = ours(uri).filter((x) => codeOf(x) === 'disconnected-parameter');
    assert.equal(d.length, 1, messages(uri));
    assert.equal(d[0].range.start.line, lineOf(doc, /skip = new Linear\(10, 16\)/));
    assert.equal(d[0].severity, vscode.DiagnosticSeverity.Error);
  });

  test('wrong-backward: the custom backward is flagged on the `backward` line', async () => {
    const { uri, doc } = await openModel('typescript/wrong-backward.model.ts');
    const d = ours(uri).filter((x) => codeOf(x) === 'custom-gradient');
    assert.equal(d.length, 1, messages(uri));
    assert.equal(d[0].range.start.line, lineOf(doc, /backward: \(x, y, dy\)/));
    assert.equal(doc.getText(d[0].range), 'backward');
    assert.match(d[0].message, /custom backward of mySigmoid disagrees with finite differences/);
  });

  test('two-models: one CodeLens per @model class, each tracing its own class into the panel', async () => {
    const { uri, doc } = await openModel('typescript/two-models.model.ts');
    const ls = await lenses(uri);
    assert.equal(ls.length, 2, JSON.stringify(ls.map((l) => l.command?.title)));
    assert.deepEqual(
      ls.map((l) => l.range.start.line),
      [lineOf(doc, /class Healthy/), lineOf(doc, /class SaturatedTanh/)],
    );
    for (const l of ls) {
      assert.equal(l.command?.command, 'gradientLens.traceModel');
      assert.match(l.command!.title, /^▶ Trace gradients · (\d+ findings?|healthy)$/);
    }
    assert.deepEqual(ls.map((l) => l.command!.arguments?.[1]), ['Healthy', 'SaturatedTanh']);
    const tanhLens = ls[1].command!;
    assert.match(tanhLens.title, /\d+ findings?/, 'the saturated model has findings');

    // Clicking the second lens: the full trace (the class's own 10 steps), and the panel opens with it.
    const summary = await vscode.commands.executeCommand<{ className: string; steps: number; findings: string[] }>(tanhLens.command, ...(tanhLens.arguments ?? []));
    assert.equal(summary?.className, 'SaturatedTanh');
    assert.equal(summary?.steps, 10);
    assert.ok(summary?.findings.includes('saturated-activation'), JSON.stringify(summary));
    await until('the panel', () => panelTabs().length === 1);
    assert.match(panelTabs()[0].label, /SaturatedTanh|two-models/);
    // The saturated Tanh is flagged on its own line; the healthy model has nothing severe.
    const tanh = ours(uri).find((d) => codeOf(d) === 'saturated-activation');
    assert.ok(tanh, messages(uri));
    assert.equal(tanh.range.start.line, lineOf(doc, /act = new Tanh\(\)/));
    const healthyEnd = lineOf(doc, /class SaturatedTanh/);
    assert.deepEqual(severe(ours(uri)).filter((d) => d.range.start.line < healthyEnd - 2), [], messages(uri));
  });

  test('an endless loop ends at the time limit with a diagnostic on the model, and the host keeps answering', async () => {
    await withSettings({ quickTraceTimeLimitMs: 1500 }, async () => {
      const uri = file('fixtures/infinite-loop.model.ts');
      const gl = await api();
      const runs = gl.typescript.stats().runs;
      const m = await sampleHost(uri, async () => {
        await open(uri);
        await until('the run to start', () => gl.typescript.stats().runs > runs);
        await tsIdle(uri);
      });
      const doc = await vscode.workspace.openTextDocument(uri);
      const d = ours(uri).find((x) => codeOf(x) === 'trace');
      assert.ok(d, messages(uri));
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.match(d.message, /^Spins: the model did not finish within 1\.5 s/);
      assert.equal(d.range.start.line, lineOf(doc, /@model\(/));
      console.log(describeSample('endless loop stopped', m));
      assert.ok(m.took >= 1500, 'the loop ran until the limit');
      // That the host answered, not how often or how fast: a blocked host would answer none.
      assert.ok(m.roundTrips.length >= 1, 'the host answered a round-trip through the workbench while the model looped');
      const lens = await lenses(uri);
      assert.match(lens[0]?.command?.title ?? '', /timed out/);
    });
  });

  test('a model that exhausts memory ends at the heap limit with a diagnostic, and the host keeps answering', async () => {
    await withSettings({ memoryLimitMB: 64 }, async () => {
      const uri = file('fixtures/out-of-memory.model.ts');
      const m = await sampleHost(uri, async () => {
        await open(uri);
        await tsIdle(uri);
      });
      const d = ours(uri).find((x) => codeOf(x) === 'trace');
      assert.ok(d, messages(uri));
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.match(d.message, /^Hoards: .*(out of memory|heap limit of 64 MiB|more than \d+ MiB of memory)/);
      console.log(describeSample('memory bomb stopped', m));
      // That the host answered, not how often or how fast: a blocked host would answer none.
      assert.ok(m.roundTrips.length >= 1, 'the host answered a round-trip through the workbench while the model ran');
    });
  });

  test('a newer edit aborts the run in progress', async () => {
    const gl = await api();
    // Counted before the setting changes: a change of settings may itself start the run.
    const runs = gl.typescript.stats().runs;
    await withSettings({ quickTraceTimeLimitMs: 3_600_000 }, async () => {
      const uri = file('fixtures/infinite-loop.model.ts');
      const aborted = gl.typescript.stats().aborted;
      const editor = await open(uri);
      await until('the run to start', () => gl.typescript.stats().runs > runs);
      // Fix the loop: the endless run is aborted at once and the fixed text runs.
      const loop = rangeOf(editor.document, /for \(;;\) \{\}/);
      await editor.edit((e) => e.replace(loop, '// fixed'));
      await until('the old run to be aborted', () => gl.typescript.stats().aborted > aborted);
      await tsIdle(uri);
      assert.deepEqual(severe(ours(uri)), [], messages(uri));
      assert.deepEqual(gl.lastRun(uri)?.models.map((m) => m.name), ['Spins']);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    });
  });
});
