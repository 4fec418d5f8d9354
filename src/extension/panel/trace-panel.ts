/**
 * The "Trace Gradients" chart panel: one panel beside the editor, re-used for every trace.
 * The page is rebuilt whenever it becomes visible again (no retainContextWhenHidden); it keeps its
 * own view state with setState and asks for the data again with `ready`.
 */
import * as vscode from 'vscode';
import type { ToWebview } from '../../protocol';
import { Disposable } from '../disposable';
import { webviewHtml, webviewRoots } from './html';
import { PANEL_SHELL } from './shell';
import { handleWebviewMessage, logFailure, traceMessage, TraceMessages } from './messages';
import type { PanelContext, PanelData } from './types';

export const TRACE_PANEL_VIEW_TYPE = 'gradientLens.tracePanel';

export class TracePanel extends Disposable {
  private static current: TracePanel | undefined;

  /** Shows the panel beside the editor (creating it once) with this trace. */
  static show(ctx: PanelContext, data: PanelData): TracePanel {
    const existing = TracePanel.current;
    if (existing) {
      existing.update(data);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      TRACE_PANEL_VIEW_TYPE,
      title(data),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: webviewRoots(ctx.extensionUri) },
    );
    TracePanel.current = new TracePanel(ctx, panel, data);
    return TracePanel.current;
  }

  /**
   * The panel VS Code restores after a window reload (WebviewPanelSerializer): the same page, with
   * what it showed last (from its saved state) until the file's fresh trace replaces it.
   */
  static revive(ctx: PanelContext, panel: vscode.WebviewPanel, data: PanelData | undefined): TracePanel {
    TracePanel.current?.dispose();
    panel.webview.options = { enableScripts: true, localResourceRoots: webviewRoots(ctx.extensionUri) };
    TracePanel.current = new TracePanel(ctx, panel, data);
    return TracePanel.current;
  }

  /** True between the page's `ready` and it being torn down (hidden, reloaded). */
  private ready = false;
  /** What the page holds: a training run's updates send only its new steps. */
  private readonly messages = new TraceMessages();

  private constructor(
    private readonly ctx: PanelContext,
    private readonly panel: vscode.WebviewPanel,
    private data: PanelData | undefined,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'gradient-lens.svg');
    panel.webview.html = webviewHtml(panel.webview, ctx.extensionUri, PANEL_SHELL);
    this.own(panel.onDidDispose(() => this.dispose()));
    this.own(
      panel.onDidChangeViewState(() => {
        // A hidden page is destroyed; messages to it would be lost until it says `ready` again.
        if (!panel.visible) this.ready = false;
      }),
    );
    this.own(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        handleWebviewMessage(ctx, 'trace panel', raw, this.data)
          .then((msg) => {
            if (msg?.type === 'ready') {
              this.ready = true;
              this.messages.forget();
              this.post(this.data ? this.messages.next(this.data) : NO_TRACE);
            }
          })
          .catch(logFailure(ctx, 'trace panel'));
      }),
    );
  }

  /** Re-renders with a new trace (a re-trace, or another file's). */
  update(data: PanelData): void {
    this.data = data;
    if (this.disposed) return;
    this.panel.title = title(data);
    if (this.ready) this.post(this.messages.next(data));
  }

  /** What the panel shows (or will, once its page is ready). */
  shown(): ToWebview {
    return this.data ? traceMessage(this.data) : NO_TRACE;
  }

  private post(msg: ToWebview): void {
    void this.panel.webview.postMessage(msg).then(undefined, (e: unknown) => this.ctx.log.warn(`trace panel: post failed: ${String(e)}`));
  }

  protected override onDispose(): void {
    if (TracePanel.current === this) TracePanel.current = undefined;
    this.panel.dispose();
  }
}

/** A revived panel whose saved state had no trace. */
const NO_TRACE: ToWebview = { type: 'empty', message: 'Run “Gradient Lens: Trace Gradients” on a model file.' };

function title(data: PanelData | undefined): string {
  return data ? `∇ ${data.fileName.split(/[\\/]/).pop() ?? data.fileName}` : '∇ Gradients';
}

/** What a restored page saved (webview/panel's PanelState): its last trace, checked before use. */
export function savedPanelData(state: unknown): PanelData | undefined {
  const t = (state as { trace?: Record<string, unknown> } | undefined)?.trace;
  if (!t || typeof t !== 'object' || typeof t.uri !== 'string' || typeof t.fileName !== 'string' || !t.trace || typeof t.trace !== 'object' || !Array.isArray(t.findings)) return undefined;
  const trace = t.trace as PanelData['trace'];
  if (!Array.isArray(trace.params) || !Array.isArray(trace.steps)) return undefined;
  try {
    return { uri: vscode.Uri.parse(t.uri, true), fileName: t.fileName, trace, findings: t.findings as PanelData['findings'], health: Array.isArray(t.health) ? (t.health as PanelData['health']) : [], quick: t.quick === true, layers: Array.isArray(t.layers) ? (t.layers as PanelData['layers']) : undefined };
  } catch {
    return undefined;
  }
}
