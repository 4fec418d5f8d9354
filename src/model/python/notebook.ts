/**
 * Jupyter notebooks as the Python front end reads them: the code cells in order, joined into one
 * program (IPython magics and shell lines become comments of the same length), with a map from
 * the joined text back to each cell, so a finding lands on the right cell and line, and, for an
 * .ipynb file, back to the file's own JSON text (SARIF names places in the file as it is stored).
 */
import type { SourceRange } from '../graph';
import { locateJson, LValue } from '../located';

/** One piece of a cell's code as the .ipynb stores it: a JSON string token (quotes included). */
interface StoredPiece {
  /** Where the decoded piece starts in the joined program. */
  start: number;
  /** The string token in the .ipynb text. */
  token: SourceRange;
}

export interface NotebookCell {
  /** The cell's index among all cells of the notebook (markdown ones included). */
  index: number;
  /** Where the cell's text sits in the joined program. */
  start: number;
  end: number;
  /** Where its source is stored in the .ipynb text (absent for cells given as text, e.g. an editor's). */
  stored?: StoredPiece[];
}

export interface NotebookSource {
  text: string;
  cells: NotebookCell[];
}

/** A notebook the reader cannot use, at the place in the file that says why. */
export class NotebookError extends Error {
  constructor(
    message: string,
    readonly range: SourceRange = { start: 0, end: 0 },
  ) {
    super(message);
  }
}

/** A code cell's text with magics (`%matplotlib inline`, `!pip install`) turned into comments, offsets kept. */
export function cellCode(source: string): string {
  return source
    .split('\n')
    .map((line) => (/^\s*[%!]/.test(line) ? line.replace(/[%!]/, '#') : line))
    .join('\n');
}

/** Joins code cells (each a string) into one program, one blank line between cells. */
export function joinCells(cells: { index: number; source: string; stored?: StoredPiece[] }[]): NotebookSource {
  let text = '';
  const out: NotebookCell[] = [];
  for (const c of cells) {
    if (text) text += '\n';
    const start = text.length;
    text += cellCode(c.source);
    out.push({ index: c.index, start, end: text.length, ...(c.stored ? { stored: c.stored.map((p) => ({ start: start + p.start, token: p.token })) } : {}) });
    if (!text.endsWith('\n')) text += '\n';
  }
  return { text, cells: out };
}

function entry(v: LValue | undefined, key: string): LValue | undefined {
  if (v?.kind !== 'map') return undefined;
  // JSON.parse (and Jupyter) keep the last of two equal keys.
  for (let i = v.entries.length - 1; i >= 0; i--) if (v.entries[i].key === key) return v.entries[i].value;
  return undefined;
}

/** The code cells of an .ipynb file's JSON; a file that is not a notebook is refused at its place. */
export function notebookSource(json: string, fileName: string): NotebookSource {
  const located = locateJson(json, { maxDepth: 64 });
  const fatal = located.diagnostics.find((d) => d.code !== 'spec/duplicate-key');
  if (fatal || !located.root) throw new NotebookError(`${fileName} is not a notebook: ${fatal?.message ?? 'it is empty'}`, fatal?.range);
  const cells = entry(located.root, 'cells');
  if (cells?.kind !== 'list') throw new NotebookError(`${fileName} is not a notebook: it has no "cells" list`, cells?.range ?? located.root.range);
  const code: { index: number; source: string; stored: StoredPiece[] }[] = [];
  cells.items.forEach((cell, index) => {
    const type = entry(cell, 'cell_type');
    if (type?.kind !== 'scalar' || type.value !== 'code') return;
    const src = entry(cell, 'source');
    const tokens = src?.kind === 'list' ? src.items : src ? [src] : [];
    let source = '';
    const stored: StoredPiece[] = [];
    for (const t of tokens) {
      if (t.kind !== 'scalar' || typeof t.value !== 'string') continue;
      stored.push({ start: source.length, token: t.range });
      source += t.value;
    }
    code.push({ index, source, stored });
  });
  return joinCells(code);
}

/** The cell holding an offset of the joined text, and the offset within that cell. */
export function cellAt(nb: NotebookSource, offset: number): { cell: NotebookCell; offset: number } | null {
  for (const c of nb.cells) if (offset >= c.start && offset <= c.end) return { cell: c, offset: offset - c.start };
  // Between cells (the line break joining them): the end of the cell before.
  let before: NotebookCell | null = null;
  for (const c of nb.cells) if (c.end <= offset) before = c;
  return before ? { cell: before, offset: before.end - before.start } : null;
}

/**
 * Where an offset of the joined program is in the .ipynb text: inside the JSON string token that
 * stores it, escapes counted (`\n` is two characters there, one in the code).
 */
export function storedOffset(nb: NotebookSource, json: string, offset: number): number {
  const at = cellAt(nb, offset);
  const pieces = at?.cell.stored;
  if (!at || !pieces?.length) return 0;
  const target = at.cell.start + at.offset;
  let piece = pieces[0];
  for (const p of pieces) if (p.start <= target) piece = p;
  const { start, end } = piece.token;
  let i = start + 1; // past the opening quote
  for (let decoded = piece.start; decoded < target && i < end - 1; decoded++) {
    if (json[i] !== '\\') i += 1;
    else if (json[i + 1] === 'u') {
      // A surrogate pair is two \u escapes and two UTF-16 units: one each, as counted here.
      i += 6;
    } else i += 2;
  }
  return Math.min(i, end - 1);
}
