/**
 * Jupyter notebooks in the editor: each code cell is a document of its own, but the program is the
 * code cells in order, as the CLI reads an .ipynb. A run of any cell reads the whole notebook
 * (joined as src/model/python/notebook.ts joins them); what it found is then placed per cell: a
 * cell's diagnostics and fixes at its own lines, notes in other cells pointing there, and the
 * notebook's findings and layers in every cell's run, each with the cell it is in, for the views.
 */
import * as vscode from 'vscode';
import { joinCells, type NotebookSource } from '../../notebook-cells';
import type { LayerRangeView, Pos, RangeView } from '../../protocol';
import type { ResolvedFinding } from '../../worker/messages';
import { toRange } from '../diagnostics';
import type { FileRun, TracedModel } from './types';

export const CELL_SCHEME = 'vscode-notebook-cell';

export function isCell(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === CELL_SCHEME;
}

/** The notebook a cell document belongs to. */
export function notebookOf(cell: vscode.TextDocument): vscode.NotebookDocument | undefined {
  const key = cell.uri.toString();
  return vscode.workspace.notebookDocuments.find((nb) => !nb.isClosed && nb.getCells().some((c) => c.document.uri.toString() === key));
}

/** The notebook's Python code cells, in order. */
export function codeCells(nb: vscode.NotebookDocument): vscode.NotebookCell[] {
  return nb.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === 'python');
}

/** A notebook's program: its code cells joined, and the line each cell starts at in it. */
export interface NotebookProgram {
  notebook: vscode.NotebookDocument;
  source: NotebookSource;
  cells: { uri: vscode.Uri; firstLine: number; lastLine: number }[];
  /** What a run reads: the notebook's uri and version, the joined text. */
  asSource: { uri: vscode.Uri; version: number; getText(): string };
}

export function notebookProgram(nb: vscode.NotebookDocument): NotebookProgram {
  const code = codeCells(nb);
  const source = joinCells(code.map((c) => ({ index: c.index, source: c.document.getText() })));
  const lineAt = (offset: number) => {
    let n = 0;
    for (let i = source.text.indexOf('\n'); i >= 0 && i < offset; i = source.text.indexOf('\n', i + 1)) n++;
    return n;
  };
  const cells = source.cells.map((c, i) => ({ uri: code[i].document.uri, firstLine: lineAt(c.start), lastLine: lineAt(c.end) }));
  return { notebook: nb, source, cells, asSource: { uri: nb.uri, version: nb.version, getText: () => source.text } };
}

/** Where a position of the joined program is: the cell and the position within it. */
function place(prog: NotebookProgram, p: Pos): { uri: vscode.Uri; pos: Pos } | undefined {
  const cell = prog.cells.find((c) => p.line >= c.firstLine && p.line <= c.lastLine);
  return cell && { uri: cell.uri, pos: { line: p.line - cell.firstLine, character: p.character } };
}

function inCell(prog: NotebookProgram, r: RangeView, cell: vscode.Uri): RangeView | undefined {
  const s = place(prog, r.start);
  const e = place(prog, r.end);
  if (!s || s.uri.toString() !== cell.toString()) return undefined;
  return { start: s.pos, end: e && e.uri.toString() === cell.toString() ? e.pos : s.pos };
}

/**
 * A finding as one cell's run holds it: in that cell, at its own lines; in another cell, with that
 * cell's uri (the views list it, its diagnostic is the other cell's). Notes go to the cells they
 * are in; a fix that edits another cell than the finding's is left out, since its edits could not
 * all be applied from there. A finding on a layer built in a module the notebook imports stays in
 * that file, with the fixes that edit only files.
 */
