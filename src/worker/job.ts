/**
 * One trace request, start to end: parse, then the analyse step (trace → rules), with every range
 * resolved to positions.
 * Plain node (no `vscode`, no worker API) so unit tests run it directly; trace-worker.ts only wires
 * it to the thread's message port.
 */
import { analyse } from '../analyse';
import { parseSpec } from '../model';
import { specFixes } from '../model/spec-fixes';
import type { ModelSpec, SourceRange } from '../model/graph';
import type { Finding } from '../rules/types';
import { layersInOrder } from '../rules/util';
import { DEFAULT_LIMITS } from '../limits';
import { stepTimeBudget } from '../trace/bounded';
import { loadDataFiles } from '../trace/data-files';
import { modelNote } from '../trace/model-cache';
import { READING } from '../limits';
import { specRangeOf, TraceError } from '../trace/errors';
import { basename } from 'node:path';
import { lineIndex, LineIndex } from './positions';
import { runPythonJob } from './python-job';
import type { TextEdit } from '../model/fixes';
import type { ResolvedFinding, ResolvedFix, SpecProblem, TraceReply, TraceRequest } from './messages';

/** Runs a request: a spec here, PyTorch source in python-job.ts (its parser loads asynchronously, once). */
export function runJob(req: TraceRequest, post: (reply: TraceReply) => void): void | Promise<void> {
  if (req.python) return runPythonJob(req, post);
  const lines = lineIndex(req.text);
  const t0 = performance.now();
  readingNow(req, post, READING.spec(basename(req.fileName)));
  const { spec, diagnostics, sidecar } = parseSpec(req.text, req.fileName, { limits: req.limits });
  const parseMs = performance.now() - t0;
  const problems: SpecProblem[] = diagnostics.map((d) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    range: lines.range(d.range),
    fixes: (d.fixes ?? []).map((fix) => resolveFix(fix, (r) => lines.range(r))),
  }));
  // A Python file's sidecar is traced with that file, where its findings are.
  if (sidecar) problems.push({ severity: 'info', code: 'python/sidecar', message: `This spec is the sidecar of ${sidecar.python}: Gradient Lens traces it with that file, and shows the findings there`, range: lines.range(sidecar.pythonRange), fixes: [] });
  const ok = !!spec && !problems.some((p) => p.severity === 'error');
  const layers = spec ? layersInOrder(spec).map((l) => ({ path: l.path, range: lines.range(l.range) })) : [];
  post({ type: 'parsed', id: req.id, problems, ok, layers, parseMs });
  if (!ok || !spec) return;

  // A quick trace never runs more steps than the spec's own trace.
  const of = req.steps === undefined ? spec.trace.steps : Math.min(req.steps, spec.trace.steps);
  const started = performance.now();
  let analysis;
  try {
    const data = dataFor(spec, req, post);
    readingNow(req, post, null);
    const budget = stepTimeBudget(req.timeLimitMs, req.timeLimitName, started);
    budget.traceStarts();
    analysis = analyse(
      { graph: spec, text: req.text, fileName: req.fileName, fixes: (g) => specFixes(req.text, req.fileName, g) },
      {
        kind: 'build',
        options: {
          data,
          steps: of,
          memoryLimitBytes: req.memoryLimitBytes,
          reuseModel: true,
          onStep: (record) => {
            if (req.progress) post({ type: 'progress', id: req.id, step: record.step + 1, of });
            // The host kills the thread outright if a single step overruns the limit by much.
            return budget.onStep(record);
          },
        },
      },
      req.config,
    );
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    // A TraceError names what is at fault (a layer, the loss, the data); anything else is on the model.
    const range = e instanceof TraceError ? specRangeOf(e.blame, spec) : spec.model.range;
    post({ type: 'failed', id: req.id, name: err.name, message: err.message, range: lines.range(range) });
    return;
  }
  const { trace, findings, health, timings } = analysis;
  const model = modelNote();
  post({ type: 'traced', id: req.id, trace, findings: findings.map((f) => resolveFinding(f, lines)), health, timings: { parseMs, ...timings, ...(model ? { model } : {}) } });
}

/** Tells the host what the job reads from now on (null: it traces), for its time limit's message. */
export function readingNow(req: TraceRequest, post: (reply: TraceReply) => void, what: string | null): void {
  post({ type: 'reading', id: req.id, what });
}

/** The spec's `data:` files, read from the spec's folder or the workspace; refused for a spec that is not a local file. */
function dataFor(spec: ModelSpec, req: TraceRequest, post: (reply: TraceReply) => void) {
  if (!spec.input.file && !spec.target.file) return undefined;
  if (req.dataRoots === null) {
    const which = spec.input.file ? 'input' : 'target';
    throw new TraceError(`${which} data ${spec[which].file}: data files are read only for specs on the local disk`, { kind: 'data', which });
  }
  readingNow(req, post, READING.dataFiles(basename(req.fileName)));
  return loadDataFiles(spec, { specPath: req.fileName, roots: req.dataRoots ?? [], limits: { ...DEFAULT_LIMITS, ...req.limits }, dtype: spec.trace.dtype });
}

/** Where each range's positions come from: one text's index, or per range (a training run's ranges name their files). */
export type LinesOf = LineIndex | ((range: SourceRange) => LineIndex);

export function resolveFinding(f: Finding, lines: LinesOf): ResolvedFinding {
  const at = typeof lines === 'function' ? lines : () => lines;
  const pos = (r: SourceRange) => at(r).range(r);
  const file = (r: SourceRange) => (r.file !== undefined ? { file: r.file } : {});
  return {
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    layer: f.layer,
    range: pos(f.range),
    ...file(f.range),
    related: f.related.map((r) => ({ range: pos(r.range), message: r.message, ...file(r.range) })),
    fixes: f.fixes.map((fix) => resolveFix(fix, pos)),
    ...(f.explainedBy ? { explainedBy: f.explainedBy } : {}),
  };
}

/** A fix with its offsets turned into positions of the text that was read. */
function resolveFix(fix: { title: string; preferred?: boolean; edits: readonly TextEdit[] }, pos: (r: SourceRange) => ResolvedFix['edits'][number]['range']): ResolvedFix {
  return { title: fix.title, preferred: !!fix.preferred, edits: fix.edits.map((e) => ({ range: pos(e.range), newText: e.newText, ...(e.range.file !== undefined ? { file: e.range.file } : {}) })) };
}
