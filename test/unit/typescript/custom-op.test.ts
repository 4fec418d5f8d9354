import assert from 'node:assert/strict';
import { customOp, CustomOp, map, zip } from '../../../src/authoring';
import { registeredCustomOps, resetCustomOpInputs } from '../../../src/authoring/registry';
import { backward, Instrument, mul, setInstrument, sum, tensor, Tensor } from '../../../src/engine';
import { withSeverity } from '../../../src/rules';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { checkCustomBackward, customGradient } from '../../../src/rules/custom-gradient';
import type { CustomOpUse, RuleContext } from '../../../src/rules/types';
import { gradcheck, rand } from '../support/gradcheck';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** A custom op as the rule sees it, on the given inputs. */
function use(name: string, forward: CustomOpUse['forward'], back: CustomOpUse['backward'], inputs: Tensor[]): CustomOpUse {
  return {
    name,
    forward,
    backward: back,
    inputs: inputs.map((x) => ({ shape: [...x.shape], data: Float64Array.from(x.data) })),
    backwardRange: { start: 10, end: 18 },
    layers: ['act'],
  };
}

const ctx = (ops: CustomOpUse[]) => ({ customOps: ops, config: DEFAULT_CONFIG }) as unknown as RuleContext;

const goodSigmoid = use(
  'good',
  (x) => map(x, sigmoid),
  (x, y, dy) => zip(y, dy, (v, g) => g * v * (1 - v)),
  [rand([4, 5], 1, -3, 3)],
);

describe('custom ops', () => {
  it("the engine's custom op runs the user's forward and backward on the tape (gradcheck)", () => {
    const op = customOp({ name: 'cube', forward: (x) => map(x, (v) => v * v * v), backward: (x, y, dy) => zip(x, dy, (v, g) => 3 * v * v * g) });
    gradcheck((x) => mul(op(x), x), [rand([3, 4], 2)]);
  });

  it('the class form works the same and is named after the class', () => {
    class Softsign extends CustomOp {
      forward(x: Tensor): Tensor {
        return map(x, (v) => v / (1 + Math.abs(v)));
      }
      backward(x: Tensor, y: Tensor, dy: Tensor): Tensor {
        return zip(x, dy, (v, g) => g / (1 + Math.abs(v)) ** 2);
      }
    }
    const op = new Softsign();
    assert.equal(op.opName, 'Softsign');
    gradcheck((x) => op.apply(x), [rand([2, 3], 3)]);
  });

  it('user code inside the op is neither taped nor instrumented; the op itself is', () => {
    const instrument = new Instrument();
    setInstrument(instrument);
    try {
      const op = customOp({ name: 'double', forward: (x) => mul(x, tensor([2], [1], 'float64')), backward: (x, y, dy) => mul(dy, tensor([2], [1], 'float64')) });
      const x = rand([2, 2], 4);
      const y = op(x);
      assert.equal(y.node?.kind, 'custom');
      assert.deepEqual(
        instrument.outputs.map((o) => o.op),
        ['custom'],
      );
      backward(sum(y));
      assert.deepEqual(Array.from(x.grad!), [2, 2, 2, 2]);
    } finally {
      setInstrument(null);
      resetCustomOpInputs();
    }
  });

  it('a forward that returns no tensor, or a backward of the wrong shape, fails with the op named', () => {
    const bad = customOp({ name: 'bad', forward: () => undefined as unknown as Tensor, backward: (x) => x });
    assert.throws(() => bad(rand([2], 5)), /custom op bad: forward must return a Tensor, got undefined/);
    const wrong = customOp({ name: 'wrong', forward: (x) => map(x, (v) => v), backward: () => tensor([1], [1], 'float64') });
    const x = rand([2, 3], 6);
    assert.throws(() => backward(sum(wrong(x))), /custom op wrong: backward returned a gradient of shape \[1\] for an input of shape \[2, 3\]/);
  });

  it('records the inputs it saw (a copy), the first and the latest', () => {
    const op = customOp({ name: 'id', forward: (x) => map(x, (v) => v), backward: (x, y, dy) => dy });
    const a = tensor([1, 2], [2]);
    op(a);
    op(tensor([3, 4], [2]));
    a.data[0] = 99;
    const ops = registeredCustomOps();
    const mine = ops[ops.length - 1];
    assert.equal(mine.fns.name, 'id');
    assert.deepEqual([Array.from(mine.first!.data), Array.from(mine.latest!.data)], [[1, 2], [3, 4]]);
    resetCustomOpInputs();
    assert.equal(mine.first, null);
  });
});

