/**
 * The core (engine, model, trace, rules, CLI, report, worker, authoring) runs in plain node and in
 * the CLI, so only src/extension may import `vscode` (DESIGN.md, convention 1).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..', '..', 'src');
const IMPORTS_VSCODE = /(?:from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(name) ? [p] : [];
  });
}

describe('layering', () => {
  it('imports vscode only under src/extension', () => {
    const files = sources(SRC);
    assert.ok(files.length > 50, 'the scan sees the sources');
    const leaks = files.filter((f) => !relative(SRC, f).startsWith('extension') && IMPORTS_VSCODE.test(readFileSync(f, 'utf8')));
    assert.deepEqual(leaks.map((f) => relative(SRC, f)), []);
  });

  it('the check itself recognises an import of vscode', () => {
    assert.ok(IMPORTS_VSCODE.test("import * as vscode from 'vscode';"));
    assert.ok(IMPORTS_VSCODE.test("const vscode = require('vscode');"));
    assert.ok(!IMPORTS_VSCODE.test("import { x } from './vscode-helpers';"));
  });
});
