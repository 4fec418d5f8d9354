/**
 * One analysis, whatever the front end: a model graph with source ranges (what a spec file, a
 * decorated TypeScript class, and next PyTorch source describe) → a trace → the rules → ranked
 * findings on the user's text. The trace worker, the CLI and the TypeScript runner's child process
 * all call it, so a model gives the same findings wherever it is looked at.
 */
import { type FixRenderer, NO_FIXES } from './model/fixes';
import type { ModelSpec } from './model/graph';
import { checkTrace } from './rules';
import type { RuleConfig } from './rules/config';
import { paramHealth, type ParamHealth } from './rules/health';
import type { CustomOpUse, Finding, RenderedFix, RuleFinding } from './rules/types';
import { Session, traceBuilt, TraceMeta, traceModel, TraceOptions } from './trace/run';
import { specOfRun } from './trace/run-log/graph';
import { RunSources } from './trace/run-log/sources';
import type { Trace } from './trace/types';

/** What a front end hands over: the model graph, and the text it was read from (findings are ranges in it). */
export interface ModelSource {
  text: string;
  fileName: string;
  /**
   * Layers from the catalogue with source ranges, data, loss, optimiser, trace settings. A function
   * for a model built by user code: its graph is known once it has run.
   */
  graph: ModelSpec | (() => ModelSpec);
  /** Ops with a hand-written backward that the model ran (decorated TypeScript models), read after the trace. */
  customOps?: () => CustomOpUse[];
  /** Writes fixes in the file's syntax; a fix it cannot write is not offered. Given the graph read for the rules. */
  fixes(graph: ModelSpec): FixRenderer;
}

/** How the model comes to be traced. */
export type Run =
  /** Built from the graph by the catalogue, then traced (spec files; PyTorch source next). */
  | { kind: 'build'; options?: TraceOptions }
  /**
   * Built by the user's own code (a decorated TypeScript class), then traced. Its graph is read
   * after the trace: the first step records where each layer is applied and with what shapes.
   */
  | { kind: 'built'; session: Session; meta: TraceMeta; options?: Pick<TraceOptions, 'memoryLimitBytes' | 'onStep'> }
  /** Recorded elsewhere (a training run's log read back): nothing runs, the rules read it. */
  | { kind: 'recorded'; trace: Trace };

export interface Analysis {
  graph: ModelSpec;
  trace: Trace;
  /** Ranked: errors first, a root cause before the symptoms it explains. */
  findings: Finding[];
  /**
   * Each parameter's health, judged with the same config as the findings (before a front end
   * merges findings for its own display): what the sidebar, the panel and the report show.
   */
  health: ParamHealth[];
  timings: { traceMs: number; checkMs: number };
}

/** Traces the model as `run` says and runs every rule the config leaves on. */
export function analyse(source: ModelSource, run: Run, config?: RuleConfig): Analysis {
  let graph: ModelSpec | undefined;
  const graphOf = () => (graph ??= typeof source.graph === 'function' ? source.graph() : source.graph);
  const t0 = performance.now();
  let trace: Trace;
  switch (run.kind) {
    case 'build':
      trace = traceModel(graphOf(), source.fileName, run.options);
      break;
    case 'built':
      trace = traceBuilt(run.session, source.fileName, run.meta, run.options);
      break;
    case 'recorded':
      trace = run.trace;
      break;
  }
  const t1 = performance.now();
  const found = checkTrace({ trace, spec: graphOf(), config, customOps: source.customOps?.() });
  const findings = rendered(found, source.fixes(graphOf()));
  const health = paramHealth(trace, found, config);
  return { graph: graphOf(), trace, findings, health, timings: { traceMs: t1 - t0, checkMs: performance.now() - t1 } };
}

/** The findings with each fix written as text edits by the front end; fixes it cannot write are dropped. */
export function rendered(findings: readonly RuleFinding[], render: FixRenderer): Finding[] {
  return findings.map((f) => ({
    ...f,
    fixes: f.fixes.flatMap((fix): RenderedFix[] => {
      const edits = render(fix.intents);
      return edits ? [{ ...fix, edits }] : [];
    }),
  }));
}

export interface RunAnalysis extends Analysis {
  /** The .py files the run's modules were built in: their texts, for positions. */
  sources: RunSources;
}

/**
 * A training run's log (read into a Trace by src/trace/run-log) → the run's modules as the model
 * graph, each range the `nn.Linear(...)` call in the user's .py file (a range that names its file)
 * → the same rules as any trace.
 * @param logPath where the log was read (to map the run's paths to this machine's)
 * @param read a file's text, or undefined (src/trace/run-log/read-source.ts reads the disk; the
 *   extension reads open documents first)
 */
export function analyseRun(trace: Trace, logPath: string, read: (path: string) => string | undefined, config?: RuleConfig): RunAnalysis {
  const sources = new RunSources(trace, logPath, read);
  const graph = specOfRun(trace, sources.rangeOf);
  // The rules' fixes are written by a front end that reads the .py file; a log holds no text to edit.
  const analysis = analyse({ graph, text: '', fileName: trace.file, fixes: () => NO_FIXES }, { kind: 'recorded', trace }, config);
  return { ...analysis, sources };
}
