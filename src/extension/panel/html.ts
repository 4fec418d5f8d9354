/** Builds a webview's page from the shared shell, with a fresh nonce and only dist/ and media/ loadable. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { shellHtml, type ShellOptions } from './shell';

/** Webviews may load only what we ship; nothing remote. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: ShellOptions): string {
  return shellHtml(
    {
      cspSource: webview.cspSource,
      asset: (...path) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...path)).toString(),
      nonce: randomBytes(18).toString('base64'),
    },
    opts,
  );
}
