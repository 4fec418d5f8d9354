/**
 * Keeps every open model file traced, whatever its kind: on open and after each pause in typing it
 * runs a quick trace through the file's back end and publishes what came back as diagnostics. A
 * newer edit aborts the run in progress at once; closing the file (its last tab) aborts it and
 * clears its diagnostics. The sidebar, status bar, CodeLens, quick fixes and the panel read the
 * results here, so they work the same for spec files and TypeScript models (and the next kinds).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionConfig } from '../config';
import { findingDiagnostic } from '../diagnostics';
import { Disposable } from '../disposable';
import { openDocument, watchDocuments } from '../document-watch';
import type { ResolvedFinding } from '../../worker/messages';
import { type AbortReason, type DeclaredModel, type DocStatus, type FileRun, type ModelBackend } from './types';

interface FileState {
  uri: vscode.Uri;
  backend: ModelBackend;
  timer: NodeJS.Timeout | undefined;
  /** The quick run in progress. */
  running: AbortController | undefined;
  /** The last version whose diagnostics are published (or -1). */
  doneVersion: number;
  result: FileRun | undefined;
  status: DocStatus;
}

export interface ControllerOptions {
  extensionUri: vscode.Uri;
  config(scope: vscode.Uri): ExtensionConfig;
}

export class ModelController extends Disposable {
  private readonly states = new Map<string, FileState>();
  private readonly waiters: { key: string; resolve(): void }[] = [];
  private readonly changed = this.own(new vscode.EventEmitter<vscode.Uri>());
  /** Fires when a file's status or result changes (status bar, CodeLens, sidebar, panel). */
  readonly onDidChange = this.changed.event;
  /**
   * Findings on layers built in a module a script imports, shown on that module's document: by the
   * script (URI), then by the module's URI. A collection of their own, since the module may be
   * traced as a file of its own, whose run replaces its diagnostics in the main one.
   */
  private readonly inImported = new Map<string, Map<string, vscode.Diagnostic[]>>();
  private readonly importedDiagnostics = this.own(vscode.languages.createDiagnosticCollection('gradient-lens-imported'));

  constructor(
    readonly backends: readonly ModelBackend[],
    private readonly diagnostics: vscode.DiagnosticCollection,
    private readonly opts: ControllerOptions,
  ) {
    super();
    for (const b of backends) {
      this.own(b);
      // Out of date for a reason besides its own edits (a Python file's sidecar changed): run it again after the pause.
      if (b.onDidInvalidate) this.own(b.onDidInvalidate((uri) => this.invalidate(uri)));
    }
    for (const d of watchDocuments({
      isTracked: (uri) => this.states.has(uri.toString()),
      track: (doc, delay) => this.track(doc, delay),
      forget: (uri) => this.forget(uri),
      edited: (doc) => {
        const state = this.states.get(doc.uri.toString());
        // The running trace is of text that no longer exists: end it now, not after the debounce.
        state?.running?.abort('superseded' satisfies AbortReason);
        return state || this.backendFor(doc) ? opts.config(doc.uri).debounceMs : undefined;
      },
    })) {
      this.own(d);
    }
  }

  /** The back end for this document's kind, if it is a model file. */
  backendFor(doc: vscode.TextDocument): ModelBackend | undefined {
    return doc.isClosed ? undefined : this.backends.find((b) => b.accepts(doc));
  }

  isModel(doc: vscode.TextDocument): boolean {
    return !!this.backendFor(doc);
  }

  /** The models the file declares, before anything runs (CodeLens anchors). */
  declared(doc: vscode.TextDocument): DeclaredModel[] {
    return this.backendFor(doc)?.declared(doc) ?? [];
  }

  /** The latest published run of a file (quick or full). */
  result(uri: vscode.Uri): FileRun | undefined {
    return this.states.get(uri.toString())?.result;
  }

