/**
 * Fixes of findings on layers built in a module the script imports: each edit names the file it is
 * in and is at that file's offsets (the module where the layer, or the user's init call, is
 * written; the script for its loss), and the edits applied make the finding go.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { applyEdits, type TextEdit } from '../../../src/model/fixes';
import type { PythonSources } from '../../../src/model/python/imports';
import { analysePython, type PythonResult } from '../../../src/worker/python';
import { ready } from './support';

const ROOT = '/project';
const FIXTURE = join(__dirname, '..', '..', 'extension', 'fixtures', 'python', 'imports');
/** A Sigmoid after a Linear initialised 200x too wide, in its own module. */
const BLOCK = readFileSync(join(FIXTURE, 'layers', 'block.py'), 'utf8');
const MAIN = readFileSync(join(FIXTURE, 'train.py'), 'utf8').replace('from layers.block import Block', 'from block import Block');

type Files = Record<string, string>;

/** The project's files in memory, by name in ROOT. */
function sources(files: Files): PythonSources {
  return {
    read: (path) => (dirname(path) === ROOT ? (files[path.slice(ROOT.length + 1)] ?? null) : null),
    isFolder: () => false,
  };
}

async function trace(files: Files): Promise<PythonResult> {
  return analysePython({ text: files['main.py'], fileName: join(ROOT, 'main.py'), steps: 3, sources: sources(files) });
}

/** Each file with the fix's edits in it applied; an edit without `file` is the script's. */
function applied(files: Files, edits: readonly TextEdit[]): Files {
  const out = { ...files };
  for (const name of Object.keys(files)) {
    const path = join(ROOT, name);
    out[name] = applyEdits(files[name], edits.filter((e) => (e.range.file ?? join(ROOT, 'main.py')) === path));
  }
  return out;
}

function fixOf(r: PythonResult, rule: string, title: RegExp) {
  const f = r.analysis?.findings.find((x) => x.rule === rule);
  assert.ok(f, JSON.stringify(r.diagnostics));
  const fix = f.fixes.find((x) => title.test(x.title));
  assert.ok(fix, f.fixes.map((x) => x.title).join(' | '));
  return fix;
}

describe('fixes of layers built in an imported module', () => {
  before(ready);

  it('Replace Sigmoid with ReLU edits block.py at its offsets, and the finding is gone', async () => {
    const files = { 'main.py': MAIN, 'block.py': BLOCK };
    const fix = fixOf(await trace(files), 'saturated-activation', /^Replace Sigmoid with ReLU$/);
    assert.deepEqual(fix.edits.map((e) => [e.range.file, BLOCK.slice(e.range.start, e.range.end), e.newText]), [[join(ROOT, 'block.py'), 'nn.Sigmoid()', 'nn.ReLU()']]);
    const after = await trace(applied(files, fix.edits));
    assert.deepEqual(after.analysis?.findings.filter((f) => f.rule === 'saturated-activation'), []);
  });

  it("the user's init call written in the script for a layer built in block.py is rewritten in the script", async () => {
    const files = { 'main.py': MAIN.replace('net = Block()\n', 'net = Block()\nnn.init.normal_(net.fc1.weight, std=50.0)\n').replace('import torch\n', 'import torch\nimport torch.nn as nn\n'), 'block.py': BLOCK.replace('        nn.init.normal_(self.fc1.weight, std=50.0)\n', '') };
    const fix = fixOf(await trace(files), 'saturated-activation', /^Initialise Linear fc1's weight with xavier_uniform/);
    assert.deepEqual(fix.edits.map((e) => [e.range.file, files['main.py'].slice(e.range.start, e.range.end), e.newText]), [[undefined, 'nn.init.normal_(net.fc1.weight, std=50.0)', 'nn.init.xavier_uniform_(net.fc1.weight)']]);
    const after = await trace(applied(files, fix.edits));
    assert.deepEqual(after.analysis?.findings.map((f) => f.rule), []);
  });
});
