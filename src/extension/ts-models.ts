/**
 * Decorated TypeScript models: a `.ts` file that imports "gradient-lens" and declares @model
 * classes. In a trusted workspace each pause in typing runs the file's models in a child process
 * (dist/ts-host.js → traceTypeScriptFile: time, heap and tensor-memory limits) and publishes the
 * findings on the user's own lines; a newer edit or closing the file aborts the run. In Restricted
 * Mode nothing runs: each model gets a notice and a "Manage Workspace Trust" CodeLens instead.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { memoryLimitBytes } from '../limits';
import { openDocument, watchDocuments } from './document-watch';
import { CommandId } from './commands';
import type { ExtensionConfig } from './config';
import { findingDiagnostic, toRange, traceDiagnostic, DIAGNOSTIC_SOURCE } from './diagnostics';
import type { DeclaredModelView, TracedModelView, TsRunView } from './ts-host';
import { executionGate } from './trust';

type TsHost = typeof import('./ts-host');

/** Internal command of the per-class CodeLens: (uri, className). */
export const TRACE_MODEL_COMMAND = CommandId.TraceModel;
export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';
/** `code` of the Restricted Mode notice and of the missing-esbuild notice. */
export const RESTRICTED_CODE = 'restricted';
export const ESBUILD_CODE = 'esbuild';

