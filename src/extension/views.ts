/**
 * Keeps the two webviews in step with the runs, for every kind of model file: the sidebar follows
 * the active model file, the chart panel the file (and model: a TypeScript file may hold several)
 * it was opened for. While the panel is open, every quick run of its file is followed by a quiet
 * full run, so the charts always show the model's full trace. A watched training run is shown the
 * same way: in the panel opened on it, and in the sidebar while one of its .py files is active.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findingView } from './diagnostics';
import { Disposable } from './disposable';
import type { ModelController } from './models/controller';
import type { FileRun, TracedModel } from './models/types';
import { savedPanelData, TRACE_PANEL_VIEW_TYPE, TracePanel } from './panel/trace-panel';
import type { ToWebview } from '../protocol';
import type { PanelContext, PanelData } from './panel/types';
import type { RunViews, TrainingRuns } from './runs/runs';
import { runName } from './runs/run-watch';
import { GRADIENTS_VIEW_ID, GradientsViewProvider } from './sidebar/gradients-view';

/** What a view shows of one model of a file: a spec's only model is named by the file alone. */
export function panelData(uri: vscode.Uri, run: FileRun, model: TracedModel): PanelData {
  const file = path.basename(uri.path);
  return {
    uri,
    fileName: model.name === file ? file : `${file} · ${model.name}`,
    trace: model.trace,
    findings: model.findings.map(findingView),
    health: model.health,
    quick: run.quick,
    layers: model.layers,
  };
}

/** Whether the chart panel is open in any editor group (the user may have closed it). */
export function tracePanelOpen(): boolean {
  return vscode.window.tabGroups.all.some((g) =>
    g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(TRACE_PANEL_VIEW_TYPE)),
  );
}

/** Workspace-state key: the file the chart panel showed last. */
const PANEL_FILE_KEY = 'gradientLens.panelFile';

export class ModelViews extends Disposable implements RunViews {
  readonly sidebar: GradientsViewProvider;
  private panel: TracePanel | undefined;
  private panelUri: string | undefined;
  /** The model each file's views show, once the user picked one (a CodeLens of a TypeScript class). */
  private readonly chosen = new Map<string, string>();
  /** The model file the sidebar shows: the active one, or the last active one while focus is elsewhere (e.g. in the panel). */
  private sidebarUri: vscode.Uri | undefined;
  private backgroundVersion = '';

