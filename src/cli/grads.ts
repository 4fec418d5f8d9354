/** `gradient-lens grads`: loss and gradients of one step, as JSON for comparison with PyTorch. */
import { computeGrads } from '../trace/run';
import { LIMIT_OPTIONS, parseArgs, UsageError } from './args';
import { toJson } from '../report/json';
import type { Io } from './main';
import { runSpec } from './run-spec';

export function gradsCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, ['state', 'batch', 'dtype', ...LIMIT_OPTIONS]);
  const [file] = args.positionals;
  if (!file || args.positionals.length > 1) throw new UsageError('usage: gradient-lens grads <spec> [--state state.json] [--batch batch.json] [--dtype float32|float64]');
  const result = runSpec(file, args, io, (run) => computeGrads(run.spec, run.trace));
  io.out(toJson(result));
  return 0;
}
