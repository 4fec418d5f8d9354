/**
 * The lifecycle of a model file, whatever its kind: trace on open, re-trace after a pause in
 * typing, forget on close — where "close" is the user closing the last tab, since VS Code may keep
 * a closed document cached for a long time.
 */
import * as vscode from 'vscode';

export interface WatchedDocuments {
  /** Whether this file is being looked after already. */
  isTracked(uri: vscode.Uri): boolean;
  /** Trace `doc` after `delay` ms (0: now), if it is a model file. */
  track(doc: vscode.TextDocument, delay: number): void;
  /**
   * An edit arrived: end any run of the old text now, not after the debounce, and return the
   * debounce before re-tracing, or undefined when the file is no model file.
   */
  edited(doc: vscode.TextDocument): number | undefined;
  forget(uri: vscode.Uri): void;
}

/** The open, not yet closed, document for `uri`. */
export function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  const key = uri.toString();
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key && !d.isClosed);
}

export function hasTab(uri: vscode.Uri): boolean {
  const key = uri.toString();
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key));
}

/** Subscribes `w` to the document events and tracks the documents open already. */
export function watchDocuments(w: WatchedDocuments): vscode.Disposable[] {
  const subscriptions = [
    vscode.workspace.onDidOpenTextDocument((doc) => w.track(doc, 0)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length === 0) return;
      const delay = w.edited(e.document);
      if (delay !== undefined) w.track(e.document, delay);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => w.forget(doc.uri)),
    vscode.window.tabGroups.onDidChangeTabs((e) => {
      for (const tab of e.closed) {
        const uri = tab.input instanceof vscode.TabInputText ? tab.input.uri : undefined;
        if (uri && w.isTracked(uri) && !hasTab(uri)) w.forget(uri);
      }
      // Reopened while VS Code still held the document: no open event comes, so trace it here.
      for (const tab of e.opened) {
        const doc = tab.input instanceof vscode.TabInputText ? openDocument(tab.input.uri) : undefined;
        if (doc && !w.isTracked(doc.uri)) w.track(doc, 0);
      }
    }),
  ];
  for (const doc of vscode.workspace.textDocuments) w.track(doc, 0);
  return subscriptions;
}
