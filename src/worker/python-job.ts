/**
 * One trace request for PyTorch source, start to end, as the editor asks it of the trace worker:
 * the file read (never run), traced by its own loop or its sidecar's build expression under the
 * request's steps and time budget, and what it says placed on the traced text's lines. Replies are
 * the spec job's: `parsed` (what the reader says, the layers), `progress`, then `traced` or `failed`.
 */
import { parseSpec } from '../model';
import type { PythonDiagnostic } from '../model/python/front';
import { layersInOrder } from '../rules/util';
import { readingNow, resolveFinding } from './job';
import type { SpecProblem, TraceReply, TraceRequest } from './messages';
import { stepTimeBudget } from '../trace/bounded';
import { lineIndex, type LineIndex } from './positions';
import { analysePython, noModel, type PythonJob, pythonTooLarge, readyForPython, releasePython, sidecarTarget, userModuleSources, withSidecar } from './python';
import { DEFAULT_LIMITS } from '../limits';
import { parsePython } from '../model/python/parse';
import { READING } from '../limits';
import { basename, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SourceRange } from '../model/graph';
import type { ImportedFile } from '../model/python/imports';
import { maxPythonBytes } from '../limits';
import { readUserFile } from '../user-files';
import { textDigest } from '../text-digest';

/** Where a failing sidecar expression is written ("two.grad.yaml line 3"): the .py's problem names it. */
function sidecarLine(req: TraceRequest, part: 'build' | 'loss'): string | null {
  const given = req.python?.sidecar;
  if (!given) return null;
  const s = parseSpec(given.text, given.fileName, { limits: req.limits }).sidecar;
  const r = part === 'loss' ? s?.lossRange : s?.buildRange;
  return r ? `${basename(given.fileName)} line ${lineIndex(given.text).position(r.start).line + 1}` : null;
}

/**
 * A diagnostic as the document's problems. One raised in an imported file (what it cannot follow,
 * raises, a syntax error there) is two: the module's own, at its range in that file (`file`), and a
 * pointer at the script's line that led there (the innermost call from it, else the import), naming
 * the file and line, with the module's range as a related location.
 */
function problems(d: PythonDiagnostic, lines: LineIndex, req?: TraceRequest, imported: readonly ImportedFile[] = []): SpecProblem[] {
  const from = d.range.file !== undefined ? imported.find((f) => f.path === d.range.file) : undefined;
  // Related locations in the script carry no file; those in a module name it.
  const linesOf = (r: SourceRange) => (r.file !== undefined ? lineIndex(imported.find((f) => f.path === r.file)?.text ?? '') : lines);
  const related = (r: { range: SourceRange; message: string }) => ({ range: linesOf(r.range).range(r.range), message: r.message, ...(r.range.file !== undefined ? { file: r.range.file } : {}) });
  // The Python front end's diagnostics say what to change; they carry no edits of their own.
  if (!from) {
    const where = d.sidecar && req ? sidecarLine(req, d.sidecar.part) : null;
    const inThisFile = d.related.filter((r) => r.range.file === undefined);
    return [{ severity: d.severity, message: where ? `${d.message} (${where})` : d.message, range: lines.range(d.range), code: d.code, fixes: [], ...(inThisFile.length ? { related: inThisFile.map(related) } : {}) }];
  }
  const at = linesOf(d.range).range(d.range);
  const inScript = d.related.filter((r) => r.range.file === undefined);
  const pointer = inScript[0]?.range ?? from.site;
  const name = basename(from.path);
  const inModule: SpecProblem = {
    severity: d.severity,
    message: d.message,
    range: at,
    file: from.path,
    code: d.code,
    fixes: [],
    related: [...d.related.map(related), { range: lines.range(pointer), message: `reached from ${basename(req?.fileName ?? 'the script')} here` }],
  };
  const inThisScript: SpecProblem = {
    severity: d.severity,
    message: `${d.message} (${name} line ${at.start.line + 1})`,
    range: lines.range(pointer),
    code: d.code,
    fixes: [],
    related: [{ range: at, message: `the reason, in ${name}`, file: from.path }, ...inScript.map(related)],
  };
  // The script's first: the first error is what the run's failure says.
  return [inThisScript, inModule];
}

