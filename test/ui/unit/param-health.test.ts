/** The sidebar's row logic and the panel's theme helpers, in plain node (no browser needed). */
import { strict as assert } from 'node:assert';
import type { FindingView } from '../../../src/protocol';
import type { ParamStep, StepRecord, Trace } from '../../../src/trace/types';
import { paramHealth } from '../../../src/rules/health';
import { withDefaults } from '../../../src/rules';
import type { LayerRangeView } from '../../../src/protocol';
import { paramRows as rowsWith, sparkline, worstFinding } from '../../../webview/shared/param-health';
import { opaque } from '../../../webview/shared/theme';

function step(over: Partial<ParamStep> = {}): ParamStep {
  return {
    reached: true,
    gradNorm: 0.5,
    gradMeanAbs: 0.01,
    gradMaxAbs: 0.1,
    zeroFraction: 0,
    subnormalFraction: 0,
    nonFinite: 0,
    weightNorm: 1,
    weightMean: 0,
    weightStd: 0.1,
    updateRatio: 1e-3,
    histogram: [],
    ...over,
  };
}

function trace(perParam: ParamStep[][]): Trace {
  const names = ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight'].slice(0, perParam.length);
  const steps: StepRecord[] = perParam[0].map((_, s) => ({
    step: s,
    loss: 1,
    params: perParam.map((p) => p[s]),
    activations: [],
    outputs: [],
    flow: [],
  }));
  return {
    file: 'm.grad.yaml',
    dtype: 'float32',
    batchSize: 8,
    seed: 0,
    params: names.map((name) => ({ name, layer: name.split('.')[0], shape: [2, 2] })),
    layers: [],
    steps,
    firstNonFinite: null,
    stoppedEarly: null,
    durationMs: 1,
    optimizer: { type: 'SGD', lr: 0.01 },
  };
}

/** The rows as the sidebar builds them from the host's message: health judged by the analyse step's function. */
function paramRows(t: Trace, findings: FindingView[], layers: LayerRangeView[] = [], config = withDefaults()) {
  return rowsWith(t, findings, paramHealth(t, findings, config), layers);
}

const range = (line: number) => ({ start: { line, character: 2 }, end: { line, character: 9 } });
const finding = (rule: string, layer: string, severity: FindingView['severity'] = 'warning'): FindingView => ({
  rule,
  severity,
  message: `${rule} on ${layer}`,
  layer,
  range: range(Number(layer) + 3),
  fixes: [],
});

describe('sidebar parameter rows', () => {
  it('gives each measured status and sorts trouble first, model order within a status', () => {
    const t = trace([
      [step(), step()], // 0.weight healthy
      [step(), step({ gradNorm: NaN, nonFinite: 3 })], // 0.bias NaN
      [step(), step({ gradNorm: 0, gradMeanAbs: 0 })], // 2.weight zero
      [step(), step({ gradNorm: 5e4 })], // 2.bias exploding
      [step(), step({ gradNorm: 1e-6, gradMeanAbs: 1e-9 })], // 4.weight vanishing
    ]);
    const rows = paramRows(t, []);
    assert.deepEqual(
      rows.map((r) => [r.name, r.health]),
      [
        ['0.bias', 'nan'],
        ['2.weight', 'zero'],
        ['2.bias', 'exploding'],
        ['4.weight', 'vanishing'],
        ['0.weight', 'healthy'],
      ],
    );
    assert.match(rows[0].reason, /non-finite gradient from step 1/);
  });

  it('a parameter no gradient reaches is zero, with the reason', () => {
    const rows = paramRows(trace([[step({ reached: false, gradNorm: 0 })]]), []);
    assert.equal(rows[0].health, 'zero');
    assert.equal(rows[0].norm, 0);
    assert.match(rows[0].reason, /no path/);
  });

  it('findings on the layer decide the status, and the worst finding sorts a healthy-looking row first', () => {
    const t = trace([[step()], [step()], [step()]]);
    const rows = paramRows(t, [finding('vanishing-gradient', '2'), finding('poor-initialisation', '0', 'error')]);
    assert.deepEqual(
      rows.map((r) => [r.name, r.health, r.findings.length]),
      [
        ['2.weight', 'vanishing', 1],
        ['0.weight', 'healthy', 1],
        ['0.bias', 'healthy', 1],
      ],
    );
    assert.equal(rows[0].reason, 'vanishing-gradient on 2');
    assert.equal(worstFinding(rows[1].findings), 0);
    assert.equal(worstFinding([]), 3);
  });

  it('reveals the layer range when known, else a finding range, else nothing', () => {
    const t = trace([[step()], [step()], [step()]]);
    const rows = paramRows(t, [finding('vanishing-gradient', '2')], [{ path: '0', range: range(3) }]);
    const by = Object.fromEntries(rows.map((r) => [r.name, r.range]));
    assert.deepEqual(by['0.weight'], range(3));
    assert.deepEqual(by['2.weight'], range(5));
    const none = paramRows(t, []);
    assert.equal(none[0].range, null);
  });

  it('shows the health it is given: the user thresholds, applied by the host', () => {
    const t = trace([[step({ gradNorm: 3, gradMeanAbs: 0.2 })], [step()]]);
    assert.deepEqual(paramRows(t, []).map((r) => r.health), ['healthy', 'healthy']);
    const strict = paramRows(t, [], [], withDefaults({ explodingGradient: { normBound: 1 }, vanishingGradient: { meanAbs: 0.05 } }));
    assert.deepEqual(
      strict.map((r) => [r.name, r.health]),
      [
        ['0.weight', 'exploding'],
        ['0.bias', 'vanishing'],
      ],
    );
    // A parameter the host judged nothing about (an older message) is shown as not traced, never judged here.
    assert.equal(rowsWith(t, [], [])[0].reason, 'not traced yet');
  });

  it('an untraced model has NaN norms and "not traced yet"', () => {
    const t = trace([[step()]]);
    t.steps = [];
    const rows = paramRows(t, []);
    assert.ok(Number.isNaN(rows[0].norm));
    assert.equal(rows[0].reason, 'not traced yet');
  });
});

describe('sparkline', () => {
  it('draws log10 of the norm, zeros and non-finite values on the floor as marks', () => {
    const { points, marks } = sparkline([1, 10, 0, 100, NaN], 64, 16);
    const pts = points.split(' ').map((p) => p.split(',').map(Number));
    assert.equal(pts.length, 5);
    assert.deepEqual(pts[0], [1.5, 14.5]);
    assert.deepEqual(pts[3], [47.3, 1.5]);
    assert.equal(pts[1][1], 8);
    assert.deepEqual(marks, [
      { x: pts[2][0], y: 14.5 },
      { x: pts[4][0], y: 14.5 },
    ]);
  });

  it('a flat trace runs through the middle; one point sits in the centre', () => {
    assert.equal(sparkline([0.3, 0.3], 64, 16).points, '1.5,8 62.5,8');
    assert.equal(sparkline([0.3], 64, 16).points, '32,8');
  });
});

describe('theme colours', () => {
  it('drops the alpha of theme colours so chart lines stay legible', () => {
    assert.equal(opaque('#d186167e'), '#d18616');
    assert.equal(opaque('#abcd'), '#abc');
    assert.equal(opaque('#3794ff'), '#3794ff');
    assert.equal(opaque('rgba(55, 148, 255, 0.5)'), 'rgb(55, 148, 255)');
    assert.equal(opaque(' red '), 'red');
  });
});
