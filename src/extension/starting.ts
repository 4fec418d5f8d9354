/**
 * The ways in for a newcomer: a new model file, the example, the walkthrough. Each leaves the user
 * with a file of their own: the example is copied into the workspace (or opened as an untitled
 * document when no folder is open), never edited inside the installed extension.
 */
import * as vscode from 'vscode';
import type { Syntax } from '../model/spec-fixes';

/** The walkthrough's id as VS Code knows it: `<publisher>.<name>#<walkthrough id>`. */
export function walkthroughId(extension: { packageJSON: { publisher: string; name: string; contributes?: { walkthroughs?: { id: string }[] } } }): string {
  const pkg = extension.packageJSON;
  return `${pkg.publisher}.${pkg.name}#${pkg.contributes?.walkthroughs?.[0]?.id ?? 'gradientLens.start'}`;
}

/**
 * A file name in `folder` not taken yet: `base.grad.yaml`, then `base-2.grad.yaml`, …, so a copy
 * never overwrites what the user has.
 */
export async function freeName(folder: vscode.Uri, base: string, ext: string): Promise<vscode.Uri> {
  for (let i = 1; ; i++) {
    const candidate = vscode.Uri.joinPath(folder, `${base}${i === 1 ? '' : `-${i}`}${ext}`);
    try {
      await vscode.workspace.fs.stat(candidate);
    } catch {
      return candidate;
    }
  }
}

/**
 * Opens `text` as a model file of the user's: written to `name` in the first workspace folder, or,
 * without a folder, as an untitled document of that name (so it is read as a spec at once, and
 * saving asks where).
 */
export async function openAsOwnFile(text: string, base: string, ext: string): Promise<vscode.TextDocument> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  let doc: vscode.TextDocument;
  if (folder) {
    const target = await freeName(folder, base, ext);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    doc = await vscode.workspace.openTextDocument(target);
  } else {
    doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'untitled', path: `${base}${ext}` }));
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(0, 0), text);
    await vscode.workspace.applyEdit(edit);
  }
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

/** The example's text from the extension's own folder (read, never opened there). */
export async function readExample(extensionUri: vscode.Uri): Promise<{ text: string; name: string } | undefined> {
  // The article's seed model with the saturated Sigmoid shows a finding at once; the plain seed is the fallback.
  for (const name of ['seed-saturated.grad.yaml', 'seed.grad.yaml']) {
    try {
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'examples', name));
      return { text: new TextDecoder().decode(bytes), name };
    } catch {
      continue;
    }
  }
  return undefined;
}

export const syntaxExt: Record<Syntax, string> = { yaml: '.grad.yaml', json: '.grad.json' };
