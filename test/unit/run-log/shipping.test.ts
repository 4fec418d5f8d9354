/** The gradient_lens Python package ships inside the VSIX and the npm package, without its tests. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const PACKAGE_FILES = readdirSync(join(ROOT, 'python', 'gradient_lens'))
  .filter((f) => f.endsWith('.py'))
  .map((f) => `python/gradient_lens/${f}`)
  .sort();

describe('shipping the Python hook', function () {
  this.timeout(120_000);

  it('the VSIX holds every module of python/gradient_lens and none of its tests', () => {
    const vsce = require.resolve('@vscode/vsce/vsce');
    const listed = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.ok(PACKAGE_FILES.length >= 8);
    assert.deepEqual(listed.filter((f) => f.startsWith('python/')).sort(), PACKAGE_FILES);
    assert.ok(listed.includes('schema/gl-run.schema.json'));
  });

  it('the VSIX holds every bundle the extension loads from dist/ at run time (the run-watch worker was once left out)', () => {
    const vsce = require.resolve('@vscode/vsce/vsce');
    const listed = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const sources = readdirSync(join(ROOT, 'src', 'extension'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const loaded = new Set<string>();
    for (const f of sources) {
      for (const m of readFileSync(join(ROOT, 'src', 'extension', f), 'utf8').matchAll(/'dist',\s*'([\w.-]+\.(?:js|wasm))'/g)) loaded.add(`dist/${m[1]}`);
    }
    assert.ok(loaded.has('dist/run-worker.js') && loaded.has('dist/trace-worker.js'), [...loaded].join(', '));
    assert.deepEqual([...loaded].filter((f) => !listed.includes(f)), []);
  });

  it('the npm package holds the CLI, the Python package and the schemas, not the sources or tests', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    assert.deepEqual(files.filter((f) => f.startsWith('python/')).sort(), PACKAGE_FILES);
    for (const f of ['package.json', 'README.md', 'schema/gl-run.schema.json', 'schema/grad-spec.schema.json']) assert.ok(files.includes(f), f);
    assert.deepEqual(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.includes('__pycache__')), []);
  });
});
