/**
 * Fixes as typed intents. A rule says what to change in the model graph (replace this activation,
 * initialise this weight, set the learning rate, insert a layer, change the loss); each front end
 * renders that as text edits in its own syntax (a spec's YAML or JSON, a TypeScript model's
 * source), or says it cannot (a TypeScript model's forward is the user's code: no layer is inserted
 * into it). Layers are named by their path, as named_parameters() prefixes them.
 */
import type { InitScheme } from './catalogue/inits';
import type { LayerType } from './catalogue/layers';
import type { LossType } from './catalogue/losses';
import type { ArgValue, Distribution, SourceRange } from './graph';

export type FixIntent =
  /** The layer becomes another type with these arguments (the old ones do not carry over). */
  | { kind: 'replace-layer'; layer: string; with: LayerType; args: Record<string, ArgValue> }
  /** These arguments of the layer change; the others stay as written. */
  | { kind: 'set-layer-args'; layer: string; args: Record<string, ArgValue> }
  /** Parameters of the layer start from these init schemes (torch.nn.init names and arguments). */
  | { kind: 'set-init'; layer: string; init: Record<string, { scheme: InitScheme; args: Record<string, number | string> }> }
  /** A new layer goes just before this one. */
  | { kind: 'insert-layer'; before: string; type: LayerType; args: Record<string, ArgValue> }
  | { kind: 'remove-layer'; layer: string }
  /** The loss becomes this one, with these arguments written. */
  | { kind: 'set-loss'; type: LossType; args: Record<string, ArgValue> }
  /** These arguments of the optimiser change (the learning rate, eps); the others stay as written. */
  | { kind: 'set-optimizer-args'; args: Record<string, ArgValue> }
  /**
   * The data the model trains on is to be given differently: class labels as class indices, raw
   * pixels scaled to [0, 1]. Where the front end writes the data (a spec's `input:`/`target:`),
   * the new per-sample shape and distribution; elsewhere the data is the user's pipeline, not ours to edit.
   */
  | { kind: 'set-data'; which: 'input' | 'target'; shape: number[]; distribution: Distribution }
  /** Clip the gradients' total norm to this before each step (torch.nn.utils.clip_grad_norm_), the remedy for gradients that explode through time. */
  | { kind: 'set-gradient-clip'; maxNorm: number };

export interface TextEdit {
  range: SourceRange;
  newText: string;
}

/** How a front end writes intents in its syntax: the edits, or null when it cannot express one of them. */
export type FixRenderer = (intents: readonly FixIntent[]) => TextEdit[] | null;

/** A renderer for models with no text of their own to edit (a training run's log). */
export const NO_FIXES: FixRenderer = () => null;

/** Applies edits (non-overlapping) to text: what the editor does with a quick fix, for tests and the CLI. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.range.start - a.range.start);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.range.start) + e.newText + out.slice(e.range.end);
  return out;
}

/** Short, exact decimal forms: 0.001 rather than 1e-3 written by toString's whims (shared by every syntax). */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const s = String(v);
  if (!/e/.test(s)) return s;
  const [m, e] = s.split('e');
  return `${m}e${Number(e)}`;
}
