/**
 * The `trace` message the host would post for the seed-saturated fixture, computed by the same job
 * the extension's worker runs (parse → trace → rules, ranges resolved to positions).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyseRun } from '../../../src/analyse';
import type { ToWebview } from '../../../src/protocol';
import { withDefaults } from '../../../src/rules';
import { readSource } from '../../../src/trace/run-log/read-source';
import { RunReader } from '../../../src/trace/run-log/reader';
import { runJob } from '../../../src/worker/job';
import type { TraceReply } from '../../../src/worker/messages';
import { resolveRun } from '../../../src/worker/run-findings';
import { graph, header, project, step, TempDir } from '../../unit/run-log/fixture';

export const SEED_SATURATED = path.resolve(__dirname, '../fixtures/seed-saturated.grad.yaml');
/** 104 parameter tensors in 25 named blocks: the views must stay readable on a real model's size. */
export const DEEP_104 = path.resolve(__dirname, '../fixtures/deep-104.grad.yaml');

export function seedSaturatedMessage(): Extract<ToWebview, { type: 'trace' }> {
  return traceMessage(SEED_SATURATED);
}

export function traceMessage(file: string): Extract<ToWebview, { type: 'trace' }> {
  const text = fs.readFileSync(file, 'utf8');
  const replies: TraceReply[] = [];
  runJob(
    { id: 1, text, fileName: file, memoryLimitBytes: 256 * 1024 ** 2, timeLimitMs: 600_000, config: withDefaults(), progress: false },
    (r) => replies.push(r),
  );
  const parsed = replies.find((r) => r.type === 'parsed');
  const traced = replies.find((r) => r.type === 'traced');
  if (!parsed || parsed.type !== 'parsed' || !traced || traced.type !== 'traced') {
    throw new Error(`the fixture did not trace: ${JSON.stringify(replies.filter((r) => r.type !== 'progress')).slice(0, 500)}`);
  }
  return {
    type: 'trace',
    uri: `file://${file}`,
    fileName: file,
    trace: traced.trace,
    findings: traced.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      layer: f.layer,
      range: f.range,
      fixes: f.fixes.map((x) => x.title),
    })),
    health: traced.health,
    quick: false,
    layers: parsed.layers,
  };
}

/**
 * The `trace` message the host posts for a watched training run: the unit tests' synthetic log of
 * the seed model (its Sigmoid saturated from step 10) read by the reader, placed in its train.py.
 */
export function trainingRunMessage(): Extract<ToWebview, { type: 'trace' }> {
  const dir = new TempDir();
  try {
    const logDir = project(dir);
    dir.file('proj/runs/gl/rank0.gl.jsonl', [header(), graph(), step(0), step(10, { saturated: 0.95 }), step(20, { saturated: 0.95 }), { kind: 'message', step: 20, text: 'recording every 10 steps' }]);
    const trace = new RunReader(logDir).readAll();
    const run = resolveRun(analyseRun(trace, logDir, readSource, withDefaults()));
    const uri = (file: string | undefined) => (file ? { uri: `file://${file}` } : {});
    return {
      type: 'trace',
      uri: `file://${logDir}`,
      fileName: `${logDir} (training run)`,
      trace,
      findings: run.findings.map((f) => ({ rule: f.rule, severity: f.severity, message: f.message, layer: f.layer, range: f.range, ...uri(f.file), fixes: [] })),
      health: run.health,
      quick: false,
      layers: run.layers.map((l) => ({ path: l.path, range: l.range, ...uri(l.file) })),
    };
  } finally {
    dir.dispose();
  }
}
