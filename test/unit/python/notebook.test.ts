/**
 * Notebooks as the Python front end reads them: code cells joined in order (markdown skipped,
 * magics and shell lines commented out with their offsets kept), each offset of the joined program
 * found again in its cell and in the .ipynb file's JSON text (escapes counted); a file that is not
 * a notebook refused at its place.
 */
import assert from 'node:assert/strict';
import { cellAt, NotebookError, notebookSource, storedOffset } from '../../../src/model/python/notebook';
import { notebookJson } from './support';

describe('notebooks: code cells joined, every offset found again', () => {
  const cells = ['# md\n# A title\n', 'import torch\n%matplotlib inline\n!pip install x\n', 'x = "tab\\there"  # \u00e9t\u00e9 done\nprint(x)'];
  // Jupyter writes é as is; another writer may escape it (\u00e9: six characters in the JSON, one in the code).
  const json = notebookJson(cells).replace('\u00e9t', '\\u00e9t');
  const nb = notebookSource(json, 'nb.ipynb');

  it('keeps the code cells in order with their index among all cells; magics become comments of the same length', () => {
    assert.deepEqual(
      nb.cells.map((c) => c.index),
      [1, 2],
    );
    assert.equal(nb.text.slice(nb.cells[0].start, nb.cells[0].end), 'import torch\n#matplotlib inline\n#pip install x\n');
    assert.equal(nb.text.slice(nb.cells[1].start, nb.cells[1].end), cells[2]);
    assert.ok(nb.text.endsWith('\n'));
  });

  it('maps an offset to its cell, and to the same character in the .ipynb text', () => {
    for (const needle of ['torch', 'matplotlib', 'here', 'print', '#', 't\u00e9 done']) {
      const offset = nb.text.indexOf(needle);
      const at = cellAt(nb, offset)!;
      assert.equal(nb.text.slice(at.cell.start + at.offset).slice(0, needle.length), needle);
      const stored = storedOffset(nb, json, offset);
      if (needle === '#' || needle === 'matplotlib') continue; // the stored text has the magic, not the comment
      assert.equal(json.slice(stored, stored + needle.length), needle, `${needle} at ${stored}`);
    }
    // After an escape (\t is two characters in the JSON, one in the code).
    const after = storedOffset(nb, json, nb.text.indexOf('here'));
    assert.equal(json.slice(after - 2, after), '\\t');
  });

  it('places every offset of a compact (one-line) notebook too', () => {
    const compact = notebookJson(['a = 1\nb = 2\n', 'c = 3\n'], 0);
    const n = notebookSource(compact, 'c.ipynb');
    const o = n.text.indexOf('c = 3');
    assert.equal(compact.slice(storedOffset(n, compact, o), storedOffset(n, compact, o) + 5), 'c = 3');
  });

  it('refuses what is not a notebook at the place that says why', () => {
    assert.throws(() => notebookSource('{"cells": [1,', 'bad.ipynb'), (e: unknown) => e instanceof NotebookError && /bad\.ipynb is not a notebook: JSON syntax error/.test(e.message) && e.range.start > 0);
    assert.throws(() => notebookSource('{"metadata": {}}', 'x.ipynb'), /x\.ipynb is not a notebook: it has no "cells" list/);
    assert.throws(() => notebookSource('', 'e.ipynb'), NotebookError);
  });
});
