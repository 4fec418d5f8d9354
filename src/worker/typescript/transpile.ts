/**
 * The user's model file → one CommonJS bundle, in memory, with an inline source map whose sources
 * are absolute paths (stack frames then name the user's file, line and column). The text may be
 * unsaved editor content; the file's own tsconfig.json still decides the decorator flavour.
 */
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import type { RunError } from './protocol';
import { offsetOf } from '../../model/typescript/text';

export type Transpiled = { ok: true; code: string; bundleFile: string } | { ok: false; error: RunError };

const LOADERS: Record<string, esbuild.Loader> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx' };

/** esbuild counts columns in UTF-8 bytes; editors and our ranges count UTF-16 units. */
function utf16Column(lineText: string, byteColumn: number): number {
  return Buffer.from(lineText, 'utf8').subarray(0, byteColumn).toString('utf8').length;
}

function compileError(e: unknown, fileName: string, text: string, cwd: string): RunError {
  const first = (e as { errors?: esbuild.Message[] }).errors?.[0];
  if (!first) return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
  const loc = first.location;
  if (!loc) return { kind: 'error', message: first.text };
  const file = isAbsolute(loc.file) ? loc.file : resolve(cwd, loc.file);
  if (file !== fileName) return { kind: 'error', message: `${loc.file}:${loc.line}:${loc.column + 1}: ${first.text}` };
  const start = offsetOf(text, loc.line, utf16Column(loc.lineText, loc.column) + 1);
  const end = Math.min(text.length, start + Math.max(1, utf16Column(loc.lineText.slice(utf16Column(loc.lineText, loc.column)), loc.length)));
  return { kind: 'error', message: first.text, location: { start, end } };
}

export async function transpileModel(fileName: string, text: string): Promise<Transpiled> {
  const dir = dirname(fileName);
  const bundleFile = resolve(dir, `.${basename(fileName)}.gradient-lens.js`);
  const loader = LOADERS[extname(fileName)] ?? 'ts';
  const escaped = fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The editor's text, not the file on disk (it may be unsaved or not exist at all).
  const editorText: esbuild.Plugin = {
    name: 'editor-text',
    setup(build) {
      // Resolving the entry ourselves makes esbuild keep a stale tsconfig.json; only a file not on disk needs it.
      if (!existsSync(fileName)) build.onResolve({ filter: new RegExp(`^${escaped}$`) }, () => ({ path: fileName }));
      build.onLoad({ filter: new RegExp(`^${escaped}$`) }, () => ({ contents: text, loader, resolveDir: dir }));
    },
  };
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  try {
    result = await esbuild.build({
      entryPoints: [fileName],
      plugins: [editorText],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'es2022',
      sourcemap: 'external',
      sourcesContent: false,
      // Decorator lowering renames classes; the user's class names are what findings and layer types say.
      keepNames: true,
      outfile: bundleFile,
      write: false,
      // The runner hands the user's code its own instance of the library: one engine, one registry.
      external: ['gradient-lens', 'gradient-lens/*'],
      absWorkingDir: dir,
      logLevel: 'silent',
    });
  } catch (e) {
    return { ok: false, error: compileError(e, fileName, text, dir) };
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  if (!js || !map) return { ok: false, error: { kind: 'error', message: 'esbuild produced no bundle' } };
  const sourceMap = JSON.parse(map.text) as { sources: string[] };
  sourceMap.sources = sourceMap.sources.map((s) => resolve(dir, s));
  const code = `${js.text}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(sourceMap)).toString('base64')}\n`;
  return { ok: true, code, bundleFile };
}
