/**
 * The typed messages between the extension and its webviews (the trace panel and the sidebar),
 * imported by both sides. Webview messages are untrusted input: `parseWebviewMessage` validates
 * them before the extension acts on one. The webview posts `ready` first; the extension posts data
 * only after it (posting right after setting `webview.html` races the page's script).
 */
import type { ParamHealth } from './rules/health';
import type { StepsDelta } from './trace/steps-delta';
import type { StepRecord, Trace } from './trace/types';

export interface Pos {
  line: number;
  character: number;
}

export interface RangeView {
  start: Pos;
  end: Pos;
}

/** A finding as the webviews show it: positions resolved, fixes as titles. */
export interface FindingView {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  layer: string;
  range: RangeView;
  /** The file the range is in, when it is not the one shown (a training run's findings are on its .py files). */
  uri?: string;
  fixes: string[];
}

/** Where a layer is written in the model file, so a view can reveal a layer that has no finding. */
export interface LayerRangeView {
  /** Layer path as in Trace.layers / TraceParam.layer, e.g. "0". */
  path: string;
  range: RangeView;
  /** The file the range is in, when it is not the one shown (a training run's modules are in its .py files). */
  uri?: string;
}

// ── extension → webview ────────────────────────────────────────────────────
/** What the trace panel and the sidebar show of one traced model (the host adds the file's uri). */
export interface TraceView {
  fileName: string;
  trace: Trace;
  findings: FindingView[];
  /** Each parameter's health, judged once with the user's thresholds (src/rules/health.ts). */
  health: ParamHealth[];
  /** True for the few-step trace run while typing; false for a full "Trace Gradients" run. */
  quick: boolean;
  /** Where each layer is written, so a view can reveal a layer that has no finding (older hosts send none). */
  layers?: LayerRangeView[];
}

export type ToWebview =
  | ({
      type: 'trace';
      uri: string;
      /**
       * Set on a training run's updates: `trace.steps` are only the new steps, following the first
       * `keep` of the steps the page holds for this run (completeTraceMessage puts them together).
       */
      keep?: number;
    } & TraceView)
  | { type: 'status'; state: 'idle' | 'running' | 'error'; message: string }
  /**
   * Nothing traced to show. `file`: the active editor is this model file, which has no trace yet
   * (its problems are in the editor, or it is running): the view names it instead of offering the
   * ways to get a model.
   */
  | { type: 'empty'; message: string; file?: string };

export type TraceMessage = Extract<ToWebview, { type: 'trace' }>;

/** The steps a receiver holds after an update (src/trace/steps-delta.ts): null when it holds fewer than the update keeps (it must ask for everything). */
export function applyStepsDelta(held: readonly StepRecord[], delta: StepsDelta): StepRecord[] | null {
  if (held.length < delta.keep) return null;
  return delta.keep === held.length ? [...held, ...delta.steps] : [...held.slice(0, delta.keep), ...delta.steps];
}

/**
 * What a page shows after `msg`, given what it showed: the message itself, or for an update that
 * carries only a run's new steps, the steps the page held put together with them. Null when the
 * page does not hold what the update continues (it asks the host for everything with `ready`).
 */
export function completeTraceMessage(held: TraceMessage | null | undefined, msg: TraceMessage): TraceMessage | null {
  if (msg.keep === undefined) return msg;
  if (!held || held.uri !== msg.uri || held.trace.run?.id !== msg.trace.run?.id) return null;
  const steps = applyStepsDelta(held.trace.steps, { keep: msg.keep, steps: msg.trace.steps });
  if (!steps) return null;
  const { keep: _, ...whole } = msg;
  return { ...whole, trace: { ...msg.trace, steps } };
}

// ── webview → extension ────────────────────────────────────────────────────
export type FromWebview =
  | { type: 'ready' }
  | { type: 'reveal'; uri: string; range: RangeView }
  | { type: 'retrace' }
  | { type: 'openPanel' }
  | { type: 'export'; format: 'png' | 'csv'; suggestedName: string; data: string }
  /** The sidebar's welcome buttons. */
  | { type: 'run'; command: WelcomeCommand }
  /** A finding's fix button: the host finds the fix by finding and title, and applies its edit to the file. */
  | { type: 'applyFix'; uri: string; rule: string; layer: string; title: string };

/** What the sidebar offers when no model is shown. */
export const WELCOME_COMMANDS = ['newModelFile', 'openExample', 'startWalkthrough'] as const;
export type WelcomeCommand = (typeof WELCOME_COMMANDS)[number];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 1e9;
const isPos = (v: unknown): v is Pos => isObj(v) && isInt(v.line) && isInt(v.character);
const isRange = (v: unknown): v is RangeView => isObj(v) && isPos(v.start) && isPos(v.end);
const isStr = (v: unknown, max = 10_000): v is string => typeof v === 'string' && v.length <= max;

/** Largest export a webview may hand back (a PNG of the charts as a data URL, or CSV). */
export const MAX_EXPORT_BYTES = 32 * 1024 * 1024;

/** The message if it is a well-formed `FromWebview`, else null (and nothing is done with it). */
export function parseWebviewMessage(m: unknown): FromWebview | null {
  if (!isObj(m) || typeof m.type !== 'string') return null;
  switch (m.type) {
    case 'ready':
    case 'retrace':
    case 'openPanel':
      return { type: m.type };
    case 'reveal':
      return isStr(m.uri) && isRange(m.range) ? { type: 'reveal', uri: m.uri, range: m.range } : null;
    case 'run':
      return (WELCOME_COMMANDS as readonly unknown[]).includes(m.command) ? { type: 'run', command: m.command as WelcomeCommand } : null;
    case 'applyFix':
      return isStr(m.uri) && isStr(m.rule, 100) && isStr(m.layer, 1000) && isStr(m.title, 1000) ? { type: 'applyFix', uri: m.uri, rule: m.rule, layer: m.layer, title: m.title } : null;
    case 'export':
      return (m.format === 'png' || m.format === 'csv') &&
        isStr(m.suggestedName, 200) &&
        /^[\w.-]+$/.test(m.suggestedName) &&
        isStr(m.data, MAX_EXPORT_BYTES)
        ? { type: 'export', format: m.format, suggestedName: m.suggestedName, data: m.data }
        : null;
    default:
      return null;
  }
}
