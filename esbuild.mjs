// Builds every bundle: the CLI and benchmark (node), and later the extension (node, CJS,
// `vscode` external) and the webviews (browser, IIFE). `tsc --noEmit` checks types separately.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // jsonc-parser's UMD build requires its parts dynamically, which a bundle cannot follow; take its ES module build.
  mainFields: ['module', 'main'],
  target: 'node20',
  // The engine's module classes carry PyTorch's names (TransformerEncoderLayer), which the Python
  // front end and the layer list read from their constructors: bundling must not rename them.
  keepNames: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const browser = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  sourcemap: production ? false : 'inline',
  minify: true,
  logLevel: 'warning',
};

/**
 * In dist/ts-host.js `esbuild` is a shim the extension fills with the esbuild it found (its own in
 * development, else the user's project's): the packaged extension has no node_modules.
 */
const esbuildShim = {
  name: 'esbuild-shim',
  setup(build) {
    build.onResolve({ filter: /^esbuild$/ }, () => ({ path: new URL('./src/extension/ts-host/esbuild-shim.ts', import.meta.url).pathname }));
  },
};

/** Only bundles whose entry exists, so a partial checkout still builds what it has. */
const builds = [
  // esbuild's own API cannot be bundled; the CLI and extension load it to transpile TypeScript models.
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, external: ['esbuild'] },
  { ...node, entryPoints: ['bench/main.ts'], outfile: 'dist/bench.js', external: ['@tensorflow/*'] },
  { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', 'esbuild'] },
  // Loaded by the extension on the first TypeScript model file: the model front end and the engine stay out of extension.js.
  { ...node, entryPoints: ['src/extension/ts-host/index.ts'], outfile: 'dist/ts-host.js', plugins: [esbuildShim] },
  // Loaded on the first completion or hover in a spec file: the catalogue (and the engine it names) stays out of extension.js.
  { ...node, entryPoints: ['src/extension/spec-host/index.ts'], outfile: 'dist/spec-host.js' },
  // The process a TypeScript model runs in (time, heap and tensor-memory limits), next to the bundles that fork it.
  { ...node, entryPoints: ['src/worker/typescript/runner.ts'], outfile: 'dist/ts-runner.js' },
  // The trace runs in a worker thread so the extension host's event loop never waits for model work.
  { ...node, entryPoints: ['src/worker/trace-worker.ts'], outfile: 'dist/trace-worker.js' },
  // A watched training run's log is read, and the rules applied to it, in a worker thread of its own.
  { ...node, entryPoints: ['src/worker/run-worker.ts'], outfile: 'dist/run-worker.js' },
  { ...browser, entryPoints: ['webview/panel/main.ts'], outfile: 'dist/webview/panel.js' },
  { ...browser, entryPoints: ['webview/sidebar/main.ts'], outfile: 'dist/webview/sidebar.js' },
  { ...browser, entryPoints: ['webview/report/main.ts'], outfile: 'dist/report.js', sourcemap: false },
].filter((b) => existsSync(b.entryPoints[0]));

/** Codicons' font and CSS go next to the webview bundles: webviews may load only from dist/ and media/. */
function copyCodicons() {
  const from = 'node_modules/@vscode/codicons/dist';
  if (!existsSync(from)) return;
  mkdirSync('dist/webview', { recursive: true });
  cpSync(`${from}/codicon.css`, 'dist/webview/codicon.css');
  cpSync(`${from}/codicon.ttf`, 'dist/webview/codicon.ttf');
}
copyCodicons();

/**
 * tree-sitter's runtime and the Python grammar are WebAssembly: they go next to the bundles that
 * parse Python (CLI, trace worker), which read them from their own directory.
 */
function copyParserWasm() {
  const files = [
    ['node_modules/web-tree-sitter/tree-sitter.wasm', 'dist/tree-sitter.wasm'],
    ['node_modules/tree-sitter-python/tree-sitter-python.wasm', 'dist/tree-sitter-python.wasm'],
  ];
  mkdirSync('dist', { recursive: true });
  for (const [from, to] of files) if (existsSync(from)) cpSync(from, to);
}
copyParserWasm();

/**
 * The Python source of the libraries Gradient Lens mirrors in Python (torchvision.models) goes
 * next to the bundles that run Python (CLI, trace worker), which read it from their own directory
 * (src/model/python/mirrored.ts); copied again on every build, as it is small.
 */
function copyMirroredPython() {
  const from = 'src/model/python/mirrored';
  if (!existsSync(from)) return;
  cpSync(from, 'dist/mirrored', { recursive: true, filter: (f) => statSync(f).isDirectory() || f.endsWith('.py') });
}
copyMirroredPython();

/**
 * The WebAssembly compute core (src/engine/kernels/assembly, AssemblyScript from the npm registry:
 * no C toolchain), built twice: with relaxed SIMD (a fused multiply-add, on by default in VS Code's
 * extension host and Node ≥ 22) and with plain SIMD for Node 20. The memory is imported and shared,
 * so the worker threads of the kernel pool run on the same arrays. Skipped when the .wasm files are
 * newer than every source, as asc takes seconds.
 */
async function buildKernels() {
  const dir = 'src/engine/kernels/assembly';
  if (!existsSync(dir)) return;
  const newest = Math.max(...readdirSync(dir).map((f) => statSync(`${dir}/${f}`).mtimeMs), statSync('esbuild.mjs').mtimeMs);
  const variants = [
    { out: 'dist/kernels-relaxed-simd.wasm', features: 'simd,threads,relaxed-simd' },
    { out: 'dist/kernels-simd.wasm', features: 'simd,threads' },
  ];
  const stale = variants.filter((v) => !existsSync(v.out) || statSync(v.out).mtimeMs < newest);
  if (!stale.length) return;
  const { default: asc } = await import('assemblyscript/asc');
  mkdirSync('dist', { recursive: true });
  for (const v of stale) {
    const { error, stderr } = await asc.main([
      `${dir}/index.ts`, '-O3', '--noAssert', '--runtime', 'stub', '--enable', v.features,
      '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536', '-o', v.out,
    ]);
    if (error) throw new Error(`asc failed on ${v.out}:\n${stderr.toString()}`);
  }
}

/**
 * esbuild's WebAssembly build, as its package lays it out (its API finds bin/esbuild and the .wasm
 * relative to lib/main.js): the TypeScript model host falls back to it when neither the extension
 * nor the user's project has a native esbuild, so a packaged extension transpiles models anywhere.
 */
function copyEsbuildWasm() {
  const from = 'node_modules/esbuild-wasm';
  if (!existsSync(from)) return;
  for (const f of ['package.json', 'lib/main.js', 'bin/esbuild', 'esbuild.wasm', 'wasm_exec.js', 'wasm_exec_node.js', 'LICENSE.md']) {
    mkdirSync(`dist/esbuild-wasm/${f.includes('/') ? f.split('/')[0] : ''}`, { recursive: true });
    cpSync(`${from}/${f}`, `dist/esbuild-wasm/${f}`);
  }
}
copyEsbuildWasm();

if (watch) {
  await buildKernels();
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('watching…');
} else {
  await Promise.all([buildKernels(), ...builds.map((b) => esbuild.build(b))]);
}
