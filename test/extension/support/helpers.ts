/** Shared by the extension-host suites: the extension's test API, workspace files, waiting. */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'gradient-lens.gradient-lens';
export const SOURCE = 'Gradient Lens';
export const PANEL_VIEW_TYPE = 'gradientLens.tracePanel';

export async function api(): Promise<GradientLensApi> {
  const ext = vscode.extensions.getExtension<GradientLensApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this window`);
  return ext.isActive ? ext.exports : ext.activate();
}

export function root(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder (a copy of examples/ with fixtures/)');
  return folder.uri;
}

export function file(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(root(), ...rel.split('/'));
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new model file in the workspace with this text (each test edits its own copy). The name is
 * random: each test file is bundled with its own copy of this module, so a counter would repeat
 * across files and overwrite a document another test still has open.
 */
export async function scratch(text: string, ext = 'grad.yaml'): Promise<vscode.Uri> {
  const uri = file(`scratch/t-${randomUUID()}.${ext}`);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  return uri;
}

export async function read(rel: string): Promise<string> {
  return Buffer.from(await vscode.workspace.fs.readFile(file(rel))).toString('utf8');
}

export async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.One });
}

export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/**
 * Waits are upper bounds for a failure to show, never measures: generous, because CI machines are
 * shared and a test that fails when the machine is busy is a bug.
 */
export const PATIENT_MS = 180_000;

/** Waits until the file's current text is traced and its diagnostics are published. */
export async function idle(uri: vscode.Uri, ms = PATIENT_MS): Promise<void> {
  const gl = await api();
  await within(ms, `the trace of ${uri.path}`, gl.whenIdle(uri));
}

export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

export function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' && d.code ? String(d.code.value) : String(d.code ?? '');
}

/** The 0-based line of the first line matching `re`. */
export function lineOf(doc: vscode.TextDocument, re: RegExp): number {
  for (let i = 0; i < doc.lineCount; i++) if (re.test(doc.lineAt(i).text)) return i;
  assert.fail(`no line matches ${re} in ${doc.uri.path}`);
}

/** The range of the first match of `re` in the document. */
export function rangeOf(doc: vscode.TextDocument, re: RegExp): vscode.Range {
  const m = re.exec(doc.getText());
  assert.ok(m, `no match for ${re} in ${doc.uri.path}`);
  return new vscode.Range(doc.positionAt(m.index), doc.positionAt(m.index + m[0].length));
}

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
export async function until<T>(what: string, check: () => T | undefined | false, ms = PATIENT_MS): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Sets workspace settings of ours and waits until this extension host sees them: update() can
 * resolve before the new values arrive here (more so on a busy machine), and what runs next must
 * run under them. `undefined` removes a setting.
 */
export async function setSettings(settings: Record<string, unknown>): Promise<void> {
  const cfg = () => vscode.workspace.getConfiguration('gradientLens');
  for (const [k, v] of Object.entries(settings)) await cfg().update(k, v, vscode.ConfigurationTarget.Workspace);
  await until('the settings to reach the extension host', () =>
    Object.entries(settings).every(([k, v]) => JSON.stringify(cfg().inspect(k)?.workspaceValue) === JSON.stringify(v)),
  );
}

/** Sets workspace settings of ours for the duration of `fn`, then restores them. */
export async function withSettings<T>(settings: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const cfg = () => vscode.workspace.getConfiguration('gradientLens');
  const before = Object.fromEntries(Object.keys(settings).map((k) => [k, cfg().inspect(k)?.workspaceValue]));
  await setSettings(settings);
  try {
    return await fn();
  } finally {
    await setSettings(before);
  }
}

export function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) =>
    g.tabs.filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(PANEL_VIEW_TYPE)),
  );
}

export async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export interface HostSample<T> {
  result: T;
  /** Worst lateness of a 10 ms timer in this thread, in ms. */
  worstLag: number;
  /** Durations of the round-trips through the workbench that completed, in ms. */
  roundTrips: number[];
  took: number;
}

/**
 * Runs `work` while sampling this extension host: a 10 ms timer's worst lag, and round-trips
 * through the workbench (a stat of `probe`: answered only while our event loop runs), the first
 * one sent at once and then one every 100 ms until `work` ends. What a test may assert is that the
 * host answered; how fast or how often depends on how busy the machine is, so those numbers are
 * printed, never asserted.
 */
export async function sampleHost<T>(probe: vscode.Uri, work: () => PromiseLike<T>): Promise<HostSample<T>> {
  let worstLag = 0;
  let prev = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - prev - 10);
    prev = now;
  }, 10);
  const roundTrips: number[] = [];
  let stop = false;
  const t0 = performance.now();
  const pinger = (async () => {
    do {
      const t = performance.now();
      await vscode.workspace.fs.stat(probe);
      roundTrips.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    } while (!stop);
  })();
  try {
    const result = await work();
    return { result, worstLag, roundTrips, took: performance.now() - t0 };
  } finally {
    stop = true;
    clearInterval(timer);
    await within(PATIENT_MS, 'a round-trip through the workbench', pinger);
  }
}

/** One line for the test log: what the host did while the work ran. */
export function describeSample(what: string, m: HostSample<unknown>): string {
  const worstTrip = m.roundTrips.length ? Math.max(...m.roundTrips) : NaN;
  return `    ${what}: ${m.took.toFixed(0)} ms; host timer lag worst ${m.worstLag.toFixed(0)} ms, ${m.roundTrips.length} round-trips through the workbench, worst ${worstTrip.toFixed(0)} ms`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Applies the quick fix titled `title` offered on diagnostic `d`; returns every title offered (for the log). */
export async function applyQuickFix(uri: vscode.Uri, d: vscode.Diagnostic, title: string): Promise<string[]> {
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range, vscode.CodeActionKind.QuickFix.value);
  const titles = actions.map((a) => a.title);
  const fix = actions.find((a) => a.title === title);
  assert.ok(fix?.edit, `no quick fix '${title}' among ${JSON.stringify(titles)}`);
  assert.ok(await vscode.workspace.applyEdit(fix.edit));
  return titles;
}
