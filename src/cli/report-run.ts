/** `gradient-lens report runs/gl/ -o report.html`: a training run's findings and charts in the same HTML report. */
import { oneLine } from '../escape';
import { renderReport } from '../report/html';
import { UserFileError, writeOutputFile } from '../user-files';
import { LIMIT_OPTIONS, limitsFromArgs, ParsedArgs, UsageError } from './args';
import { checkRun, describeRun } from './check';
import { formatFindings } from './findings';
import { fromUserFileError, Inputs, loadRuleConfig } from './input';
import type { Io } from './main';

/** Options a run's report takes (no trace is run: steps, state, batch and dtype do not apply). */
const RUN_REPORT_OPTIONS = new Set(['config', 'o', 'output', ...LIMIT_OPTIONS]);

export function reportRun(path: string, out: string, args: ParsedArgs, io: Io): number {
  for (const name of args.options.keys()) {
    if (!RUN_REPORT_OPTIONS.has(name)) {
      throw new UsageError(`--${name} does not apply to a training run's report (it reads what the run recorded)`);
    }
  }
  const inputs = new Inputs(io, limitsFromArgs(args));
  const configPath = args.options.get('config');
  const config = configPath ? loadRuleConfig(configPath, inputs) : undefined;
  const { trace, findings, health, sources, locate } = checkRun(path, config, io, inputs);
  const html = renderReport({
    trace,
    findings,
    health,
    fileName: path,
    fileText: (file) => ({ shown: locate({ start: 0, end: 0, file }).file, text: sources.text(file) }),
    generatedAt: new Date().toISOString(),
  });
  try {
    // Never over a log file or the config, and never half-written.
    const inputsRead = [...(trace.run?.ranks.flatMap((r) => r.files) ?? []).map((p) => ({ path: p, what: 'training-run log' })), ...[...inputs.files].map(([p, f]) => ({ path: p, what: f.what }))];
    writeOutputFile(out, html, inputsRead, 'report');
  } catch (e) {
    if (e instanceof UserFileError) throw fromUserFileError(e);
    throw e;
  }
  io.out(`${oneLine(path)}: ${describeRun(trace)}\n${formatFindings(findings, locate)}\n\nreport written to ${oneLine(out)} (${trace.steps.length} recorded steps, ${trace.params.length} parameters)`);
  return 0;
}
