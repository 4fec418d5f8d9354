/**
 * The walkthrough tells what the user will see: its quoted finding is the one the quick trace of
 * the example gives, its fix is the example's preferred fix, and no step is ticked merely by
 * opening a view (a step is done by doing it).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../../src/extension/settings';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { runJob } from '../../../src/worker/job';
import type { ResolvedFinding, TraceReply } from '../../../src/worker/messages';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const steps: { id: string; media: { markdown: string }; completionEvents: string[]; description: string }[] = pkg.contributes.walkthroughs[0].steps;
const page = (id: string) => readFileSync(join(ROOT, steps.find((s) => s.id === id)!.media.markdown), 'utf8');

const EXAMPLE = readFileSync(join(ROOT, 'examples', 'seed-saturated.grad.yaml'), 'utf8');

function quickTrace(text: string, file = 'seed-saturated.grad.yaml'): ResolvedFinding[] {
  const replies: TraceReply[] = [];
  runJob({ id: 1, text, fileName: file, steps: DEFAULT_SETTINGS.quickTraceSteps, memoryLimitBytes: 2 ** 28, timeLimitMs: 600_000, config: DEFAULT_CONFIG, progress: false }, (r) => replies.push(r));
  const traced = replies.find((r) => r.type === 'traced');
  assert.ok(traced?.type === 'traced');
  return traced.findings;
}

describe('walkthrough', () => {
  it('quotes the finding the quick trace of the example gives, with its numbers (no "N%")', () => {
    const text = page('openExample');
    assert.doesNotMatch(text, /\bN%/);
    const saturated = quickTrace(EXAMPLE).find((f) => f.rule === 'saturated-activation');
    assert.ok(saturated);
    const headline = saturated.message.split(' (')[0];
    assert.ok(text.includes(`> ${headline}`), `the page quotes "${headline}"`);
    // The cause it names is the example's own: the std-8 init, not its inputs.
    assert.match(text, /std: 8/);
    assert.doesNotMatch(text, /inputs are large|large inputs/i);
  });

  it("names the example's preferred fix, and the fixed example has no findings", () => {
    const findings = quickTrace(EXAMPLE);
    const preferred = findings.find((f) => f.rule === 'saturated-activation')!.fixes.find((x) => x.preferred)!;
    assert.ok(page('fix').includes(`**${preferred.title.replace(/ \(std .*\)$/, '')}**`), preferred.title);
    // The edit, applied as the editor would, leaves the example with no findings.
    const lines = EXAMPLE.split('\n');
    const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    let fixed = EXAMPLE;
    for (const e of [...preferred.edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) {
      fixed = fixed.slice(0, offset(e.range.start)) + e.newText + fixed.slice(offset(e.range.end));
    }
    assert.ok(fixed.includes('init: {weight: xavier_uniform}') && page('fix').includes('init: {weight: xavier_uniform}'), fixed);
    assert.deepEqual(quickTrace(fixed).map((f) => f.message), []);
  });

  it('ticks a step when the user does it, never for opening a view', () => {
    for (const s of steps) {
      assert.ok(s.completionEvents.length, s.id);
      for (const e of s.completionEvents) assert.doesNotMatch(e, /^onView:/, `${s.id}: ${e}`);
    }
    assert.deepEqual(steps.find((s) => s.id === 'sidebar')!.completionEvents, ['onCommand:gradientLens.revealLayer']);
  });
});
