/**
 * Host side of the webview protocol shared by the trace panel and the sidebar: turning PanelData
 * into the `trace` message, and acting on a validated message from a webview.
 */
import * as vscode from 'vscode';
import { parseWebviewMessage, type FromWebview, type TraceMessage } from '../../protocol';
import { HeldSteps, runKey } from '../../trace/steps-delta';
import { CommandId } from '../commands';
import type { PanelContext, PanelData } from './types';

export function traceMessage(data: PanelData): TraceMessage {
  const { uri, layers, ...view } = data;
  return { type: 'trace', uri: uri.toString(), ...view, ...(layers ? { layers } : {}) };
}

/**
 * The trace messages to one page, which keeps what it was sent: a training run's update carries
 * only the steps the page lacks, so a long run is not sent again at every refresh.
 */
export class TraceMessages {
  private readonly held = new HeldSteps();

  /** The message that brings the page to `data`, the page having been sent every earlier one. */
  next(data: PanelData): TraceMessage {
    const msg = traceMessage(data);
    const key = runKey(msg.uri, data.trace);
    if (!key) {
      this.held.forget();
      return msg;
    }
    const delta = this.held.next(key, data.trace.steps);
    return delta ? { ...msg, trace: { ...data.trace, steps: delta.steps }, keep: delta.keep } : msg;
  }

  /** The page holds nothing (it is new, torn down, or asked for everything): the next message is whole. */
  forget(): void {
    this.held.forget();
  }
}

/**
 * Validates a message from a webview and does what it asks, for the model file the webview shows.
 * Returns the parsed message (so the caller can react to `ready`), or null when it was rejected.
 */
export async function handleWebviewMessage(
  ctx: PanelContext,
  who: string,
  raw: unknown,
  current: PanelData | undefined,
): Promise<FromWebview | null> {
  const msg = parseWebviewMessage(raw);
  if (!msg) {
    ctx.log.warn(`${who}: ignored a malformed message from the webview`);
    return null;
  }
  if (msg.type === 'ready') return msg;
  // The welcome buttons act on no model: they are how one gets a model.
  if (msg.type === 'run') {
    await ctx.run(msg.command);
    return msg;
  }
  if (!current) {
    ctx.log.info(`${who}: "${msg.type}" with no model shown; ignored`);
    return msg;
  }
  switch (msg.type) {
    case 'reveal':
      // A webview may only point into the files it is showing.
      if (!shownFiles(current).has(msg.uri)) {
        ctx.log.warn(`${who}: reveal of a file it does not show (${msg.uri}); ignored`);
        return null;
      }
      // Through the command, so the walkthrough's "select a parameter" step is done by doing it.
      await vscode.commands.executeCommand(CommandId.RevealLayer, vscode.Uri.parse(msg.uri), msg.range);
      break;
    case 'applyFix':
      if (msg.uri !== current.uri.toString()) {
        ctx.log.warn(`${who}: a fix for a file it does not show (${msg.uri}); ignored`);
        return null;
      }
      await ctx.applyFix(current.uri, msg.rule, msg.layer, msg.title);
      break;
    case 'retrace':
      await ctx.retrace(current.uri);
      break;
    case 'openPanel':
      await ctx.openPanel(current.uri);
      break;
    case 'export':
      await ctx.exportFile(msg.suggestedName, msg.format, msg.data);
      break;
  }
  return msg;
}

/** The files a view's data points into: the model file, and a training run's .py files. */
function shownFiles(data: PanelData): Set<string> {
  return new Set([data.uri.toString(), ...data.findings.flatMap((f) => (f.uri ? [f.uri] : [])), ...(data.layers ?? []).flatMap((l) => (l.uri ? [l.uri] : []))]);
}

/** Reports a failed action without letting the rejection escape the message listener. */
export function logFailure(ctx: PanelContext, who: string): (e: unknown) => void {
  return (e) => {
    const message = e instanceof Error ? e.message : String(e);
    ctx.log.error(`${who}: ${message}`);
    void vscode.window.showErrorMessage(`Gradient Lens: ${message}`);
  };
}
