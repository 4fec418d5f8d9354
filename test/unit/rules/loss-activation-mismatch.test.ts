import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import { lossActivationMismatch } from '../../../src/rules/loss-activation-mismatch';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../../../src/limits';
import { loadDataFiles } from '../../../src/trace/data-files';

const FILE = 'loss.grad.yaml';

/** Linear(6,8) → ReLU → Linear(8, outputs) → `last` (if any), into `loss`. */
function spec(last: string | null, loss: string, target: string, outputs = 3): string {
  return `model:
  - Linear: {in_features: 6, out_features: 8}
  - ReLU
  - Linear: {in_features: 8, out_features: ${outputs}}${last ? `\n  - ${last}` : ''}
input: {shape: [6], distribution: normal}
target: ${target}
loss: ${loss}
optimizer: {Adam: {lr: 0.001}}
trace: {steps: 2, batch_size: 8, seed: 0}
`;
}

const CLASSES = '{classes: 3}';
const BINARY = '{shape: [1], distribution: bernoulli}';
const REAL = '{shape: [1], distribution: normal}';

function check(text: string, config = withDefaults()): Finding[] {
  const { spec: s, diagnostics } = parseSpec(text, FILE);
  assert.ok(s, diagnostics.map((d) => d.message).join('; '));
  return rendered(lossActivationMismatch.check({ trace: traceModel(s, FILE), spec: s, config: config }), specFixes(text, FILE, s));
}

/** Every offered fix, applied, leaves no warning of this rule. */
function fixesAreHonest(text: string, f: Finding): string[] {
  return f.fixes.map((fix) => {
    const fixed = applyEdits(text, fix.edits);
    assert.deepEqual(
      check(fixed).filter((x) => x.severity !== 'info').map((x) => x.message),
      [],
      `${fix.title}:\n${fixed}`,
    );
    return fixed;
  });
}

