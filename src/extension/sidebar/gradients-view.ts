/**
 * The "Gradients" view in the Gradient Lens activity-bar container: every parameter of the active
 * model file with its latest gradient norm, a sparkline and a health icon, plus the findings.
 */
import * as vscode from 'vscode';
import type { ToWebview } from '../../protocol';
import { Disposable } from '../disposable';
import { webviewHtml, webviewRoots } from '../panel/html';
import { handleWebviewMessage, logFailure, traceMessage, TraceMessages } from '../panel/messages';
import { SIDEBAR_SHELL } from '../panel/shell';
import type { PanelContext, PanelData } from '../panel/types';

export const GRADIENTS_VIEW_ID = 'gradientLens.gradients';

const NO_MODEL = 'Open a model file to see the gradient of every parameter.';
const UNTRACED = 'Its parameters show here once it traces. Its problems are marked in the editor and listed in the Problems view (Ctrl+Shift+M), most with a quick fix (Ctrl+.).';

export class GradientsViewProvider extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  private data: PanelData | undefined;
  private status: { state: 'idle' | 'running' | 'error'; message: string } = { state: 'idle', message: '' };
  private ready = false;
  /** What the page holds: a training run's updates send only its new steps. */
  private readonly messages = new TraceMessages();

  constructor(private readonly ctx: PanelContext) {
    super();
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    view.webview.options = { enableScripts: true, localResourceRoots: webviewRoots(this.ctx.extensionUri) };
    view.webview.html = webviewHtml(view.webview, this.ctx.extensionUri, SIDEBAR_SHELL);
    this.viewDisposables.push(
      view.onDidDispose(() => {
        if (this.view === view) this.disposeView();
      }),
      view.onDidChangeVisibility(() => {
        // A hidden view's page is destroyed; it says `ready` again when shown.
        if (!view.visible) this.ready = false;
      }),
      view.webview.onDidReceiveMessage((raw: unknown) => {
        handleWebviewMessage(this.ctx, 'gradients view', raw, this.data)
          .then((msg) => {
            if (msg?.type !== 'ready') return;
            this.ready = true;
            this.messages.forget();
            this.postData();
            this.post({ type: 'status', ...this.status });
          })
          .catch(logFailure(this.ctx, 'gradients view'));
      }),
    );
  }

  /** Shows this model's trace, or the empty state (with why) when no model file is active. */
  update(data: PanelData | undefined, why?: string): void {
    this.data = data;
    this.why = why;
    this.file = undefined;
    this.postData();
  }

  /** The active model file has no trace to show (its problems are in the editor, or it is running). */
  untraced(uri: vscode.Uri): void {
    this.data = undefined;
    this.file = uri;
    this.postData();
  }

  private why: string | undefined;
  private file: vscode.Uri | undefined;

  setStatus(state: 'idle' | 'running' | 'error', message: string): void {
    this.status = { state, message };
    this.post({ type: 'status', state, message });
  }

  /** What the view shows (or will, once visible): the model's data or the empty state. */
  shown(): ToWebview {
    return this.dataMessage();
  }

  private dataMessage(): ToWebview {
    if (this.data) return traceMessage(this.data);
    if (this.file) return { type: 'empty', message: UNTRACED, file: this.file.fsPath || this.file.toString(true) };
    return { type: 'empty', message: this.why ?? NO_MODEL };
  }

  /** The data to the page, as much as it lacks. */
  private postData(): void {
    if (!this.view || !this.ready) return;
    if (!this.data) this.messages.forget();
    this.post(this.data ? this.messages.next(this.data) : this.dataMessage());
  }

  private post(msg: ToWebview): void {
    if (!this.view || !this.ready) return;
    void this.view.webview
      .postMessage(msg)
      .then(undefined, (e: unknown) => this.ctx.log.warn(`gradients view: post failed: ${String(e)}`));
  }

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
    this.view = undefined;
    this.ready = false;
  }

  protected override onDispose(): void {
    this.disposeView();
  }
}
