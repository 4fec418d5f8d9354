/** Shared by the TypeScript front-end tests: run a model file and find findings by the text they sit on. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { positionAt } from '../../../src/model/graph';
import type { SourceRange } from '../../../src/model/graph';
import { traceTypeScriptFile, TsTraceOptions } from '../../../src/worker/typescript';
import type { TsRunResult } from '../../../src/worker/typescript';

export const EXAMPLES = join(__dirname, '..', '..', '..', 'examples', 'typescript');

export interface Run {
  file: string;
  text: string;
  result: TsRunResult;
}

export async function runExample(name: string, opts: TsTraceOptions = {}): Promise<Run> {
  const file = join(EXAMPLES, name);
  const text = readFileSync(file, 'utf8');
  return { file, text, result: await traceTypeScriptFile(file, text, opts) };
}

/** Writes `text` as `name` in a fresh directory (with a tsconfig.json when given) and runs it. */
export async function runSource(text: string, opts: TsTraceOptions = {}, tsconfig?: object, name = 'model.ts'): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-ts-'));
  if (tsconfig) writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const file = join(dir, name);
  writeFileSync(file, text);
  try {
    return { file, text, result: await traceTypeScriptFile(file, text, opts) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text a range covers. */
export function at(text: string, r: SourceRange | undefined): string {
  return r ? text.slice(r.start, r.end) : '';
}

/** 1-based line of a range's start. */
export function lineOf(text: string, r: SourceRange | undefined): number {
  return r ? positionAt(text, r.start).line + 1 : 0;
}

/** 1-based line of the first occurrence of `snippet`. */
export function lineWith(text: string, snippet: string): number {
  const i = text.indexOf(snippet);
  if (i < 0) throw new Error(`"${snippet}" is not in the text`);
  return positionAt(text, i).line + 1;
}

/** A model file header: imports everything a test model may use. */
export const HEADER = `import { add, customOp, Linear, map, matmul, model, Module, ReLU, Sigmoid, Tensor, trace, zeros, zip } from 'gradient-lens';\n`;

export const OPTIONS = `{ input: [4], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } }`;
