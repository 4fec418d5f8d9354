import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { runJob } from '../../../src/worker/job';
import type { TraceReply } from '../../../src/worker/messages';
import {
  ceilingFor,
  chartData,
  decadeAbove,
  decadeBelow,
  DEFAULT_FLOOR,
  exactNumber,
  floorFor,
  logTick,
  type LogPoint,
} from '../../../webview/charts/data';
import { withDefaults } from '../../../src/rules';
import { paramHealth } from '../../../src/rules/health';
import type { Trace } from '../../../src/trace/types';
import { BIAS_ZERO_FROM, seedTrace, STEPS } from './fixture';

const close = (a: number, b: number, rel = 1e-12) => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)), `${a} ≉ ${b}`);

describe('chartData: gradient norm and update ratio', () => {
  it('has one dataset per parameter, labelled with its name, in model order, one point per step', () => {
    const trace = seedTrace();
    const { gradNorm, updateRatio, steps } = chartData(trace);
    for (const chart of [gradNorm, updateRatio]) {
      assert.deepEqual(
        chart.series.map((s) => s.label),
        ['0.weight', '0.bias', '2.weight', '2.bias'],
      );
      assert.deepEqual(
        chart.series.map((s) => s.layer),
        ['0', '0', '2', '2'],
      );
      for (const s of chart.series) assert.deepEqual(s.points.map((p) => p.x), steps);
    }
    assert.equal(steps.length, STEPS);
  });

  it('draws positive values as measured', () => {
    const trace = seedTrace();
    const p = chartData(trace).gradNorm.series[2].points[7];
    assert.equal(p.mark, 'value');
    assert.equal(p.y, trace.steps[7].params[2].gradNorm);
    assert.equal(p.value, p.y);
    assert.equal(p.note, undefined);
  });

  it('clamps exact zeros to a floor a decade below the smallest positive value, keeping the true 0', () => {
    const trace = seedTrace();
    const { gradNorm } = chartData(trace);
    // The smallest positive norm is 0.weight's at the last step: 4e-5 · 0.6^19 ≈ 2.4e-9.
    const smallest = trace.steps[STEPS - 1].params[0].gradNorm;
    assert.ok(smallest > 1e-9 && smallest < 1e-8);
    assert.equal(gradNorm.floor, 1e-10);
    assert.ok(gradNorm.hasZero);
    const bias = gradNorm.series[1].points;
    for (let s = 0; s < STEPS; s++) {
      if (s >= BIAS_ZERO_FROM) {
        assert.deepEqual({ y: bias[s].y, value: bias[s].value, mark: bias[s].mark }, { y: 1e-10, value: 0, mark: 'zero' });
      } else {
        assert.equal(bias[s].mark, 'value');
        assert.ok(bias[s].y > gradNorm.floor);
      }
    }
    // The axis leaves room below the floor for the markers.
    assert.ok(gradNorm.min < gradNorm.floor);
  });

  it('the same zero handling applies to the update ratio', () => {
    const { updateRatio } = chartData(seedTrace());
    const last = updateRatio.series[1].points[STEPS - 1];
    assert.equal(last.mark, 'zero');
    assert.equal(last.value, 0);
    assert.equal(last.y, updateRatio.floor);
    assert.ok(updateRatio.floor > 0 && updateRatio.floor < Math.min(...updateRatio.series.flatMap((s) => s.points.filter((p) => p.mark === 'value').map((p) => p.value))));
  });

  it('marks a parameter backward never reached as zero, saying why', () => {
    const trace = seedTrace();
    trace.steps[3].params[2] = { ...trace.steps[3].params[2], reached: false, gradNorm: 0 };
    const p = chartData(trace).gradNorm.series[2].points[3];
    assert.equal(p.mark, 'zero');
    assert.equal(p.value, 0);
    assert.match(p.note ?? '', /no path/);
  });

  it('marks NaN, ±Inf and norms over NaN/Inf entries as non-finite, drawn on a ceiling above the largest value', () => {
    const trace = seedTrace();
    trace.steps[5].params[2] = { ...trace.steps[5].params[2], gradNorm: NaN };
    trace.steps[6].params[2] = { ...trace.steps[6].params[2], gradNorm: Infinity };
    trace.steps[7].params[2] = { ...trace.steps[7].params[2], nonFinite: 3 };
    trace.steps[8].params[3] = { ...trace.steps[8].params[3], updateRatio: Infinity };
    const { gradNorm, updateRatio } = chartData(trace);
    const points = gradNorm.series[2].points;
    assert.ok(gradNorm.hasNonFinite);
    // The largest finite norm is 0.82 (2.weight at step 0): the ceiling is a decade above its decade.
    assert.equal(gradNorm.ceiling, 10);
    assert.ok(gradNorm.max > gradNorm.ceiling);
    for (const s of [5, 6, 7]) {
      assert.equal(points[s].mark, 'non-finite');
      assert.equal(points[s].y, 10);
    }
    assert.ok(Number.isNaN(points[5].value));
    assert.equal(points[6].value, Infinity);
    assert.equal(points[7].value, trace.steps[7].params[2].gradNorm);
    assert.equal(points[7].note, '3 NaN/Inf entries');
    const u = updateRatio.series[3].points[8];
    assert.deepEqual({ mark: u.mark, value: u.value }, { mark: 'non-finite', value: Infinity });
    assert.ok(Number.isFinite(u.y) && u.y === updateRatio.ceiling);
    // Nothing else moved.
    assert.equal(points[4].mark, 'value');
  });

  it('every drawn y is positive and finite (a log axis can show it)', () => {
    const trace = seedTrace();
    trace.steps[2].params[0] = { ...trace.steps[2].params[0], gradNorm: NaN };
    const all: LogPoint[] = [chartData(trace).gradNorm, chartData(trace).updateRatio].flatMap((c) => c.series.flatMap((s) => s.points));
    for (const p of all) assert.ok(p.y > 0 && Number.isFinite(p.y), `${p.y}`);
  });

  it('falls back to a fixed floor when nothing is positive, and handles a trace with no steps', () => {
    const trace = seedTrace();
    for (const s of trace.steps) s.params = s.params.map((p) => ({ ...p, gradNorm: 0, updateRatio: 0 }));
    const { gradNorm } = chartData(trace);
    assert.equal(gradNorm.floor, DEFAULT_FLOOR);
    assert.ok(gradNorm.series.every((s) => s.points.every((p) => p.y === DEFAULT_FLOOR && p.mark === 'zero')));

    const empty: Trace = { ...seedTrace(), steps: [] };
    const data = chartData(empty);
    assert.equal(data.gradNorm.series.length, 4);
    assert.ok(data.gradNorm.series.every((s) => s.points.length === 0));
    assert.deepEqual(data.gradientFlow.bars, []);
    assert.equal(data.gradientFlow.step, null);
    assert.deepEqual(data.activations, []);
  });

  it('the axis spans whole decades around the values', () => {
    const { gradNorm } = chartData(seedTrace());
    // Zeros present: floor / 3 below; the largest value 0.82 rounds up to 1.
    close(gradNorm.min, 1e-10 / 3);
    assert.equal(gradNorm.max, 1);
  });
});

