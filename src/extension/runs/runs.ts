/**
 * Real training runs in the editor: "Watch Training Run" follows a run's log folder live (the chart
 * panel, the sidebar and a status bar item update as it grows; findings become diagnostics on the
 * .py files where the modules were built), a log appearing in the workspace is offered for
 * watching, and "Run Training Script with Gradient Lens" runs the active .py file under the hook
 * and watches its log. Reading a log is reading data (allowed in Restricted Mode); running a
 * script is running the user's code (trusted workspaces only).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CommandId, WATCHING_RUN_CONTEXT } from '../commands';
import type { ExtensionConfig } from '../config';
import { Disposable } from '../disposable';
import type { PanelData } from '../panel/types';
import { executionGate } from '../trust';
import { runTrainingScript } from './run-script';
import { runName, RunWatch, type RunSnapshot } from './run-watch';

/** Where the runs are shown besides their diagnostics. */
export interface RunViews {
  /** Shows the run in the panel when it is open on it (or opens it there when `reveal`), and in the sidebar when that shows it. */
  showRun(data: PanelData, reveal: boolean): void;
  /** The run is no longer watched. */
  runClosed(folder: vscode.Uri): void;
}

/** What the run commands return, small enough for `executeCommand` callers (tests). */
export interface RunSummary {
  folder: string;
  /** The real step numbers read so far. */
  steps: number[];
  findings: { rule: string; file?: string; line: number }[];
  caughtUp: boolean;
  /** How the run ended (the log's end record), or null while it is written. */
  ended: string | null;
  error?: string;
}

export const RUN_DIAGNOSTICS = 'gradient-lens-runs';
const LOG_GLOB = '**/*.gl.jsonl';
/** Earlier runs moved aside by the hook, and folders no run writes to. */
const LOG_EXCLUDE = '**/{previous,node_modules,.git}/**';
/** A log written to this recently (ms) belongs to a run still training, worth offering when the window opens. */
const RECENT_MS = 120_000;
const NOT_A_RUN = 'Gradient Lens: pick a folder holding a training run\'s log (rank0.gl.jsonl, written by gradient_lens.watch or python -m gradient_lens run), or one log file.';

export function summaryOf(folder: vscode.Uri, s: RunSnapshot | undefined, error?: string): RunSummary {
  return {
    folder: folder.toString(),
    steps: s?.trace.steps.map((x) => x.step) ?? [],
    findings: s?.findings.map((f) => ({ rule: f.rule, ...(f.file ? { file: f.file } : {}), line: f.range.start.line })) ?? [],
    caughtUp: s?.caughtUp ?? false,
    ended: s?.trace.run?.ended ?? null,
    ...(error ? { error } : {}),
  };
}