/** A sidecar's own mistakes, told on the Python file's first line (the sidecar shows them at their place when open). */
function sidecarProblems(req: TraceRequest, job: PythonJob): { job: PythonJob; problems: SpecProblem[] } {
  const given = req.python?.sidecar;
  if (!given) return { job, problems: [] };
  const parsed = parseSpec(given.text, given.fileName, { limits: req.limits });
  const first = parsed.diagnostics.find((d) => d.severity === 'error');
  const top = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  if (first || !parsed.sidecar) {
    const line = lineIndex(given.text).position(first?.range.start ?? 0).line + 1;
    return { job, problems: [{ severity: 'error', message: `The sidecar ${given.fileName} cannot be used (line ${line}): ${first?.message ?? 'it does not name a Python file'}`, range: top, code: 'python/sidecar', fixes: [] }] };
  }
  if (resolve(sidecarTarget(given.fileName, parsed.sidecar)) !== resolve(req.fileName)) return { job, problems: [] };
  return { job: withSidecar(job, parsed.sidecar, { steps: req.steps }), problems: [] };
}

export async function runPythonJob(req: TraceRequest, post: (reply: TraceReply) => void): Promise<void> {
  const started = performance.now();
  const tooLarge = pythonTooLarge(req.text, req.fileName, { ...DEFAULT_LIMITS, ...req.limits });
  if (tooLarge) {
    const top = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    post({ type: 'parsed', id: req.id, problems: [{ severity: 'error', message: tooLarge, range: top, code: 'python/too-large', fixes: [] }], ok: false, layers: [], parseMs: performance.now() - started });
    return;
  }
  const lines = lineIndex(req.text);
  let of = req.steps ?? 20;
  const limits = { ...DEFAULT_LIMITS, ...req.limits };
  const budget = stepTimeBudget(req.timeLimitMs, req.timeLimitName, started);
  // The script's own modules: an open document's unsaved text, else the disk; a document that is no local file (untitled, virtual) has no folder to import from.
  const sources = req.dataRoots !== null && isAbsolute(req.fileName) ? userModuleSources(readUserFile, limits, new Map(Object.entries(req.python?.unsaved ?? {}))) : null;
  const base: PythonJob = {
    text: req.text,
    fileName: req.fileName,
    ...(sources ? { sources, maxCodeBytes: maxPythonBytes(limits) } : {}),
    config: req.config,
    steps: req.steps,
    memoryLimitBytes: req.memoryLimitBytes,
    onRead: (model) => {
      of = model.meta.steps;
      readingNow(req, post, null);
      budget.traceStarts();
    },
    onStep: (record) => {
      if (req.progress) post({ type: 'progress', id: req.id, step: record.step + 1, of });
      return budget.onStep(record);
    },
  };
  const { job, problems: sidecar } = sidecarProblems(req, base);
  if (sidecar.length) {
    post({ type: 'parsed', id: req.id, problems: sidecar, ok: false, layers: [], parseMs: performance.now() - started });
    return;
  }
  let result;
  try {
    // Parsed apart from the rest of the read, so the time limit's message can say which took the time.
    await readyForPython();
    const name = basename(req.fileName);
    readingNow(req, post, READING.pythonCode(name, req.text));
    parsePython(req.text);
    readingNow(req, post, READING.pythonModel(name));
    result = await analysePython(job);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'parsed', id: req.id, problems: [], ok: true, layers: [], parseMs: performance.now() - started });
    post({ type: 'failed', id: req.id, name: err.name, message: err.message, range: null });
    return;
  }
  const { read, analysis } = result;
  const diagnostics = analysis || result.diagnostics.length ? result.diagnostics : [noModel(read)];
  const problemsOfRun = diagnostics.flatMap((d) => problems(d, lines, req, read.imported));
  // A range in an imported file is placed in that file's text.
  const texts = new Map(read.imported.map((f) => [f.path, lineIndex(f.text)]));
  const linesOf = (r: SourceRange) => (r.file !== undefined ? (texts.get(r.file) ?? lines) : lines);
  const reads = read.imported.map((f) => ({ path: f.path, digest: textDigest(f.text) }));
  const missing = [...(sources?.missing ?? [])];
  const graph = read.model?.graph();
  // Nothing below calls into the model: the next job may begin on this one's torch bindings.
  releasePython(result);
  const layers = analysis && graph ? layersInOrder(graph).map((l) => ({ path: l.path, range: linesOf(l.range).range(l.range), ...(l.range.file !== undefined ? { uri: pathToFileURL(l.range.file).toString() } : {}) })) : [];
  // Reading the file (parse and interpret up to the training loop) is what the trace and the rules did not take.
  const parseMs = Math.max(0, performance.now() - started - (analysis ? analysis.timings.traceMs + analysis.timings.checkMs : 0));
  post({ type: 'parsed', id: req.id, problems: problemsOfRun, ok: !!analysis, layers, parseMs, ...(reads.length ? { reads } : {}), ...(missing.length ? { missing } : {}) });
  if (!analysis) return;
  const { trace, findings, health, timings } = analysis;
  post({ type: 'traced', id: req.id, trace, findings: findings.map((f) => resolveFinding(f, linesOf)), health, timings: { parseMs, ...timings } });
}
