/**
 * Loads tree-sitter's runtime and the Python grammar, both WebAssembly, once per process. The
 * build copies the two .wasm files next to the bundles in dist/ (CLI, trace worker, VSIX); from
 * sources (tests) they are read from node_modules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// A require, so bundlers take the package's CommonJS build: its ES module build locates itself
// through import.meta.url, which a CommonJS bundle does not have.
import TreeSitter = require('web-tree-sitter');

const { Language, Parser } = TreeSitter;
type Parser = TreeSitter.Parser;

/** The .wasm files the build copies to dist/, and where npm puts them. */
export const WASM_FILES = {
  runtime: { file: 'tree-sitter.wasm', module: 'web-tree-sitter/tree-sitter.wasm' },
  python: { file: 'tree-sitter-python.wasm', module: 'tree-sitter-python/tree-sitter-python.wasm' },
} as const;

function readWasm(which: keyof typeof WASM_FILES): Uint8Array {
  const { file, module } = WASM_FILES[which];
  const beside = join(__dirname, file);
  try {
    return readFileSync(beside);
  } catch {
    let resolved: string;
    try {
      resolved = require.resolve(module);
    } catch {
      throw new Error(`the Python parser is missing: ${file} is neither in ${__dirname} nor installed (npm ci)`);
    }
    return readFileSync(resolved);
  }
}

let loading: Promise<Parser> | null = null;
let parser: Parser | null = null;

/** Loads the parser (about 0.1 s the first time in a process); later calls return at once. */
export function loadPythonParser(): Promise<Parser> {
  loading ??= (async () => {
    await Parser.init({ wasmBinary: readWasm('runtime') } as object);
    const language = await Language.load(readWasm('python'));
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
    return p;
  })();
  loading.catch(() => (loading = null));
  return loading;
}

/** The loaded parser; `loadPythonParser()` must have resolved. */
export function pythonParser(): Parser {
  if (!parser) throw new Error('the Python parser is not loaded yet: await loadPythonParser() first');
  return parser;
}
