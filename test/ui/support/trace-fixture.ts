/**
 * The `trace` message the host would post for the seed-saturated fixture, computed by the same job
 * the extension's worker runs (parse → trace → rules, ranges resolved to positions).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ToWebview } from '../../../src/protocol';
import { withDefaults } from '../../../src/rules';
import { runJob } from '../../../src/worker/job';
import type { TraceReply } from '../../../src/worker/messages';

export const SEED_SATURATED = path.resolve(__dirname, '../fixtures/seed-saturated.grad.yaml');

export function seedSaturatedMessage(): Extract<ToWebview, { type: 'trace' }> {
  const text = fs.readFileSync(SEED_SATURATED, 'utf8');
  const replies: TraceReply[] = [];
  runJob(
    { id: 1, text, fileName: SEED_SATURATED, memoryLimitBytes: 256 * 1024 ** 2, timeLimitMs: 60_000, config: withDefaults(), progress: false },
    (r) => replies.push(r),
  );
  const parsed = replies.find((r) => r.type === 'parsed');
  const traced = replies.find((r) => r.type === 'traced');
  if (!parsed || parsed.type !== 'parsed' || !traced || traced.type !== 'traced') {
    throw new Error(`the fixture did not trace: ${JSON.stringify(replies.filter((r) => r.type !== 'progress')).slice(0, 500)}`);
  }
  return {
    type: 'trace',
    uri: `file://${SEED_SATURATED}`,
    fileName: SEED_SATURATED,
    trace: traced.trace,
    findings: traced.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      layer: f.layer,
      range: f.range,
      fixes: f.fixes.map((x) => x.title),
    })),
    quick: false,
    layers: parsed.layers,
  };
}
