/**
 * The parts import one another in one direction only (DESIGN.md's data flow): the engine knows no
 * model, the model graph and its front ends know no trace or rules, the rules know no analyse step,
 * and only src/extension imports `vscode`. A matrix of allowed imports holds it, so a cycle such as
 * model → rules → model cannot come back unnoticed. Type-only imports may reach a little further
 * (a front end names the types it fills in), and are listed apart.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const IMPORTS_VSCODE = /(?:from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/;

/** Small utilities at the root of src, importable from anywhere and importing only one another. */
const SHARED = ['limits', 'escape', 'json-text', 'numbers', 'sidecar-files', 'notebook-cells', 'text-digest'];

/** For each part: the parts its code may import, and those it may import types from besides. */
const ALLOWED: Record<string, { values: string[]; types?: string[] }> = {
  engine: { values: [] },
  authoring: { values: ['engine'], types: ['model'] },
  model: { values: ['engine', 'authoring'] },
  'user-files': { values: ['model'] },
  trace: { values: ['engine', 'model', 'user-files'] },
  rules: { values: ['engine', 'model'], types: ['trace'] },
  analyse: { values: ['model', 'trace', 'rules'] },
  protocol: { values: [], types: ['trace', 'rules'] },
  report: { values: ['model'], types: ['protocol', 'rules', 'trace'] },
  worker: { values: ['analyse', 'authoring', 'engine', 'model', 'rules', 'trace', 'protocol', 'user-files'] },
  cli: { values: ['analyse', 'engine', 'model', 'report', 'rules', 'trace', 'user-files', 'worker'] },
  extension: { values: ['analyse', 'authoring', 'engine', 'model', 'protocol', 'report', 'rules', 'trace', 'user-files', 'worker'] },
  webview: { values: ['protocol', 'report', 'rules'], types: ['trace'] },
};

interface Import {
  from: string;
  target: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(name) ? [p] : [];
  });
}

/** The part a file belongs to: its top folder under src (or webview), or its own name at the root of src. */
export function partOf(file: string): string {
  const rel = relative(ROOT, file).replace(/\\/g, '/');
  if (rel.startsWith('webview/')) return 'webview';
  const inSrc = rel.replace(/^src\//, '');
  return inSrc.includes('/') ? inSrc.slice(0, inSrc.indexOf('/')) : inSrc.replace(/\.ts$/, '');
}

/** Every relative import, export-from and require of a file's text, with whether it brings types only. */
export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (spec.startsWith('.')) out.push({ from: file, target: resolve(dirname(file), spec), typeOnly });
  };
  for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"]([^'"]+)['"]/g)) {
    const braces = /^\{([^}]*)\}$/.exec(m[3].trim());
    const names = braces ? braces[1].split(',').map((x) => x.trim()).filter(Boolean) : [];
    add(m[4], !!m[2] || (names.length > 0 && names.every((n) => n.startsWith('type '))));
  }
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) add(m[1], false);
  for (const m of text.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1], false);
  return out;
}

/** The imports that break the matrix, as "from → to (what)". */
export function violations(imports: readonly Import[]): string[] {
  const bad: string[] = [];
  for (const i of imports) {
    // package.json (the version) and other files outside the code are no part.
    if (!i.target.startsWith(SRC) && !i.target.startsWith(join(ROOT, 'webview'))) continue;
    const from = partOf(i.from);
    const to = partOf(i.target);
    if (from === to || SHARED.includes(to)) continue;
    const allowed = ALLOWED[from];
    const ok = SHARED.includes(from) ? false : !!allowed && (allowed.values.includes(to) || (i.typeOnly && !!allowed.types?.includes(to)));
    if (!ok) bad.push(`${relative(ROOT, i.from)} → ${relative(ROOT, i.target)} (${from} → ${to}${i.typeOnly ? ', types' : ''})`);
  }
  return bad;
}

describe('layering', () => {
  const files = [...sources(SRC), ...sources(join(ROOT, 'webview'))];

  it('imports vscode only under src/extension', () => {
    assert.ok(files.length > 50, 'the scan sees the sources');
    const leaks = files.filter((f) => partOf(f) !== 'extension' && IMPORTS_VSCODE.test(readFileSync(f, 'utf8')));
    assert.deepEqual(leaks.map((f) => relative(ROOT, f)), []);
  });

  it('every part imports only what the matrix allows', () => {
    const unknown = [...new Set(files.map(partOf))].filter((p) => !ALLOWED[p] && !SHARED.includes(p));
    assert.deepEqual(unknown, [], 'a new part needs its row in the matrix');
    const imports = files.flatMap((f) => importsOf(f, readFileSync(f, 'utf8')));
    assert.ok(imports.length > 300, `${imports.length} imports read`);
    assert.deepEqual(violations(imports), []);
  });

  it('the checks recognise what they look for', () => {
    assert.ok(IMPORTS_VSCODE.test("import * as vscode from 'vscode';"));
    assert.ok(IMPORTS_VSCODE.test("const vscode = require('vscode');"));
    assert.ok(!IMPORTS_VSCODE.test("import { x } from './vscode-helpers';"));
    const model = join(SRC, 'model', 'typescript', 'runner.ts');
    const text = "import { checkTrace } from '../../rules';\nimport type { Trace } from '../../trace/types';\nimport { type Finding } from '../../rules/types';\n";
    const found = importsOf(model, text);
    assert.deepEqual(found.map((i) => i.typeOnly), [false, true, true]);
    assert.equal(violations(found).length, 3, 'model may import neither rules nor trace, types included');
    assert.deepEqual(violations(importsOf(join(SRC, 'authoring', 'registry.ts'), "import type { LossType } from '../model/catalogue';")), []);
    assert.equal(violations(importsOf(join(SRC, 'authoring', 'registry.ts'), "import { LOSSES } from '../model/catalogue';")).length, 1);
  });
});
