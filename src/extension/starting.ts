/**
 * The ways in for a newcomer: a new model file, the example, the walkthrough. Each leaves the user
 * with a file of their own: the example is copied into the workspace (or opened as an untitled
 * document when no folder is open), never edited inside the installed extension.
 */
import * as vscode from 'vscode';
import type { Syntax } from '../model/spec-fixes';
import type { WelcomeCommand } from '../protocol';
import { CommandId } from './commands';

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

/** Context key: the example opened from the walkthrough traced with no findings (its "fix it" step). */
export const EXAMPLE_FIXED_CONTEXT = 'gradientLens.exampleFixed';

export class GettingStarted {
  /** The copies of the example opened here, watched for the walkthrough's "fix it" step. */
  private readonly examples = new Set<string>();

  constructor(
    private readonly extension: { extensionUri: vscode.Uri; packageJSON: { publisher: string; name: string } },
    /** The skeleton spec in a syntax (from dist/spec-host.js, loaded on first use). */
    private readonly skeleton: (syntax: Syntax) => string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  register(): vscode.Disposable[] {
    return [vscode.commands.registerCommand(CommandId.NewModelFile, () => this.newModelFile())];
  }

  async run(command: WelcomeCommand): Promise<void> {
    if (command === 'newModelFile') await this.newModelFile();
    else if (command === 'openExample') await this.openExample();
    else await vscode.commands.executeCommand('workbench.action.openWalkthrough', walkthroughId(this.extension as never), false);
  }

  /** A new spec, started from the skeleton: a file in the workspace, or untitled without a folder. */
  async newModelFile(syntax: Syntax = 'yaml'): Promise<string> {
    const doc = await openAsOwnFile(this.skeleton(syntax), 'model', syntaxExt[syntax]);
    this.log.info(`new model file ${doc.uri.toString(true)}`);
    return doc.uri.toString();
  }

  /** The example, copied: the user edits their copy, never the installed extension. */
  async openExample(): Promise<string | undefined> {
    const example = await readExample(this.extension.extensionUri);
    if (!example) {
      void vscode.window.showErrorMessage('Gradient Lens: the example models are missing from the extension folder.');
      return undefined;
    }
    const doc = await openAsOwnFile(example.text, example.name.replace(/\.grad\.yaml$/, ''), '.grad.yaml');
    this.examples.add(doc.uri.toString());
    void vscode.commands.executeCommand('setContext', EXAMPLE_FIXED_CONTEXT, false);
    this.log.info(`example copied to ${doc.uri.toString(true)}`);
    return doc.uri.toString();
  }

  /** A run of a file published: an example copy with no findings left has been fixed. */
  published(uri: vscode.Uri, traced: boolean, findings: number): void {
    if (!traced || findings > 0 || !this.examples.has(uri.toString())) return;
    void vscode.commands.executeCommand('setContext', EXAMPLE_FIXED_CONTEXT, true);
  }
}
