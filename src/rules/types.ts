/** Findings and rules: data plus pure functions `(context) => Finding[]`, no `vscode` here. */
import type { FixIntent, TextEdit } from '../model/fixes';
import type { ModelSpec, SourceRange } from '../model/graph';
import type { Trace } from '../trace/types';
import type { CustomOpUse } from '../model/custom-op';
import type { RuleConfig } from './config';

export type Severity = 'error' | 'warning' | 'info';

export const RULE_IDS = [
  'saturated-activation',
  'dead-relu',
  'vanishing-gradient',
  'exploding-gradient',
  'non-finite',
  'disconnected-parameter',
  'learning-rate',
  'poor-initialisation',
  'loss-activation-mismatch',
  'underflow',
  'custom-gradient',
  'gradient-through-time',
  'saturated-gates',
  'collapsed-attention',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export type { FixIntent, TextEdit };

/** A fix as a rule proposes it: what to change in the model, in the graph's terms (a quick fix in the editor). */
export interface Fix {
  title: string;
  intents: FixIntent[];
  /** The fix to offer first (VS Code's `isPreferred`). */
  preferred?: boolean;
}

/** A fix its front end could write: the intents as text edits in the file's own syntax, applied together. */
export interface RenderedFix extends Fix {
  edits: TextEdit[];
}

export interface RelatedLocation {
  range: SourceRange;
  message: string;
}

/** Numbers behind a finding, one per step, for the report and the hover. */
export interface Evidence {
  label: string;
  values: number[];
}

/** What a rule found; after the analyse step its fixes are rendered (`Finding`), as rules return them `RuleFinding`. */
export interface Finding<F extends Fix = RenderedFix> {
  rule: RuleId;
  severity: Severity;
  /** States the measured number: "sigmoid layer saturated: 94% of units". */
  message: string;
  /** Path of the layer at fault ("" when the fault is the loss or optimiser). */
  layer: string;
  range: SourceRange;
  related: RelatedLocation[];
  evidence: Evidence[];
  fixes: F[];
  /** Set by ranking: the finding that explains this one (root cause before symptom). */
  explainedBy?: { rule: RuleId; layer: string };
}

/** A finding as a rule returns it: fixes as intents, not yet written in any syntax. */
export type RuleFinding = Finding<Fix>;

export interface RuleContext {
  trace: Trace;
  /** The model graph: layers from the catalogue with their source ranges, data, loss, optimiser. */
  spec: ModelSpec;
  config: RuleConfig;
  /** Ops with a user-written backward that ran in the trace (decorated TypeScript models only). */
  customOps?: CustomOpUse[];
}

export type { CustomOpUse } from '../model/custom-op';

export interface Rule {
  id: RuleId;
  /** One line for docs and settings. */
  title: string;
  defaultSeverity: Severity;
  check(ctx: RuleContext): RuleFinding[];
}
