/**
 * The seam between the extension host and its two webviews (trace panel, sidebar): what they are
 * given to show, and what they may ask the host to do. The host owns documents, traces and commands;
 * the views only render and forward the user's clicks through these callbacks.
 */
import type * as vscode from 'vscode';
import type { RangeView, TraceView, WelcomeCommand } from '../../protocol';

/** One traced model as the views show it, with the file it is in. */
export interface PanelData extends TraceView {
  uri: vscode.Uri;
}

export interface PanelContext {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** Shows `range` of the model file in its editor (a finding or a parameter row was clicked). */
  reveal(uri: vscode.Uri, range: RangeView): Promise<void>;
  /** Runs the full trace of the model again. */
  retrace(uri: vscode.Uri): Promise<void>;
  openPanel(uri: vscode.Uri): Promise<void>;
  /** Saves an export the webview produced (PNG as a data URL, CSV as text) where the user picks. */
  exportFile(name: string, format: 'png' | 'csv', data: string): Promise<void>;
  /** A finding's fix button: the fix titled `title` of the finding of `rule` on `layer`, applied to the file. */
  applyFix(uri: vscode.Uri, rule: string, layer: string, title: string): Promise<void>;
  /** The sidebar's welcome buttons (no model shown). */
  run(command: WelcomeCommand): Promise<void>;
}
