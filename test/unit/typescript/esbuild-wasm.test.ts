/**
 * The WebAssembly esbuild shipped in the VSIX transpiles a model where neither the extension nor
 * the project has a native esbuild, and where `node` is not on the PATH (a VS Code user need not
 * have Node installed): the host starts its service with the runtime it runs on.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, esbuildKind, provideEsbuild } from '../../../src/extension/ts-host/esbuild-shim';

const WASM = join(__dirname, '..', '..', '..', 'dist', 'esbuild-wasm');

describe('esbuild-wasm for TypeScript models', () => {
  it('is copied into dist/ by the build, laid out as its API expects', () => {
    for (const f of ['package.json', 'lib/main.js', 'bin/esbuild', 'esbuild.wasm', 'wasm_exec_node.js']) assert.ok(existsSync(join(WASM, f)), f);
  });

  it('transpiles a decorated model with no node on the PATH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-wasm-'));
    const file = join(dir, 'm.model.ts');
    writeFileSync(file, 'function model(_o: object) { return (c: Function) => c; }\n@model({})\nexport class M { width: number = 3; }\n');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require(WASM);
    provideEsbuild(wasm, { wasm: true });
    assert.equal(esbuildKind(), 'wasm');
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'no-node-here');
    try {
      const r = await build({ entryPoints: [file], bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'silent' });
      assert.match(r.outputFiles![0].text, /width = 3/);
    } finally {
      process.env.PATH = path;
      await wasm.stop?.();
    }
  });
});