const IMPORTS_LIBRARY = /(?:from\s*|require\s*\(\s*|import\s*\(\s*|import\s+)['"]gradient-lens(?:\/[^'"]*)?['"]/;
const TS_FILE = /\.(m|c)?tsx?$/i;

/** A TypeScript file that imports the authoring module: the only kind worth scanning for @model. */
export function mayBeTsModel(doc: vscode.TextDocument): boolean {
  return !doc.isClosed && TS_FILE.test(doc.uri.path) && !/\.d\.(m|c)?ts$/i.test(doc.uri.path) && IMPORTS_LIBRARY.test(doc.getText());
}

export interface TsOutcome {
  version: number;
  quick: boolean;
  run: TsRunView;
  durationMs: number;
  publishedAt: number;
}

interface TsState {
  uri: vscode.Uri;
  timer: NodeJS.Timeout | undefined;
  abort: AbortController | undefined;
  doneVersion: number;
  result: TsOutcome | undefined;
  declared: DeclaredModelView[];
}

export interface TsControllerOptions {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  config(scope: vscode.Uri): ExtensionConfig;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class TsModelController implements vscode.Disposable {
  private readonly states = new Map<string, TsState>();
  private readonly waiters: { key: string; resolve(): void }[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  /** Model runs started (each forks one child process), and those a newer edit or close aborted. */
  readonly stats = { runs: 0, aborted: 0 };
  private host: TsHost | undefined;
  /** Why esbuild could not be loaded, once tried and failed. */
  private esbuildMissing: string | undefined;

  constructor(
    private readonly opts: TsControllerOptions,
    private readonly diagnostics: vscode.DiagnosticCollection,
  ) {
    this.subscriptions.push(
      this.changed,
      ...watchDocuments({
        isTracked: (uri) => this.states.has(uri.toString()),
        track: (doc, delay) => this.track(doc, delay),
        forget: (uri) => this.forget(uri),
        edited: (doc) => {
          const state = this.states.get(doc.uri.toString());
          // The running models are of text that no longer exists: stop them now, not after the debounce.
          if (state?.abort) this.abort(state);
          return state || mayBeTsModel(doc) ? opts.config(doc.uri).debounceMs : undefined;
        },
      }),
    );
  }

  /** Whether the file is a TypeScript model this controller looks after. */
  handles(uri: vscode.Uri): boolean {
    return this.states.has(uri.toString());
  }

  result(uri: vscode.Uri): TsOutcome | undefined {
    return this.states.get(uri.toString())?.result;
  }

  running(uri: vscode.Uri): boolean {
    const s = this.states.get(uri.toString());
    return !!s && (!!s.abort || !!s.timer);
  }

  /** The @model classes of an open TypeScript model file, as its text declares them (nothing runs). */
  declared(doc: vscode.TextDocument): DeclaredModelView[] {
    if (!mayBeTsModel(doc)) return [];
    return this.loadHost().declaredModels(doc.getText());
  }

  whenIdle(uri: vscode.Uri): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ key: uri.toString(), resolve });
      const doc = openDocument(uri);
      if (doc && !this.states.has(uri.toString())) this.track(doc, 0);
      this.wakeWaiters();
    });
  }

  retraceAll(): void {
    // Only tracked files: VS Code keeps documents whose tabs were closed, and those stay closed.
    for (const state of this.states.values()) {
      const doc = openDocument(state.uri);
      if (!doc) continue;
      state.doneVersion = -1;
      this.track(doc, 0);
    }
  }

  /**
   * The full trace behind a CodeLens: every model of the file with its own @trace steps and the
   * full time limit. Publishes the diagnostics when the file has not changed meanwhile.
   */
  async fullTrace(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<TsOutcome | { error: string }> {
    if (!executionGate('user-code').allowed) return { error: 'Gradient Lens does not run code in Restricted Mode; trust the workspace to trace this model.' };
    const state = this.state(doc);
    if (!this.ensureEsbuild(doc)) return { error: this.esbuildMissing ?? 'esbuild is missing' };
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    const version = doc.version;
    try {
      const outcome = await this.run(doc, ac.signal, false);
      if (!outcome) return { error: 'the trace was cancelled' };
      if (this.states.get(state.uri.toString()) === state && !doc.isClosed && doc.version === version && !state.abort && !state.timer) this.publish(state, doc, outcome);
      return outcome;
    } finally {
      sub.dispose();
    }
  }

  dispose(): void {
    for (const uri of [...this.states.values()].map((s) => s.uri)) this.forget(uri);
    for (const d of this.subscriptions.splice(0)) d.dispose();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private loadHost(): TsHost {
    // A separate bundle, loaded on the first TypeScript model: the engine it carries stays out of activation.
    this.host ??= require(path.join(this.opts.extensionPath, 'dist', 'ts-host.js')) as TsHost;
    return this.host;
  }

  /**
   * esbuild transpiles the user's file. The extension's own copy exists in development; the VSIX
   * ships without node_modules, so next comes the one in the user's project (the file's folder
   * upwards, then the workspace folders). Found once per window.
   */
  private ensureEsbuild(doc: vscode.TextDocument): boolean {
    const host = this.loadHost();
    if (host.hasEsbuild()) return true;
    const tried: string[] = [];
    // Resolved at run time, never bundled: the extension's own node_modules (development), then the project's.
    const candidates: (() => unknown)[] = [() => createRequire(__filename)('esbuild')];
    const dirs = [path.dirname(doc.uri.fsPath), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)];
    for (const dir of dirs) candidates.push(() => createRequire(path.join(dir, 'package.json'))('esbuild'));
    for (const load of candidates) {
      try {
        host.provideEsbuild(load() as Parameters<TsHost['provideEsbuild']>[0]);
        this.esbuildMissing = undefined;
        return true;
      } catch (e) {
        tried.push(e instanceof Error ? e.message.split('\n')[0] : String(e));
      }
    }
    this.esbuildMissing =
      'TypeScript models need esbuild to be transpiled, and none was found beside the extension or in this project. Install it in the project (npm install --save-dev esbuild) and reopen the file.';
    this.opts.log.warn(`esbuild not found: ${tried.join('; ')}`);
    return false;
  }

  private state(doc: vscode.TextDocument): TsState {
    const key = doc.uri.toString();
    let s = this.states.get(key);
    if (!s) {
      s = { uri: doc.uri, timer: undefined, abort: undefined, doneVersion: -1, result: undefined, declared: [] };
      this.states.set(key, s);
    }
    return s;
  }

  private track(doc: vscode.TextDocument, delay: number): void {
    // The child process reads the user's imports from disk, next to the file.
    if (doc.uri.scheme !== 'file') return;
    if (!mayBeTsModel(doc)) {
      // An edit removed the import: the file is no model any more.
      if (this.states.has(doc.uri.toString())) this.forget(doc.uri);
      return;
    }
    const state = this.state(doc);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.runQuick(state);
    }, delay);
  }

  private async runQuick(state: TsState): Promise<void> {
    const doc = openDocument(state.uri);
    if (!doc) return this.forget(state.uri);
    const version = doc.version;
    if (version === state.doneVersion && !state.abort) return this.wakeWaiters();
    const host = this.loadHost();
    state.declared = host.declaredModels(doc.getText());
    if (state.declared.length === 0) {
      this.diagnostics.delete(doc.uri);
      return this.done(state, version, undefined);
    }
    if (!executionGate('user-code').allowed) {
      this.diagnostics.set(doc.uri, state.declared.map((m) => restrictedDiagnostic(m)));
      return this.done(state, version, undefined);
    }
    if (!this.ensureEsbuild(doc)) {
      const d = new vscode.Diagnostic(toRange(state.declared[0].classRange), this.esbuildMissing!, vscode.DiagnosticSeverity.Information);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = ESBUILD_CODE;
      this.diagnostics.set(doc.uri, [d]);
      return this.done(state, version, undefined);
    }
    const ac = new AbortController();
    state.abort = ac;
    this.changed.fire(state.uri);
    const outcome = await this.run(doc, ac.signal, true);
    if (state.abort === ac) state.abort = undefined;
    if (!outcome) return this.wakeWaiters();
    if (this.states.get(state.uri.toString()) !== state || doc.isClosed || doc.version !== version) return this.wakeWaiters();
    this.publish(state, doc, outcome);
  }

  /** One run of the file's models; undefined when aborted. */
  private async run(doc: vscode.TextDocument, signal: AbortSignal, quick: boolean): Promise<TsOutcome | undefined> {
    const config = this.opts.config(doc.uri);
    const version = doc.version;
    const name = `${path.basename(doc.uri.path)} v${version}`;
    const started = performance.now();
    this.stats.runs++;
    try {
      const run = await this.loadHost().traceModels(doc.uri.fsPath, doc.getText(), {
        ...(quick ? { steps: config.quickTraceSteps } : {}),
        timeoutMs: quick ? config.quickTraceTimeLimitMs : config.limits.timeLimitMs,
        heapMb: Math.max(64, config.limits.memoryLimitMB),
        memoryLimitBytes: memoryLimitBytes(config.limits),
        config: config.rules,
        signal,
      });
      const durationMs = performance.now() - started;
      const findings = run.models.reduce((n, m) => n + m.findings.length, 0);
      this.opts.log.info(
        `${quick ? 'quick' : 'full'} run ${name}: ${plural(run.models.length, 'model')}, ${plural(findings, 'finding')}` +
          (run.errors.length ? `, ${run.errors.map((e) => `${e.kind}: ${e.message}`).join('; ')}` : '') +
          ` (${Math.round(durationMs)} ms)`,
      );
      if (run.output) this.opts.log.debug(`${name} printed:\n${run.output}`);
      return { version, quick, run, durationMs, publishedAt: 0 };
    } catch (e) {
      if (signal.aborted) {
        this.stats.aborted++;
        this.opts.log.info(`${quick ? 'quick' : 'full'} run ${name}: aborted after ${Math.round(performance.now() - started)} ms`);
        return undefined;
      }
      const message = e instanceof Error ? e.message : String(e);
      this.opts.log.error(`${name}: ${message}`);
      return { version, quick, run: { models: [], errors: [{ kind: 'error', message, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }], output: '' }, durationMs: performance.now() - started, publishedAt: 0 };
    }
  }

  private publish(state: TsState, doc: vscode.TextDocument, outcome: TsOutcome): void {
    const list: vscode.Diagnostic[] = [];
    for (const m of outcome.run.models) list.push(...m.findings.map((f) => findingDiagnostic(f, doc.uri, this.opts.extensionUri)));
    for (const e of outcome.run.errors) {
      const where = e.className ?? state.declared.find((d) => d.className)?.className;
      list.push(traceDiagnostic(`${where ? `${where}: ` : ''}${e.message}`, e.range, 'error'));
    }
    this.diagnostics.set(doc.uri, list);
    outcome.publishedAt = performance.now();
    this.done(state, outcome.version, outcome);
  }

  private done(state: TsState, version: number, result: TsOutcome | undefined): void {
    state.doneVersion = version;
    state.result = result;
    this.changed.fire(state.uri);
    this.wakeWaiters();
  }

  private abort(state: TsState): void {
    const ac = state.abort;
    state.abort = undefined;
    ac?.abort();
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    const state = this.states.get(key);
    if (!state) return;
    this.states.delete(key);
    if (state.timer) clearTimeout(state.timer);
    this.abort(state);
    this.diagnostics.delete(uri);
    this.changed.fire(uri);
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      const state = this.states.get(w.key);
      const doc = state ? openDocument(state.uri) : undefined;
      if (!state || !doc || (!state.timer && !state.abort && state.doneVersion === doc.version)) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}

