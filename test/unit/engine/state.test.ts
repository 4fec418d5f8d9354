import assert from 'node:assert/strict';
import { loadStateDict, nn, Rng, stateDict } from '../../../src/engine';
import type { StateDict } from '../../../src/engine';

function model(seed = 0, dtype: 'float32' | 'float64' = 'float64'): nn.Sequential {
  const rng = new Rng(seed);
  return new nn.Sequential([
    ['encoder', new nn.Sequential([new nn.Linear(4, 8, { rng, dtype }), new nn.ReLU(), new nn.BatchNorm1d(8, { dtype })])],
    ['fc1', new nn.Linear(8, 3, { rng, dtype })],
  ]);
}

const clone = (s: StateDict): StateDict => JSON.parse(JSON.stringify(s));

describe('state_dict', () => {
  it("names and order are PyTorch's: per module its parameters, then its buffers", () => {
    assert.deepEqual(Object.keys(stateDict(model())), [
      'encoder.0.weight',
      'encoder.0.bias',
      'encoder.2.weight',
      'encoder.2.bias',
      'encoder.2.running_mean',
      'encoder.2.running_var',
      'encoder.2.num_batches_tracked',
      'fc1.weight',
      'fc1.bias',
    ]);
    const s = stateDict(model());
    assert.deepEqual(s['encoder.0.weight'].shape, [8, 4]);
    assert.equal(s['encoder.0.weight'].data.length, 32);
    assert.deepEqual(s['encoder.2.running_var'], { shape: [8], data: [1, 1, 1, 1, 1, 1, 1, 1] });
    assert.deepEqual(s['encoder.2.num_batches_tracked'], { shape: [], data: [0] });
  });

  it('float64 values round-trip exactly through JSON', () => {
    const a = model(1);
    const b = model(2);
    assert.notDeepEqual(a.parameters()[0].data, b.parameters()[0].data);
    const tricky = [0.1, 1 / 3, Math.PI * 1e-300, -5e-324, 1.7976931348623157e308, 2 ** -1074, 0.30000000000000004];
    a.parameters()[0].data.set(tricky);
    loadStateDict(b, clone(stateDict(a)));
    const pb = b.namedParameters();
    a.namedParameters().forEach(([k, t], i) => {
      assert.equal(pb[i][0], k);
      assert.deepEqual(pb[i][1].data, t.data);
    });
    assert.deepEqual(Array.from(b.parameters()[0].data.subarray(0, tricky.length)), tricky);
  });

  it('a float32 model rounds loaded values to float32', () => {
    const m = model(0, 'float32');
    const s = stateDict(model(0, 'float64'));
    s['fc1.bias'].data = [0.1, 0.2, 0.3];
    loadStateDict(m, s);
    assert.deepEqual(Array.from(m.namedParameters()[5][1].data), [Math.fround(0.1), Math.fround(0.2), Math.fround(0.3)]);
  });

  it('loads buffers in place, so batch norm uses them right away', () => {
    const m = model();
    const bn = m.namedModules().find(([k]) => k === 'encoder.2')![1] as nn.BatchNorm1d;
    const held = bn.runningMean.data;
    const s = stateDict(m);
    s['encoder.2.running_mean'].data = [1, 2, 3, 4, 5, 6, 7, 8];
    s['encoder.2.num_batches_tracked'].data = [17];
    loadStateDict(m, s);
    assert.equal(bn.runningMean.data, held);
    assert.deepEqual(Array.from(held), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(bn.numBatchesTracked.data[0], 17);
  });

  it('accepts nested data (PyTorch tolist()) and "nan"/"inf" strings', () => {
    const m = model();
    const s = stateDict(m) as Record<string, { shape: number[]; data: unknown[] }>;
    s['fc1.weight'].data = [
      [1, 2, 3, 4, 5, 6, 7, 8],
      [0, 0, 0, 0, 0, 0, 0, 0],
      ['nan', 'inf', '-inf', 0, 0, 0, 0, -1],
    ];
    loadStateDict(m, s as unknown as StateDict);
    const w = Array.from(m.namedParameters()[4][1].data);
    assert.deepEqual(w.slice(0, 8), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(Number.isNaN(w[16]));
    assert.deepEqual(w.slice(17, 19), [Infinity, -Infinity]);
  });

  describe('errors', () => {
    it('names a wrong shape as "name: expected [...], got [...]"', () => {
      const m = new nn.Sequential([new nn.Linear(10, 10, { rng: new Rng(0) })]);
      const s = stateDict(m);
      s['0.weight'] = { shape: [10, 5], data: new Array(50).fill(0) };
      assert.throws(() => loadStateDict(m, s), /0\.weight: expected \[10, 10\], got \[10, 5\]/);
    });

    it('lists every missing and unexpected name at once', () => {
      const s = stateDict(model());
      delete s['fc1.bias'];
      delete s['encoder.2.running_var'];
      s['fc2.weight'] = { shape: [1], data: [0] };
      s['encoder.9.bias'] = { shape: [1], data: [0] };
      assert.throws(
        () => loadStateDict(model(), s),
        (e: Error) =>
          /missing keys: encoder\.2\.running_var, fc1\.bias/.test(e.message) &&
          /unexpected keys: fc2\.weight, encoder\.9\.bias/.test(e.message),
      );
    });

    it('writes nothing when any entry is wrong', () => {
      const m = model(5);
      const before = m.parameters().map((p) => p.data.slice());
      const s = stateDict(model(6));
      s['fc1.bias'] = { shape: [3], data: [1, 2] };
      assert.throws(() => loadStateDict(m, s), /fc1\.bias: shape \[3\] needs 3 values, got 2/);
      m.parameters().forEach((p, i) => assert.deepEqual(p.data, before[i]));
    });

    it('rejects malformed entries and non-numbers', () => {
      const s = stateDict(model()) as Record<string, unknown>;
      s['fc1.bias'] = [1, 2, 3];
      const t = stateDict(model()) as Record<string, { shape: number[]; data: unknown[] }>;
      t['fc1.bias'].data = [1, 'x', 3];
      assert.throws(() => loadStateDict(model(), s as StateDict), /fc1\.bias: expected an object \{"shape"/);
      assert.throws(() => loadStateDict(model(), t as unknown as StateDict), /fc1\.bias: data\[1\] is not a number \("x"\)/);
    });

    it('strict: false ignores missing and unexpected names but still checks shapes', () => {
      const m = model(7);
      const s = stateDict(model(8));
      delete s['fc1.bias'];
      s['extra'] = { shape: [1], data: [0] };
      const keep = Array.from(m.namedParameters()[5][1].data);
      loadStateDict(m, s, { strict: false });
      assert.deepEqual(Array.from(m.namedParameters()[5][1].data), keep);
      assert.deepEqual(m.parameters()[0].data, model(8).parameters()[0].data);
      s['fc1.weight'].shape = [8, 3];
      assert.throws(() => loadStateDict(m, s, { strict: false }), /fc1\.weight: expected \[3, 8\], got \[8, 3\]/);
    });
  });
});