describe('chartData: gradient flow', () => {
  it("shows each layer's weight (not its bias) in forward order, mean |∇| at the last step", () => {
    const trace = seedTrace();
    const flow = chartData(trace).gradientFlow;
    assert.deepEqual(
      flow.bars.map((b) => [b.label, b.param]),
      [
        ['0 Linear', '0.weight'],
        ['2 Linear', '2.weight'],
      ],
    );
    assert.equal(flow.step, STEPS - 1);
    const last = trace.steps[STEPS - 1];
    assert.equal(flow.bars[0].value, last.params[0].gradMeanAbs);
    assert.equal(flow.bars[0].norm, last.params[0].gradNorm);
    assert.equal(flow.bars[1].y, last.params[2].gradMeanAbs);
    // A decade below the smallest bar, so it has height.
    assert.ok(flow.min < flow.bars[0].value / 5);
    assert.ok(flow.max >= flow.bars[1].value);
  });

  it('follows Trace.layers order even when the parameters are listed otherwise', () => {
    const trace = seedTrace();
    const order = [2, 3, 0, 1];
    trace.params = order.map((i) => trace.params[i]);
    for (const s of trace.steps) s.params = order.map((i) => s.params[i]);
    const flow = chartData(trace).gradientFlow;
    assert.deepEqual(
      flow.bars.map((b) => b.param),
      ['0.weight', '2.weight'],
    );
    // The line charts keep the trace's own order: one dataset per parameter as listed.
    assert.deepEqual(
      chartData(trace).gradNorm.series.map((s) => s.label),
      ['2.weight', '2.bias', '0.weight', '0.bias'],
    );
  });

  it('clamps a zero bar to the floor and marks it; a NaN bar goes to the ceiling', () => {
    const trace = seedTrace();
    const last = trace.steps[STEPS - 1];
    last.params[0] = { ...last.params[0], gradMeanAbs: 0, gradNorm: 0 };
    last.params[2] = { ...last.params[2], gradMeanAbs: NaN, gradNorm: NaN, nonFinite: 10 };
    const flow = chartData(trace).gradientFlow;
    assert.deepEqual([flow.bars[0].mark, flow.bars[0].value, flow.bars[0].y], ['zero', 0, flow.floor]);
    assert.equal(flow.bars[1].mark, 'non-finite');
    assert.equal(flow.bars[1].y, flow.ceiling);
    assert.ok(flow.min < flow.floor && flow.max > flow.ceiling);
  });

  it('an unreached weight is a zero bar that says why', () => {
    const trace = seedTrace();
    const last = trace.steps[STEPS - 1];
    last.params[2] = { ...last.params[2], reached: false, gradMeanAbs: 0, gradNorm: 0 };
    const bar = chartData(trace).gradientFlow.bars[1];
    assert.equal(bar.mark, 'zero');
    assert.match(bar.note ?? '', /no path/);
  });

  it("carries each weight's health as judged with the user's thresholds (the panel colours and explains it)", () => {
    const trace = seedTrace();
    // The seed's first weight fades to a mean |∇| of 2e-10; the second stays near 0.13.
    const usual = chartData(trace, paramHealth(trace, [])).gradientFlow.bars;
    assert.deepEqual(usual.map((b) => [b.param, b.health]), [
      ['0.weight', 'vanishing'],
      ['2.weight', 'healthy'],
    ]);
    assert.match(usual[0].reason ?? '', /below 1e-7 \(vanishingGradient\.meanAbs\)/);
    assert.equal(usual[1].reason, undefined);
    // The same trace under a looser and a stricter vanishing threshold.
    const loose = chartData(trace, paramHealth(trace, [], withDefaults({ vanishingGradient: { meanAbs: 1e-12 } }))).gradientFlow.bars;
    assert.deepEqual(loose.map((b) => b.health), ['healthy', 'healthy']);
    const strict = chartData(trace, paramHealth(trace, [], withDefaults({ vanishingGradient: { meanAbs: 0.2 } }))).gradientFlow.bars;
    assert.deepEqual(strict.map((b) => b.health), ['vanishing', 'vanishing']);
    assert.match(strict[1].reason ?? '', /below 0\.2 \(vanishingGradient\.meanAbs\)/);
    // Without a judgement (an older message) nothing is judged here.
    assert.deepEqual(chartData(trace).gradientFlow.bars.map((b) => b.health), ['healthy', 'healthy']);
  });
});