/** Whether `inner` is `outer` or inside it. */
function within(inner: vscode.Uri, outer: vscode.Uri): boolean {
  const rel = path.relative(outer.fsPath, inner.fsPath);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export class TrainingRuns extends Disposable {
  private readonly watches = new Map<string, RunWatch>();
  private readonly diagnostics = this.own(vscode.languages.createDiagnosticCollection(RUN_DIAGNOSTICS));
  private readonly status = this.own(vscode.window.createStatusBarItem('gradientLens.trainingRun', vscode.StatusBarAlignment.Left, 49));
  private readonly changed = this.own(new vscode.EventEmitter<vscode.Uri>());
  /** A watched run was read again (or stopped): views and tests follow it. */
  readonly onDidChange = this.changed.event;
  /** Runs whose panel opens with their first data (the watch was asked for by the user). */
  private readonly revealOnData = new Set<string>();
  /** Folders offered for watching in this window: asked once. */
  private readonly offered = new Set<string>();
  /** The run the status bar shows: the last one read. */
  private current: RunWatch | undefined;
  views: RunViews | undefined;

  constructor(
    private readonly opts: {
      extensionUri: vscode.Uri;
      /** dist/run-worker.js */
      workerScript: string;
      log: vscode.LogOutputChannel;
      config(scope?: vscode.Uri): ExtensionConfig;
    },
  ) {
    super();
    this.status.name = 'Gradient Lens training run';
    this.status.command = CommandId.WatchTrainingRun;
    const logs = this.own(vscode.workspace.createFileSystemWatcher(LOG_GLOB, false, true, true));
    this.own(logs.onDidCreate((uri) => void this.offer(uri)));
    // A run already writing when the window opened (or before the watcher above was listening).
    void this.offerWritten();
  }

  /** Every run command, registered; the caller owns the registrations. */
  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand(CommandId.WatchTrainingRun, (arg?: unknown) => this.watchCommand(arg)),
      vscode.commands.registerCommand(CommandId.StopWatchingTrainingRun, (arg?: unknown) => this.stopCommand(arg)),
      vscode.commands.registerCommand(CommandId.RunTrainingScript, (arg?: unknown) => this.runScriptCommand(arg)),
    ];
  }

  /** The runs being watched. */
  list(): RunWatch[] {
    return [...this.watches.values()];
  }

  get(folder: vscode.Uri): RunWatch | undefined {
    return this.watches.get(folder.toString());
  }

  /** The watched run whose modules were built in this file (the newest read, when several are). */
  runFor(file: vscode.Uri): RunWatch | undefined {
    const key = file.toString();
    return this.list()
      .filter((w) => w.last?.files.some((f) => f.toString() === key))
      .sort((a, b) => (b.last?.publishedAt ?? 0) - (a.last?.publishedAt ?? 0))[0];
  }

  /** Starts following the run in `target` (a folder, or one log file); `reveal` opens the panel on it with its first data. */
  watch(target: vscode.Uri, reveal: boolean): RunWatch {
    const key = target.toString();
    let w = this.watches.get(key);
    if (reveal) this.revealOnData.add(key);
    if (w) {
      if (reveal && w.last) this.show(w, true);
      return w;
    }
    const config = this.opts.config(target);
    w = new RunWatch(target, this.diagnostics, {
      extensionUri: this.opts.extensionUri,
      workerScript: this.opts.workerScript,
      refreshMs: config.runRefreshMs,
      rules: config.rules,
      log: this.opts.log,
    });
    this.watches.set(key, w);
    const watch = w;
    watch.onUpdate(() => {
      this.current = watch;
      this.show(watch, this.revealOnData.delete(key));
    });
    watch.onError((message) => {
      this.current = watch;
      this.render();
      this.changed.fire(target);
      if (this.revealOnData.delete(key)) void vscode.window.showErrorMessage(`Gradient Lens: ${message}`);
    });
    this.opts.log.info(`watching the training run in ${target.fsPath}`);
    this.current = w;
    void vscode.commands.executeCommand('setContext', WATCHING_RUN_CONTEXT, true);
    this.render();
    return w;
  }

  /** The rules again on every watched run (their settings changed). */
  refresh(): void {
    for (const w of this.list()) w.reconfigure(this.opts.config(w.folder).rules);
  }

  /** Stops following a run: its diagnostics go, the views say it is no longer watched. */
  stop(folder: vscode.Uri): void {
    const key = folder.toString();
    const w = this.watches.get(key);
    if (!w) return;
    this.watches.delete(key);
    this.revealOnData.delete(key);
    w.dispose();
    if (this.current === w) this.current = this.list()[0];
    this.opts.log.info(`stopped watching the training run in ${folder.fsPath}`);
    void vscode.commands.executeCommand('setContext', WATCHING_RUN_CONTEXT, this.watches.size > 0);
    this.views?.runClosed(folder);
    this.render();
    this.changed.fire(folder);
  }

  private show(w: RunWatch, reveal: boolean): void {
    const data = w.panelData();
    if (data) this.views?.showRun(data, reveal);
    this.render();
    this.changed.fire(w.folder);
  }

  /** "Watch Training Run": the folder or file given, else one picked among the workspace's logs or browsed to. */
  async watchCommand(arg?: unknown): Promise<RunSummary | undefined> {
    const target = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.parse(arg) : await this.pick();
    if (!target) return undefined;
    if (target.scheme !== 'file') {
      void vscode.window.showErrorMessage(`Gradient Lens: training-run logs are read from the local disk; ${target.toString(true)} is not on it.`);
      return undefined;
    }
    try {
      await vscode.workspace.fs.stat(target);
    } catch {
      void vscode.window.showErrorMessage(`Gradient Lens: ${target.fsPath}: no such file or folder.`);
      return undefined;
    }
    const w = this.watch(target, true);
    if (!w.last && !w.error) void vscode.window.setStatusBarMessage(`Gradient Lens: watching ${runName(target)}; waiting for the log`, 5000);
    return summaryOf(target, w.last, w.error);
  }

  private async stopCommand(arg?: unknown): Promise<void> {
    const given = arg instanceof vscode.Uri ? arg : undefined;
    if (given) return this.stop(given);
    const list = this.list();
    if (list.length <= 1) return list[0] && this.stop(list[0].folder);
    const picked = await vscode.window.showQuickPick(
      list.map((w) => ({ label: runName(w.folder), description: w.last ? `step ${w.last.trace.steps.at(-1)?.step ?? '–'}` : 'waiting for the log', w })),
      { title: 'Stop watching which training run?' },
    );
    if (picked) this.stop(picked.w.folder);
  }

  /** The run folders in the workspace (newest first), then Browse…. */
  private async pick(): Promise<vscode.Uri | undefined> {
    const logs = await vscode.workspace.findFiles(LOG_GLOB, LOG_EXCLUDE, 1000);
    const folders = new Map<string, { uri: vscode.Uri; mtime: number; files: number }>();
    for (const log of logs) {
      const dir = vscode.Uri.joinPath(log, '..');
      let mtime = 0;
      try {
        mtime = (await vscode.workspace.fs.stat(log)).mtime;
      } catch {
        continue;
      }
      const f = folders.get(dir.toString()) ?? { uri: dir, mtime: 0, files: 0 };
      f.mtime = Math.max(f.mtime, mtime);
      f.files++;
      folders.set(dir.toString(), f);
    }
    type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
    const items: Item[] = [...folders.values()]
      .sort((a, b) => b.mtime - a.mtime)
      .map((f) => ({ label: `$(folder) ${runName(f.uri)}`, description: `${f.files} log file${f.files === 1 ? '' : 's'}`, detail: `last written ${new Date(f.mtime).toLocaleString()}`, uri: f.uri }));
    items.push({ label: '$(folder-opened) Browse…', description: 'a run folder or a .gl.jsonl file anywhere' });
    const picked = items.length > 1 ? await vscode.window.showQuickPick(items, { title: 'Watch which training run?', matchOnDescription: true }) : items[0];
    if (!picked) return undefined;
    if (picked.uri) return picked.uri;
    const chosen = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      openLabel: 'Watch',
      filters: { 'Gradient Lens run logs': ['jsonl'] },
    });
    const uri = chosen?.[0];
    if (uri && !uri.path.endsWith('.gl.jsonl') && (await vscode.workspace.fs.stat(uri)).type !== vscode.FileType.Directory) {
      void vscode.window.showErrorMessage(NOT_A_RUN);
      return undefined;
    }
    return uri;
  }

  /** Logs in the workspace written to within the last RECENT_MS: their runs are offered as if they had just appeared. */
  private async offerWritten(): Promise<void> {
    const logs = await vscode.workspace.findFiles(LOG_GLOB, LOG_EXCLUDE, 1000);
    const now = Date.now();
    for (const log of logs) {
      try {
        if (now - (await vscode.workspace.fs.stat(log)).mtime <= RECENT_MS) void this.offer(log);
      } catch {
        // Gone meanwhile: nothing to offer.
      }
    }
  }

  /** A log appeared in the workspace: offer to watch its folder, once, unless switched off. */
  private async offer(log: vscode.Uri): Promise<void> {
    const folder = vscode.Uri.joinPath(log, '..');
    const key = folder.toString();
    if (/[\\/]previous[\\/]/.test(log.path) || this.offered.has(key) || !this.opts.config(log).offerToWatchRuns) return;
    if (this.list().some((w) => within(folder, w.folder) || within(log, w.folder))) return;
    this.offered.add(key);
    const choice = await vscode.window.showInformationMessage(`Gradient Lens: a training run is writing its log in ${runName(folder)}. Watch its gradients as it trains?`, 'Watch', "Don't Ask Again");
    if (choice === 'Watch') await this.watchCommand(folder);
    else if (choice === "Don't Ask Again") await vscode.workspace.getConfiguration('gradientLens', log).update('offerToWatchRuns', false, vscode.ConfigurationTarget.Workspace);
  }

  /** "Run Training Script with Gradient Lens": the .py file given or active, saved, run under the hook in a terminal; its log watched. */
  async runScriptCommand(arg?: unknown): Promise<{ script: string; logDir: string; command: string[] } | undefined> {
    const gate = executionGate('user-code');
    if (!gate.allowed) {
      void vscode.window.showWarningMessage(`Gradient Lens: running a training script runs code from the workspace: ${gate.reason}.`, 'Manage Workspace Trust').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return undefined;
    }
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    const doc = uri && (await vscode.workspace.openTextDocument(uri));
    if (!doc || !(doc.languageId === 'python' || doc.uri.path.endsWith('.py')) || doc.uri.scheme !== 'file') {
      void vscode.window.showWarningMessage('Gradient Lens: open the training script (a .py file on disk) to run it with Gradient Lens.');
      return undefined;
    }
    if (doc.isDirty && !(await doc.save())) {
      void vscode.window.showWarningMessage(`Gradient Lens: ${path.basename(doc.uri.fsPath)} could not be saved; it was not run.`);
      return undefined;
    }
    const config = this.opts.config(doc.uri);
    try {
      const run = await runTrainingScript(this.opts.extensionUri, doc.uri, config, this.opts.log);
      // Watch before the script writes anything: the watch starts reading when the log appears.
      this.offered.add(run.logDir.toString());
      const w = this.watch(run.logDir, true);
      const ended = this.own(
        vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution !== run.execution) return;
          ended.dispose();
          const name = path.basename(doc.uri.fsPath);
          this.opts.log.info(`${name} with Gradient Lens exited with code ${e.exitCode ?? 'unknown'}`);
          // Read what the last moments wrote (the end record) without waiting for a file event.
          w.kick();
          if (e.exitCode) void vscode.window.showWarningMessage(`Gradient Lens: ${name} exited with code ${e.exitCode}; its output is in the terminal.`);
        }),
      );
      return { script: doc.uri.fsPath, logDir: run.logDir.fsPath, command: run.command };
    } catch (e) {
      void vscode.window.showErrorMessage(`Gradient Lens: ${path.basename(doc.uri.fsPath)} could not be started: ${(e as Error).message}`);
      return undefined;
    }
  }

  private render(): void {
    const w = this.current && this.watches.get(this.current.folder.toString()) === this.current ? this.current : this.list()[0];
    if (!w) return this.status.hide();
    const others = this.watches.size > 1 ? ` (+${this.watches.size - 1})` : '';
    const name = runName(w.folder);
    const s = w.last;
    this.status.backgroundColor = undefined;
    if (w.error) {
      this.status.text = `$(error) ∇ ${name}${others}`;
      this.status.tooltip = `Gradient Lens: the training run in ${name} cannot be read: ${w.error}`;
      this.status.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (!s) {
      this.status.text = `$(eye) ∇ ${name}: waiting${others}`;
      this.status.tooltip = `Gradient Lens: watching ${name}; no log written there yet.`;
    } else {
      const step = s.trace.steps.at(-1)?.step;
      const n = s.findings.length;
      const errors = s.findings.filter((f) => f.severity === 'error').length;
      const ended = s.trace.run?.ended;
      this.status.text = `${s.caughtUp ? (ended ? '$(eye)' : '$(pulse)') : '$(sync~spin)'} ∇ ${step !== undefined ? `step ${step}` : name} · ${n} finding${n === 1 ? '' : 's'}${others}`;
      this.status.tooltip = `Gradient Lens: training run in ${name}, ${ended ? `ended: ${ended}` : s.caughtUp ? 'live' : 'reading the log'}; ${s.trace.steps.length} recorded steps read, ${n ? `${n} finding${n === 1 ? '' : 's'}` : 'gradients look healthy'}. Click to show its charts.`;
      if (errors) this.status.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    }
    this.status.command = { command: CommandId.WatchTrainingRun, title: 'Show the training run', arguments: [w.folder] };
    this.status.show();
  }

  protected override onDispose(): void {
    for (const w of this.watches.values()) w.dispose();
    this.watches.clear();
  }
}
