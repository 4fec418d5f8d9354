/**
 * The seam between the extension host and its two webviews (trace panel, sidebar): what they are
 * given to show, and what they may ask the host to do. The host owns documents, traces and commands;
 * the views only render and forward the user's clicks through these callbacks.
 */
import type * as vscode from 'vscode';
import type { FindingView, LayerRangeView, RangeView } from '../../protocol';
import type { ParamHealth } from '../../rules/health';
import type { Trace } from '../../trace/types';

export interface PanelData {
  uri: vscode.Uri;
  fileName: string;
  trace: Trace;
  findings: FindingView[];
  health: ParamHealth[];
  /** True for the few-step trace run while typing; false for a full "Trace Gradients" run. */
  quick: boolean;
  /** Where each layer is written, so the sidebar can reveal a layer that has no finding. */
  layers?: LayerRangeView[];
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
}
