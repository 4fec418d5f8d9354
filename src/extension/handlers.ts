/**
 * What the commands do, for every kind of model file: Trace Gradients (a model's full run, then its
 * charts), Re-trace, Show Gradient Panel, revealing a range, exporting a chart, opening the example.
 * `activate()` only registers these; the views call back into them through the PanelContext.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RangeView } from '../protocol';
import { CommandId } from './commands';
import { toRange } from './diagnostics';
import { openDocument } from './document-watch';
import type { ModelController } from './models/controller';
import type { FileRun } from './models/types';
import type { PanelContext } from './panel/types';
import { applyFindingFix, FIX_NOT_APPLIED } from './apply-fix';
import type { GettingStarted } from './starting';
import type { ModelViews } from './views';

/** What the trace commands return: small, so `executeCommand` callers (tests, walkthrough) can read it. */
export interface TraceSummary {
  uri: string;
  /** The model shown: the @model class, or the spec's file name. */
  model: string | undefined;
  className: string | undefined;
  steps: number;
  /** Rule ids of its findings. */
  findings: string[];
  quick: boolean;
  /** Kinds of the failures of the file's models that could not run. */
  errors: string[];
}

const OPEN_A_MODEL = 'Gradient Lens: open a model file (*.grad.yaml, *.grad.yml or *.grad.json, or a TypeScript file with @model classes) to trace its gradients.';

export class CommandHandlers {
  /** Set once the views exist (they need these handlers for their own context first). */
  views: ModelViews | undefined;
  /** The ways in for a newcomer: the welcome buttons, the example (set by activate()). */
  starting: GettingStarted | undefined;

