#!/usr/bin/env node
/**
 * Packages the extension as a .vsix with vsce, offline: the bundles in dist/ carry every
 * dependency, so --no-dependencies; .vscodeignore keeps out everything else. Prints the size and
 * what went in. Run after `node esbuild.mjs --production` (npm run package does both).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
for (const f of ['dist/extension.js', 'dist/trace-worker.js', 'dist/run-worker.js', 'dist/ts-host.js', 'dist/spec-host.js', 'dist/ts-runner.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-python.wasm', 'dist/kernels-relaxed-simd.wasm', 'dist/kernels-simd.wasm', 'dist/esbuild-wasm/esbuild.wasm']) {
  if (!fs.existsSync(path.join(ROOT, f))) {
    console.error(`package: ${f} is missing; run node esbuild.mjs --production first`);
    process.exit(2);
  }
}
const out = path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
const vsce = require.resolve('@vscode/vsce/vsce');
const args = [vsce, 'package', '--no-dependencies', '--out', out, '--allow-missing-repository', '--skip-license', '--no-update-package-json',
  // No public repository to rewrite README links against: they stay relative to the packaged files.
  '--no-rewrite-relative-links'];
execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
const listing = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
const bytes = fs.statSync(out).size;
console.log(`package: ${path.basename(out)} ${(bytes / 1024).toFixed(0)} KB, ${listing.length} files`);
