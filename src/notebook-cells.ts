/**
 * A notebook's code cells joined into one program, as the Python front end reads a notebook (from
 * an .ipynb file, or from the editor's cell documents): in order, one blank line between cells,
 * IPython magics and shell lines (`%matplotlib inline`, `!pip install`) turned into comments of the
 * same length so every offset stays. Plain text arithmetic, shared by the CLI, the worker and the
 * extension host (which bundles no parser).
 */

/** One piece of a cell's code as an .ipynb stores it: a JSON string token (quotes included). */
export interface StoredPiece {
  /** Where the decoded piece starts in the joined program (in the cell's own text, before joining). */
  start: number;
  /** The string token in the .ipynb text. */
  token: { start: number; end: number };
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

/** A code cell's text with magics and shell lines turned into comments, offsets kept. */
export function cellCode(source: string): string {
  // Every line start, whatever ends the line before it (a cell saved with CR-only line endings too).
  return source.replace(/^([^\S\r\n\u2028\u2029]*)[%!]/gm, '$1#');
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
