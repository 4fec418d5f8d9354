/**
 * "Trace this model…": a CodeLens above each nn.Module class of a PyTorch file that has nothing
 * Gradient Lens can trace on its own (no training loop, no sidecar yet). It asks how to build the
 * model and what it is trained on, writes the sidecar spec beside the file (`model.grad.yaml` for
 * `model.py`) and opens it; the file is traced through it at once (the back end watches sidecars).
 */
import { access } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sidecarCandidates, sidecarText, type SidecarAnswers } from '../sidecar-files';
import { CommandId } from './commands';
import { Disposable } from './disposable';
import { isCell } from './models/notebooks';
import { isPyTorchSource, moduleClasses } from './models/python-backend';

/** A training loop of the file's own: it is traced by it, no sidecar needed. */
const BACKWARD = /\.backward\s*\(/;

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function hasSidecar(pyFile: string): Promise<boolean> {
  for (const c of sidecarCandidates(pyFile)) if (await exists(c)) return true;
  return false;
}

export class SidecarLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this.own(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly enabled: (uri: vscode.Uri) => boolean) {
    super();
    // A sidecar written or deleted changes which classes need one.
    const watcher = this.own(vscode.workspace.createFileSystemWatcher('**/*.grad.{yaml,yml,json}', false, true, false));
    this.own(watcher.onDidCreate(() => this.changed.fire()));
    this.own(watcher.onDidDelete(() => this.changed.fire()));
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (doc.uri.scheme !== 'file' || isCell(doc) || !this.enabled(doc.uri) || !isPyTorchSource(doc) || BACKWARD.test(doc.getText())) return [];
    if (await hasSidecar(doc.uri.fsPath)) return [];
    return moduleClasses(doc).map(
      (c) =>
        new vscode.CodeLens(new vscode.Range(c.line, 0, c.line, 0), {
          title: 'Trace this model…',
          tooltip: `Write a sidecar spec that builds ${c.name}, so Gradient Lens can trace it (nothing of the file runs)`,
          command: CommandId.TraceThisModel,
          arguments: [doc.uri, c.name],
        }),
    );
  }
}

const ints = (s: string): number[] | undefined => {
  const parts = s.split(/[\s,×x]+/).filter(Boolean);
  if (!parts.length || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) return undefined;
  return parts.map(Number);
};

/** Asks the questions; undefined when the user pressed Escape at any of them. */
async function ask(className: string, python: string): Promise<SidecarAnswers | undefined> {
  const build = await vscode.window.showInputBox({
    title: `Trace ${className}: how to build it`,
    prompt: 'A Python expression that builds the model, with the arguments a small version of it needs',
    value: `${className}()`,
    valueSelection: [className.length + 1, className.length + 1],
    validateInput: (v) => (v.trim() ? undefined : 'Write the expression that builds the model, e.g. Net() or GPT(GPTConfig(n_layer=2))'),
    ignoreFocusOut: true,
  });
  if (build === undefined) return undefined;
  const shape = await vscode.window.showInputBox({
    title: `Trace ${className}: its input`,
    prompt: 'The shape of one input sample, without the batch: 3, 32, 32 for an image, 16 for 16 tokens',
    placeHolder: '3, 32, 32',
    validateInput: (v) => (ints(v) ? undefined : 'Positive whole numbers separated by commas, e.g. 3, 32, 32'),
    ignoreFocusOut: true,
  });
  if (shape === undefined) return undefined;
  type Kind = vscode.QuickPickItem & { kind2: 'values' | 'tokens' };
  const inputKind = await vscode.window.showQuickPick<Kind>(
    [
      { label: 'Values', description: 'normally distributed (images, features)', kind2: 'values' },
      { label: 'Token ids', description: 'integers below a vocabulary size (a model that starts with nn.Embedding)', kind2: 'tokens' },
    ],
    { title: `Trace ${className}: what its input holds`, ignoreFocusOut: true },
  );
  if (!inputKind) return undefined;
  let vocabulary: number | undefined;
  if (inputKind.kind2 === 'tokens') {
    const v = await vscode.window.showInputBox({ title: `Trace ${className}: vocabulary`, prompt: 'How many token ids (the first nn.Embedding\'s num_embeddings)', validateInput: (s) => (ints(s)?.length === 1 ? undefined : 'One positive whole number'), ignoreFocusOut: true });
    if (v === undefined) return undefined;
    vocabulary = ints(v)![0];
  }
  type Target = vscode.QuickPickItem & { target: 'classes' | 'values' };
  const target = await vscode.window.showQuickPick<Target>(
    [
      { label: 'Class labels', description: 'CrossEntropyLoss over the model\'s logits', target: 'classes' },
      { label: 'Values', description: 'MSELoss against a target of the output\'s shape', target: 'values' },
    ],
    { title: `Trace ${className}: what it is trained to output`, ignoreFocusOut: true },
  );
  if (!target) return undefined;
  const second = await vscode.window.showInputBox(
    target.target === 'classes'
      ? { title: `Trace ${className}: classes`, prompt: 'How many classes', value: '10', validateInput: (s) => (ints(s)?.length === 1 ? undefined : 'One positive whole number'), ignoreFocusOut: true }
      : { title: `Trace ${className}: target`, prompt: 'The shape of one target sample, without the batch (the model\'s output)', value: '1', validateInput: (s) => (ints(s) ? undefined : 'Positive whole numbers separated by commas'), ignoreFocusOut: true },
  );
  if (second === undefined) return undefined;
  return {
    python,
    build: build.trim(),
    inputShape: ints(shape)!,
    ...(vocabulary ? { vocabulary } : {}),
    target: target.target === 'classes' ? { classes: ints(second)![0] } : { shape: ints(second)! },
  };
}

/** Answers given with the command (a keybinding, a task, a test): no questions asked. */
function given(v: unknown, python: string): SidecarAnswers | undefined {
  const a = v as Partial<SidecarAnswers> | undefined;
  if (!a || typeof a.build !== 'string' || !Array.isArray(a.inputShape) || !a.target) return undefined;
  return { ...(a as SidecarAnswers), python };
}

/** The command: ask (or take the answers given), write the sidecar (never over an existing file), open it beside the model. */
export async function traceThisModel(uri: unknown, className: unknown, answersGiven?: unknown): Promise<vscode.Uri | undefined> {
  if (!(uri instanceof vscode.Uri) || uri.scheme !== 'file' || typeof className !== 'string') return undefined;
  const pyFile = uri.fsPath;
  const target = vscode.Uri.file(sidecarCandidates(pyFile)[0]);
  if (await hasSidecar(pyFile)) {
    void vscode.window.showInformationMessage(`${path.basename(pyFile)} has a sidecar spec already: ${path.basename(target.fsPath)}`);
    return undefined;
  }
  const answers = given(answersGiven, path.basename(pyFile)) ?? (await ask(className, path.basename(pyFile)));
  if (!answers) return undefined;
  await vscode.workspace.fs.writeFile(target, Buffer.from(sidecarText(answers), 'utf8'));
  await vscode.window.showTextDocument(target, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
  return target;
}
