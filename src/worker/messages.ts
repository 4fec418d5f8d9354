/**
 * What the extension host and the trace worker say to each other. Everything is plain data that
 * survives structured cloning; ranges are already line/character positions of the text that was
 * traced, so the host needs no parser and can place diagnostics on exactly that version.
 */
import type { Limits } from '../limits';
import type { LayerRangeView, RangeView } from '../protocol';
import type { RuleConfig } from '../rules/config';
import type { ParamHealth } from '../rules/health';
import type { RuleId, Severity } from '../rules/types';
import type { Trace } from '../trace/types';

export interface TraceRequest {
  /** Echoed in every reply, so a late reply to an older request is recognised and dropped. */
  id: number;
  text: string;
  fileName: string;
  /** Steps to run, at most the spec's own `trace.steps`, which is what runs when absent (the full trace). */
  steps?: number;
  memoryLimitBytes: number;
  /** The worker stops before a step that would pass this budget (stepTimeBudget), and returns what it has. */
  timeLimitMs: number;
  /** Where that limit is set, for the message when it shortens a trace (the quick trace has its own setting). */
  timeLimitName?: string;
  /** The size, depth and step limits the spec is read with (defaults when absent). */
  limits?: Partial<Limits>;
  /**
   * Folders the spec's `data:` files may be read from besides its own (the workspace folder), or
   * null when the spec is not a local file (a virtual workspace): its data files cannot be read, nor
   * a Python script's own modules.
   */
  dataRoots?: string[] | null;
  config: RuleConfig;
  /** Post a `progress` reply after every step (the full trace's notification). */
  progress: boolean;
  /** A PyTorch file (or a notebook's code cells joined) instead of a spec. */
  python?: PythonRequest;
}

/** What a trace of PyTorch source needs besides its text. */
export interface PythonRequest {
  /** The sidecar spec that names the file (`model: {python: ..., build: ...}`), as its text and path. */
  sidecar?: { text: string; fileName: string };
  /** The text of the user's .py files open with unsaved edits, by path: an import of one reads this, not the disk. */
  unsaved?: Record<string, string>;
}

/** A problem with the spec itself: YAML/JSON syntax, unknown layer, wrong argument; or the hint on an empty file. */
export interface SpecProblem {
  severity: Severity;
  /** 'spec/unknown-layer', 'spec/shape-mismatch', 'spec/empty', …: what quick fixes match on. */
  code: string;
  message: string;
  range: RangeView;
  /** The file the range is in when it is not the one that ran (what an imported module cannot follow, or raises, is shown there). */
  file?: string;
  /** `file`: a note in another file than the one that ran. */
  related?: { range: RangeView; message: string; file?: string }[];
  /** The parser's fixes (the name meant, the size that fits, a skeleton), in the file's syntax. */
  fixes: ResolvedFix[];
}

export interface ResolvedEdit {
  range: RangeView;
  newText: string;
  /** The file the range is in when it is not the one that ran (a layer built in a module the script imports is fixed there). */
  file?: string;
}

export interface ResolvedFix {
  title: string;
  preferred: boolean;
  edits: ResolvedEdit[];
}

/** A rules `Finding` with its offsets turned into positions of the traced text. */
export interface ResolvedFinding {
  rule: RuleId;
  severity: Severity;
  message: string;
  layer: string;
  range: RangeView;
  /** The file the range is in, when it is not the model file (a training run's findings are on its .py files). */
  file?: string;
  /**
   * The document the range is in when it is not the one that ran and is no file, as a URI: another
   * cell of the notebook. Such a finding is that document's to show as a diagnostic; the views list it.
   */
  uri?: string;
  /** `uri`: a document that is no file, as a URI (a note in another notebook cell). */
  related: { range: RangeView; message: string; file?: string; uri?: string }[];
  fixes: ResolvedFix[];
  explainedBy?: { rule: RuleId; layer: string };
}

/** One of the user's files a run read, with the digest of the text it read (textDigest). */
export interface ReadFile {
  path: string;
  digest: string;
}

export interface Timings {
  parseMs: number;
  traceMs: number;
  checkMs: number;
  /** A spec's quick trace: how it had its model (the kept one put back, or built and whether kept: trace/model-cache.ts). */
  model?: string;
}

export type TraceReply =
  /** Sent as soon as the spec is parsed, before any tracing: parse errors show without waiting. */
  /**
   * `reads`: the user's other files the run read (a script's imported modules), whose edits make it
   * stale, each with the digest of the text read (a fix's edits in one apply only to that text).
   * `missing`: the paths an import looked for and did not find, whose creation makes it stale.
   */
  | { type: 'parsed'; id: number; problems: SpecProblem[]; ok: boolean; layers: LayerRangeView[]; parseMs: number; reads?: ReadFile[]; missing?: string[] }
  /**
   * What the worker reads now ("parsing model.py (600 KiB of Python)"), or null once the trace
   * starts. A trace is synchronous, so the worker cannot answer when the host's time limit ends
   * it: this is how the host's message says where the time went.
   */
  | { type: 'reading'; id: number; what: string | null }
  | { type: 'progress'; id: number; step: number; of: number }
  | { type: 'traced'; id: number; trace: Trace; findings: ResolvedFinding[]; health: ParamHealth[]; timings: Timings }
  /** The spec parsed but could not be traced (bad shapes, memory cap); `range` is where to show it. */
  | { type: 'failed'; id: number; name: string; message: string; range: RangeView | null; stack?: string };
