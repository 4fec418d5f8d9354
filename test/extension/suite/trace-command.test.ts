/** "Gradient Lens: Trace Gradients": the full trace, the chart panel, and the host staying responsive. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, codeOf, describeSample, file, idle, open, ours, panelTabs, read, sampleHost, scratch, setSettings, until, withSettings } from '../support/helpers';

interface Summary {
  uri: string;
  steps: number;
  findings: string[];
  quick: boolean;
}

suite('trace command', () => {
  teardown(closeAll);

  test('the commands are registered', async () => {
    await api();
    const all = await vscode.commands.getCommands(true);
    for (const id of ['gradientLens.traceGradients', 'gradientLens.retrace', 'gradientLens.showPanel', 'gradientLens.revealLayer', 'gradientLens.openExample']) {
      assert.ok(all.includes(id), id);
    }
  });

  test('Trace Gradients runs the full trace and opens the chart panel beside the editor', async () => {
    const uri = file('fixtures/saturated.grad.yaml');
    const editor = await open(uri);
    await idle(uri);
    const summary = await vscode.commands.executeCommand<Summary>('gradientLens.traceGradients');
    assert.ok(summary, 'the command returns what it traced');
    assert.equal(summary.uri, uri.toString());
    assert.equal(summary.steps, 20, 'the full trace runs the spec\'s 20 steps');
    assert.equal(summary.quick, false);
    assert.ok(summary.findings.includes('saturated-activation'));
    const tabs = await until('the panel tab', () => (panelTabs().length ? panelTabs() : undefined));
    assert.equal(tabs.length, 1);
    assert.notEqual(tabs[0].group.viewColumn, editor.viewColumn, 'beside the editor, not over it');
    assert.match(tabs[0].label, /saturated\.grad\.yaml/);
    const last = (await api()).lastTrace(uri);
    assert.equal(last?.quick, false, 'the full trace is what the squiggles show now');
    assert.equal(last?.trace.steps.length, 20);
    assert.ok(ours(uri).some((d) => codeOf(d) === 'saturated-activation'));
  });

  test('the panel is reused, and Show Gradient Panel opens it from the last trace', async () => {
    const a = file('fixtures/saturated.grad.yaml');
    await open(a);
    await idle(a);
    await vscode.commands.executeCommand('gradientLens.showPanel');
    await until('the panel', () => panelTabs().length === 1);
    const b = file('fixtures/healthy.grad.json');
    await open(b);
    await idle(b);
    const summary = await vscode.commands.executeCommand<Summary>('gradientLens.traceGradients', b);
    assert.equal(summary.uri, b.toString());
    await until('the panel to show the other file', () => panelTabs().length === 1 && /healthy\.grad\.json/.test(panelTabs()[0].label));
  });

  test('Trace Gradients with no model file open says so and does nothing', async () => {
    await closeAll();
    const summary = await vscode.commands.executeCommand<Summary | undefined>('gradientLens.traceGradients');
    assert.equal(summary, undefined);
    assert.equal(panelTabs().length, 0);
  });

  test('the extension host keeps answering while a heavy model is traced', async () => {
    await withSettings({ quickTraceSteps: 1 }, async () => {
      const uri = file('fixtures/heavy.grad.yaml');
      await open(uri);
      await idle(uri);
      // The full trace runs in the worker; this thread must keep serving the workbench meanwhile.
      const m = await sampleHost(uri, () => vscode.commands.executeCommand<Summary>('gradientLens.traceGradients', uri));
      assert.equal(m.result?.steps, 3);
      console.log(describeSample('full trace of heavy.grad.yaml', m));
      // That the host answered, not how often or how fast: a blocked host would answer none.
      assert.ok(m.roundTrips.length >= 1, 'the host answered a round-trip through the workbench during the trace');
    });
  });

  test('a newer edit ends the running quick trace at once', async () => {
    await closeAll();
    // The debounce is an hour: only the edit itself can end the running trace within this test.
    await withSettings({ quickTraceSteps: 2, quickTraceTimeLimitMs: 3_600_000, memoryLimitMB: 2048, debounceMs: 3_600_000 }, async () => {
      const gl = await api();
      const uri = await scratch(await read('fixtures/too-slow.grad.yaml'));
      const before = gl.stats();
      const editor = await open(uri);
      await until('the quick trace to start', () => gl.stats().quickRuns > before.quickRuns);
      // A step of too-slow.grad.yaml takes seconds on any machine: that run is still going.
      const running = gl.stats();
      const small = await read('fixtures/saturated.grad.yaml');
      await editor.edit((b) => b.replace(new vscode.Range(0, 0, editor.document.lineCount, 0), small));
      const v2 = editor.document.version;
      await until('the running trace to end at the edit', () => gl.stats().superseded > running.superseded);
      // Now let the newer text run: what is shown is the newer text.
      await setSettings({ debounceMs: 0 });
      await idle(uri);
      assert.equal(gl.lastTrace(uri)?.version, v2, 'what is shown is the newer text');
    });
  });

  test('revealLayer selects the range in the model file', async () => {
    const uri = file('fixtures/saturated.grad.yaml');
    await open(uri);
    await vscode.commands.executeCommand('workbench.action.focusSecondEditorGroup');
    await vscode.commands.executeCommand('gradientLens.revealLayer', uri.toString(), { start: { line: 5, character: 4 }, end: { line: 5, character: 11 } });
    const ed = vscode.window.activeTextEditor;
    assert.equal(ed?.document.uri.toString(), uri.toString());
    assert.equal(ed?.document.getText(ed.selection), 'Sigmoid');
  });
});
