/**
 * `gradient-lens check runs/gl/`: a real training run's log (a folder of rank files, or one file)
 * read back into the same Trace a trace gives, the same rules, and the findings on the user's .py
 * lines; `report` draws the same run's charts. Exit 1 for findings at or above --fail-on, exit 2
 * with one line for a log that cannot be read.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyseRun, RunAnalysis } from '../analyse';
import { oneLine } from '../escape';
import { positionAt } from '../model/graph';
import { toJson } from '../report/json';
import type { RuleConfig } from '../rules/config';
import { RunLogError, RunReader } from '../trace/run-log/reader';
import type { Trace } from '../trace/types';
import { UserFileError } from '../user-files';
import { choice, limitsFromArgs, parseArgs, refuseScriptArgs, UsageError } from './args';
import { exitCodeFor, FailOn, formatFindings, Locate, shown, toSarif } from './findings';
import { Inputs, InputError, loadRuleConfig } from './input';
import type { Io } from './main';
import { formatNormTable } from './trace';

export const CHECK_OPTIONS = ['format', 'fail-on', 'config'];

/** A training run's log (a folder, or a *.gl.jsonl file), as opposed to a model file. */
export function isRunLog(path: string): boolean {
  if (/\.gl\.jsonl$/.test(path)) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface RunCheck extends RunAnalysis {
  path: string;
  locate: Locate;
}


/** Reads the whole log and applies the rules; shared by `check` and `report`. */
export function checkRun(path: string, config: RuleConfig | undefined, io: Io, inputs: Inputs): RunCheck {
  let trace: Trace;
  try {
    trace = new RunReader(path).readAll();
  } catch (e) {
    if (e instanceof RunLogError) throw new InputError(oneLine(e.message));
    throw e;
  }
  const read = (file: string): string | undefined => {
    try {
      return io.readFile(file, { ...inputs.limitFor('Python source'), what: 'Python source' });
    } catch (e) {
      if (e instanceof UserFileError || (e as NodeJS.ErrnoException).code) return undefined;
      throw e;
    }
  };
  const analysis = analyseRun(trace, path, read, config);
  const locate: Locate = (range) => {
    const file = range.file ?? trace.file;
    const text = analysis.sources.text(file);
    const s = positionAt(text, range.start);
    const e = positionAt(text, range.end);
    return { file: shown(file), line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
  };
  return { ...analysis, path, locate };
}

/** One line about the run: its id, ranks, steps and how it ended. */
export function describeRun(trace: Trace): string {
  const run = trace.run!;
  const steps = trace.steps;
  const span = steps.length ? `steps ${steps[0].step}–${steps[steps.length - 1].step} (${steps.length} recorded${run.stride > 1 ? `, 1 in ${run.stride} kept` : ''})` : 'no recorded step yet';
  const ranks = run.worldSize > 1 ? `, ${run.ranks.length} of ${run.worldSize} ranks` : '';
  const ended = run.ended ? `ended: ${run.ended}` : 'still being written (or stopped without a word)';
  // The id, torch version and end reason are read from the log: one line whatever they hold.
  return oneLine(`run ${run.id} (torch ${run.torch}${ranks}), ${span}, ${ended}`);
}

/** A handful of steps for the terminal: the first, the last and evenly between. */
function someSteps(trace: Trace, n = 10): Trace {
  const s = trace.steps;
  if (s.length <= n) return trace;
  const picked = Array.from({ length: n }, (_, i) => s[Math.round((i * (s.length - 1)) / (n - 1))]);
  return { ...trace, steps: picked };
}

export function checkCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, CHECK_OPTIONS);
  const [path] = args.positionals;
  if (!path || args.positionals.length > 1) {
    throw new UsageError('usage: gradient-lens check <run folder | rank0.gl.jsonl> [--format text|json|sarif] [--fail-on error|warning|never] [--config rules.json]');
  }
  refuseScriptArgs(args, path);
  const format = choice(args.options.get('format'), ['text', 'json', 'sarif'] as const, 'format', 'text');
  const failOn = choice<FailOn>(args.options.get('fail-on'), ['error', 'warning', 'never'], 'fail-on', 'error');
  const inputs = new Inputs(io, limitsFromArgs(args));
  const configPath = args.options.get('config');
  const config = configPath ? loadRuleConfig(configPath, inputs) : undefined;
  const { trace, findings, locate } = checkRun(path, config, io, inputs);
  const notes = trace.run?.notes ?? [];
  if (format === 'json') {
    io.out(toJson({ run: describeRun(trace), findings: findings.map((f) => ({ ...f, location: locate(f.range) })), notes, trace }));
  } else if (format === 'sarif') {
    io.out(JSON.stringify(toSarif(findings, locate, require('../../package.json').version), null, 2));
  } else {
    const lines = [`${oneLine(path)}: ${describeRun(trace)}`, formatFindings(findings, locate)];
    for (const n of notes) lines.push(`note: ${oneLine(n)}`);
    lines.push('', formatNormTable(someSteps(trace), trace.steps.length));
    io.out(lines.join('\n'));
  }
  return exitCodeFor(findings, failOn);
}

/**
 * The folder of the gradient_lens Python package shipped with this tool, for
 * `PYTHONPATH=$(gradient-lens python-path) python -m gradient_lens run train.py`.
 */
export function pythonPath(candidates = [resolve(__dirname, '..', 'python'), resolve(__dirname, '..', '..', 'python')]): string {
  const found = candidates.find((p) => {
    try {
      return statSync(join(p, 'gradient_lens', '__init__.py')).isFile();
    } catch {
      return false;
    }
  });
  if (!found) throw new InputError(`the gradient_lens Python package is missing (looked in ${candidates.join(' and ')})`);
  return found;
}