describe('chartData: activations', () => {
  it('gives the saturated and dead shares per activation layer in percent, averaged over the steps', () => {
    const trace = seedTrace();
    const [bar, ...rest] = chartData(trace).activations;
    assert.equal(rest.length, 0);
    assert.deepEqual([bar.label, bar.layer, bar.op, bar.steps], ['1 Sigmoid', '1', 'sigmoid', STEPS]);
    const mean = trace.steps.reduce((a, s) => a + s.activations[0].saturatedShare, 0) / STEPS;
    close(bar.saturated, mean * 100);
    close(bar.dead, 90);
    assert.ok(bar.saturated > 90 && bar.saturated < 100);
    // The flat region is the hover's second number, and a part of the saturated share.
    const flat = trace.steps.reduce((a, s) => a + s.activations[0].flatShare, 0) / STEPS;
    close(bar.flat, flat * 100);
    assert.ok(bar.flat <= bar.saturated);
  });

  it('shows the two numbers the saturated-activation finding states, for the same layer (one story in hover and panel)', () => {
    const text = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'seed-saturated.grad.yaml'), 'utf8');
    const replies: TraceReply[] = [];
    runJob({ id: 1, text, fileName: 'seed-saturated.grad.yaml', memoryLimitBytes: 2 ** 28, timeLimitMs: 600_000, config: DEFAULT_CONFIG, progress: false }, (r) => replies.push(r));
    const traced = replies.find((r) => r.type === 'traced');
    assert.ok(traced?.type === 'traced');
    const finding = traced.findings.find((f) => f.rule === 'saturated-activation');
    const m = /saturated: (\d+)% of units .*; (\d+)% in the flat region/.exec(finding?.message ?? '');
    assert.ok(m, finding?.message);
    const [bar] = chartData(traced.trace).activations;
    assert.deepEqual([Math.round(bar.saturated), Math.round(bar.flat)], [Number(m[1]), Number(m[2])]);
  });

  it('orders activation layers forward, whatever order the steps recorded them in', () => {
    const trace = seedTrace();
    trace.layers = [...trace.layers, { path: '3', type: 'ReLU' }];
    for (const s of trace.steps) s.activations = [{ ...s.activations[0], layer: '3', op: 'relu', deadShare: 0.5 }, ...s.activations];
    const bars = chartData(trace).activations;
    assert.deepEqual(
      bars.map((b) => b.label),
      ['1 Sigmoid', '3 ReLU'],
    );
    close(bars[1].dead, 50);
  });
});