function findingForCell(prog: NotebookProgram, f: ResolvedFinding, cell: vscode.Uri): ResolvedFinding | undefined {
  const related = f.related.flatMap((r) => {
    if (r.file !== undefined || r.uri !== undefined) return [r];
    const at = place(prog, r.range.start);
    return at ? [{ ...r, range: inCell(prog, r.range, at.uri)!, uri: at.uri.toString() }] : [];
  });
  if (f.file !== undefined) return { ...f, related, fixes: f.fixes.filter((x) => x.edits.every((e) => e.file !== undefined)) };
  const home = place(prog, f.range.start)?.uri;
  if (!home) return undefined;
  const range = inCell(prog, f.range, home)!;
  // A note in the finding's own cell names no document (the diagnostic's is that cell).
  const placed = related.map((r) => (r.uri === home.toString() ? { ...r, uri: undefined } : r));
  const fixes = f.fixes.flatMap((x) => {
    // An edit of an imported module (its `file`) is at that file's positions, not the notebook's.
    const edits = x.edits.map((e) => (e.file !== undefined ? e : { range: inCell(prog, e.range, home), newText: e.newText }));
    return edits.every((e) => e.range) ? [{ ...x, edits: edits.map((e) => ({ ...e, range: e.range! })) }] : [];
  });
  return { ...f, range, related: placed, fixes, ...(home.toString() !== cell.toString() ? { uri: home.toString() } : {}) };
}

function toView(r: vscode.Range): RangeView {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

/** Notes of a diagnostic of the whole program: those at the notebook's positions in the cells they are in, those in a module as they are. */
function placeNotes(prog: NotebookProgram, d: vscode.Diagnostic): vscode.DiagnosticRelatedInformation[] | undefined {
  const notebook = prog.asSource.uri.toString();
  return d.relatedInformation?.flatMap((r) => {
    if (r.location.uri.toString() !== notebook) return [r];
    const at = place(prog, toView(r.location.range).start);
    if (!at) return [];
    return [new vscode.DiagnosticRelatedInformation(new vscode.Location(at.uri, toRange(inCell(prog, toView(r.location.range), at.uri)!)), r.message)];
  });
}

/** A diagnostic of the whole program as one cell shows it (its notes in the cells they are in), or undefined. */
function diagnosticInCell(prog: NotebookProgram, d: vscode.Diagnostic, cell: vscode.Uri): vscode.Diagnostic | undefined {
  const range = inCell(prog, toView(d.range), cell);
  if (!range) return undefined;
  return withNotes(d, toRange(range), placeNotes(prog, d));
}

function withNotes(d: vscode.Diagnostic, range: vscode.Range, notes: vscode.DiagnosticRelatedInformation[] | undefined): vscode.Diagnostic {
  const out = new vscode.Diagnostic(range, d.message, d.severity);
  out.source = d.source;
  out.code = d.code;
  out.relatedInformation = notes;
  return out;
}

/**
 * A run of the whole notebook as one of its cells holds it: the notebook is one model, so every
 * cell's views (sidebar, status bar, CodeLens, panel) show all its findings and layers, each placed
 * in its own cell; the cell's diagnostics are those at its own lines.
 */
export function runForCell(prog: NotebookProgram, whole: FileRun, cell: vscode.TextDocument): FileRun {
  const models: TracedModel[] = whole.models.map((m) => ({
    ...m,
    findings: m.findings.flatMap((f) => findingForCell(prog, f, cell.uri) ?? []),
    layers: m.layers.flatMap((l): LayerRangeView[] => {
      // Built in a module the notebook imports: already in that file.
      if (l.uri !== undefined) return [l];
      const home = place(prog, l.range.start)?.uri;
      if (!home) return [];
      return [{ ...l, range: inCell(prog, l.range, home)!, ...(home.toString() !== cell.uri.toString() ? { uri: home.toString() } : {}) }];
    }),
  }));
  const diagnostics = whole.diagnostics.flatMap((d) => diagnosticInCell(prog, d, cell.uri) ?? []);
  // A module's own problems stay in its file, their notes (the cell's import) placed in the cells.
  const elsewhere = whole.elsewhere?.map((p) => ({ file: p.file, diagnostic: withNotes(p.diagnostic, p.diagnostic.range, placeNotes(prog, p.diagnostic)) }));
  return { ...whole, version: cell.version, models, diagnostics, elsewhere, importer: prog.notebook.uri };
}