  /**
   * The findings whose diagnostics are on this document, each with the run that found it and the
   * file that ran: its own run's, and those a script's run placed here, in a module it imports.
   */
  findingsShownIn(doc: vscode.TextDocument): { finding: ResolvedFinding; run: FileRun; script: vscode.Uri }[] {
    const out: { finding: ResolvedFinding; run: FileRun; script: vscode.Uri }[] = [];
    for (const state of this.states.values()) {
      const run = state.result;
      if (!run) continue;
      const own = state.uri.toString() === doc.uri.toString();
      for (const finding of run.models.flatMap((m) => m.findings)) {
        if (finding.uri) continue;
        if (own ? !finding.file : doc.uri.scheme === 'file' && finding.file === doc.uri.fsPath) out.push({ finding, run, script: state.uri });
      }
    }
    return out;
  }

  status(uri: vscode.Uri): DocStatus | undefined {
    return this.states.get(uri.toString())?.status;
  }

  /** Whether a run of the file is scheduled or going on. */
  busy(uri: vscode.Uri): boolean {
    const s = this.states.get(uri.toString());
    return !!s && (!!s.running || !!s.timer || s.status.state === 'running');
  }

  /** Resolves once the file's current version has run and its diagnostics are published (or it is closed). */
  whenIdle(uri: vscode.Uri): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ key: uri.toString(), resolve });
      const doc = openDocument(uri);
      if (doc && !this.states.has(uri.toString())) this.track(doc, 0);
      this.wakeWaiters();
    });
  }

  /**
   * Runs every model file in a tab again (settings changed, trust granted). Only tracked files:
   * VS Code keeps documents whose tabs were closed, and those must not come back to life.
   */
  retraceAll(): void {
    for (const state of [...this.states.values()]) {
      const doc = openDocument(state.uri);
      if (!doc) continue;
      state.doneVersion = -1;
      this.track(doc, 0);
    }
  }

  /**
   * The full run ("Trace Gradients", a CodeLens): every model with its own steps and the full time
   * limit, not ended by typing; cancelling `token` ends it. Publishes what it found when the file
   * has not changed meanwhile. Undefined when it was cancelled or the file is no model.
   */
  async fullTrace(doc: vscode.TextDocument, token: vscode.CancellationToken, onProgress?: (step: number, of: number) => void): Promise<FileRun | undefined> {
    const backend = this.backendFor(doc);
    if (!backend) return undefined;
    const version = doc.version;
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort('user' satisfies AbortReason));
    const state = this.state(doc.uri, backend);
    this.setStatus(state, { state: 'running', message: `Tracing ${path.basename(doc.uri.path)}…` });
    try {
      const run = await backend.run(doc, { quick: false, signal: ac.signal, config: this.opts.config(doc.uri), onProgress });
      const current = this.states.get(doc.uri.toString()) === state;
      const fresh = current && !doc.isClosed && doc.version === version;
      if (run && fresh && !state.running && !state.timer) this.publish(state, doc, run);
      else if (current && !state.running) this.setStatus(state, state.result?.status ?? { state: 'idle', message: '' });
      return run;
    } finally {
      sub.dispose();
    }
  }

  protected override onDispose(): void {
    for (const uri of [...this.states.values()].map((s) => s.uri)) this.forget(uri, 'disposed');
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private state(uri: vscode.Uri, backend: ModelBackend): FileState {
    const key = uri.toString();
    let s = this.states.get(key);
    if (!s || s.backend !== backend) {
      if (s) this.forget(uri);
      s = { uri, backend, timer: undefined, running: undefined, doneVersion: -1, result: undefined, status: { state: 'idle', message: '' } };
      this.states.set(key, s);
    }
    return s;
  }

  /** Schedules a quick run of `doc` after `delay` ms, replacing one already scheduled. */
  private track(doc: vscode.TextDocument, delay: number): void {
    const backend = this.backendFor(doc);
    if (!backend) {
      // An edit made the file no model any more (a TypeScript file lost its import).
      if (this.states.has(doc.uri.toString())) this.forget(doc.uri);
      return;
    }
    const state = this.state(doc.uri, backend);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.runQuick(state);
    }, delay);
  }

  private async runQuick(state: FileState): Promise<void> {
    const doc = openDocument(state.uri);
    if (!doc) return this.forget(state.uri);
    const version = doc.version;
    if (version === state.doneVersion && !state.running) return this.wakeWaiters();
    const config = this.opts.config(doc.uri);
    const ac = new AbortController();
    state.running = ac;
    this.setStatus(state, { state: 'running', message: `Tracing ${config.quickTraceSteps} steps…` });
    const isCurrent = () => this.states.get(state.uri.toString()) === state && !doc.isClosed && doc.version === version;
    const run = await state.backend.run(doc, {
      quick: true,
      signal: ac.signal,
      config,
      early: (diagnostics) => {
        if (isCurrent()) this.diagnostics.set(doc.uri, diagnostics);
      },
    });
    if (state.running === ac) state.running = undefined;
    // Aborted by a newer edit (which scheduled its own run) or by closing: nothing to publish.
    if (!run || !isCurrent()) return this.wakeWaiters();
    this.publish(state, doc, run);
  }

  /** Replaces the file's diagnostics with what this run says about its version. */
  private publish(state: FileState, doc: vscode.TextDocument, run: FileRun): void {
    // A finding in another document (another cell of the notebook) is published by that document's run;
    // one in a module the script imports is listed by the views, not placed on this document's lines.
    const findings = run.models.flatMap((m) => m.findings.flatMap((f) => (f.uri || f.file ? [] : [findingDiagnostic(f, doc.uri, this.opts.extensionUri)])));
    this.diagnostics.set(doc.uri, [...run.diagnostics, ...findings]);
    const elsewhere = new Map<string, vscode.Diagnostic[]>();
    const add = (file: string, d: vscode.Diagnostic) => {
      const key = vscode.Uri.file(file).toString();
      elsewhere.set(key, [...(elsewhere.get(key) ?? []), d]);
    };
    for (const f of run.models.flatMap((m) => m.findings)) if (!f.uri && f.file) add(f.file, findingDiagnostic(f, vscode.Uri.file(f.file), this.opts.extensionUri, doc.uri));
    for (const p of run.elsewhere ?? []) add(p.file, p.diagnostic);
    this.setImported(run.importer ?? doc.uri, elsewhere);
    run.publishedAt = performance.now();
    state.doneVersion = run.version;
    // A file that fails keeps no stale trace: the views would show a model that no longer exists.
    state.result = run;
    this.setStatus(state, run.status);
    this.wakeWaiters();
  }

  private setStatus(state: FileState, status: DocStatus): void {
    state.status = status;
    this.changed.fire(state.uri);
  }

  private invalidate(uri: vscode.Uri): void {
    const state = this.states.get(uri.toString());
    const doc = state && openDocument(uri);
    if (!state || !doc) return;
    state.running?.abort('superseded' satisfies AbortReason);
    state.doneVersion = -1;
    this.track(doc, this.opts.config(uri).debounceMs);
  }

  private forget(uri: vscode.Uri, reason: AbortReason = 'closed'): void {
    const key = uri.toString();
    const state = this.states.get(key);
    if (!state) return;
    this.states.delete(key);
    if (state.timer) clearTimeout(state.timer);
    state.running?.abort(reason);
    state.backend.forget(uri);
    this.diagnostics.delete(uri);
    this.setImported(uri, new Map());
    // A notebook's modules keep their problems while another of its cells is open.
    const importer = state.result?.importer;
    if (importer && ![...this.states.values()].some((s) => s.result?.importer?.toString() === importer.toString())) this.setImported(importer, new Map());
    this.changed.fire(uri);
    this.wakeWaiters();
  }

  /** Replaces what one script's run says about the modules it imports, and shows every script's together. */
  private setImported(script: vscode.Uri, byModule: Map<string, vscode.Diagnostic[]>): void {
    const before = this.inImported.get(script.toString());
    if (byModule.size) this.inImported.set(script.toString(), byModule);
    else this.inImported.delete(script.toString());
    for (const key of new Set([...(before?.keys() ?? []), ...byModule.keys()])) {
      const all = [...this.inImported.values()].flatMap((m) => m.get(key) ?? []);
      if (all.length) this.importedDiagnostics.set(vscode.Uri.parse(key), all);
      else this.importedDiagnostics.delete(vscode.Uri.parse(key));
    }
  }

  private wakeWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      const state = this.states.get(w.key);
      const doc = state ? openDocument(state.uri) : undefined;
      if (!state || !doc || (!state.timer && !state.running && state.doneVersion === doc.version)) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
