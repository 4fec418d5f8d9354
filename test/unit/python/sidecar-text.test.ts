/** The sidecar "Trace this model…" writes: a spec the reader accepts, naming the file, its build expression and data. */
import assert from 'node:assert/strict';
import { parseSpec } from '../../../src/model';
import { sidecarText } from '../../../src/sidecar-files';

describe('sidecar written for "Trace this model…"', () => {
  it('classes: CrossEntropyLoss over class indices; the build expression kept exactly, quotes and all', () => {
    const text = sidecarText({ python: 'net.py', build: 'Net(cfg="a\\"b", n=3)', inputShape: [1, 28, 28], target: { classes: 10 } });
    const parsed = parseSpec(text, '/w/net.grad.yaml');
    assert.deepEqual(parsed.diagnostics, []);
    const s = parsed.sidecar!;
    assert.equal(s.python, 'net.py');
    assert.equal(s.build, 'Net(cfg="a\\"b", n=3)');
    assert.deepEqual(s.parts.input?.shape, [1, 28, 28]);
    assert.deepEqual(s.parts.target?.distribution, { kind: 'classes', count: 10 });
    assert.equal(s.parts.loss?.type, 'CrossEntropyLoss');
    assert.equal(s.parts.trace.steps, 20);
  });

  it('token ids in, a regression target out: integers below the vocabulary, MSELoss', () => {
    const parsed = parseSpec(sidecarText({ python: 'lm.py', build: 'LM()', inputShape: [16], vocabulary: 65, target: { shape: [1] } }), '/w/lm.grad.yaml');
    assert.deepEqual(parsed.diagnostics, []);
    assert.deepEqual(parsed.sidecar!.parts.input?.distribution, { kind: 'integers', low: 0, high: 65 });
    assert.equal(parsed.sidecar!.parts.loss?.type, 'MSELoss');
  });
});
