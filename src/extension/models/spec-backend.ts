/**
 * Spec files (*.grad.yaml, *.grad.yml, *.grad.json): parsed, traced and checked in a worker thread
 * (dist/trace-worker.js), so the extension host's event loop never waits for model work. Each file
 * keeps a thread for its quick traces (starting one costs more than a quick trace); full traces
 * run in a thread of their own, so typing does not end them. Ending the thread is how a run stops.
 * PyTorch files run through the same worker (python-backend.ts extends this class).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { limitName, memoryLimitBytes, timeLimitMessage } from '../../limits';
import { MODEL_FILE } from '../commands';
import { problemDiagnostic, traceDiagnostic } from '../diagnostics';
import { Disposable } from '../disposable';
import { RunRequest as WorkerRequest, TraceOutcome, TraceRunner, type CancelReason } from '../trace-runner';
import { SECTION } from '../settings';
import { executionGate } from '../trust';
import type { RunFailure } from './types';
import type { SpecProblem } from '../../worker/messages';
import { findingsStatus, plural, type DeclaredModel, type FileRun, type ModelBackend, type RunRequest, type RunStats } from './types';

/** The `model` key of a YAML or JSON spec: where its CodeLens goes. */
const MODEL_KEY = /^[ \t]*"?model"?[ \t]*:/m;

const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

/** What a run reads of a document: its editor's text, or a notebook's code cells joined. */
export type Source = Pick<vscode.TextDocument, 'uri' | 'version' | 'getText'>;

export type Parsed = NonNullable<Extract<TraceOutcome, { kind: 'invalid' }>['parsed']>;

export class SpecBackend extends Disposable implements ModelBackend {
  readonly kind: ModelBackend['kind'] = 'spec';
  readonly stats: RunStats = { runs: 0, quickRuns: 0, superseded: 0, aborted: 0 };
  private readonly quickRunners = new Map<string, TraceRunner>();
  private readonly fullRunner: TraceRunner;

  constructor(
    private readonly workerScript: string,
    private readonly log: vscode.LogOutputChannel,
    /** Where each parse's problems and their fixes go, for the quick fixes. */
    private readonly problemFixes?: { record(uri: vscode.Uri, version: number, problems: readonly SpecProblem[]): void; forget(uri: vscode.Uri): void },
  ) {
    super();
    this.fullRunner = this.own(new TraceRunner(workerScript, log));
  }

  accepts(doc: vscode.TextDocument): boolean {
    return !doc.isClosed && MODEL_FILE.test(doc.uri.path);
  }

  gate() {
    return executionGate('spec');
  }

  declared(doc: vscode.TextDocument): DeclaredModel[] {
    const m = MODEL_KEY.exec(doc.getText());
    const line = m ? doc.positionAt(m.index).line : 0;
    return [{ name: path.basename(doc.uri.path), anchor: { start: { line, character: 0 }, end: { line, character: 0 } } }];
  }

  run(doc: vscode.TextDocument, req: RunRequest): Promise<FileRun | undefined> {
    return this.runSource(doc, req, this.declared(doc)[0]);
  }

  /** The setting that bounds a trace's time: the quick trace has its own. */
  private timeLimitName(quick: boolean): string {
    return quick ? `${SECTION}.quickTraceTimeLimitMs` : limitName('timeLimitMs');
  }

  /** Runs a text in the worker; `declared` is the model a trace of it is. */
  protected async runSource(doc: Source, req: RunRequest, declared: DeclaredModel): Promise<FileRun | undefined> {
    const { config, quick } = req;
    const extra = await this.request(doc);
    if (req.signal.aborted) return undefined;
    const runner = quick ? this.quickRunner(doc.uri) : this.fullRunner;
    this.stats.runs++;
    if (quick) this.stats.quickRuns++;
    const abort = () => runner.cancel((req.signal.reason as CancelReason | undefined) ?? 'user');
    req.signal.addEventListener('abort', abort, { once: true });
    try {
      const request: WorkerRequest = {
        text: doc.getText(),
        fileName: doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.path,
        ...(quick ? { steps: config.quickTraceSteps } : {}),
        memoryLimitBytes: memoryLimitBytes(config.limits),
        timeLimitMs: quick ? config.quickTraceTimeLimitMs : config.limits.timeLimitMs,
        timeLimitName: this.timeLimitName(quick),
        config: config.rules,
        progress: !!req.onProgress,
        limits: config.limits,
        // `data:` files come from the spec's folder or its workspace folder, and only from the local disk.
        dataRoots: doc.uri.scheme === 'file' ? (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath) : null,
        ...extra,
      };
      const outcome = await runner.run(request, {
        // Parse errors go out before the trace would have finished.
        onParsed: (parsed) => {
          if (!parsed.ok) req.early?.(parsed.problems.filter((p) => p.file === undefined).map((p) => problemDiagnostic(p, doc.uri)));
        },
        onProgress: req.onProgress,
      });
      this.logOutcome(doc, quick ? 'quick trace' : 'full trace', outcome);
      if (outcome.kind === 'cancelled') {
        this.stats.aborted++;
        if (outcome.reason === 'superseded') this.stats.superseded++;
        return undefined;
      }
      return this.fileRun(doc, quick, outcome, declared);
    } finally {
      req.signal.removeEventListener('abort', abort);
    }
  }

  /** What a request for this document carries besides its text (a Python file's sidecar). */
  protected async request(_doc: Source): Promise<Partial<WorkerRequest>> {
    return {};
  }

