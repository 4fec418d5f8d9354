/**
 * Entry point. `activate` only wires listeners, providers and commands: no model code runs in the
 * extension host (parsing, tracing and the rules live in the worker bundle), so activation stays
 * cheap, and the first worker thread starts when the first model file is opened.
 */
import { loadStarted } from './load-clock';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RangeView } from '../protocol';
import type { Trace } from '../trace/types';
import type { ResolvedFinding } from '../worker/messages';
import { FindingFixProvider } from './code-actions';
import { TraceCodeLensProvider } from './code-lens';
import { CommandId, MODEL_FILE } from './commands';
import { readConfig, SECTION, type ExtensionConfig } from './config';
import { COLLECTION_NAME, findingView, toRange } from './diagnostics';
import { DocumentController, isModelDocument, type TraceResult } from './documents';
import type { PanelContext } from './panel/types';
import { FindingsStatusItem } from './status-bar';
import { executionGate } from './trust';
import { TRACE_MODEL_COMMAND, TsCodeLensProvider, TsModelController, type TsOutcome } from './ts-models';
import type { TracedModelView } from './ts-host';
import type { PanelData } from './panel/types';
import { ModelViews } from './views';

/** Imports are evaluated before this line: loadStarted → here is the time our code takes to load. */
const loaded = performance.now();

/** What the integration tests read, so they wait for a trace instead of sleeping. */
export interface GradientLensApi {
  /** `publishedAt`: performance.now() when its diagnostics were set (same clock as the tests in this host). */
  lastTrace(uri: vscode.Uri): { trace: Trace; findings: ResolvedFinding[]; durationMs: number; quick: boolean; version: number; publishedAt: number } | undefined;
  whenIdle(uri: vscode.Uri): Promise<void>;
  executionGate: typeof executionGate;
  /** Quick traces started, and those ended early because a newer edit arrived. */
  stats(): { quickRuns: number; superseded: number };
  /**
   * Milliseconds: evaluating the bundle; from then until VS Code called activate() (it loads the
   * extension's storage meanwhile, not our cost); and the body of activate().
   */
  activation: { loadMs: number; waitMs: number; activateMs: number };
  /** Decorated TypeScript models: runs started (one child process each) and aborted; the last published run. */
  typescript: {
    stats(): { runs: number; aborted: number };
    whenIdle(uri: vscode.Uri): Promise<void>;
    lastRun(uri: vscode.Uri): TsOutcome | undefined;
  };
}

/** TypeScript model files: where the per-class CodeLenses go. */
const TS_SELECTOR: vscode.DocumentSelector = [{ language: 'typescript' }, { pattern: '**/*.{ts,mts,cts}' }];

/** Model selectors: spec files on disk and in other file systems (remote, virtual). */
const SPEC_SELECTOR: vscode.DocumentSelector = [
  { pattern: '**/*.grad.{yaml,yml,json}' },
];