  constructor(
    private readonly controller: ModelController,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Every command, registered; the caller owns the registrations. */
  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand(CommandId.TraceGradients, (arg?: unknown, model?: unknown) => this.traceGradients(arg, model)),
      vscode.commands.registerCommand(CommandId.TraceModel, (arg?: unknown, model?: unknown) => this.traceGradients(arg, model)),
      vscode.commands.registerCommand(CommandId.Retrace, (arg?: unknown) => this.retrace(arg)),
      vscode.commands.registerCommand(CommandId.ShowPanel, (arg?: unknown) => this.showPanel(arg)),
      vscode.commands.registerCommand(CommandId.RevealLayer, (uri: unknown, range: RangeView) => this.reveal(uri instanceof vscode.Uri ? uri : vscode.Uri.parse(String(uri)), range)),
      vscode.commands.registerCommand(CommandId.OpenExample, () => this.openExample()),
    ];
  }

  /** The webviews' side of the host: what their buttons and links do. */
  panelContext(): PanelContext {
    return {
      extensionUri: this.extensionUri,
      log: this.log,
      reveal: (uri, range) => this.reveal(uri, range),
      retrace: async (uri) => void (await this.retrace(uri)),
      openPanel: async (uri) => void (await this.showPanel(uri)),
      exportFile: (name, format, data) => this.exportFile(name, format, data),
      applyFix: (uri, rule, layer, title) => this.applyFix(uri, rule, layer, title),
      run: async (command) => void (await this.starting?.run(command)),
    };
  }

  /** A fix button in the panel: the fix of the file's latest run, applied to the text it was made for. */
  async applyFix(uri: vscode.Uri, rule: string, layer: string, title: string): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const run = this.controller.result(uri);
    const outcome = await applyFindingFix(doc, run && { version: run.version, findings: run.models.flatMap((m) => m.findings), reads: run.reads }, rule, layer, title);
    this.log.info(`fix "${title}" (${rule} on ${layer || 'the model'}): ${outcome}`);
    if (outcome !== 'applied') void vscode.window.showWarningMessage(FIX_NOT_APPLIED[outcome]);
  }

  /** The full run of a model, then its charts in the panel. `model` picks one class of a TypeScript file. */
  async traceGradients(arg?: unknown, model?: unknown): Promise<TraceSummary | undefined> {
    const doc = await this.resolveDocument(arg);
    if (!doc) {
      void vscode.window.showWarningMessage(OPEN_A_MODEL);
      return undefined;
    }
    const name = typeof model === 'string' ? model : undefined;
    const run = await this.fullTrace(doc, true, name);
    if (!run) return undefined;
    if (name && !run.models.some((m) => m.name === name)) {
      return { uri: doc.uri.toString(), model: name, className: name, steps: 0, findings: [], quick: run.quick, errors: run.failures.map((f) => f.kind) };
    }
    this.views?.showPanel(doc.uri, run, name);
    return this.summary(doc.uri, run);
  }

  /** Re-trace (sidebar, panel): the full run again, shown where it is already shown. */
  async retrace(arg?: unknown): Promise<TraceSummary | undefined> {
    const doc = await this.resolveDocument(arg);
    if (!doc) return undefined;
    const run = await this.fullTrace(doc, false);
    if (run) this.views?.showResult(doc.uri, run);
    return run && this.summary(doc.uri, run);
  }

  /** The panel with the file's last run, or a full run first when it has none. */
  async showPanel(arg?: unknown): Promise<TraceSummary | undefined> {
    const doc = await this.resolveDocument(arg);
    const run = doc && this.controller.result(doc.uri);
    if (!doc || !run?.models.length) return this.traceGradients(doc?.uri ?? arg);
    this.views?.showPanel(doc.uri, run);
    return this.summary(doc.uri, run);
  }

  /** The quiet full run behind an open panel after each quick run of its file. */
  async backgroundTrace(uri: vscode.Uri): Promise<void> {
    const doc = openDocument(uri);
    if (!doc) return;
    const run = await this.fullTrace(doc, false);
    if (run) this.views?.showResult(uri, run);
  }

  async reveal(uri: vscode.Uri, range: RangeView): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const r = toRange(range);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One, selection: new vscode.Selection(r.start, r.end) });
    editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  async exportFile(name: string, format: 'png' | 'csv', data: string): Promise<void> {
    let bytes: Uint8Array;
    if (format === 'png') {
      const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(data);
      if (!m) return this.log.warn('export: the panel sent a PNG that is not a base64 data URL; ignored');
      bytes = Buffer.from(m[1], 'base64');
    } else bytes = Buffer.from(data, 'utf8');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const defaultUri = folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(path.join(os.homedir(), name));
    const target = await vscode.window.showSaveDialog({ defaultUri, filters: format === 'png' ? { 'PNG image': ['png'] } : { CSV: ['csv'] } });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    this.log.info(`exported ${format.toUpperCase()} (${bytes.length} bytes) to ${target.toString(true)}`);
    void vscode.window.showInformationMessage(`Gradient Lens: saved ${path.basename(target.path)}`);
  }

  /** The walkthrough's example, as a copy of the user's own (never the file inside the extension). */
  async openExample(): Promise<string | undefined> {
    return this.starting?.openExample();
  }

  private async resolveDocument(arg: unknown): Promise<vscode.TextDocument | undefined> {
    const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.parse(arg) : undefined;
    if (uri) {
      const doc = await vscode.workspace.openTextDocument(uri);
      return this.controller.isModel(doc) ? doc : undefined;
    }
    const active = vscode.window.activeTextEditor?.document;
    if (active && this.controller.isModel(active)) return active;
    return vscode.window.visibleTextEditors.map((e) => e.document).find((d) => this.controller.isModel(d));
  }

  /**
   * The full run with progress: `notify` shows a cancellable notification, otherwise the status bar
   * shows it. Says why when there is nothing to show (cancelled, the file's errors, a model that failed).
   */
  private async fullTrace(doc: vscode.TextDocument, notify: boolean, model?: string): Promise<FileRun | undefined> {
    const name = model ?? path.basename(doc.uri.path);
    let cancelled = false;
    const run = await vscode.window.withProgress(
      { location: notify ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window, title: `Gradient Lens: tracing ${name}`, cancellable: notify },
      (progress, token) => {
        let last = 0;
        token.onCancellationRequested(() => (cancelled = true));
        return this.controller.fullTrace(doc, token, (step, of) => {
          const pct = (100 * step) / of;
          progress.report({ message: `step ${step} of ${of}`, increment: pct - last });
          last = pct;
        });
      },
    );
    if (!run) {
      if (cancelled) void vscode.window.showInformationMessage(`Gradient Lens: the trace of ${name} was cancelled.`);
      return undefined;
    }
    const shown = this.views?.modelOf(doc.uri, run);
    const wanted = model ? run.models.find((m) => m.name === model) : shown;
    if (wanted) return run;
    const failure = run.failures.find((f) => f.name === model) ?? run.failures[0];
    switch (failure?.kind) {
      case 'invalid':
        void vscode.window.showErrorMessage(`Gradient Lens: ${name} has errors; see the Problems panel.`);
        break;
      case 'timeout':
        // The failure says which limit, and whether reading the file or the steps took the time.
        void vscode.window.showWarningMessage(`Gradient Lens: ${name}: ${failure.message}`);
        break;
      case 'restricted':
      case 'unavailable':
        // Nothing ran at all: there is no run to show.
        void vscode.window.showWarningMessage(`Gradient Lens: ${failure.message}`);
        return undefined;
      default:
        void vscode.window.showErrorMessage(`Gradient Lens: ${name} could not be traced: ${failure?.message ?? 'no such @model class'}`);
    }
    return run;
  }

  private summary(uri: vscode.Uri, run: FileRun): TraceSummary {
    const m = this.views?.modelOf(uri, run);
    return {
      uri: uri.toString(),
      model: m?.name,
      className: m?.name,
      steps: m?.trace.steps.length ?? 0,
      findings: m?.findings.map((f) => f.rule) ?? [],
      quick: run.quick,
      errors: run.failures.map((f) => f.kind),
    };
  }
}
