// Bundles the extension-host test suites to out/test/extension/<suite>/*.js: one file per test
// file (mocha loads them one by one so its globals exist when they run), `vscode` and `mocha`
// left to the extension host.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const suites = ['suite', 'untrusted', 'activation'];
const entryPoints = suites.flatMap((s) =>
  readdirSync(join('test/extension', s))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('test/extension', s, f)),
);
rmSync('out/test/extension', { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outbase: 'test/extension',
  outdir: 'out/test/extension',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
console.log(`build-ext-tests: ${entryPoints.length} files → out/test/extension`);
