/**
 * Keeps every open model file traced: on open and after each pause in typing it runs a quick trace
 * in the file's worker thread and publishes what came back as diagnostics. A newer edit ends the
 * run in progress at once; closing the file ends it and clears its diagnostics.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { memoryLimitBytes } from '../limits';
import { openDocument, watchDocuments } from './document-watch';
import type { LayerRangeView } from '../protocol';
import type { Trace } from '../trace/types';
import type { ResolvedFinding, SpecProblem, Timings } from '../worker/messages';
import { MODEL_FILE } from './commands';
import type { ExtensionConfig } from './config';
import { findingDiagnostic, problemDiagnostic, traceDiagnostic } from './diagnostics';
import { RunRequest, TraceOutcome, TraceRunner } from './trace-runner';

export interface TraceResult {
  uri: vscode.Uri;
  /** The document version that was traced. */
  version: number;
  fileName: string;
  quick: boolean;
  trace: Trace;
  findings: ResolvedFinding[];
  layers: LayerRangeView[];
  /** From sending the text to the worker to having the findings back, as the host saw it. */
  durationMs: number;
  timings: Timings;
  /** performance.now() when its diagnostics were published (0 until then). */
  publishedAt: number;
}

export interface DocStatus {
  state: 'idle' | 'running' | 'error';
  message: string;
}

interface ModelState {
  uri: vscode.Uri;
  runner: TraceRunner;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  /** The last version whose diagnostics are published (or -1). */
  doneVersion: number;
  result: TraceResult | undefined;
  status: DocStatus;
}

export interface ControllerOptions {
  extensionUri: vscode.Uri;
  workerScript: string;
  log: vscode.LogOutputChannel;
  config(scope: vscode.Uri): ExtensionConfig;
}

