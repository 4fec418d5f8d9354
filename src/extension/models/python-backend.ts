/**
 * PyTorch source files (a `.py` file that imports torch) and Jupyter notebooks' Python cells: read
 * and traced in the trace worker by Gradient Lens's own interpreter, never run, so they are traced
 * in Restricted Mode as spec files are. A file that only defines modules is traced through its
 * sidecar spec (`model.grad.yaml` beside `model.py`, naming it), which the host reads (from its
 * editor if open, else from disk) and sends with the text; editing or saving the sidecar traces the
 * file again. A notebook is one program: a run of any of its cells traces all its code cells once
 * (cells asking for the same text share that run) and shows each cell its part (notebooks.ts);
 * editing a cell runs the others again.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sidecarCandidates } from '../../sidecar-files';
import { openDocument } from '../document-watch';
import type { RunRequest as WorkerRequest } from '../trace-runner';
import { executionGate } from '../trust';
import { SpecBackend, type Parsed, type Source } from './spec-backend';
import { codeCells, isCell, notebookOf, notebookProgram, runForCell, type NotebookProgram } from './notebooks';
import type { DeclaredModel, FileRun, RunFailure, RunRequest } from './types';

/** `import torch`, `import torch.nn as nn`, `from torch import nn` at the start of a line. */
const IMPORTS_TORCH = /^[ \t]*(?:import[ \t]+torch\b|from[ \t]+torch\b)/m;
/** `class Net(nn.Module):` and the like: where a model a sidecar may build is defined. */
const MODULE_CLASS = /^class[ \t]+([A-Za-z_]\w*)[ \t]*\([^)]*\bModule\b[^)]*\)[ \t]*:/gm;
const SIDECAR = /\.grad\.(ya?ml|json)$/i;

/** A Python file that imports torch, or a Python cell of a notebook that does: the only kinds worth reading for a model. */
export function isPyTorchSource(doc: vscode.TextDocument): boolean {
  if (doc.isClosed) return false;
  if (isCell(doc)) {
    const nb = doc.languageId === 'python' ? notebookOf(doc) : undefined;
    return !!nb && codeCells(nb).some((c) => IMPORTS_TORCH.test(c.document.getText()));
  }
  return (doc.languageId === 'python' || /\.py$/i.test(doc.uri.path)) && IMPORTS_TORCH.test(doc.getText());
}

/** The nn.Module classes a file defines, with the line of each `class` statement. */
export function moduleClasses(doc: vscode.TextDocument): { name: string; line: number }[] {
  const text = doc.getText();
  return [...text.matchAll(MODULE_CLASS)].map((m) => ({ name: m[1], line: doc.positionAt(m.index).line }));
}

/** Sidecars are small; a bigger file of that name is not one. */
const MAX_SIDECAR_BYTES = 1 << 20;

