/**
 * A training run's log → the same Trace, model graph and rules as a trace Gradient Lens runs
 * itself: findings land on the user's .py lines (ranges that name their file).
 */
import { specOfRun } from './model/run';
import type { ModelSpec } from './model/graph';
import { checkTrace, DEFAULT_CONFIG, RuleConfig } from './rules';
import type { Finding } from './rules/types';
import { RunSources } from './trace/run-log/sources';
import type { Trace } from './trace/types';

export interface RunAnalysis {
  trace: Trace;
  spec: ModelSpec;
  findings: Finding[];
  sources: RunSources;
}

/**
 * @param logPath where the log was read (to map the run's paths to this machine's)
 * @param read a file's text, or undefined (the extension reads open documents first)
 */
export function analyseRun(trace: Trace, logPath: string, config: RuleConfig = DEFAULT_CONFIG, read?: (path: string) => string | undefined): RunAnalysis {
  const sources = new RunSources(trace, logPath, read);
  const spec = specOfRun(trace, sources.rangeOf);
  const findings = checkTrace({ trace, spec, text: '', fileName: trace.file, config });
  // The rules' fixes edit spec text (YAML/JSON); a .py file needs its own (the Python front end's).
  for (const f of findings) f.fixes = [];
  return { trace, spec, findings, sources };
}
