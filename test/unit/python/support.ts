/** Runs Python source through the parser and the interpreter, as the tests need it. */
import { Interpreter, InterpreterOptions } from '../../../src/model/python/interpreter';
import { parsePython } from '../../../src/model/python/parse';
import { loadPythonParser } from '../../../src/model/python/tree-sitter';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPython } from '../../../src/model/python/front';
import { PYTHON as TORCH_PYTHON, requireTorch, runInOneTorchProcess, type ScriptAnswer } from '../../support/torch';

/** Debian's CPython, the reference for plain Python semantics. */
export { PYTHON } from '../../support/torch';

export async function ready(): Promise<void> {
  await loadPythonParser();
}

export interface Ran {
  interp: Interpreter;
  output: string;
  /** What ended the run early (a Python exception, a limit), if anything did. */
  error: unknown;
}

/** Parses (failing on syntax errors) and runs `src` as __main__. */
export function run(src: string, opts: InterpreterOptions = {}): Ran {
  const { ast, diagnostics } = parsePython(src);
  if (diagnostics.length) throw new Error(`syntax errors: ${diagnostics.map((d) => d.message).join('; ')}`);
  const interp = new Interpreter(opts);
  let error: unknown = null;
  try {
    interp.run(ast);
  } catch (e) {
    error = e;
  }
  return { interp, output: interp.output, error };
}

/** The text of `src` at a range (to assert where a diagnostic points). */
export function at(src: string, r: { start: number; end: number }): string {
  return src.slice(r.start, r.end);
}

/** The training loop the front-end tests end their scripts with: `net` trained on x, y by `opt` with F.mse_loss. */
export function trainingLoop(opt = 'torch.optim.SGD(net.parameters(), lr=0.1)', x = 'torch.randn(8, 4)', y = 'torch.randn(8, 1)'): string {
  return `opt = ${opt}
x = ${x}
y = ${y}
for step in range(3):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    opt.step()
`;
}

/** An .ipynb file's JSON with these cells (`# md` first line: a markdown cell), each source stored as Jupyter does, one string per line. */
export function notebookJson(cells: string[], indent = 1): string {
  const lines = (src: string) => src.split(/(?<=\n)/);
  return JSON.stringify(
    {
      cells: cells.map((src) =>
        src.startsWith('# md\n')
          ? { cell_type: 'markdown', metadata: {}, source: lines(src.slice(5)) }
          : { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: lines(src) },
      ),
      metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    indent,
  );
}

/** What a torch program prints when read here (a program under test/unit/python/torch-programs); it must read without a diagnostic. */
export function printedHere(text: string, fileName: string, seed?: number): string {
  const r = readPython(text, { fileName, seed });
  try {
    const said = r.diagnostics.map((d) => `${d.code}: ${d.message} at ${JSON.stringify(at(text, d.range))}`);
    if (said.length) throw new Error(`${fileName} read with diagnostics:\n${said.join('\n')}`);
    return r.interp!.output;
  } finally {
    r.release();
  }
}

const TORCH_PROGRAMS = join(__dirname, 'torch-programs');
let torchPrinted: Map<string, ScriptAnswer> | undefined;

/**
 * What torch 1.13 prints for a program under torch-programs/: on the first call every program there
 * runs in one torch process (one torch import instead of one per program); a program that fails
 * there (one that needs an environment of its own) runs alone, so its own error is what shows.
 */
function printedByTorch(program: string): string {
  if (!torchPrinted) {
    const names = readdirSync(TORCH_PROGRAMS).filter((f) => f.endsWith('.py')).sort();
    const answers = runInOneTorchProcess(names.map((name) => ({ text: readFileSync(join(TORCH_PROGRAMS, name), 'utf8'), file: join(TORCH_PROGRAMS, name) })));
    torchPrinted = new Map(names.map((name, i) => [name, answers[i]]));
  }
  const answer = torchPrinted.get(program);
  if (answer && 'stdout' in answer) return answer.stdout;
  const torch = spawnSync(TORCH_PYTHON, ['-W', 'ignore', join(TORCH_PROGRAMS, program)], { encoding: 'utf8' });
  assert.equal(torch.status, 0, torch.stderr);
  return torch.stdout;
}

/** A program under torch-programs/ prints line for line what torch 1.13 prints (skipped without torch, as requireTorch says). */
export function printsAsTorch(ctx: Mocha.Context, program: string, seeds: (number | undefined)[] = [undefined]): void {
  requireTorch(ctx, program);
  const path = join(TORCH_PROGRAMS, program);
  const theirs = printedByTorch(program).split('\n');
  for (const seed of seeds) {
    const mine = printedHere(readFileSync(path, 'utf8'), program, seed).split('\n');
    for (let i = 0; i < theirs.length; i++) assert.equal(mine[i], theirs[i], `${program} line ${i + 1}, seed ${seed}`);
    assert.equal(mine.length, theirs.length);
  }
}
