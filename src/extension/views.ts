/**
 * Keeps the two webviews in step with the traces: the sidebar follows the active model file, the
 * chart panel follows the file it was opened for. While the panel is open, every quick trace of
 * its file is followed by a quiet full trace, so the charts always show the spec's full run.
 */
import * as vscode from 'vscode';
import { TRACE_PANEL_VIEW_TYPE, TracePanel } from './panel/trace-panel';
import type { PanelContext, PanelData } from './panel/types';
import { GRADIENTS_VIEW_ID, GradientsViewProvider } from './sidebar/gradients-view';
import { findingView } from './diagnostics';
import { isModelDocument, type DocumentController, type TraceResult } from './documents';

export function panelData(result: TraceResult): PanelData {
  return {
    uri: result.uri,
    fileName: result.fileName,
    trace: result.trace,
    findings: result.findings.map(findingView),
    quick: result.quick,
    layers: result.layers,
  };
}

/** Whether the chart panel is open in any editor group (the user may have closed it). */
export function tracePanelOpen(): boolean {
  return vscode.window.tabGroups.all.some((g) =>
    g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(TRACE_PANEL_VIEW_TYPE)),
  );
}

export class ModelViews implements vscode.Disposable {
  readonly sidebar: GradientsViewProvider;
  private panel: TracePanel | undefined;
  private panelUri: string | undefined;
  /** The model file the sidebar shows: the active one, or the last active one while focus is elsewhere (e.g. in the panel). */
  private sidebarUri: vscode.Uri | undefined;
  private readonly subs: vscode.Disposable[] = [];
  private backgroundVersion = '';

  constructor(
    private readonly ctx: PanelContext,
    private readonly controller: DocumentController,
    private readonly backgroundTrace: (uri: vscode.Uri) => Promise<void>,
  ) {
    this.sidebar = new GradientsViewProvider(ctx);
    this.subs.push(
      this.sidebar,
      vscode.window.registerWebviewViewProvider(GRADIENTS_VIEW_ID, this.sidebar),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e && isModelDocument(e.document)) this.showInSidebar(e.document.uri);
      }),
      controller.onDidChange((uri) => this.onChange(uri)),
    );
    const active = vscode.window.activeTextEditor?.document;
    if (active && isModelDocument(active)) this.showInSidebar(active.uri);
  }

  /** Opens (or reuses) the chart panel beside the editor with this trace. */
  showPanel(result: TraceResult): void {
    this.panel = TracePanel.show(this.ctx, panelData(result));
    this.panelUri = result.uri.toString();
  }

  /** Opens (or reuses) the chart panel with a trace that is not a spec's (a TypeScript model class). */
  showPanelData(data: PanelData): void {
    this.panel = TracePanel.show(this.ctx, data);
    this.panelUri = data.uri.toString();
  }

  /** Updates the panel if it is open on this file. */
  updatePanelData(data: PanelData): void {
    if (this.panel && this.panelUri === data.uri.toString() && tracePanelOpen()) this.panel.update(data);
  }

  /** Shows this trace in the panel if the panel is open on its file, and in the sidebar if it shows that file. */
  showResult(result: TraceResult): void {
    const key = result.uri.toString();
    if (this.panel && this.panelUri === key && tracePanelOpen()) this.panel.update(panelData(result));
    if (this.sidebarUri?.toString() === key) this.sidebar.update(panelData(result));
  }

  private showInSidebar(uri: vscode.Uri): void {
    this.sidebarUri = uri;
    const result = this.controller.result(uri);
    this.sidebar.update(result ? panelData(result) : undefined);
    const status = this.controller.status(uri);
    if (status) this.sidebar.setStatus(status.state, status.message);
  }

  private onChange(uri: vscode.Uri): void {
    const key = uri.toString();
    const result = this.controller.result(uri);
    if (this.sidebarUri?.toString() === key) {
      const status = this.controller.status(uri);
      if (status) this.sidebar.setStatus(status.state, status.message);
      if (status?.state !== 'running') this.sidebar.update(result ? panelData(result) : undefined);
    }
    if (!result || this.panelUri !== key || !this.panel || this.controller.status(uri)?.state === 'running' || !tracePanelOpen()) return;
    if (!result.quick) return this.panel.update(panelData(result));
    // Once per traced version: the full trace's own status changes must not start another.
    const version = `${key}@${result.version}`;
    if (this.backgroundVersion === version) return;
    this.backgroundVersion = version;
    void this.backgroundTrace(uri);
  }

  dispose(): void {
    for (const s of this.subs.splice(0)) s.dispose();
    this.panel?.dispose();
  }
}