  constructor(
    private readonly ctx: PanelContext,
    private readonly controller: ModelController,
    private readonly backgroundTrace: (uri: vscode.Uri) => Promise<void>,
    private readonly runs: TrainingRuns,
    /** The workspace's memory: which file the panel showed, should a reload lose the page's own state. */
    private readonly memory: vscode.Memento,
  ) {
    super();
    this.sidebar = this.own(new GradientsViewProvider(ctx));
    this.own(vscode.window.registerWebviewViewProvider(GRADIENTS_VIEW_ID, this.sidebar));
    // After a window reload the panel comes back where it was, with its model.
    this.own(
      vscode.window.registerWebviewPanelSerializer(TRACE_PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (webviewPanel, state) => this.revivePanel(webviewPanel, state),
      }),
    );
    // No editor: focus in the panel or a view, so the sidebar keeps showing the model that was active.
    this.own(vscode.window.onDidChangeActiveTextEditor((e) => e && this.follow(e.document)));
    this.own(controller.onDidChange((uri) => this.onChange(uri)));
    runs.views = this;
    const active = vscode.window.activeTextEditor?.document;
    if (active) this.follow(active);
  }

  /** What the panel shows, while it is open. */
  panelShown(): ToWebview | undefined {
    return this.panel && tracePanelOpen() ? this.panel.shown() : undefined;
  }

  /** The active editor changed: the sidebar shows its file's watched run (real numbers first), or its model. */
  private follow(doc: vscode.TextDocument): void {
    const run = this.runs.runFor(doc.uri)?.panelData();
    if (run) this.showRunInSidebar(run);
    else if (this.controller.isModel(doc)) this.showInSidebar(doc.uri);
    else this.showNoModel(doc);
  }

  showRun(data: PanelData, reveal: boolean): void {
    const key = data.uri.toString();
    if (reveal) {
      this.panel = TracePanel.show(this.ctx, data);
      this.panelUri = key;
      // A run is no file to trace again after a reload: the panel then comes back with what it saved, or empty.
      void this.memory.update(PANEL_FILE_KEY, undefined);
      this.showRunInSidebar(data);
      return;
    }
    if (this.panel && this.panelUri === key && tracePanelOpen()) this.panel.update(data);
    const active = vscode.window.activeTextEditor?.document.uri;
    if (this.sidebarUri?.toString() === key || (active && this.runs.runFor(active)?.folder.toString() === key)) this.showRunInSidebar(data);
  }

  runClosed(folder: vscode.Uri): void {
    if (this.sidebarUri?.toString() !== folder.toString()) return;
    this.sidebar.update(undefined);
    this.sidebar.setStatus('idle', `No longer watching the training run in ${runName(folder)}.`);
  }

  private showRunInSidebar(data: PanelData): void {
    this.sidebarUri = data.uri;
    this.sidebar.setStatus('idle', '');
    this.sidebar.update(data);
  }

  /** The model of the file the views show: the one picked, else the first traced. */
  modelOf(uri: vscode.Uri, run: FileRun | undefined = this.controller.result(uri)): TracedModel | undefined {
    const name = this.chosen.get(uri.toString());
    return run?.models.find((m) => m.name === name) ?? run?.models[0];
  }

  /** Shows `model` (or the file's chosen one) of this run: the panel beside the editor, opened or reused, and the sidebar. */
  showPanel(uri: vscode.Uri, run: FileRun, model?: string): boolean {
    if (model) this.chosen.set(uri.toString(), model);
    const m = this.modelOf(uri, run);
    if (!m) return false;
    this.panel = TracePanel.show(this.ctx, panelData(uri, run, m));
    this.panelUri = uri.toString();
    void this.memory.update(PANEL_FILE_KEY, this.panelUri);
    if (this.sidebarUri?.toString() === uri.toString()) this.sidebar.update(panelData(uri, run, m));
    return true;
  }

  /**
   * The chart panel VS Code restores after a reload: it shows what it showed, then the file's fresh
   * full trace (the file is opened for that if it is not open: the panel was about it). A training
   * run's panel keeps its last steps until the run is watched again: there is no file to trace.
   */
  revivePanel(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    const data = savedPanelData(state);
    this.panel = TracePanel.revive(this.ctx, webviewPanel, data);
    // The page's state is saved by the window when it gets to it: a reload soon after a trace can
    // come back without it. The file the panel showed is also kept in the workspace's memory.
    const remembered = this.memory.get<string>(PANEL_FILE_KEY);
    const uri = data?.uri ?? (remembered ? vscode.Uri.parse(remembered) : undefined);
    this.panelUri = uri?.toString();
    // A training run's panel keeps its last steps until the run is watched again: no file to trace.
    if (data?.trace.run) return;
    // The editors come back after the panel: open the file (without showing it) to trace it now.
    if (uri) void vscode.workspace.openTextDocument(uri).then(() => this.backgroundTrace(uri)).then(undefined, () => undefined);
  }

  /** Shows this run in the panel if the panel is open on its file, and in the sidebar if it shows that file. */
  showResult(uri: vscode.Uri, run: FileRun): void {
    const key = uri.toString();
    const m = this.modelOf(uri, run);
    if (!m) return;
    if (this.panel && this.panelUri === key && tracePanelOpen()) this.panel.update(panelData(uri, run, m));
    if (this.sidebarUri?.toString() === key) this.sidebar.update(panelData(uri, run, m));
  }

  /**
   * Another kind of file is active: the sidebar says so (naming it) instead of showing the last
   * model without saying which, and Re-trace acts on nothing it cannot see.
   */
  private showNoModel(doc: vscode.TextDocument): void {
    if (doc.uri.scheme === 'output') return;
    this.sidebarUri = undefined;
    this.sidebar.update(undefined, `The active editor (${path.basename(doc.uri.path) || doc.uri.toString(true)}) is not a model file. Open a *.grad.yaml or *.grad.json spec, a TypeScript file with @model classes, or a PyTorch .py file.`);
    this.sidebar.setStatus('idle', '');
  }

  private showInSidebar(uri: vscode.Uri): void {
    this.sidebarUri = uri;
    const run = this.controller.result(uri);
    const m = this.modelOf(uri, run);
    if (run && m) this.sidebar.update(panelData(uri, run, m));
    else this.sidebar.untraced(uri);
    const status = this.controller.status(uri);
    if (status) this.sidebar.setStatus(status.state, status.message);
  }

  private onChange(uri: vscode.Uri): void {
    const key = uri.toString();
    const run = this.controller.result(uri);
    const status = this.controller.status(uri);
    const m = this.modelOf(uri, run);
    if (this.sidebarUri?.toString() === key) {
      if (status) this.sidebar.setStatus(status.state, status.message);
      if (status?.state !== 'running') {
        if (run && m) this.sidebar.update(panelData(uri, run, m));
        else this.sidebar.untraced(uri);
      }
    }
    if (!run || !m || this.panelUri !== key || !this.panel || status?.state === 'running' || !tracePanelOpen()) return;
    if (!run.quick) return this.panel.update(panelData(uri, run, m));
    // Once per version run: the full run's own status changes must not start another.
    const version = `${key}@${run.version}`;
    if (this.backgroundVersion === version) return;
    this.backgroundVersion = version;
    void this.backgroundTrace(uri);
  }

  protected override onDispose(): void {
    this.panel?.dispose();
  }
}
