/**
 * Entry point. `activate` only wires the controller, its back ends, the views, providers and
 * commands: no model code runs in the extension host (spec files are traced in a worker thread,
 * TypeScript models in a child process), so activation stays cheap, and the first worker starts
 * when the first model file is opened.
 */
import { loadStarted } from './load-clock';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ToWebview } from '../protocol';
import type { Trace } from '../trace/types';
import type { ResolvedFinding } from '../worker/messages';
import { FindingFixProvider } from './code-actions';
import { TraceCodeLensProvider } from './code-lens';
import { readConfig, SECTION, type ExtensionConfig } from './config';
import { COLLECTION_NAME } from './diagnostics';
import { CommandHandlers } from './handlers';
import { ModelController } from './models/controller';
import { PythonBackend } from './models/python-backend';
import { SidecarLensProvider, traceThisModel } from './python-sidecar';
import { CommandId } from './commands';
import { SpecBackend } from './models/spec-backend';
import type { FileRun, RunStats } from './models/types';
import { TypeScriptBackend } from './models/typescript-backend';
import { SPEC_TRIGGERS, SpecEditing } from './spec-editing';
import { SpecProblemFixes } from './spec-problem-fixes';
import { GettingStarted } from './starting';
import { FindingsStatusItem } from './status-bar';
import { executionGate } from './trust';
import { summaryOf, TrainingRuns, type RunSummary } from './runs/runs';
import { ModelViews } from './views';

/** Imports are evaluated before this line: loadStarted → here is the time our code takes to load. */
const loaded = performance.now();

/** What the integration tests read, so they wait for a run instead of sleeping. */
export interface GradientLensApi {
  /** The file's last published run, any kind (`publishedAt`: performance.now() in this host when its diagnostics were set). */
  lastRun(uri: vscode.Uri): FileRun | undefined;
  /** The first model of the last run: its trace and findings. */
  lastTrace(uri: vscode.Uri): { trace: Trace; findings: ResolvedFinding[]; durationMs: number; quick: boolean; version: number; publishedAt: number } | undefined;
  whenIdle(uri: vscode.Uri): Promise<void>;
  executionGate: typeof executionGate;
  /** Runs of spec files: started, quick, ended by a newer edit, ended early for any reason. */
  stats(): RunStats;
  /**
   * Milliseconds: evaluating the bundle; from then until VS Code called activate() (it loads the
   * extension's storage meanwhile, not our cost); and the body of activate().
   */
  activation: { loadMs: number; waitMs: number; activateMs: number };
  /** Runs of decorated TypeScript models (one child process each). */
  typescript: { stats(): RunStats };
  /** Runs of PyTorch source files (in the trace worker, like specs). */
  python: { stats(): RunStats };
  /** What the sidebar shows (its last message), what the panel shows while open, and what the status bar item says. */
  views: { sidebar(): ToWebview; panel(): ToWebview | undefined; statusBar(): { text: string; tooltip: string; visible: boolean } };
  /** Training runs being watched: what has been read of each. */
  runs: { list(): RunSummary[] };
}

/** Every model file the back ends read: spec files (on disk and in other file systems), TypeScript models, PyTorch files. */
const MODEL_SELECTOR: vscode.DocumentSelector = [
  { pattern: '**/*.grad.{yaml,yml,json}' },
  { language: 'typescript' },
  { pattern: '**/*.{ts,mts,cts}' },
  { language: 'python' },
  { pattern: '**/*.py' },
];
/** Spec files: our own completion, hover and the parser's quick fixes. */
const SPEC_SELECTOR: vscode.DocumentSelector = [{ pattern: '**/*.grad.{yaml,yml,json}' }];