  /** Why a file whose reply says it cannot be traced is not. */
  protected invalid(parsed: Parsed): RunFailure {
    const n = parsed.problems.filter((p) => p.severity === 'error').length;
    // No error and nothing to trace: a Python file's sidecar, which says so.
    return { kind: 'invalid', message: n || !parsed.problems.length ? `The spec has ${plural(n, 'error')}` : parsed.problems[0].message };
  }

  forget(uri: vscode.Uri): void {
    this.problemFixes?.forget(uri);
    const runner = this.quickRunners.get(uri.toString());
    this.quickRunners.delete(uri.toString());
    runner?.cancel('closed');
    runner?.dispose();
  }

  protected override onDispose(): void {
    for (const r of this.quickRunners.values()) r.dispose();
    this.quickRunners.clear();
  }

  private quickRunner(uri: vscode.Uri): TraceRunner {
    const key = uri.toString();
    let r = this.quickRunners.get(key);
    if (!r) this.quickRunners.set(key, (r = new TraceRunner(this.workerScript, this.log)));
    return r;
  }

  private fileRun(doc: Source, quick: boolean, outcome: Exclude<TraceOutcome, { kind: 'cancelled' }>, declared: DeclaredModel): FileRun {
    const problems = outcome.parsed?.problems ?? [];
    this.problemFixes?.record(doc.uri, doc.version, problems);
    const run: FileRun = {
      version: doc.version,
      quick,
      models: [],
      failures: [],
      diagnostics: problems.filter((p) => p.file === undefined).map((p) => problemDiagnostic(p, doc.uri)),
      elsewhere: problems.flatMap((p) => (p.file !== undefined ? [{ file: p.file, diagnostic: problemDiagnostic(p, doc.uri) }] : [])),
      status: { state: 'idle', message: '' },
      durationMs: outcome.wallMs,
      publishedAt: 0,
      ...(outcome.parsed?.reads ? { reads: outcome.parsed.reads } : {}),
      ...(outcome.parsed?.missing ? { missing: outcome.parsed.missing } : {}),
    };
    const layer0 = outcome.parsed?.layers[0]?.range ?? null;
    switch (outcome.kind) {
      case 'traced': {
        run.models.push({ ...declared, trace: outcome.traced.trace, findings: outcome.traced.findings, health: outcome.traced.health, layers: outcome.parsed.layers });
        run.status = findingsStatus(run.models);
        break;
      }
      case 'invalid': {
        // An empty file is a start, not a fault: a hint (with the skeleton's quick fix), not red.
        const problems = outcome.parsed.problems;
        if (problems.some((p) => p.code === 'spec/empty') && !problems.some((p) => p.severity === 'error')) {
          run.status = { state: 'idle', message: 'Empty model file: the quick fix (Ctrl+.) writes a small model to start from' };
          return run;
        }
        run.failures.push(this.invalid(outcome.parsed));
        break;
      }
      case 'failed':
        run.failures.push({ kind: 'failed', message: `Could not trace: ${outcome.message}` });
        run.diagnostics.push(traceDiagnostic(`The model could not be traced: ${outcome.message}`, outcome.range, 'error'));
        break;
      case 'timeout': {
        // The CLI's words: where the time went (reading a long file, or the steps) decides the advice.
        const message = timeLimitMessage(outcome.limitMs, outcome.reading, this.timeLimitName(quick));
        run.failures.push({ kind: 'timeout', message });
        run.diagnostics.push(traceDiagnostic(message[0].toUpperCase() + message.slice(1), layer0, 'info'));
        break;
      }
      case 'crashed':
        run.failures.push({ kind: 'crashed', message: outcome.message });
        run.diagnostics.push(traceDiagnostic(`The trace stopped: ${outcome.message}`, layer0, 'error'));
        break;
    }
    if (run.failures.length) run.status = { state: 'error', message: run.failures[0].message };
    return run;
  }

  private logOutcome(doc: Source, what: string, o: TraceOutcome): void {
    const name = `${path.basename(doc.uri.path)} v${doc.version}`;
    switch (o.kind) {
      case 'traced': {
        const t = o.traced.timings;
        this.log.info(
          `${what} ${name}: ${plural(o.traced.trace.steps.length, 'step')}, ${plural(o.traced.findings.length, 'finding')}; parse ${ms(t.parseMs)}, trace ${ms(t.traceMs)}, rules ${ms(t.checkMs)}, ${ms(o.wallMs)} in all` +
            (o.traced.trace.stoppedEarly ? ` (${o.traced.trace.stoppedEarly})` : '') +
            (t.model ? `; model: ${t.model}` : ''),
        );
        break;
      }
      case 'invalid':
        this.log.info(`${what} ${name}: ${plural(o.parsed.problems.filter((p) => p.severity === 'error').length, 'error')} in the file, not traced (${ms(o.wallMs)})`);
        break;
      case 'failed':
        this.log.warn(`${what} ${name}: ${o.name}: ${o.message} (${ms(o.wallMs)})`);
        if (o.stack) this.log.debug(o.stack);
        break;
      case 'timeout':
        this.log.warn(`${what} ${name}: stopped at the ${o.limitMs} ms time limit${o.reading ? ` while ${o.reading}` : ''}`);
        break;
      case 'crashed':
        this.log.error(`${what} ${name}: ${o.message}`);
        break;
      case 'cancelled':
        this.log.info(`${what} ${name}: cancelled (${o.reason}) after ${ms(o.wallMs)}`);
        break;
    }
  }
}
