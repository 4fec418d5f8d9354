/** `gradient-lens grads`: loss and gradients of one step, as JSON for comparison with PyTorch. */
import { computeGrads } from '../trace/run';
import { choice, parseArgs, UsageError } from './args';
import { asInputError, loadBatch, loadSpec, loadState } from './input';
import type { Io } from './main';

export function gradsCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, ['state', 'batch', 'dtype']);
  const [file] = args.positionals;
  if (!file || args.positionals.length > 1) throw new UsageError('usage: gradient-lens grads <spec> [--state state.json] [--batch batch.json] [--dtype float32|float64]');
  const dtype = choice(args.options.get('dtype'), ['float32', 'float64'] as const, 'dtype', 'float32');
  const { spec } = loadSpec(file, io);
  const statePath = args.options.get('state');
  const batchPath = args.options.get('batch');
  const state = statePath ? loadState(statePath, io) : undefined;
  const batch = batchPath ? loadBatch(batchPath, io) : undefined;
  let result;
  try {
    result = computeGrads(spec, { dtype, state, batch });
  } catch (e) {
    asInputError(e, { spec: file, state: statePath, batch: batchPath });
  }
  io.out(JSON.stringify(result));
  return 0;
}
