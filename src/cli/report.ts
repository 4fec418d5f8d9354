/** `gradient-lens report`: the trace and findings as a self-contained HTML page with charts. */
import { oneLine } from '../escape';
import { renderReport, type ReportInput } from '../report/html';
import { UserFileError, writeOutputFile } from '../user-files';
import { parseArgs, refuseScriptArgs, UsageError } from './args';
import { formatFindings, type Locate } from './findings';
import { fromUserFileError } from './input';
import type { Io } from './main';
import { isRunLog } from './check';
import { reportRun } from './report-run';
import { analyseSpec, Analysis, TRACE_OPTIONS } from './trace';
import { formatPythonDiagnostics, isPythonTarget, oneReason, runPython, tracePython } from './python';
import type { ParsedArgs } from './args';
import { refuseTypeScript } from './typescript';

/** A Python file's analysis for the report; null (after saying why on stderr) when it has no model to trace. */
async function analysedPython(file: string, args: ParsedArgs, io: Io): Promise<Analysis | null> {
  return runPython(file, args, io, (run) => {
    const result = tracePython(run);
    if (!result.analysis) {
      io.err(oneReason(result, run.locate, run.sidecarAt));
      return null;
    }
    const notes = formatPythonDiagnostics(result.diagnostics, run.locate, run.sidecarAt);
    if (notes) io.err(notes);
    return { file, text: run.text, trace: result.analysis.trace, findings: result.analysis.findings, health: result.analysis.health, inputs: run.inputs, ...(run.notebook ? { locate: run.locate } : {}) };
  });
}

/** A place as the report's page shows it: 0-based positions, a notebook's cell with its file (`nb.ipynb:cell 3`). */
function reportPlace(locate: Locate): NonNullable<ReportInput['place']> {
  return (r) => {
    const p = locate(r);
    return {
      range: { start: { line: p.line - 1, character: p.column - 1 }, end: { line: p.endLine - 1, character: p.endColumn - 1 } },
      ...(p.cell !== undefined ? { file: `${p.file}:cell ${p.cell}` } : {}),
    };
  };
}

export async function reportCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, [...TRACE_OPTIONS, 'o', 'output']);
  const [file] = args.positionals;
  const out = args.options.get('o') ?? args.options.get('output') ?? 'report.html';
  if (file && args.positionals.length === 1 && isRunLog(file)) {
    refuseScriptArgs(args, file);
    return reportRun(file, out, args, io);
  }
  if (!file || args.positionals.length > 1) throw new UsageError('usage: gradient-lens report <spec|model.py> [-o report.html] [--steps N] [--state state.json] [--batch batch.json]');
  refuseTypeScript('report', file);
  const python = isPythonTarget(file, io);
  if (!python) refuseScriptArgs(args, file);
  const analysis = python ? await analysedPython(file, args, io) : analyseSpec(file, args, io);
  if (!analysis) return 2;
  const { trace, findings, health, text, inputs, locate } = analysis;
  const html = renderReport({ trace, findings, health, fileName: file, text, ...(locate ? { place: reportPlace(locate) } : {}), generatedAt: new Date().toISOString() });
  try {
    // Never over an input (the spec, the state, batch, config or data files), and never half-written.
    writeOutputFile(out, html, [...inputs.files].map(([path, f]) => ({ path, what: f.what })), 'report');
  } catch (e) {
    if (e instanceof UserFileError) throw fromUserFileError(e);
    throw e;
  }
  io.out(`${locate ? formatFindings(findings, locate) : formatFindings(findings, file, text)}\n\nreport written to ${oneLine(out)} (${trace.steps.length} steps, ${trace.params.length} parameters)`);
  return 0;
}
