/**
 * Jupyter notebooks as the Python front end reads them: the code cells in order, joined into one
 * program (IPython magics and shell lines become comments of the same length), with a map from
 * the joined text back to each cell, so a finding lands on the right cell and line.
 */

export interface NotebookCell {
  /** The cell's index among all cells of the notebook (markdown ones included). */
  index: number;
  /** Where the cell's text sits in the joined program. */
  start: number;
  end: number;
}

export interface NotebookSource {
  text: string;
  cells: NotebookCell[];
}

export class NotebookError extends Error {}

/** A code cell's text with magics (`%matplotlib inline`, `!pip install`) turned into comments, offsets kept. */
export function cellCode(source: string): string {
  return source
    .split('\n')
    .map((line) => (/^\s*[%!]/.test(line) ? line.replace(/[%!]/, '#') : line))
    .join('\n');
}

/** Joins code cells (each a string) into one program, one blank line between cells. */
export function joinCells(cells: { index: number; source: string }[]): NotebookSource {
  let text = '';
  const out: NotebookCell[] = [];
  for (const c of cells) {
    if (text) text += '\n';
    const start = text.length;
    text += cellCode(c.source);
    out.push({ index: c.index, start, end: text.length });
    if (!text.endsWith('\n')) text += '\n';
  }
  return { text, cells: out };
}

/** The code cells of an .ipynb file's JSON. */
export function notebookSource(json: string, fileName: string): NotebookSource {
  let nb: unknown;
  try {
    nb = JSON.parse(json.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new NotebookError(`${fileName} is not a notebook: ${(e as Error).message}`);
  }
  const cells = (nb as { cells?: unknown })?.cells;
  if (!Array.isArray(cells)) throw new NotebookError(`${fileName} is not a notebook: it has no "cells" list`);
  const code: { index: number; source: string }[] = [];
  cells.forEach((c, index) => {
    const cell = c as { cell_type?: unknown; source?: unknown };
    if (cell?.cell_type !== 'code') return;
    const src = Array.isArray(cell.source) ? cell.source.join('') : typeof cell.source === 'string' ? cell.source : '';
    code.push({ index, source: src });
  });
  return joinCells(code);
}

/** The cell holding an offset of the joined text, and the offset within that cell. */
export function cellAt(nb: NotebookSource, offset: number): { cell: NotebookCell; offset: number } | null {
  for (const c of nb.cells) if (offset >= c.start && offset <= c.end) return { cell: c, offset: offset - c.start };
  return null;
}