function restrictedDiagnostic(m: DeclaredModelView): vscode.Diagnostic {
  const d = new vscode.Diagnostic(
    toRange(m.classRange),
    `Gradient Lens does not run code in Restricted Mode: ${m.className} is not traced. Trust this workspace (Manage Workspace Trust) to trace it.`,
    vscode.DiagnosticSeverity.Information,
  );
  d.source = DIAGNOSTIC_SOURCE;
  d.code = RESTRICTED_CODE;
  return d;
}

/** One CodeLens per @model class: "▶ Trace gradients · N findings", or "Manage Workspace Trust" in Restricted Mode. */
export class TsCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly controller: TsModelController,
    private readonly enabled: (uri: vscode.Uri) => boolean,
  ) {
    this.subs = [controller.onDidChange(() => this.changed.fire()), vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire())];
  }

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.enabled(doc.uri)) return [];
    const declared = this.controller.declared(doc);
    if (!declared.length) return [];
    const trusted = executionGate('user-code').allowed;
    const result = this.controller.result(doc.uri);
    const running = this.controller.running(doc.uri);
    return declared.map((m) => {
      const at = toRange(m.classRange);
      const line = new vscode.Range(at.start.line, 0, at.start.line, 0);
      if (!trusted) {
        return new vscode.CodeLens(line, {
          title: 'Gradient Lens runs no code in Restricted Mode · Manage Workspace Trust',
          tooltip: 'Gradient Lens does not run code in Restricted Mode; trust this workspace to trace the model',
          command: MANAGE_TRUST_COMMAND,
        });
      }
      return new vscode.CodeLens(line, {
        title: `▶ Trace gradients${suffix(m.className, result, running)}`,
        tooltip: `Run the full trace of ${m.className} and open the gradient charts`,
        command: TRACE_MODEL_COMMAND,
        arguments: [doc.uri, m.className],
      });
    });
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

function suffix(className: string, result: TsOutcome | undefined, running: boolean): string {
  if (running) return ' · tracing…';
  if (!result) return '';
  const error = result.run.errors.find((e) => e.className === className);
  if (error) return ` · ${error.kind === 'timeout' ? 'timed out' : error.kind === 'oom' ? 'out of memory' : 'failed'}`;
  const m: TracedModelView | undefined = result.run.models.find((x) => x.className === className);
  if (!m) return '';
  return ` · ${m.findings.length ? plural(m.findings.length, 'finding') : 'healthy'}`;
}