export function activate(context: vscode.ExtensionContext): GradientLensApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Gradient Lens', { log: true });
  const extensionUri = context.extensionUri;
  const workerScript = path.join(context.extensionPath, 'dist', 'trace-worker.js');

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
  const controller = new DocumentController({ extensionUri, workerScript, log, config: (uri) => config(uri) }, diagnostics);

  const tsModels = new TsModelController({ extensionPath: context.extensionPath, extensionUri, log, config: (uri) => config(uri) }, diagnostics);
  /** The class each TypeScript file's panel shows, so Re-trace in the panel traces it again. */
  const panelClass = new Map<string, string>();

  const resolveDocument = async (arg: unknown): Promise<vscode.TextDocument | undefined> => {
    const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.parse(arg) : undefined;
    if (uri) return MODEL_FILE.test(uri.path) ? vscode.workspace.openTextDocument(uri) : undefined;
    const active = vscode.window.activeTextEditor?.document;
    if (active && isModelDocument(active)) return active;
    return vscode.window.visibleTextEditors.map((e) => e.document).find(isModelDocument);
  };

  /** The full trace: `notify` shows a cancellable notification, otherwise the status bar shows progress. */
  const fullTrace = async (doc: vscode.TextDocument, notify: boolean): Promise<TraceResult | undefined> => {
    const name = path.basename(doc.uri.path);
    const location = notify ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window;
    const { outcome, result } = await vscode.window.withProgress(
      { location, title: `Gradient Lens: tracing ${name}`, cancellable: notify },
      (progress, token) => {
        let last = 0;
        return controller.fullTrace(doc, token, (step, of) => {
          const pct = (100 * step) / of;
          progress.report({ message: `step ${step} of ${of}`, increment: pct - last });
          last = pct;
        });
      },
    );
    switch (outcome.kind) {
      case 'traced':
        return result;
      case 'cancelled':
        if (outcome.reason === 'user') void vscode.window.showInformationMessage(`Gradient Lens: the trace of ${name} was cancelled.`);
        return undefined;
      case 'invalid':
        void vscode.window.showErrorMessage(`Gradient Lens: ${name} has errors; see the Problems panel.`);
        return undefined;
      case 'timeout':
        void vscode.window.showWarningMessage(`Gradient Lens: the trace of ${name} took longer than ${outcome.limitMs} ms (gradientLens.timeLimitMs) and was stopped.`);
        return undefined;
      default:
        void vscode.window.showErrorMessage(`Gradient Lens: ${name} could not be traced: ${outcome.message}`);
        return undefined;
    }
  };

  const traceGradients = async (arg?: unknown) => {
    const doc = await resolveDocument(arg);
    if (!doc) {
      void vscode.window.showWarningMessage('Gradient Lens: open a model file (*.grad.yaml, *.grad.yml or *.grad.json) to trace its gradients.');
      return undefined;
    }
    const result = await fullTrace(doc, true);
    if (result) views.showPanel(result);
    return summary(result);
  };

  const tsPanelData = (uri: vscode.Uri, m: TracedModelView): PanelData => ({
    uri,
    fileName: `${path.basename(uri.path)} · ${m.className}`,
    trace: m.trace,
    findings: m.findings.map(findingView),
    quick: false,
    layers: m.layers,
  });

  /** The CodeLens of a @model class: the full trace of its file, then the panel with that class's trace. */
  const traceModel = async (arg: unknown, className?: unknown, show = true) => {
    const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.parse(arg) : vscode.window.activeTextEditor?.document.uri;
    if (!uri) return undefined;
    const doc = await vscode.workspace.openTextDocument(uri);
    const name = typeof className === 'string' ? className : panelClass.get(uri.toString()) ?? tsModels.declared(doc)[0]?.className;
    const outcome = await vscode.window.withProgress(
      { location: show ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window, title: `Gradient Lens: tracing ${name ?? path.basename(uri.path)}`, cancellable: show },
      (_progress, token) => tsModels.fullTrace(doc, token),
    );
    if ('error' in outcome) {
      void vscode.window.showWarningMessage(`Gradient Lens: ${outcome.error}`);
      return undefined;
    }
    const model = outcome.run.models.find((m) => m.className === name);
    if (!model) {
      const error = outcome.run.errors.find((e) => e.className === name) ?? outcome.run.errors[0];
      void vscode.window.showErrorMessage(`Gradient Lens: ${name ?? path.basename(uri.path)} could not be traced: ${error?.message ?? 'no such @model class'}`);
      return { uri: uri.toString(), className: name, steps: 0, findings: [], errors: outcome.run.errors.map((e) => e.kind) };
    }
    panelClass.set(uri.toString(), model.className);
    if (show) views.showPanelData(tsPanelData(uri, model));
    else views.updatePanelData(tsPanelData(uri, model));
    return { uri: uri.toString(), className: model.className, steps: model.trace.steps.length, findings: model.findings.map((f) => f.rule), errors: outcome.run.errors.map((e) => e.kind) };
  };

  /** Re-trace (sidebar, panel): the full trace again, shown where it is already shown. */
  const retrace = async (arg?: unknown) => {
    const target = arg instanceof vscode.Uri ? arg : undefined;
    if (target && tsModels.handles(target)) return traceModel(target, undefined, false);
    const doc = await resolveDocument(arg);
    if (!doc) return undefined;
    const result = await fullTrace(doc, false);
    if (result) views.showResult(result);
    return summary(result);
  };

  const showPanel = async (arg?: unknown) => {
    const doc = await resolveDocument(arg);
    const result = doc && controller.result(doc.uri);
    if (!result) return traceGradients(doc?.uri ?? arg);
    views.showPanel(result);
    return summary(result);
  };

  const reveal = async (uri: vscode.Uri, range: RangeView): Promise<void> => {
    const doc = await vscode.workspace.openTextDocument(uri);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const r = toRange(range);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One, selection: new vscode.Selection(r.start, r.end) });
    editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  };

  const exportFile = async (name: string, format: 'png' | 'csv', data: string): Promise<void> => {
    let bytes: Uint8Array;
    if (format === 'png') {
      const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(data);
      if (!m) return log.warn('export: the panel sent a PNG that is not a base64 data URL; ignored');
      bytes = Buffer.from(m[1], 'base64');
    } else bytes = Buffer.from(data, 'utf8');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const defaultUri = folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(path.join(os.homedir(), name));
    const target = await vscode.window.showSaveDialog({ defaultUri, filters: format === 'png' ? { 'PNG image': ['png'] } : { CSV: ['csv'] } });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    log.info(`exported ${format.toUpperCase()} (${bytes.length} bytes) to ${target.toString(true)}`);
    void vscode.window.showInformationMessage(`Gradient Lens: saved ${path.basename(target.path)}`);
  };

  const panelContext: PanelContext = {
    extensionUri,
    log,
    reveal,
    retrace: async (uri) => void (await retrace(uri)),
    openPanel: async (uri) => void (await showPanel(uri)),
    exportFile,
  };

  const views = new ModelViews(panelContext, controller, async (uri) => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!doc) return;
    const result = await fullTrace(doc, false);
    if (result) views.showResult(result);
  });

  const codeLens = new TraceCodeLensProvider(controller, (uri) => config(uri).codeLens);
  const tsCodeLens = new TsCodeLensProvider(tsModels, (uri) => config(uri).codeLens);

  context.subscriptions.push(
    log,
    diagnostics,
    controller,
    views,
    codeLens,
    tsModels,
    tsCodeLens,
    vscode.languages.registerCodeLensProvider(TS_SELECTOR, tsCodeLens),
    vscode.commands.registerCommand(TRACE_MODEL_COMMAND, (uri: unknown, className: unknown) => traceModel(uri, className)),
    new FindingsStatusItem(controller),
    vscode.languages.registerCodeActionsProvider(SPEC_SELECTOR, new FindingFixProvider(controller), FindingFixProvider.metadata),
    vscode.languages.registerCodeLensProvider(SPEC_SELECTOR, codeLens),
    vscode.commands.registerCommand(CommandId.TraceGradients, traceGradients),
    vscode.commands.registerCommand(CommandId.Retrace, retrace),
    vscode.commands.registerCommand(CommandId.ShowPanel, showPanel),
    vscode.commands.registerCommand(CommandId.RevealLayer, (uri: unknown, range: RangeView) =>
      reveal(uri instanceof vscode.Uri ? uri : vscode.Uri.parse(String(uri)), range),
    ),
    vscode.commands.registerCommand(CommandId.OpenExample, async () => {
      // The article's seed model with the saturated Sigmoid shows a finding at once; the plain seed is the fallback.
      for (const name of ['seed-saturated.grad.yaml', 'seed.grad.yaml']) {
        const seed = vscode.Uri.joinPath(extensionUri, 'examples', name);
        try {
          await vscode.workspace.fs.stat(seed);
        } catch {
          continue;
        }
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(seed), { preview: false });
        return seed.toString();
      }
      void vscode.window.showErrorMessage('Gradient Lens: the example models are missing from the extension folder.');
      return undefined;
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      log.info('settings changed: re-tracing open model files');
      codeLens.refresh();
      tsCodeLens.refresh();
      controller.retraceAll();
      tsModels.retraceAll();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log.info('workspace trusted: model code may run from now on');
      controller.retraceAll();
      tsModels.retraceAll();
    }),
  );

  const activateMs = performance.now() - started;
  const loadMs = loaded - loadStarted;
  const waitMs = started - loaded;
  const gate = executionGate('user-code');
  log.info(`activated: bundle evaluated in ${loadMs.toFixed(1)} ms, activate() took ${activateMs.toFixed(1)} ms; workspace ${gate.trust}`);

  return {
    lastTrace: (uri) => {
      const r = controller.result(uri);
      return r && { trace: r.trace, findings: r.findings, durationMs: r.durationMs, quick: r.quick, version: r.version, publishedAt: r.publishedAt };
    },
    whenIdle: (uri) => controller.whenIdle(uri),
    executionGate,
    stats: () => ({ ...controller.stats }),
    activation: { loadMs, waitMs, activateMs },
    typescript: {
      stats: () => ({ ...tsModels.stats }),
      whenIdle: (uri) => tsModels.whenIdle(uri),
      lastRun: (uri) => tsModels.result(uri),
    },
  };
}

/** What the trace commands return: small, so `executeCommand` callers (tests, walkthrough) can read it. */
function summary(result: TraceResult | undefined) {
  return result && { uri: result.uri.toString(), steps: result.trace.steps.length, findings: result.findings.map((f) => f.rule), quick: result.quick };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions; worker threads end with their runners.
}
