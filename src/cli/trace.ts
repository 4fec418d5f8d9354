/** `gradient-lens trace`: trains a few steps and prints per-step, per-parameter gradient norms. */
import { traceModel } from '../trace/run';
import type { Trace } from '../trace/types';
import { choice, parseArgs, positiveInt, UsageError } from './args';
import { asInputError, loadBatch, loadSpec, loadState } from './input';
import type { Io } from './main';

export function traceCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, ['steps', 'state', 'batch', 'format', 'dtype']);
  const [file] = args.positionals;
  if (!file || args.positionals.length > 1) {
    throw new UsageError('usage: gradient-lens trace <spec> [--steps N] [--state state.json] [--batch batch.json] [--format text|json]');
  }
  const format = choice(args.options.get('format'), ['text', 'json'] as const, 'format', 'text');
  const dtype = args.options.has('dtype') ? choice(args.options.get('dtype'), ['float32', 'float64'] as const, 'dtype', 'float32') : undefined;
  const steps = positiveInt(args.options.get('steps'), 'steps');
  const spec = loadSpec(file, io);
  const statePath = args.options.get('state');
  const batchPath = args.options.get('batch');
  const state = statePath ? loadState(statePath, io) : undefined;
  const batch = batchPath ? loadBatch(batchPath, io) : undefined;
  let trace: Trace;
  try {
    trace = traceModel(spec, file, { steps, dtype, state, batch });
  } catch (e) {
    asInputError(e, statePath ?? batchPath ?? file);
  }
  io.out(format === 'json' ? JSON.stringify(trace) : formatNormTable(trace));
  return 0;
}

export function fmt(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  return v.toExponential(2);
}

/** A compact table: one row per step, one column per parameter's gradient L2 norm. */
export function formatNormTable(trace: Trace): string {
  const names = trace.params.map((p) => p.name);
  const header = ['step', 'loss', ...names];
  const rows = trace.steps.map((s) => [String(s.step), fmt(s.loss), ...s.params.map((p) => (p.reached ? fmt(p.gradNorm) : '—'))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const lines = [
    `${trace.file}: ${trace.steps.length} steps, batch ${trace.batchSize}, ${trace.dtype}, ${trace.optimizer.type} lr=${trace.optimizer.lr} (${trace.durationMs.toFixed(1)} ms)`,
    'gradient L2 norm per parameter:',
    line(header),
    ...rows.map(line),
  ];
  if (trace.stoppedEarly) lines.push(`stopped early: ${trace.stoppedEarly}`);
  return lines.join('\n');
}