describe('chart number helpers', () => {
  it('floorFor / ceilingFor step a decade past the extremes and ignore zeros and non-finite values', () => {
    assert.equal(floorFor([0, 3e-7, NaN, 5, Infinity]), 1e-8);
    assert.equal(floorFor([1e-7]), 1e-8);
    assert.equal(floorFor([0, NaN]), DEFAULT_FLOOR);
    assert.ok(floorFor([1e-321]) > 0);
    assert.equal(ceilingFor([0.82, Infinity, NaN]), 10);
    assert.equal(ceilingFor([100]), 1000);
    assert.ok(Number.isFinite(ceilingFor([1e308])));
  });

  it('decadeAbove / decadeBelow round to whole decades', () => {
    assert.equal(decadeAbove([0.82, 3e-5]), 1);
    assert.equal(decadeAbove([100]), 100);
    assert.equal(decadeBelow([0.82, 3e-5]), 1e-5);
    assert.equal(decadeBelow([1e-3]), 1e-3);
  });

  it('exactNumber shows the measured value, 0 and NaN included', () => {
    assert.equal(exactNumber(0), '0');
    assert.equal(exactNumber(NaN), 'NaN');
    assert.equal(exactNumber(Infinity), 'Infinity');
    assert.equal(exactNumber(-Infinity), '-Infinity');
    assert.equal(exactNumber(-0), '-0');
    assert.equal(exactNumber(2.4186e-9), '2.4186e-9');
    assert.equal(exactNumber(1e-12), '1e-12');
    assert.equal(exactNumber(0.0421337), '0.0421337');
    assert.equal(exactNumber(812), '812');
    assert.equal(exactNumber(3.5e7), '3.5e7');
  });

  it('logTick labels powers of ten only', () => {
    assert.equal(logTick(1e-12), '1e-12');
    assert.equal(logTick(0.01), '0.01');
    assert.equal(logTick(1), '1');
    assert.equal(logTick(1000), '1000');
    assert.equal(logTick(1e4), '1e4');
    assert.equal(logTick(2e-5), '');
    assert.equal(logTick(5), '');
  });
});
