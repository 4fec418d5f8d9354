/**
 * gradient-lens: the command-line tool over the same core as the extension, so a model can be
 * checked in CI. Bad input exits 2 with one line `file:line:col: message`.
 */
import { oneLine } from '../escape';
import { LIMIT_KEYS, LIMITS } from '../limits';
import { readUserBytes, readUserFile, type ReadLimit } from '../user-files';
import { availableCores, setKernelThreads } from '../engine';
import { UsageError } from './args';
import { checkCommand, pythonPath } from './check';
import { gradsCommand } from './grads';
import { InputError } from './input';
import { reportCommand } from './report';
import { traceCommand } from './trace';

const HELP = `gradient-lens — why is my parameter's gradient zero?

Usage:
  gradient-lens grads <spec> [--state state.json] [--batch batch.json] [--dtype float32|float64]
      Loss and gradients of one step as JSON: {"loss": n, "grads": {"0.weight": {"shape": [...], "data": [...]}}}
  gradient-lens trace <spec> [--steps N] [--state state.json] [--batch batch.json] [--dtype float32|float64]
                     [--format text|json|sarif] [--fail-on error|warning|never] [--config rules.json]
      Trains N steps, prints the findings (file:line:col: severity rule: message) and per-parameter gradient norms.
      Exits 1 when a finding at or above --fail-on (default: error) is present.
  gradient-lens report <spec> [-o report.html] [same options as trace]
      Writes a self-contained HTML report with the findings and charts of the trace.
  gradient-lens check <run folder | rank0.gl.jsonl> [--format text|json|sarif] [--fail-on error|warning|never] [--config rules.json]
      Reads a real training run's log (written by the gradient_lens Python package: one file per rank,
      merged), applies the same rules and prints the findings on the lines of your .py files.
  gradient-lens report <run folder> [-o report.html] [--config rules.json]
      The same HTML report for a training run, its charts over the run's real steps.
  gradient-lens python-path
      Prints the folder holding the gradient_lens Python package shipped with this tool:
      PYTHONPATH=$(gradient-lens python-path) python -m gradient_lens run train.py

<spec> is a model spec (*.grad.yaml, *.grad.yml, *.grad.json), a PyTorch script or notebook (model.py,
notebook.ipynb: read, never run; its own training loop is traced), or, for trace, a TypeScript file with
@model classes (model.ts): each class is traced in a separate process with a time and memory limit.
A PyTorch script's own command-line arguments (what argparse and sys.argv read) follow --:
  gradient-lens trace main.py -- --dataset fake --niter 1
(or args: in its sidecar); without them it runs as with none, a required argument not followed.
Limits (flag, default, the VS Code setting that sets the same limit; README "Limits"):
${LIMIT_KEYS.map((k) => `  --${LIMITS[k].flag.padEnd(16)} ${String(LIMITS[k].default).padStart(6)}  gradientLens.${k}: ${LIMITS[k].description.replace(/`/g, '')}`).join('\n')}

Exit codes: 0 ok, 1 findings at or above --fail-on (or a TypeScript model that failed to run),
2 bad input or a limit reached (printed as file:line:col: message).
Non-finite numbers in JSON output are the strings "NaN", "Infinity" and "-Infinity".`;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** A user's text file, read under `limit` (only regular files, never past the size limit). */
  readFile(path: string, limit: ReadLimit): string;
  /** A user's binary file (a .npy `data:` file) the same way; src/user-files.ts's reader when absent. */
  readBytes?(path: string, limit: ReadLimit): Uint8Array;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  readFile: readUserFile,
  readBytes: readUserBytes,
};

/** Runs the CLI and returns the exit code (no process.exit here, so tests can call it). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'grads':
        return await gradsCommand(rest, io);
      case 'trace':
        return await traceCommand(rest, io);
      case 'report':
        return await reportCommand(rest, io);
      case 'check':
        return checkCommand(rest, io);
      case 'python-path':
        if (rest.length) throw new UsageError('usage: gradient-lens python-path');
        io.out(pythonPath());
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(HELP);
        return command === undefined ? 2 : 0;
      case '--version':
        io.out(require('../../package.json').version);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}" (try: gradient-lens help)`);
    }
  } catch (e) {
    if (e instanceof InputError || e instanceof UsageError) {
      io.err(oneLine(e.message));
      return 2;
    }
    throw e;
  }
}

/**
 * One command as `node dist/cli.js` runs it, short of exiting: the process's kernel threads set
 * (a command-line run has the machine to itself: the float32 kernels use every core,
 * GRADIENT_LENS_THREADS=1 for one), output on stdout and stderr, an internal error printed as exit
 * code 3. Exported so the PyTorch parity suite can run many commands in one process of the bundle.
 */
export async function commandLine(argv: readonly string[]): Promise<number> {
  setKernelThreads(Number(process.env.GRADIENT_LENS_THREADS) || availableCores());
  try {
    return await main(argv);
  } catch (e) {
    process.stderr.write(`gradient-lens: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 3;
  }
}

if (require.main === module) {
  void commandLine(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
