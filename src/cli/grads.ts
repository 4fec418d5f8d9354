/** `gradient-lens grads`: loss and gradients of one step, as JSON for comparison with PyTorch. */
import { computeGrads } from '../trace/run';
import { LIMIT_OPTIONS, parseArgs, refuseScriptArgs, UsageError } from './args';
import { toJson } from '../report/json';
import type { Io } from './main';
import { runSpec } from './run-spec';
import { gradsPython, isPythonTarget, oneReason, runPython } from './python';
import { refuseTypeScript } from './typescript';

export async function gradsCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, ['state', 'batch', 'dtype', ...LIMIT_OPTIONS]);
  const [file] = args.positionals;
  if (!file || args.positionals.length > 1) throw new UsageError('usage: gradient-lens grads <spec|model.py> [--state state.json] [--batch batch.json] [--dtype float32|float64]');
  refuseTypeScript('grads', file);
  if (isPythonTarget(file, io)) {
    return runPython(file, args, io, (run) => {
      const out = gradsPython(run);
      if (!out.ok) {
        io.err(oneReason(out, run.locate, run.sidecarAt));
        return 2;
      }
      io.out(toJson({ loss: out.loss, grads: out.grads }));
      return 0;
    });
  }
  refuseScriptArgs(args, file);
  const result = runSpec(file, args, io, (run) => computeGrads(run.spec, run.trace));
  io.out(toJson(result));
  return 0;
}