describe('loss-activation-mismatch rule', () => {
  it('stays silent on the usual pairings', () => {
    assert.deepEqual(check(spec(null, 'CrossEntropyLoss', CLASSES)), []);
    assert.deepEqual(check(spec('LogSoftmax: {dim: 1}', 'NLLLoss', CLASSES)), []);
    assert.deepEqual(check(spec(null, 'BCEWithLogitsLoss', BINARY, 1)), []);
    assert.deepEqual(check(spec('Sigmoid', 'BCELoss', BINARY, 1)), []);
    assert.deepEqual(check(spec(null, 'MSELoss', REAL, 1)), []);
    // Bounded outputs are fine when the targets are inside the bounds.
    assert.deepEqual(check(spec('Sigmoid', 'MSELoss', '{shape: [1], distribution: {uniform: {low: 0, high: 1}}}', 1)), []);
    assert.deepEqual(check(spec('ReLU', 'L1Loss', '{shape: [1], distribution: {uniform: {low: 0, high: 5}}}', 1)), []);
  });

  it('flags a Sigmoid before BCEWithLogitsLoss on the Sigmoid, with the measured mean output', () => {
    const text = spec('Sigmoid', 'BCEWithLogitsLoss', BINARY, 1);
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.layer, '3');
    assert.equal(text.slice(f.range.start, f.range.end), 'Sigmoid');
    assert.match(f.message, /^1 Sigmoid before BCEWithLogitsLoss applies sigmoid twice: outputs already in \(0, 1\), mean 0\.\d+$/);
    assert.equal(text.slice(f.related[0].range.start, f.related[0].range.end), 'BCEWithLogitsLoss');
    const [removed, bce] = fixesAreHonest(text, f);
    assert.doesNotMatch(removed, /Sigmoid/);
    assert.match(bce, /loss: BCELoss\n/);
  });

  it('flags a Softmax before CrossEntropyLoss with the largest probability', () => {
    const text = spec('Softmax: {dim: 1}', 'CrossEntropyLoss', CLASSES);
    const [f] = check(text);
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /^1 Softmax before CrossEntropyLoss applies softmax twice: the loss gets probabilities \(largest 0\.\d+\) instead of logits/);
    const [, nll] = fixesAreHonest(text, f);
    assert.match(nll, /- LogSoftmax: \{dim: 1\}\n/);
    assert.match(nll, /loss: NLLLoss\n/);
  });

  it('calls a LogSoftmax before CrossEntropyLoss redundant, as information only', () => {
    const [f] = check(spec('LogSoftmax: {dim: 1}', 'CrossEntropyLoss', CLASSES));
    assert.equal(f.severity, 'info');
    assert.match(f.message, /redundant.*3 classes/);
  });

  it('flags Softmax before NLLLoss and offers LogSoftmax first', () => {
    const text = spec('Softmax: {dim: 1}', 'NLLLoss', CLASSES);
    const [f] = check(text);
    assert.match(f.message, /^1 Softmax before NLLLoss: NLLLoss expects log-probabilities and gets probabilities \(largest 0\.\d+\)/);
    assert.equal(f.fixes[0].title, 'Replace Softmax with LogSoftmax');
    fixesAreHonest(text, f);
  });

  it('flags NLLLoss on raw logits on the loss section, with the measured outputs', () => {
    const text = spec(null, 'NLLLoss', CLASSES);
    const [f] = check(text);
    assert.equal(f.layer, '');
    assert.equal(text.slice(f.range.start, f.range.end), 'NLLLoss');
    assert.match(f.message, /^raw outputs of Linear 2 into NLLLoss without LogSoftmax: outputs reach [\d.]+ \(mean -?[\d.e-]+\), log-probabilities are ≤ 0/);
    assert.equal(text.slice(f.related[0].range.start, f.related[0].range.end), 'Linear');
    const [ce] = fixesAreHonest(text, f);
    assert.match(ce, /loss: CrossEntropyLoss\n/);
  });

  it('keeps the reduction the user wrote when it replaces the loss', () => {
    const text = spec(null, '{NLLLoss: {reduction: sum}}', CLASSES);
    const [ce] = fixesAreHonest(text, check(text)[0]);
    assert.match(ce, /loss: \{CrossEntropyLoss: \{reduction: sum\}\}\n/);
  });

  it('flags Softmax before BCELoss for multi-label targets', () => {
    const text = spec('Softmax: {dim: 1}', 'BCELoss', '{shape: [3], distribution: bernoulli}');
    const [f] = check(text);
    assert.match(f.message, /^1 Softmax before BCELoss: its 3 outputs sum to 1/);
    fixesAreHonest(text, f);
  });

  it('reports BCELoss refusing raw outputs as an error on the layer that feeds it, with what it got', () => {
    // Inputs at std 5 spread the raw outputs well past [0, 1] on the first step.
    const text = spec(null, 'BCELoss', BINARY, 1).replace('distribution: normal}', 'distribution: {normal: {mean: 0, std: 5}}}');
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.equal(f.layer, '2');
    assert.equal(text.slice(f.range.start, f.range.end), 'Linear');
    assert.match(
      f.message,
      /^BCELoss takes probabilities in \[0, 1\], but the outputs of Linear 2 run from -[\d.]+ to [\d.]+ at step 0 \([\d.]+% outside\): PyTorch raises "all elements of input should be between 0 and 1"; add a Sigmoid or BCEWithLogitsLoss$/,
    );
    const [logits] = fixesAreHonest(text, f);
    assert.match(logits, /loss: BCEWithLogitsLoss\n/);
  });

  it('flags BCELoss after a layer whose outputs can leave [0, 1] even when this batch stayed inside, on that layer', () => {
    const text = spec(null, 'BCELoss', BINARY, 1);
    const { spec: s } = parseSpec(text, FILE);
    // The same layers under BCEWithLogitsLoss: a trace in which the loss refused nothing.
    const runnable = parseSpec(spec(null, 'BCEWithLogitsLoss', BINARY, 1), FILE).spec!;
    const [f] = rendered(lossActivationMismatch.check({ trace: traceModel(runnable, FILE), spec: s!, config: withDefaults() }), specFixes(text, FILE, s!));
    assert.equal(f.severity, 'warning');
    assert.equal(f.layer, '2');
    assert.match(f.message, /^no Sigmoid before BCELoss: BCELoss takes probabilities in \[0, 1\]: outputs reach [\d.]+$/);
  });

  it('replaces a Tanh fed to BCELoss with a Sigmoid', () => {
    const text = spec('Tanh', 'BCELoss', BINARY, 1);
    const [f] = check(text);
    assert.equal(f.layer, '3');
    assert.match(f.fixes[0].title, /^Replace Tanh with Sigmoid/);
    fixesAreHonest(text, f);
  });

  it('flags binary cross-entropy targets outside [0, 1] on the loss, and turns class labels into classes', () => {
    const text = spec('Sigmoid', 'BCELoss', '{shape: [1], distribution: {integers: {low: 0, high: 3}}}', 1);
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.layer, '');
    assert.equal(text.slice(f.range.start, f.range.end), 'BCELoss');
    assert.match(f.message, /^BCELoss takes targets in \[0, 1\] \(probabilities\), but \d+% of the targets are outside \(from 0 to 2, whole numbers: class labels\): for a target above 1 the loss has no minimum and goes below zero$/);
    const [classes] = fixesAreHonest(text, f);
    assert.match(classes, /out_features: 3\}/);
    assert.match(classes, /target: \{classes: 3\}/);
    assert.match(classes, /loss: CrossEntropyLoss/);
    assert.doesNotMatch(classes, /Sigmoid/);
    // BCEWithLogitsLoss takes the same targets.
    assert.equal(check(spec(null, 'BCEWithLogitsLoss', '{shape: [1], distribution: {integers: {low: 0, high: 5}}}', 1))[0].layer, '');
  });

  it('maps two labels that are not 0 and 1 to 0 and 1, and a scale to a regression', () => {
    const twoLabels = spec('Sigmoid', 'BCELoss', '{shape: [1], distribution: {integers: {low: 1, high: 3}}}', 1);
    const [f] = check(twoLabels);
    assert.match(f.fixes[0].title, /^Map the labels 1 and 2 to 0 and 1$/);
    fixesAreHonest(twoLabels, f);
    const rating = spec('Sigmoid', 'BCELoss', '{shape: [1], distribution: {uniform: {low: 1, high: 10}}}', 1);
    const [g] = check(rating);
    assert.match(g.fixes[0].title, /^Predict the values as a regression: MSELoss without the Sigmoid$/);
    fixesAreHonest(rating, g);
  });

  it('stays silent on 0/1 targets for BCELoss and for MSELoss after a Sigmoid', () => {
    assert.deepEqual(check(spec('Sigmoid', 'BCELoss', BINARY, 1)), []);
    assert.deepEqual(check(spec('Sigmoid', 'MSELoss', '{shape: [1], distribution: {integers: {low: 0, high: 2}}}', 1)), []);
  });

  it('reads 0/1 targets from a data file as inside [0, 1]: no mismatch for MSELoss after a Sigmoid, half outside for labels 1 and 2', () => {
    // The false alarm this fixes: targets read from a file have no distribution, and were taken for
    // normal(0, 1), 66% of which lies outside [0, 1].
    const dir = mkdtempSync(join(tmpdir(), 'gl-targets-'));
    try {
      const labels = (values: number[]) => {
        writeFileSync(join(dir, 'y.json'), JSON.stringify(values.map((v) => [v])));
        const file = join(dir, 'm.grad.yaml');
        const text = spec('Sigmoid', 'MSELoss', '{shape: [1], data: y.json}', 1).replace('input: {shape: [6], distribution: normal}', `input: {shape: [6], data: x.json}`);
        writeFileSync(join(dir, 'x.json'), JSON.stringify(values.map((_, i) => [0, 1, 2, 3, 4, 5].map((j) => Math.sin(i * 6 + j)))));
        const { spec: s } = parseSpec(text, file);
        const data = loadDataFiles(s!, { specPath: file, roots: [], limits: DEFAULT_LIMITS, dtype: 'float32' });
        return { text, s: s!, trace: traceModel(s!, file, { data }) };
      };
      const binary = labels([0, 1, 1, 0, 1, 0, 0, 1]);
      assert.deepEqual(lossActivationMismatch.check({ trace: binary.trace, spec: binary.s, config: withDefaults() }), []);
      const shifted = labels([1, 2, 2, 1, 2, 1, 1, 2]);
      const [f] = lossActivationMismatch.check({ trace: shifted.trace, spec: shifted.s, config: withDefaults() });
      assert.match(f.message, /^last-layer Sigmoid outputs only values in \[0, 1\], but 50% of the MSELoss targets are outside that range$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flags ReLU logits before CrossEntropyLoss with the share clamped at zero, and before BCEWithLogitsLoss', () => {
    const text = spec('ReLU', 'CrossEntropyLoss', CLASSES);
    const [f] = check(text);
    assert.equal(f.layer, '3');
    assert.match(f.message, /^1 ReLU before CrossEntropyLoss keeps the logits ≥ 0: up to [\d.]+% of them are below 0 \(at step \d+\) and pass no gradient back, so a wrong class cannot be pushed below the others$/);
    fixesAreHonest(text, f);
    const [b] = check(spec('ReLU', 'BCEWithLogitsLoss', BINARY, 1));
    assert.match(b.message, /so every predicted probability is at least 0\.5$/);
    // A logit that has not gone below zero yet is still clamped the day it does: said, not counted.
    const { spec: s } = parseSpec(spec('ReLU', 'BCEWithLogitsLoss', BINARY, 1), FILE);
    const trace = traceModel(s!, FILE);
    for (const st of trace.steps) for (const a of st.activations) if (a.layer === '3') a.zeroDerivativeShare = 0;
    const [none] = lossActivationMismatch.check({ trace, spec: s!, config: withDefaults() });
    assert.match(none.message, /keeps the logits ≥ 0: none is below 0 yet over the \d+ traced steps, but any that goes below passes no gradient back/);
  });

  it('flags Sigmoid before CrossEntropyLoss with the best reachable probability', () => {
    const text = spec('Sigmoid', 'CrossEntropyLoss', CLASSES);
    const [f] = check(text);
    // e / (e + 2) with 3 classes.
    assert.match(f.message, /with 3 classes the right class can reach at most 58% probability/);
    fixesAreHonest(text, f);
  });

  it('flags a ReLU output for targets that are half negative, with the share', () => {
    const text = spec('ReLU', 'MSELoss', REAL, 1);
    const [f] = check(text);
    assert.equal(f.layer, '3');
    assert.equal(f.message, 'last-layer ReLU outputs only values ≥ 0, but 50% of the MSELoss targets are outside that range');
    fixesAreHonest(text, f);
  });

  it('counts the out-of-range targets on the batch, and reads the share that matters from the settings', () => {
    // Tanh in [-1, 1], targets normal(0, 1): 32% outside in distribution, 4 of this batch's 8.
    const text = spec('Tanh', 'HuberLoss', REAL, 1);
    assert.match(check(text)[0].message, /50% of the HuberLoss targets/);
    assert.deepEqual(check(text, withDefaults({ lossActivationMismatch: { targetsOutOfRange: 0.5 } })), []);
  });

  it('looks through Dropout at the end of the model', () => {
    const text = spec('Sigmoid', 'BCEWithLogitsLoss', BINARY, 1).replace('  - Sigmoid\n', '  - Sigmoid\n  - Dropout: {p: 0.1}\n');
    assert.equal(check(text)[0].layer, '3');
  });
});