describe('custom-gradient rule', () => {
  it('a correct backward passes, at float64 precision', () => {
    const c = checkCustomBackward(goodSigmoid, goodSigmoid.inputs[0], 1e-4)!;
    assert.ok(c.relativeError < 1e-8, `relative error ${c.relativeError}`);
    assert.deepEqual(customGradient.check(ctx([goodSigmoid])), []);
  });

  it("the seeds' mistake, x(1−x) on the input, is an error on the backward with the measured error", () => {
    const wrong = use('mySigmoid', (x) => map(x, sigmoid), (x, y, dy) => zip(x, dy, (v, g) => g * v * (1 - v)), [tensor([0.42, -1.5, 2, 0.1], [4], 'float32')]);
    const [f] = customGradient.check(ctx([wrong]));
    assert.equal(f.rule, 'custom-gradient');
    assert.equal(f.severity, 'error');
    assert.deepEqual(f.range, { start: 10, end: 18 });
    assert.equal(f.layer, 'act');
    assert.match(f.message, /^custom backward of mySigmoid disagrees with finite differences: relative error [\d.]+ \(at x = [-\d.]+: backward [-\d.e]+, numeric [-\d.e]+\)$/);
    // The worst entry is x = −1.5: x(1−x) = −3.75 against y(1−y) = 0.149.
    assert.match(f.message, /relative error 1 \(at x = -1\.5: backward -3\.8, numeric 0\.15\)/);
  });

  it('a backward that ignores dy passes with dy = 1 but is caught with a random upstream gradient', () => {
    const ignoresDy = use('lazy', (x) => map(x, sigmoid), (x, y) => map(y, (v) => v * (1 - v)), [rand([3, 3], 7)]);
    const [f] = customGradient.check(ctx([ignoresDy]));
    assert.ok(f);
    assert.match(f.message, /with a random upstream gradient/);
  });

  it('an error just above the 1e-4 threshold fires, just below does not', () => {
    const scaled = (k: number) => use(`scaled${k}`, (x) => map(x, sigmoid), (x, y, dy) => zip(y, dy, (v, g) => g * v * (1 - v) * (1 + k)), [rand([8], 8)]);
    assert.equal(customGradient.check(ctx([scaled(3e-4)])).length, 1);
    assert.equal(customGradient.check(ctx([scaled(3e-5)])).length, 0);
  });

  it('big inputs are checked on a sample of entries', () => {
    const big = use('bigWrong', (x) => map(x, (v) => v * v), (x, y, dy) => zip(x, dy, (v, g) => g * v), [rand([100, 100], 9)]);
    const [f] = customGradient.check(ctx([big]));
    assert.ok(f);
    assert.match(f.message, /relative error 0\.5/);
  });

  it('a forward computing in float32 is checked with a coarser step and says so', () => {
    const f32 = use('f32', (x) => new Tensor(Float32Array.from(x.data, sigmoid), [...x.shape]), (x, y, dy) => zip(y, dy, (v, g) => g * v * (1 - v)), [rand([6], 10)]);
    assert.deepEqual(customGradient.check(ctx([f32])), []);
    const f32wrong = use('f32wrong', f32.forward, (x, y, dy) => zip(x, dy, (v, g) => g * v * (1 - v)), [rand([6], 10)]);
    const [f] = customGradient.check(ctx([f32wrong]));
    assert.match(f.message, /the forward computes in float32/);
  });

  it('a NaN from the backward is a disagreement; the severity setting applies', () => {
    const nan = use('nan', (x) => map(x, sigmoid), (x) => map(x, () => NaN), [rand([3], 11)]);
    const [f] = customGradient.check(ctx([nan]));
    assert.match(f.message, /relative error Infinity/);
    const setting = (s: 'off' | 'warning') => ({ ...DEFAULT_CONFIG, severity: { 'custom-gradient': s } });
    assert.deepEqual(withSeverity(customGradient.check(ctx([nan])), setting('off')), []);
    assert.equal(withSeverity(customGradient.check(ctx([nan])), setting('warning'))[0].severity, 'warning');
  });
});
