/** `gradient-lens trace`: trains a few steps, prints the findings like a compiler, then per-parameter gradient norms. */
import { oneLine } from '../escape';
import { analyse } from '../analyse';
import { specFixes } from '../model/spec-fixes';
import type { ParamHealth } from '../rules/health';
import type { Finding } from '../rules/types';
import type { Trace } from '../trace/types';
import { shortNumber } from '../numbers';
import { choice, LIMIT_OPTIONS, ParsedArgs, parseArgs, refuseScriptArgs, UsageError } from './args';
import { exitCodeFor, FailOn, formatFindings, Locate, toSarif } from './findings';
import type { Inputs } from './input';
import { toJson } from '../report/json';
import type { Io } from './main';
import { runSpec } from './run-spec';
import { isTypeScriptModel, traceTypeScript } from './typescript';
import { formatPythonDiagnostics, isPythonTarget, oneReason, runPython, tracePython } from './python';

export const TRACE_OPTIONS = ['steps', 'state', 'batch', 'format', 'dtype', 'fail-on', 'config', ...LIMIT_OPTIONS];

export interface Analysis {
  file: string;
  text: string;
  trace: Trace;
  findings: Finding[];
  health: ParamHealth[];
  /** Every file read: a report must not overwrite one. */
  inputs: Inputs;
  /** Where the ranges are when not simply in `text` (a notebook's cells). */
  locate?: Locate;
}

/** Shared by `trace` and `report`: load the spec and inputs, then the analyse step, all within the limits. */
export function analyseSpec(file: string, args: ParsedArgs, io: Io): Analysis {
  return runSpec(file, args, io, ({ spec, text, config, trace: options, inputs }) => {
    const { trace, findings, health } = analyse({ graph: spec, text, fileName: file, fixes: (g) => specFixes(text, file, g) }, { kind: 'build', options }, config);
    return { file, text, trace, findings, health, inputs };
  });
}

export async function traceCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, TRACE_OPTIONS);
  const [file] = args.positionals;
  if (!file || args.positionals.length > 1) {
    throw new UsageError('usage: gradient-lens trace <spec|model.ts|model.py|notebook.ipynb> [--steps N] [--state state.json] [--batch batch.json] [--format text|json|sarif] [--fail-on error|warning|never]');
  }
  const format = choice(args.options.get('format'), ['text', 'json', 'sarif'] as const, 'format', 'text');
  const failOn = choice<FailOn>(args.options.get('fail-on'), ['error', 'warning', 'never'], 'fail-on', 'error');
  if (isPythonTarget(file, io)) return tracePythonFile(file, args, io, format, failOn);
  refuseScriptArgs(args, file);
  if (isTypeScriptModel(file)) return traceTypeScript(file, args, io, format, failOn);
  const { trace, findings, text } = analyseSpec(file, args, io);
  if (format === 'json') io.out(toJson({ findings, trace }));
  else if (format === 'sarif') io.out(JSON.stringify(toSarif(findings, file, text, require('../../package.json').version), null, 2));
  else io.out(`${formatFindings(findings, file, text)}\n\n${formatNormTable(trace)}`);
  return exitCodeFor(findings, failOn);
}

/**
 * `trace model.py`: the findings and gradient norms, what it could not follow printed before them.
 * Nothing to trace (a syntax error, no model) is bad input, as a spec's errors are: exit 2 and one
 * line on stderr, the first error at its place, whatever the format.
 */
async function tracePythonFile(file: string, args: ParsedArgs, io: Io, format: 'text' | 'json' | 'sarif', failOn: FailOn): Promise<number> {
  return runPython(file, args, io, (run) => {
    const result = tracePython(run);
    if (!result.analysis) {
      io.err(oneReason(result, run.locate, run.sidecarAt));
      return 2;
    }
    const findings = result.analysis.findings;
    if (format === 'json') {
      // A notebook's ranges are offsets into its code cells joined; `cells` says where each cell is in that text.
      const cells = run.notebook?.cells.map((c) => ({ cell: c.index + 1, start: c.start, end: c.end }));
      io.out(toJson({ findings, diagnostics: result.diagnostics, trace: result.analysis.trace, ...(cells ? { cells } : {}) }));
    } else if (format === 'sarif') {
      // A fix's edits are Python, not the notebook's JSON: SARIF gets them for .py files only.
      const shown = run.notebook ? findings.map((f) => ({ ...f, fixes: [] })) : findings;
      io.out(JSON.stringify(toSarif(shown, run.stored, require('../../package.json').version), null, 2));
    } else {
      const notes = formatPythonDiagnostics(result.diagnostics, run.locate, run.sidecarAt);
      io.out(`${notes ? `${notes}\n` : ''}${formatFindings(findings, run.locate)}\n\n${formatNormTable(result.analysis.trace)}`);
    }
    return exitCodeFor(findings, failOn);
  });
}

/**
 * A compact table: one row per step, one column per parameter's gradient L2 norm. `recorded`: how
 * many steps a training run recorded, when the table shows some of them.
 */
export function formatNormTable(trace: Trace, recorded?: number): string {
  // Parameter names come from the user's layer names: one line whatever they hold (escape.ts).
  const names = trace.params.map((p) => oneLine(p.name));
  // A step with several backward() calls (a GAN) shows each one's loss under its variable's name.
  const lossNames = trace.steps[0]?.losses?.map((l) => oneLine(l.name)) ?? ['loss'];
  const lossCells = (s: Trace['steps'][number]) => (s.losses ? lossNames.map((_, i) => (s.losses![i] ? shortNumber(s.losses![i].value, 3) : '—')) : [shortNumber(s.loss, 3)]);
  const header = ['step', ...lossNames, ...names];
  const rows = trace.steps.map((s) => [String(s.step), ...lossCells(s), ...s.params.map((p) => (p.reached ? shortNumber(p.gradNorm, 3) : '—'))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const lines = [
    `${oneLine(trace.file)}: ${recorded ? `${trace.steps.length} of ${recorded} recorded steps` : `${trace.steps.length} steps`}, batch ${trace.batchSize}, ${trace.dtype}, ${trace.optimizer.type} lr=${trace.optimizer.lr}${clipText(trace.optimizer.clip)} (${trace.durationMs.toFixed(1)} ms)`,
    'gradient L2 norm per parameter:',
    line(header),
    ...rows.map(line),
  ];
  if (trace.stoppedEarly) lines.push(`stopped early: ${trace.stoppedEarly}`);
  return lines.join('\n');
}

/** ", clip_grad_norm 1" after the learning rate when the optimiser clips. */
function clipText(clip: Trace['optimizer']['clip']): string {
  if (!clip) return '';
  return clip.kind === 'norm' ? `, clip_grad_norm ${clip.maxNorm}${clip.normType === 2 ? '' : ` (norm_type ${clip.normType})`}` : `, clip_grad_value ${clip.clipValue}`;
}