export function activate(context: vscode.ExtensionContext): GradientLensApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Gradient Lens', { log: true });
  const extensionUri = context.extensionUri;

  let reported = '';
  const config = (scope?: vscode.Uri): ExtensionConfig => {
    const { config: c, problems } = readConfig(scope);
    // Bad settings are shown once per change, not on every keystroke; the default stays in force,
    // so a typo never switches a rule off silently.
    const now = problems.join('\n');
    if (now && now !== reported) {
      for (const p of problems) log.warn(`setting ignored: ${p}`);
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more, see the Gradient Lens output)` : '';
      void vscode.window.showWarningMessage(`Gradient Lens: setting ignored: ${problems[0]}${more}`, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'gradientLens');
      });
    }
    reported = now;
    return c;
  };

  const diagnostics = vscode.languages.createDiagnosticCollection(COLLECTION_NAME);
  const problemFixes = new SpecProblemFixes();
  const spec = new SpecBackend(path.join(context.extensionPath, 'dist', 'trace-worker.js'), log, problemFixes);
  const typescript = new TypeScriptBackend(context.extensionPath, log);
  const python = new PythonBackend(path.join(context.extensionPath, 'dist', 'trace-worker.js'), log);
  const controller = new ModelController([spec, typescript, python], diagnostics, { extensionUri, config: (uri) => config(uri) });
  const handlers = new CommandHandlers(controller, extensionUri, log);
  const runs = new TrainingRuns({ extensionUri, workerScript: path.join(context.extensionPath, 'dist', 'run-worker.js'), log, config: (uri) => config(uri) });
  const base = handlers.panelContext();
  // The sidebar's "Open chart panel" on a training run opens the panel on the run.
  const panelContext = { ...base, openPanel: async (uri: vscode.Uri) => void (runs.get(uri) ? runs.watch(uri, true) : await base.openPanel(uri)) };
  const views = new ModelViews(panelContext, controller, (uri) => handlers.backgroundTrace(uri), runs, context.workspaceState);
  handlers.views = views;
  const editing = new SpecEditing(context.extensionPath);
  const starting = new GettingStarted(context.extension, (syntax) => editing.load().skeletonText(syntax), log);
  handlers.starting = starting;
  const codeLens = new TraceCodeLensProvider(controller, (uri) => config(uri).codeLens);
  const sidecarLens = new SidecarLensProvider((uri) => config(uri).codeLens);
  const statusBar = new FindingsStatusItem(controller);

  context.subscriptions.push(
    log,
    diagnostics,
    controller,
    runs,
    views,
    codeLens,
    statusBar,
    vscode.languages.registerCodeLensProvider(MODEL_SELECTOR, codeLens),
    sidecarLens,
    vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, sidecarLens),
    vscode.commands.registerCommand(CommandId.TraceThisModel, traceThisModel),
    vscode.languages.registerCodeActionsProvider(MODEL_SELECTOR, new FindingFixProvider(controller), FindingFixProvider.metadata),
    ...handlers.register(),
    ...runs.register(),
    ...starting.register(),
    vscode.languages.registerCompletionItemProvider(SPEC_SELECTOR, editing, ...SPEC_TRIGGERS),
    vscode.languages.registerHoverProvider(SPEC_SELECTOR, editing),
    vscode.languages.registerCodeActionsProvider(SPEC_SELECTOR, problemFixes, SpecProblemFixes.metadata),
    // The walkthrough's "fix it" step: the example's copy traced with no findings.
    controller.onDidChange((uri) => {
      const run = controller.result(uri);
      if (run && controller.status(uri)?.state !== 'running') starting.published(uri, run.models.length > 0 && !run.failures.length, run.models.reduce((n, m) => n + m.findings.length, 0));
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      log.info('settings changed: re-tracing open model files');
      codeLens.refresh();
      controller.retraceAll();
      runs.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log.info('workspace trusted: model code may run from now on');
      controller.retraceAll();
    }),
  );

  const activateMs = performance.now() - started;
  const loadMs = loaded - loadStarted;
  const waitMs = started - loaded;
  log.info(`activated: bundle evaluated in ${loadMs.toFixed(1)} ms, activate() took ${activateMs.toFixed(1)} ms; workspace ${executionGate('user-code').trust}`);

  return {
    lastRun: (uri) => controller.result(uri),
    lastTrace: (uri) => {
      const run = controller.result(uri);
      const m = run?.models[0];
      return run && m && { trace: m.trace, findings: m.findings, durationMs: run.durationMs, quick: run.quick, version: run.version, publishedAt: run.publishedAt };
    },
    whenIdle: (uri) => controller.whenIdle(uri),
    executionGate,
    stats: () => ({ ...spec.stats }),
    activation: { loadMs, waitMs, activateMs },
    typescript: { stats: () => ({ ...typescript.stats }) },
    python: { stats: () => ({ ...python.stats }) },
    views: { sidebar: () => views.sidebar.shown(), panel: () => views.panelShown(), statusBar: () => statusBar.shown() },
    runs: { list: () => runs.list().map((w) => summaryOf(w.folder, w.last, w.error)) },
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions; worker threads and child processes end with their runs.
}
