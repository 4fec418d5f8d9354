/**
 * The extension host bundle stays small so activation stays cheap: parsing, the engine and the
 * rules run in the worker bundle only. And `vscode` stays inside src/extension.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = join(__dirname, '..', '..', '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('extension host bundle', () => {
  it('does not pull the engine, the spec parser, the tracer or the rules into the extension host', async function () {
    this.timeout(30000);
    const r = await esbuild.build({
      entryPoints: [join(ROOT, 'src/extension/extension.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['vscode'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs).map((p) => relative(ROOT, join(process.cwd(), p)).replace(/\\/g, '/'));
    const heavy = inputs.filter((p) => /^src\/(engine|model|trace\/(run|stats|data))\b|node_modules\/(yaml|jsonc-parser|chart\.js)\//.test(p) || /^src\/rules\/(?!config\.ts|types\.ts)/.test(p));
    assert.deepEqual(heavy, [], 'model work belongs in the worker bundle');
    const bytes = r.outputFiles[0].contents.length;
    assert.ok(bytes < 300_000, `dist/extension.js is ${bytes} bytes`);
  });

  it('the worker bundle has the whole pipeline', async function () {
    this.timeout(30000);
    const r = await esbuild.build({
      entryPoints: [join(ROOT, 'src/worker/trace-worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs).join('\n');
    for (const part of ['src/trace/run.ts', 'src/rules/index.ts', 'src/model/']) assert.ok(inputs.includes(part), part);
    assert.ok(!inputs.includes('vscode'), 'no vscode in the worker');
  });

  it('only src/extension imports vscode', () => {
    const offenders = files(join(ROOT, 'src'))
      .filter((f) => !relative(ROOT, f).replace(/\\/g, '/').startsWith('src/extension/'))
      .filter((f) => /(from|require\()\s*['"]vscode['"]/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(offenders.map((f) => relative(ROOT, f)), []);
  });
});
