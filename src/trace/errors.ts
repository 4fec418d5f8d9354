/**
 * Why a trace could not run, and whose text is at fault: a layer, the loss, the input or target
 * (a batch file, a `data:` file, or the spec's distribution), the starting weights, or the model
 * as a whole (a limit). Each front end turns the blame into a place in the right file, so no error
 * about the user's data is ever blamed on the spec, or shown without a line.
 */
import { oneLine } from '../escape';
import { StateError, TensorMemoryError } from '../engine';
import { allLayers } from '../model/graph';
import type { ModelSpec, SourceRange } from '../model/graph';

export type Blame =
  /** The model as a whole: a time or memory limit, no parameters. */
  | { kind: 'model' }
  /** A layer, by its named_parameters() path ("encoder.0"). */
  | { kind: 'layer'; layer: string }
  | { kind: 'loss' }
  /** The batch's input or target; `field` narrows it to its shape or values. */
  | { kind: 'data'; which: 'input' | 'target'; field?: 'shape' | 'data' }
  /** The starting weights (a state file), at the parameter `key` when one is at fault. */
  | { kind: 'state'; key?: string };

export class TraceError extends Error {
  override name = 'TraceError';
  constructor(
    message: string,
    readonly blame: Blame,
  ) {
    super(oneLine(message));
  }
}

/** The layer an engine error was raised in, as the dispatcher records it. */
export function layerOfError(e: unknown): string | null {
  const layer = (e as { layer?: unknown } | null)?.layer;
  return typeof layer === 'string' && layer !== '' ? layer : null;
}

/** Where the trace was when an error was raised. */
export type Phase = 'build' | 'forward' | 'loss' | 'backward' | 'step';

/** Which of the batch's tensors came from the user (a file) rather than the spec's distributions. */
export interface DataOrigin {
  input: boolean;
  target: boolean;
}

/**
 * The error as a TraceError blaming the user's text, or null for an error that is a bug of ours
 * (left to surface as an internal error). Engine errors are plain Errors named by kind.
 */
export function blameFor(e: unknown, phase: Phase, origin: DataOrigin): TraceError | null {
  if (e instanceof TraceError) return e;
  if (!(e instanceof Error)) return null;
  const message = e.message.replace(/:?\n\s*/g, (m) => (m.startsWith(':') ? ': ' : '; '));
  if (e instanceof StateError) return new TraceError(message, { kind: 'state', ...(e.keys[0] ? { key: e.keys[0] } : {}) });
  const layer = layerOfError(e) ?? (e instanceof TensorMemoryError ? e.layer : null);
  if (e instanceof TensorMemoryError) return new TraceError(message, layer && layer !== 'loss' ? { kind: 'layer', layer } : phase === 'loss' ? { kind: 'loss' } : { kind: 'model' });
  // Shapes and values an op refuses (ShapeError, RangeError and its kinds such as LossInputError);
  // a stack overflow is a bug of ours, not the user's input.
  if (!(e.name === 'ShapeError' || e instanceof RangeError) || /call stack/i.test(e.message)) return null;
  if (phase === 'loss') {
    // A class index out of range is the target's fault, wherever it came from.
    if (/class index/.test(e.message)) return new TraceError(message, origin.target ? { kind: 'data', which: 'target', field: 'data' } : { kind: 'loss' });
    return new TraceError(message, { kind: 'loss' });
  }
  // An embedding index out of range in a batch the user gave is the batch's fault.
  if (/^embedding: index/.test(e.message) && origin.input) return new TraceError(message, { kind: 'data', which: 'input', field: 'data' });
  return new TraceError(message, layer ? { kind: 'layer', layer } : { kind: 'model' });
}

/** Where in a spec a blame goes; `data` and `state` blames go here only when no file of their own holds them. */
export function specRangeOf(blame: Blame, spec: ModelSpec): SourceRange {
  switch (blame.kind) {
    case 'layer':
      return allLayers(spec).find((l) => l.path === blame.layer)?.typeRange ?? spec.model.typeRange;
    case 'loss':
      return spec.loss.typeRange;
    case 'data': {
      const d = spec[blame.which];
      return d.fileRange ?? d.range;
    }
    case 'state':
    case 'model':
      return spec.model.typeRange;
  }
}
