/**
 * One training run being watched. Its log is followed in a worker thread of its own (dist/run-
 * worker.js: only the new bytes, throttled, in slices, the rules applied there), so a big log
 * never holds up the extension host; here each snapshot's findings become diagnostics on the .py
 * files where the modules were built, and whoever shows the run (the chart panel, the sidebar,
 * the status bar) hears of it through `onUpdate`.
 */
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { applyStepsDelta, type LayerRangeView } from '../../protocol';
import type { RuleConfig } from '../../rules/config';
import type { ParamHealth } from '../../rules/health';
import type { Trace } from '../../trace/types';
import type { ResolvedFinding } from '../../worker/messages';
import type { RunWatchReply, RunWatchRequest } from '../../worker/run-messages';
import { findingDiagnostic, findingView } from '../diagnostics';
import { Disposable } from '../disposable';
import type { PanelData } from '../panel/types';

/** What the run looks like after the latest read. */
export interface RunSnapshot {
  /** The folder (or log file) being watched, as it was asked for. */
  folder: vscode.Uri;
  trace: Trace;
  /** Ranked; each names the .py file it is on (none when the run recorded no source sites). */
  findings: ResolvedFinding[];
  /** Each parameter's health, judged with the settings the rules ran under. */
  health: ParamHealth[];
  /** Where each module was built, in its .py file. */
  layers: LayerRangeView[];
  /** The .py files the findings and modules point into. */
  files: vscode.Uri[];
  /** False while a big log is still being read. */
  caughtUp: boolean;
  /** Snapshots so far (1 for the first read). */
  version: number;
  /** performance.now() when its diagnostics were published. */
  publishedAt: number;
}

export interface RunWatchOptions {
  extensionUri: vscode.Uri;
  /** dist/run-worker.js */
  workerScript: string;
  /** Least time between two reads of the log, in ms (gradientLens.runRefreshMs). */
  refreshMs: number;
  rules: RuleConfig;
  log: vscode.LogOutputChannel;
}

/** The name a view gives the run: the folder relative to the workspace. */
export function runName(folder: vscode.Uri): string {
  return vscode.workspace.asRelativePath(folder, false);
}

export class RunWatch extends Disposable {
  private readonly worker: Worker;
  /** Files that carry this run's diagnostics now. */
  private marked = new Set<string>();
  private readonly updated = this.own(new vscode.EventEmitter<RunSnapshot>());
  private readonly failed = this.own(new vscode.EventEmitter<string>());
  /** A new snapshot of the run: its diagnostics are already published. */
  readonly onUpdate = this.updated.event;
  /** The log cannot be read (not a log, a newer format, gone): the message is for the user. */
  readonly onError = this.failed.event;
  last: RunSnapshot | undefined;
  /** Why the log cannot be read, while it cannot. */
  error: string | undefined;
  private version = 0;

  constructor(
    readonly folder: vscode.Uri,
    private readonly diagnostics: vscode.DiagnosticCollection,
    private readonly opts: RunWatchOptions,
  ) {
    super();
    this.worker = new Worker(opts.workerScript, { name: 'gradient-lens-run' });
    this.worker.on('message', (reply: RunWatchReply) => this.receive(reply));
    this.worker.on('error', (e) => {
      opts.log.error(`training run ${folder.fsPath}: the reading thread failed: ${e.stack ?? e}`);
      this.fail(`reading the log failed (${e.message}); see the Gradient Lens output`);
    });
    this.post({ type: 'watch', path: folder.fsPath, throttleMs: opts.refreshMs, config: opts.rules });
    // The log folder may be created after the watch starts ("Run Training Script" watches at once);
    // events only make the worker look sooner, it also looks on its own every few seconds.
    const single = folder.path.endsWith('.gl.jsonl');
    const pattern = single ? new vscode.RelativePattern(vscode.Uri.joinPath(folder, '..'), '*.gl.jsonl') : new vscode.RelativePattern(folder, '**/*.gl.jsonl');
    const watcher = this.own(vscode.workspace.createFileSystemWatcher(pattern));
    const kick = () => this.kick();
    this.own(watcher.onDidCreate(kick));
    this.own(watcher.onDidChange(kick));
    this.own(watcher.onDidDelete(kick));
  }

  /** Something changed in the folder (or the run's script ended): read soon. */
  kick(): void {
    this.post({ type: 'kick' });
  }

  /** The rules again on what has been read, under these settings. */
  reconfigure(rules: RuleConfig): void {
    this.post({ type: 'config', config: rules });
  }

  /** What the panel and the sidebar show of the run. */
  panelData(): PanelData | undefined {
    const s = this.last;
    if (!s) return undefined;
    return { uri: this.folder, fileName: `${runName(this.folder)} (training run)`, trace: s.trace, findings: s.findings.map(findingView), health: s.health, quick: false, layers: s.layers };
  }

  private post(msg: RunWatchRequest): void {
    if (!this.disposed) this.worker.postMessage(msg);
  }

  private receive(reply: RunWatchReply): void {
    if (this.disposed) return;
    switch (reply.type) {
      case 'error':
        return this.fail(reply.message);
      case 'internal':
        // A bug of ours on this log: logged; the last good snapshot stays.
        this.opts.log.error(`training run ${this.folder.fsPath}: ${reply.message}`);
        return;
      case 'update': {
        // The worker sends only the steps this side lacks.
        const steps = applyStepsDelta(this.last?.trace.steps ?? [], { keep: reply.keep, steps: reply.trace.steps });
        if (!steps) {
          this.opts.log.error(`training run ${this.folder.fsPath}: an update keeps ${reply.keep} steps, ${this.last?.trace.steps.length ?? 0} are held; asking for all of them`);
          return this.post({ type: 'resend' });
        }
        this.error = undefined;
        const layers: LayerRangeView[] = reply.layers.map((l) => ({ path: l.path, range: l.range, ...(l.file ? { uri: vscode.Uri.file(l.file).toString() } : {}) }));
        this.publish(reply.findings);
        this.version++;
        this.last = {
          folder: this.folder,
          trace: { ...reply.trace, steps },
          findings: reply.findings,
          health: reply.health,
          layers,
          files: reply.files.map((f) => vscode.Uri.file(f)),
          caughtUp: reply.caughtUp,
          version: this.version,
          publishedAt: performance.now(),
        };
        this.updated.fire(this.last);
      }
    }
  }

  private fail(message: string): void {
    this.error = message;
    this.opts.log.warn(`training run ${this.folder.fsPath}: ${message}`);
    this.failed.fire(message);
  }

  /** Each finding on its .py file; a file that no longer has one is cleared. */
  private publish(findings: readonly ResolvedFinding[]): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const f of findings) {
      if (!f.file) continue;
      const uri = vscode.Uri.file(f.file);
      const d = findingDiagnostic(f, uri, this.opts.extensionUri);
      // A static trace of the same file may say something too: say where this one was measured.
      d.message = `${d.message} (training run ${runName(this.folder)})`;
      const key = uri.toString();
      byFile.set(key, [...(byFile.get(key) ?? []), d]);
    }
    for (const key of this.marked) if (!byFile.has(key)) this.diagnostics.delete(vscode.Uri.parse(key));
    for (const [key, list] of byFile) this.diagnostics.set(vscode.Uri.parse(key), list);
    this.marked = new Set(byFile.keys());
  }

  protected override onDispose(): void {
    void this.worker.terminate();
    for (const key of this.marked) this.diagnostics.delete(vscode.Uri.parse(key));
    this.marked.clear();
  }
}