export function isModelDocument(doc: vscode.TextDocument): boolean {
  return !doc.isClosed && MODEL_FILE.test(doc.uri.path);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

export class DocumentController implements vscode.Disposable {
  private readonly states = new Map<string, ModelState>();
  private readonly waiters: { key: string; resolve(): void }[] = [];
  private readonly diagnostics: vscode.DiagnosticCollection;
  private readonly fullRunner: TraceRunner;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Fires when a file's status or result changes (status bar, CodeLens, sidebar). */
  readonly onDidChange = this.changed.event;
  /** Counts for the log and the tests: quick traces started, and those a newer edit cancelled. */
  readonly stats = { quickRuns: 0, superseded: 0 };

  constructor(
    private readonly opts: ControllerOptions,
    diagnostics: vscode.DiagnosticCollection,
  ) {
    this.diagnostics = diagnostics;
    this.fullRunner = new TraceRunner(opts.workerScript, opts.log);
    this.subscriptions.push(
      this.changed,
      this.fullRunner,
      ...watchDocuments({
        isTracked: (uri) => this.states.has(uri.toString()),
        track: (doc, delay) => this.track(doc, delay),
        forget: (uri) => this.forget(uri),
        edited: (doc) => {
          if (!isModelDocument(doc)) return undefined;
          const state = this.states.get(doc.uri.toString());
          // The running trace is of text that no longer exists: end it now, not after the debounce.
          if (state?.running) state.runner.cancel('superseded');
          return opts.config(doc.uri).debounceMs;
        },
      }),
    );
  }

  /** The latest published trace of a file (quick or full). */
  result(uri: vscode.Uri): TraceResult | undefined {
    return this.states.get(uri.toString())?.result;
  }

  status(uri: vscode.Uri): DocStatus | undefined {
    return this.states.get(uri.toString())?.status;
  }

  /** Resolves once the file's current version is traced and its diagnostics published (or it is closed). */
  whenIdle(uri: vscode.Uri): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ key: uri.toString(), resolve });
      const doc = openDocument(uri);
      if (doc && !this.states.has(uri.toString())) this.track(doc, 0);
      this.wakeWaiters();
    });
  }

  /**
   * Traces every model file in a tab again (settings changed, trust granted). Only tracked files:
   * VS Code keeps documents whose tabs were closed, and those must not come back to life.
   */
  retraceAll(): void {
    for (const state of this.states.values()) {
      const doc = openDocument(state.uri);
      if (!doc) continue;
      state.doneVersion = -1;
      this.track(doc, 0);
    }
  }

  /**
   * The full trace of "Trace Gradients": the spec's own steps, in a thread of its own so typing
   * does not cancel it. Cancelling `token` ends the thread. Publishes the findings when the file
   * has not changed meanwhile.
   */
  async fullTrace(doc: vscode.TextDocument, token: vscode.CancellationToken, onProgress: (step: number, of: number) => void): Promise<{ outcome: TraceOutcome; result?: TraceResult }> {
    const config = this.opts.config(doc.uri);
    const version = doc.version;
    const fileName = path.basename(doc.uri.path);
    const sub = token.onCancellationRequested(() => this.fullRunner.cancel('user'));
    const state = this.state(doc.uri);
    this.setStatus(state, { state: 'running', message: `Tracing ${fileName}…` });
    try {
      const outcome = await this.fullRunner.run(this.request(doc, config, undefined, config.limits.timeLimitMs, true), {
        onProgress,
      });
      this.log(doc, 'full trace', outcome);
      const current = this.states.get(doc.uri.toString());
      const fresh = current && !doc.isClosed && doc.version === version;
      const result = outcome.kind === 'traced' ? this.toResult(doc.uri, version, false, outcome) : undefined;
      if (current && fresh && outcome.kind !== 'cancelled') this.publish(current, doc, version, outcome, result);
      else if (current && !current.running) this.setStatus(current, resultStatus(current.result));
      return { outcome, result };
    } finally {
      sub.dispose();
    }
  }

  dispose(): void {
    for (const uri of [...this.states.values()].map((s) => s.uri)) this.forget(uri);
    for (const d of this.subscriptions.splice(0)) d.dispose();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private state(uri: vscode.Uri): ModelState {
    const key = uri.toString();
    let s = this.states.get(key);
    if (!s) {
      s = {
        uri,
        runner: new TraceRunner(this.opts.workerScript, this.opts.log),
        timer: undefined,
        running: false,
        doneVersion: -1,
        result: undefined,
        status: { state: 'idle', message: '' },
      };
      this.states.set(key, s);
    }
    return s;
  }

  /** Schedules a quick trace of `doc` after `delay` ms, replacing one already scheduled. */
  private track(doc: vscode.TextDocument, delay: number): void {
    if (!isModelDocument(doc)) return;
    const state = this.state(doc.uri);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.runQuick(state);
    }, delay);
  }

  private async runQuick(state: ModelState): Promise<void> {
    const doc = openDocument(state.uri);
    if (!doc) return this.forget(state.uri);
    const version = doc.version;
    if (version === state.doneVersion && !state.running) return this.wakeWaiters();
    const config = this.opts.config(doc.uri);
    state.running = true;
    this.stats.quickRuns++;
    this.setStatus(state, { state: 'running', message: `Tracing ${config.quickTraceSteps} steps…` });
    const outcome = await state.runner.run(this.request(doc, config, config.quickTraceSteps, config.quickTraceTimeLimitMs, false), {
      // Parse errors go out before the trace would have finished.
      onParsed: (parsed) => {
        if (!parsed.ok && this.states.get(state.uri.toString()) === state && doc.version === version) {
          this.diagnostics.set(doc.uri, parsed.problems.map(problemDiagnostic));
        }
      },
    });
    if (outcome.kind === 'cancelled') {
      if (outcome.reason === 'superseded') this.stats.superseded++;
      // Superseded by a newer edit (which scheduled its own run) or closed; nothing to publish.
      if (state.runner.busy === false && this.states.get(state.uri.toString()) === state) state.running = false;
      return this.wakeWaiters();
    }
    state.running = false;
    this.log(doc, 'quick trace', outcome);
    if (this.states.get(state.uri.toString()) !== state || doc.isClosed) return this.wakeWaiters();
    if (doc.version !== version) return this.wakeWaiters();
    const result = outcome.kind === 'traced' ? this.toResult(doc.uri, version, true, outcome) : undefined;
    this.publish(state, doc, version, outcome, result);
  }

  private request(doc: vscode.TextDocument, config: ExtensionConfig, steps: number | undefined, timeLimitMs: number, progress: boolean): RunRequest {
    return {
      text: doc.getText(),
      fileName: doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.path,
      ...(steps === undefined ? {} : { steps }),
      memoryLimitBytes: memoryLimitBytes(config.limits),
      timeLimitMs,
      limits: config.limits,
      config: config.rules,
      progress,
    };
  }

  private toResult(uri: vscode.Uri, version: number, quick: boolean, outcome: Extract<TraceOutcome, { kind: 'traced' }>): TraceResult {
    return {
      uri,
      version,
      fileName: path.basename(uri.path),
      quick,
      trace: outcome.traced.trace,
      findings: outcome.traced.findings,
      layers: outcome.parsed.layers,
      durationMs: outcome.wallMs,
      timings: outcome.traced.timings,
      publishedAt: 0,
    };
  }

  /** Replaces the file's diagnostics with what this outcome says about `version`. */
  private publish(state: ModelState, doc: vscode.TextDocument, version: number, outcome: TraceOutcome, result: TraceResult | undefined): void {
    if (outcome.kind === 'cancelled') return;
    const problems: SpecProblem[] = outcome.parsed?.problems ?? [];
    const list = problems.map(problemDiagnostic);
    switch (outcome.kind) {
      case 'traced':
        list.push(...outcome.traced.findings.map((f) => findingDiagnostic(f, doc.uri, this.opts.extensionUri)));
        break;
      case 'failed':
        list.push(traceDiagnostic(`The model could not be traced: ${outcome.message}`, outcome.range, 'error'));
        break;
      case 'timeout':
        list.push(
          traceDiagnostic(
            `The trace took longer than ${outcome.limitMs} ms and was stopped (settings gradientLens.quickTraceTimeLimitMs / gradientLens.timeLimitMs)`,
            outcome.parsed?.layers[0]?.range ?? null,
            'info',
          ),
        );
        break;
      case 'crashed':
        list.push(traceDiagnostic(`The trace stopped: ${outcome.message}`, outcome.parsed?.layers[0]?.range ?? null, 'error'));
        break;
      case 'invalid':
        break;
    }
    this.diagnostics.set(doc.uri, list);
    if (result) result.publishedAt = performance.now();
    state.doneVersion = version;
    // A spec that fails keeps no stale result: the charts would show a model that no longer exists.
    state.result = result;
    this.setStatus(state, statusOf(outcome, result));
    this.wakeWaiters();
  }

  private setStatus(state: ModelState, status: DocStatus): void {
    state.status = status;
    this.changed.fire(state.uri);
  }

  private log(doc: vscode.TextDocument, what: string, o: TraceOutcome): void {
    const name = `${path.basename(doc.uri.path)} v${doc.version}`;
    const log = this.opts.log;
    switch (o.kind) {
      case 'traced': {
        const t = o.traced.timings;
        const steps = o.traced.trace.steps.length;
        log.info(
          `${what} ${name}: ${plural(steps, 'step')}, ${plural(o.traced.findings.length, 'finding')}; parse ${ms(t.parseMs)}, trace ${ms(t.traceMs)}, rules ${ms(t.checkMs)}, ${ms(o.wallMs)} in all` +
            (o.traced.trace.stoppedEarly ? ` (${o.traced.trace.stoppedEarly})` : ''),
        );
        break;
      }
      case 'invalid':
        log.info(`${what} ${name}: ${plural(o.parsed.problems.filter((p) => p.severity === 'error').length, 'spec error')}, not traced (${ms(o.wallMs)})`);
        break;
      case 'failed':
        log.warn(`${what} ${name}: ${o.name}: ${o.message} (${ms(o.wallMs)})`);
        if (o.stack) log.debug(o.stack);
        break;
      case 'timeout':
        log.warn(`${what} ${name}: stopped at the ${o.limitMs} ms time limit`);
        break;
      case 'crashed':
        log.error(`${what} ${name}: ${o.message}`);
        break;
      case 'cancelled':
        log.info(`${what} ${name}: cancelled (${o.reason}) after ${ms(o.wallMs)}`);
        break;
    }
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    const state = this.states.get(key);
    if (!state) return;
    this.states.delete(key);
    if (state.timer) clearTimeout(state.timer);
    state.runner.cancel('closed');
    state.runner.dispose();
    this.diagnostics.delete(uri);
    this.changed.fire(uri);
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      const state = this.states.get(w.key);
      const doc = state ? openDocument(state.uri) : undefined;
      const idle = !state || !doc || (!state.timer && !state.running && state.doneVersion === doc.version);
      if (idle) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}

function statusOf(outcome: TraceOutcome, result: TraceResult | undefined): DocStatus {
  switch (outcome.kind) {
    case 'traced':
      return resultStatus(result);
    case 'invalid':
      return { state: 'error', message: `The spec has ${plural(outcome.parsed.problems.filter((p) => p.severity === 'error').length, 'error')}` };
    case 'failed':
      return { state: 'error', message: `Could not trace: ${outcome.message}` };
    case 'timeout':
      return { state: 'error', message: `Stopped at the ${outcome.limitMs} ms time limit` };
    case 'crashed':
      return { state: 'error', message: outcome.message };
    case 'cancelled':
      return resultStatus(result);
  }
}

function resultStatus(result: TraceResult | undefined): DocStatus {
  if (!result) return { state: 'idle', message: '' };
  const n = result.findings.length;
  return { state: 'idle', message: n ? plural(n, 'finding') : 'No findings: gradients look healthy' };
}
