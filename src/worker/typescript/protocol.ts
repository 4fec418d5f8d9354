/** What a TypeScript model run returns, and the messages between the caller and the runner process. */
import type { ParamHealth } from '../../rules/health';
import type { Finding } from '../../rules/types';
import type { Trace } from '../../trace/types';
import type { ModelSpec, SourceRange } from '../../model/graph';

/**
 * How a run (or one model of it) ended badly: the time limit, a memory limit (V8's heap or the
 * engine's tensor cap), the code ending the process, or an exception.
 */
export type RunErrorKind = 'timeout' | 'oom' | 'exit' | 'error';

export interface RunError {
  kind: RunErrorKind;
  /** One line, like a compiler's: "ShapeError: linear: input has 3 features, weight expects 10". */
  message: string;
  /** Offsets in the user's original text: the line that threw, called process.exit, or was running. */
  location?: SourceRange;
  /** The @model class it concerns, when it concerns one. */
  className?: string;
}

/** One traced @model class. */
export interface TracedModel {
  className: string;
  /** The class's name in the file (where a CodeLens goes). */
  classRange: SourceRange;
  /** The `@model(...)` decorator. */
  decoratorRange: SourceRange;
  /** The graph the rules saw: layers with the ranges of the user's `new Layer(...)` expressions. */
  spec: ModelSpec;
  trace: Trace;
  findings: Finding[];
  health: ParamHealth[];
}

export interface TsRunResult {
  /** Traced models in file order; a model that failed is in `errors` instead. */
  models: TracedModel[];
  errors: RunError[];
  /** What the user's code printed (console.log), truncated. */
  output: string;
}

export interface RunRequest {
  type: 'run';
  /** The bundle, with an inline source map whose sources are absolute paths. */
  code: string;
  /** Where the bundle pretends to live (next to the user's file, so relative requires resolve). */
  bundleFile: string;
  fileName: string;
  text: string;
  steps?: number;
  /** The step limit: a model's @trace steps past it is refused at its value. */
  maxSteps?: number;
  memoryLimitBytes: number;
  /** The runner kills itself this long after starting, should the caller be unable to. */
  deadlineMs?: number;
  /** Rule settings (a RuleConfig), passed through. */
  config?: unknown;
  /** Trace only this @model class (each class runs in a process of its own); every class when absent. */
  only?: string;
}

export type RunnerMessage =
  /** The file ran: these @model classes registered. Until this, a failure is the file's, not a class's. */
  | { type: 'loaded'; models: string[] }
  | { type: 'model-start'; className: string; location?: SourceRange }
  | { type: 'model'; model: TracedModel }
  | { type: 'error'; error: RunError }
  | { type: 'done' };
