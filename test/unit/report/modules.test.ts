/** Parameters grouped by module and the overview heatmap: readable at 100+ parameter tensors. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellColor, heatmapData } from '../../../webview/charts/heatmap';
import { flowByModule, moduleGroups } from '../../../webview/charts/modules';
import { chartData } from '../../../webview/charts/data';
import { LIGHT_THEME } from '../../../webview/charts/theme';
import { paramRows } from '../../../webview/shared/param-health';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { runJob } from '../../../src/worker/job';
import type { TraceReply } from '../../../src/worker/messages';

const DEEP = join(__dirname, '..', '..', 'ui', 'fixtures', 'deep-104.grad.yaml');

function traced() {
  const replies: TraceReply[] = [];
  runJob({ id: 1, text: readFileSync(DEEP, 'utf8'), fileName: DEEP, memoryLimitBytes: 2 ** 28, timeLimitMs: 600_000, config: DEFAULT_CONFIG, progress: false }, (r) => replies.push(r));
  const t = replies.find((r) => r.type === 'traced');
  assert.ok(t?.type === 'traced');
  return t;
}

describe('moduleGroups', () => {
  it('keeps a small model in one group', () => {
    assert.deepEqual(moduleGroups(['0.weight', '0.bias', '2.weight', '2.bias']), [{ key: '', params: ['0.weight', '0.bias', '2.weight', '2.bias'] }]);
  });

  it('splits a GPT-like model by module, one level deeper where a module is too big', () => {
    const names = ['wte.weight', 'wpe.weight'];
    for (let b = 0; b < 12; b++) for (const p of ['ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias', 'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias']) names.push(`h.${b}.${p}`);
    names.push('ln_f.weight', 'ln_f.bias');
    const groups = moduleGroups(names);
    assert.deepEqual(
      groups.map((g) => g.key),
      ['wte', 'wpe', ...Array.from({ length: 12 }, (_, b) => `h.${b}`), 'ln_f'],
    );
    assert.deepEqual(groups.flatMap((g) => g.params), names, 'every parameter once, in order');
    assert.ok(groups.every((g) => g.params.length <= 16));
  });

  it('cuts a long flat Sequential into runs of consecutive layers', () => {
    const names = Array.from({ length: 40 }, (_, i) => [`${i}.weight`, `${i}.bias`]).flat();
    const groups = moduleGroups(names);
    assert.deepEqual(groups.map((g) => g.key).slice(0, 2), ['0–7', '8–15']);
    assert.deepEqual(groups.flatMap((g) => g.params), names);
    assert.ok(groups.every((g) => g.params.length <= 16));
  });

  it('groups the 104-tensor fixture by block', () => {
    const t = traced();
    assert.equal(t.trace.params.length, 104);
    const groups = moduleGroups(t.trace.params.map((p) => p.name));
    assert.ok(groups.length >= 7 && groups.every((g) => g.params.length <= 16), groups.map((g) => `${g.key}:${g.params.length}`).join(' '));
    assert.equal(groups[0].params[0], 'stem.weight');
  });
});

describe('heatmapData', () => {
  it('has one row per parameter, worst first, one column per step, zeros and NaN apart from values', () => {
    const t = traced();
    const order = paramRows(t.trace, t.findings.map((f) => ({ ...f, fixes: [] })), t.health).map((r) => r.name);
    const data = heatmapData(t.trace, order);
    assert.equal(data.rows.length, 104);
    assert.deepEqual(data.rows.map((r) => r.name), order);
    assert.ok(data.rows.every((r) => r.values.length === t.trace.steps.length));
    assert.ok(data.min < data.max);
    // The layers the tiny init starves are among the first rows: worst first.
    assert.ok(order.slice(0, 20).some((n) => n.startsWith('block3.') || n.startsWith('block4.')), order.slice(0, 20).join(' '));
    assert.equal(cellColor(null, data, LIGHT_THEME), LIGHT_THEME.dead);
    assert.equal(cellColor(NaN, data, LIGHT_THEME), LIGHT_THEME.alert);
    assert.notEqual(cellColor(data.min, data, LIGHT_THEME), cellColor(data.max, data, LIGHT_THEME));
  });
});

describe('flowByModule', () => {
  it('gives one bar per module group of a deep model, in forward order, on the geometric mean of its weights', () => {
    const t = traced();
    const flow = chartData(t.trace).gradientFlow;
    const groups = moduleGroups(t.trace.params.map((p) => p.name));
    const bars = flowByModule(flow.bars, groups);
    assert.ok(flow.bars.length > 40 && bars.length === groups.length, `${flow.bars.length} layers → ${bars.length} bars`);
    const first = flow.bars.filter((b) => groups[0].params.includes(b.param));
    const geo = Math.exp(first.reduce((s, b) => s + Math.log(b.value), 0) / first.length);
    assert.ok(Math.abs(bars[0].value - geo) <= 1e-12 * geo);
    assert.ok(bars[0].value >= Math.min(...first.map((b) => b.value)) && bars[0].value <= Math.max(...first.map((b) => b.value)));
  });

  it('keeps a zero or NaN visible instead of averaging it away', () => {
    const bar = (param: string, value: number, mark: 'value' | 'zero' | 'non-finite' = 'value') => ({ label: param, layer: param, param, y: value, value, norm: value, mark });
    const [g] = flowByModule([bar('a.weight', 1e-3), bar('b.weight', 0, 'zero')], [{ key: '', params: ['a.weight', 'b.weight'] }]);
    assert.equal(g.mark, 'zero');
    assert.match((g as { note?: string }).note ?? "", /b\.weight/);
  });
});