export class PythonBackend extends SpecBackend {
  override readonly kind = 'python';
  private readonly invalidated = this.own(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidInvalidate = this.invalidated.event;
  /** The user's files each script's last run imported (paths), by the script's URI: an edit of one traces the script again. */
  private readonly reads = new Map<string, Set<string>>();
  /**
   * The paths each script's last run looked for a module at and did not find (`blocks.py`,
   * `blocks/__init__.py`, the folder `blocks`), by the script's URI: creating one traces it again.
   */
  private readonly missing = new Map<string, Set<string>>();
  /** The quick run of each notebook's current text, shared by its cells. */
  private readonly notebookRuns = new Map<string, { text: string; users: number; done: boolean; ac: AbortController; result: Promise<FileRun | undefined> }>();

  constructor(workerScript: string, log: vscode.LogOutputChannel) {
    super(workerScript, log);
    // A module an import looked for and did not find is there now (a file or folder created, an unsaved editor opened at its path).
    const created = (uri: vscode.Uri) => {
      if (uri.scheme !== 'file' && uri.scheme !== 'untitled') return;
      for (const [script, paths] of this.missing) if (paths.has(uri.fsPath)) this.invalidated.fire(vscode.Uri.parse(script));
    };
    const changed = (uri: vscode.Uri) => {
      if (uri.scheme === 'file') {
        for (const [script, paths] of this.reads) if (paths.has(uri.fsPath)) this.invalidated.fire(vscode.Uri.parse(script));
      }
      created(uri);
      if (!SIDECAR.test(uri.path)) return;
      // model.grad.yaml belongs to model.py beside it (the worker checks that it names it).
      this.invalidated.fire(uri.with({ path: uri.path.replace(SIDECAR, '.py') }));
    };
    this.own(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!e.contentChanges.length) return;
        changed(e.document.uri);
        // One cell's edit changes the program every other cell of the notebook shows a part of.
        if (isCell(e.document)) this.invalidateCells(notebookOf(e.document), e.document.uri);
      }),
    );
    this.own(vscode.workspace.onDidChangeNotebookDocument((e) => e.contentChanges.length && this.invalidateCells(e.notebook)));
    // A notebook's quick runs have a thread of their own (keyed by the notebook): ended with it.
    this.own(
      vscode.workspace.onDidCloseNotebookDocument((nb) => {
        this.notebookRuns.delete(nb.uri.toString());
        super.forget(nb.uri);
      }),
    );
    const watcher = this.own(vscode.workspace.createFileSystemWatcher('**/*.grad.{yaml,yml,json}'));
    this.own(watcher.onDidCreate(changed));
    this.own(watcher.onDidChange(changed));
    this.own(watcher.onDidDelete(changed));
    // An imported module changed on disk (another editor, a checkout) or went away.
    const modules = this.own(vscode.workspace.createFileSystemWatcher('**/*.py'));
    this.own(modules.onDidChange(changed));
    this.own(modules.onDidDelete(changed));
    this.own(modules.onDidCreate(created));
    // Folders (a package or namespace package) and files created from VS Code, also outside the watched folders.
    this.own(vscode.workspace.onDidCreateFiles((e) => e.files.forEach(created)));
    this.own(vscode.workspace.onDidOpenTextDocument((d) => created(d.uri)));
  }

  override forget(uri: vscode.Uri): void {
    this.reads.delete(uri.toString());
    this.missing.delete(uri.toString());
    super.forget(uri);
  }

  override accepts(doc: vscode.TextDocument): boolean {
    return isPyTorchSource(doc);
  }

  override gate() {
    return executionGate('source');
  }

  /** The file is one model: its lens goes above the first nn.Module class, else on the first line; a notebook's on its first code cell. */
  override declared(doc: vscode.TextDocument): DeclaredModel[] {
    if (isCell(doc)) {
      const nb = notebookOf(doc);
      return nb && codeCells(nb)[0]?.document.uri.toString() === doc.uri.toString() ? [notebookModel(nb)] : [];
    }
    const line = moduleClasses(doc)[0]?.line ?? 0;
    return [{ name: path.basename(doc.uri.path), anchor: { start: { line, character: 0 }, end: { line, character: 0 } } }];
  }

  override async run(doc: vscode.TextDocument, req: RunRequest): Promise<FileRun | undefined> {
    if (!isCell(doc)) {
      const run = await super.run(doc, req);
      if (run) {
        this.reads.set(doc.uri.toString(), new Set((run.reads ?? []).map((r) => r.path)));
        this.missing.set(doc.uri.toString(), new Set(run.missing ?? []));
      }
      return run;
    }
    const nb = notebookOf(doc);
    if (!nb) return undefined;
    const prog = notebookProgram(nb);
    const whole = req.quick ? await this.sharedRun(prog, req) : await this.runSource(prog.asSource, req, notebookModel(nb));
    return whole && runForCell(prog, whole, doc);
  }

  /**
   * The quick run of the notebook's current text: started by the first cell that asks, shared by
   * the others (a finished one too, until the text changes), ended early only when every cell
   * waiting for it has given up.
   */
  private sharedRun(prog: NotebookProgram, req: RunRequest): Promise<FileRun | undefined> {
    const key = prog.notebook.uri.toString();
    let shared = this.notebookRuns.get(key);
    if (!shared || shared.text !== prog.source.text || shared.ac.signal.aborted) {
      if (shared && !shared.done) shared.ac.abort('superseded');
      const ac = new AbortController();
      const entry = { text: prog.source.text, users: 0, done: false, ac, result: Promise.resolve<FileRun | undefined>(undefined) };
      entry.result = this.runSource(prog.asSource, { ...req, signal: ac.signal }, notebookModel(prog.notebook)).finally(() => (entry.done = true));
      this.notebookRuns.set(key, (shared = entry));
    }
    const run = shared;
    run.users++;
    return new Promise<FileRun | undefined>((resolve) => {
      const onAbort = () => {
        if (--run.users === 0 && !run.done) run.ac.abort(req.signal.reason);
        resolve(undefined);
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      void run.result.then((r) => {
        if (req.signal.aborted) return;
        req.signal.removeEventListener('abort', onAbort);
        run.users--;
        resolve(r);
      });
    });
  }

  /** Every code cell of the notebook but `except` is out of date. */
  private invalidateCells(nb: vscode.NotebookDocument | undefined, except?: vscode.Uri): void {
    if (!nb) return;
    for (const c of codeCells(nb)) if (c.document.uri.toString() !== except?.toString()) this.invalidated.fire(c.document.uri);
    this.notebookRuns.delete(nb.uri.toString());
  }

  protected override async request(doc: Source): Promise<Partial<WorkerRequest>> {
    const sidecar = doc.uri.scheme === 'file' ? await this.sidecar(doc.uri.fsPath) : undefined;
    return { python: { ...(sidecar ? { sidecar } : {}), unsaved: unsavedPython(doc.uri) } };
  }

  /** A syntax error, what could not be followed, no model: the reader's first word on it. */
  protected override invalid(parsed: Parsed): RunFailure {
    const first = parsed.problems.find((p) => p.severity === 'error') ?? parsed.problems[0];
    return { kind: 'invalid', message: first?.message ?? 'Nothing to trace in this file' };
  }

  /** The sidecar spec beside the file: from its editor if open (unsaved edits count), else from disk. */
  private async sidecar(pyFile: string): Promise<{ text: string; fileName: string } | undefined> {
    for (const candidate of sidecarCandidates(pyFile)) {
      const open = openDocument(vscode.Uri.file(candidate));
      if (open) return { text: open.getText(), fileName: candidate };
      try {
        if ((await stat(candidate)).size > MAX_SIDECAR_BYTES) continue;
        return { text: await readFile(candidate, 'utf8'), fileName: candidate };
      } catch {
        // Not there: the next name.
      }
    }
    return undefined;
  }
}

/**
 * The .py files open with unsaved edits but `except`, by path: a script that imports one reads what
 * the editor shows; so is a new file not yet saved, open at a path (`untitled:/work/blocks.py`).
 */
function unsavedPython(except: vscode.Uri): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of vscode.workspace.textDocuments) {
    const atPath = (d.isDirty && d.uri.scheme === 'file') || (d.uri.scheme === 'untitled' && path.isAbsolute(d.uri.fsPath));
    if (atPath && /\.py$/i.test(d.uri.fsPath) && d.uri.toString() !== except.toString()) out[d.uri.fsPath] = d.getText();
  }
  return out;
}

/** A notebook is one model, named after its file; its lens goes on the first line of its first code cell. */
function notebookModel(nb: vscode.NotebookDocument): DeclaredModel {
  return { name: path.basename(nb.uri.path), anchor: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
}
