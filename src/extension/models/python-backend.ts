/**
 * PyTorch source files (a `.py` file that imports torch): read and traced in the trace worker by
 * Gradient Lens's own interpreter, never run, so they are traced in Restricted Mode as spec files
 * are. A file that only defines modules is traced through its sidecar spec (`model.grad.yaml`
 * beside `model.py`, naming it), which the host reads (from its editor if open, else from disk)
 * and sends with the text; editing or saving the sidecar traces the file again.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sidecarCandidates } from '../../sidecar-files';
import { openDocument } from '../document-watch';
import type { RunRequest as WorkerRequest } from '../trace-runner';
import { executionGate } from '../trust';
import { SpecBackend, type Parsed } from './spec-backend';
import type { DeclaredModel, RunFailure } from './types';

/** `import torch`, `import torch.nn as nn`, `from torch import nn` at the start of a line. */
const IMPORTS_TORCH = /^[ \t]*(?:import[ \t]+torch\b|from[ \t]+torch\b)/m;
/** `class Net(nn.Module):` and the like: where a model a sidecar may build is defined. */
const MODULE_CLASS = /^class[ \t]+([A-Za-z_]\w*)[ \t]*\([^)]*\bModule\b[^)]*\)[ \t]*:/gm;
const SIDECAR = /\.grad\.(ya?ml|json)$/i;

/** A Python file that imports torch: the only kind worth reading for a model. */
export function isPyTorchSource(doc: vscode.TextDocument): boolean {
  return !doc.isClosed && (doc.languageId === 'python' || /\.py$/i.test(doc.uri.path)) && IMPORTS_TORCH.test(doc.getText());
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

  constructor(workerScript: string, log: vscode.LogOutputChannel) {
    super(workerScript, log);
    const changed = (uri: vscode.Uri) => {
      if (!SIDECAR.test(uri.path)) return;
      // model.grad.yaml belongs to model.py beside it (the worker checks that it names it).
      this.invalidated.fire(uri.with({ path: uri.path.replace(SIDECAR, '.py') }));
    };
    this.own(vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length && changed(e.document.uri)));
    const watcher = this.own(vscode.workspace.createFileSystemWatcher('**/*.grad.{yaml,yml,json}'));
    this.own(watcher.onDidCreate(changed));
    this.own(watcher.onDidChange(changed));
    this.own(watcher.onDidDelete(changed));
  }

  override accepts(doc: vscode.TextDocument): boolean {
    return isPyTorchSource(doc);
  }

  override gate() {
    return executionGate('source');
  }

  /** The file is one model: its lens goes above the first nn.Module class, else on the first line. */
  override declared(doc: vscode.TextDocument): DeclaredModel[] {
    const line = moduleClasses(doc)[0]?.line ?? 0;
    return [{ name: path.basename(doc.uri.path), anchor: { start: { line, character: 0 }, end: { line, character: 0 } } }];
  }

  protected override async request(doc: vscode.TextDocument): Promise<Partial<WorkerRequest>> {
    const sidecar = doc.uri.scheme === 'file' ? await this.sidecar(doc.uri.fsPath) : undefined;
    return { python: sidecar ? { sidecar } : {} };
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
