/**
 * What the document controller and its back ends say to each other. A back end knows one kind of
 * model file (a spec, a decorated TypeScript model; Python and training-run logs next): whether a
 * document is one, what models it declares, and how to run it. The controller does the rest the
 * same for every kind: when to run, cancelling, diagnostics, status, and what the views show.
 *
 * Adding a kind: implement ModelBackend (see spec-backend.ts, typescript-backend.ts, python-backend.ts), add its
 * `kind`, pass it to the ModelController in extension.ts, and add its files to MODEL_SELECTOR there
 * (CodeLens and quick fixes) and to the activation events in package.json. `run` turns whatever
 * the kind produces (an analyse() result per model, run errors) into a FileRun; it must end
 * promptly when its signal aborts, and never reject.
 */
import type * as vscode from 'vscode';
import type { LayerRangeView, RangeView } from '../../protocol';
import type { ParamHealth } from '../../rules/health';
import type { Trace } from '../../trace/types';
import type { ReadFile, ResolvedFinding } from '../../worker/messages';
import type { ExtensionConfig } from '../config';
import type { Gate } from '../trust';

export interface DocStatus {
  state: 'idle' | 'running' | 'error';
  message: string;
}

/** A model the file declares, known before anything runs. */
export interface DeclaredModel {
  /** The @model class, or the file's name for a spec (one model per file). */
  name: string;
  /** Where it is declared: its CodeLens goes on this line. */
  anchor: RangeView;
}

/** One model of the file, traced. */
export interface TracedModel extends DeclaredModel {
  trace: Trace;
  findings: ResolvedFinding[];
  /** Each parameter's health, judged by the run with the user's thresholds. */
  health: ParamHealth[];
  /** Where each layer is written, so views can reveal one. */
  layers: LayerRangeView[];
}

/** Why a model (or the whole file) has no trace. */
export interface RunFailure {
  kind: 'invalid' | 'failed' | 'timeout' | 'oom' | 'exit' | 'error' | 'crashed' | 'restricted' | 'unavailable';
  /** The model it concerns, when it concerns one. */
  name?: string;
  message: string;
}

/** What one run of a file gave: its models' traces, and everything else to show. */
export interface FileRun {
  /** The document version that ran. */
  version: number;
  quick: boolean;
  models: TracedModel[];
  failures: RunFailure[];
  /** For the Problems panel besides the findings: the file's own errors, runs that failed, notices. */
  diagnostics: vscode.Diagnostic[];
  /** Problems in a module the script imports (what it cannot follow, raises, a syntax error), shown on that file's document. */
  elsewhere?: { file: string; diagnostic: vscode.Diagnostic }[];
  /**
   * Whose imports the findings and problems in modules are, when not the document's own: a cell's
   * run says the notebook's, and every cell's run carries the same, so the module shows them once.
   */
  importer?: vscode.Uri;
  status: DocStatus;
  /** From starting the run to having it back, as the extension host saw it. */
  durationMs: number;
  /** performance.now() when its diagnostics were published (0 until then). */
  publishedAt: number;
  /** The user's other files the run read (a script's imported modules), with the digest of the text read: editing one makes this run stale. */
  reads?: ReadFile[];
  /** Paths the script's imports looked for and did not find: creating one makes this run stale. */
  missing?: string[];
}

export type AbortReason = 'superseded' | 'closed' | 'user' | 'disposed';

export interface RunRequest {
  /** The few steps and short time limit of the trace run while typing, or the model's own full trace. */
  quick: boolean;
  /** Aborted with an AbortReason: a newer edit, the file closed, the user's Cancel. */
  signal: AbortSignal;
  config: ExtensionConfig;
  onProgress?(step: number, of: number): void;
  /** Diagnostics to show before the run ends (a spec's errors as soon as it is parsed). */
  early?(diagnostics: vscode.Diagnostic[]): void;
}

/** Counts for the log and the tests. */
export interface RunStats {
  /** Runs started (for TypeScript models, child processes forked). */
  runs: number;
  quickRuns: number;
  /** Quick runs ended early because a newer edit arrived. */
  superseded: number;
  /** Runs ended early for any reason (an edit, the file closed, Cancel). */
  aborted: number;
}

export interface ModelBackend extends vscode.Disposable {
  readonly kind: 'spec' | 'typescript' | 'python';
  readonly stats: RunStats;
  /** Whether this back end looks after the document. */
  accepts(doc: vscode.TextDocument): boolean;
  /** Whether it may run here (Restricted Mode runs no user code). */
  gate(): Gate;
  declared(doc: vscode.TextDocument): DeclaredModel[];
  /** Runs the file; undefined when the signal aborted it. Never rejects. */
  run(doc: vscode.TextDocument, req: RunRequest): Promise<FileRun | undefined>;
  /** The file is no longer looked after: release what was kept for it. */
  forget(uri: vscode.Uri): void;
  /** Fires with a file whose result is out of date for a reason besides its own edits (its sidecar changed). */
  readonly onDidInvalidate?: vscode.Event<vscode.Uri>;
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "2 findings", or the healthy message, for a run that traced. */
export function findingsStatus(models: readonly TracedModel[]): DocStatus {
  const n = models.reduce((k, m) => k + m.findings.length, 0);
  return { state: 'idle', message: n ? plural(n, 'finding') : 'No findings: gradients look healthy' };
}
