/**
 * Specs written to break the reader: keys that are Object.prototype members, control characters,
 * byte-order marks and old Mac line endings, absurd step counts, oversized text. Each is read into
 * a spec or an error at the text at fault, never an internal error.
 */
import assert from 'node:assert/strict';
import { parseSpec, positionAt } from '../../../src/model';

const SEED = `model:
  - Linear: {in_features: 10, out_features: 10}
  - Sigmoid
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
`;

const JSON_SEED = JSON.stringify({
  model: [{ Linear: { in_features: 10, out_features: 10 } }, 'Sigmoid', { Linear: { in_features: 10, out_features: 1 } }],
  input: { shape: [10] },
  target: { shape: [1] },
  loss: 'MSELoss',
});

function at(text: string, offset: number): string {
  const p = positionAt(text, offset);
  return `${p.line + 1}:${p.character + 1}`;
}

function errors(text: string, file = 'm.grad.yaml') {
  const r = parseSpec(text, file);
  assert.ok(!r.diagnostics.some((d) => d.code === 'spec/internal'), JSON.stringify(r.diagnostics));
  return r;
}

describe('spec: hostile input', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    it(`a layer named '${name}' is an unknown layer, in YAML and JSON, bare and as a key`, () => {
      for (const [text, file] of [
        [SEED.replace('  - Sigmoid', `  - ${name}`), 'm.grad.yaml'],
        [SEED.replace('  - Sigmoid', `  - ${name}: {}`), 'm.grad.yaml'],
        [JSON_SEED.replace('"Sigmoid"', `"${name}"`), 'm.grad.json'],
        [JSON_SEED.replace('"Sigmoid"', `{"${name}": {}}`), 'm.grad.json'],
      ]) {
        const r = errors(text, file);
        assert.equal(r.spec, null);
        assert.deepEqual(r.diagnostics.map((d) => d.code), ['spec/unknown-layer'], text);
        assert.equal(text.slice(r.diagnostics[0].range.start, r.diagnostics[0].range.end).replace(/"/g, ''), name);
      }
    });

    it(`'${name}' as a layer name, an argument, an init key, a top-level key and a trace key`, () => {
      const named = errors(SEED.replace('  - Sigmoid', `  - {Sigmoid: null, name: ${name}}`));
      assert.deepEqual(named.diagnostics, []);
      assert.equal(named.spec!.model.children[1].path, name);
      for (const [text, code] of [
        [SEED.replace('out_features: 1}', `out_features: 1, ${name}: 3}`), 'spec/unknown-arg'],
        [SEED.replace('  - Sigmoid', `  - Sigmoid\n  - {Linear: {in_features: 10, out_features: 10}, init: {${name}: zeros}}`), 'spec/unknown-param'],
        [`${SEED}${name}: 1\n`, 'spec/unknown-key'],
        [`${SEED}trace: {${name}: 1}\n`, 'spec/unknown-arg'],
        [`${SEED}optimizer: ${name}\n`, 'spec/unknown-optimizer'],
        [SEED.replace('loss: MSELoss', `loss: ${name}`), 'spec/unknown-loss'],
        [SEED.replace('distribution: normal}', `distribution: ${name}}`), 'spec/unknown-distribution'],
      ]) {
        const r = errors(text);
        assert.deepEqual(r.diagnostics.map((d) => d.code), [code], text);
      }
    });
  }

  it('escapes control characters in messages: no ESC sequence, no line break inside one', () => {
    const text = SEED.replace('  - Sigmoid', '  - "Sig\\x1b[31mmoid\\r\\nx"');
    const r = errors(text);
    assert.equal(r.diagnostics.length, 1);
    const m = r.diagnostics[0].message;
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(m), JSON.stringify(m));
    assert.match(m, /unknown layer 'Sig\\x1b\[31mmoid\\r\\nx'/);
  });

  it('refuses control characters in a layer name', () => {
    const r = errors(SEED.replace('  - Sigmoid', '  - {Sigmoid: null, name: "a\\rb"}'));
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['spec/type']);
    assert.match(r.diagnostics[0].message, /without dots or spaces/);
  });

  it('reads a UTF-8 byte-order mark in YAML and JSON, positions unchanged', () => {
    for (const [text, file] of [
      [`\ufeff${SEED}`, 'm.grad.yaml'],
      [`\ufeff${JSON_SEED}`, 'm.grad.json'],
    ]) {
      const r = errors(text, file);
      assert.deepEqual(r.diagnostics, [], file);
      assert.equal(r.spec!.model.children.length, 3);
      // A finding on the Sigmoid must still point at "Sigmoid".
      const sig = r.spec!.model.children[1].typeRange;
      assert.equal(text.slice(sig.start, sig.end).replace(/"/g, ''), 'Sigmoid');
    }
    const bad = errors(`\ufeff${JSON_SEED.replace('"Sigmoid"', '"Sigmod"')}`, 'm.grad.json');
    assert.equal(at(`\ufeff${JSON_SEED}`, bad.diagnostics[0].range.start), `1:${JSON_SEED.indexOf('"Sigmoid') + 2}`);
  });

  it('reads CR-only line endings in YAML like CRLF and LF, with the same line:col', () => {
    const cr = SEED.replace(/\n/g, '\r');
    const crlf = SEED.replace(/\n/g, '\r\n');
    for (const text of [cr, crlf]) {
      const r = errors(text);
      assert.deepEqual(r.diagnostics, []);
      assert.equal(r.spec!.model.children.length, 3);
    }
    const broken = cr.replace('Sigmoid', 'Sigmod');
    const r = errors(broken);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['spec/unknown-layer']);
    assert.equal(at(broken, r.diagnostics[0].range.start), '3:5');
  });

  it('refuses an absurd step count at the steps value, naming the limit', () => {
    const text = `${SEED}trace: {steps: 1000000000}\n`;
    const r = errors(text);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['spec/too-large']);
    assert.equal(text.slice(r.diagnostics[0].range.start, r.diagnostics[0].range.end), '1000000000');
    assert.match(r.diagnostics[0].message, /trace steps is 1000000000, over the limit of 10000 .*--max-steps \/ gradientLens\.maxSteps/);
    assert.deepEqual(parseSpec(`${SEED}trace: {steps: 10000}\n`, 'm.grad.yaml').diagnostics, []);
    // A lower limit from the caller.
    assert.equal(parseSpec(`${SEED}trace: {steps: 30}\n`, 'm.grad.yaml', { limits: { maxSteps: 20 } }).spec, null);
  });

  it('refuses a spec over the size limit before reading it', () => {
    const text = `${SEED}# ${'x'.repeat(300 * 1024)}\n`;
    const r = errors(text);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.range.start]), [['spec/too-large', 0]]);
    assert.match(r.diagnostics[0].message, /the spec is 30\d KiB, over the 256 KiB limit for a spec \(--max-spec-kb \/ gradientLens\.maxSpecKB\)/);
    assert.deepEqual(parseSpec(text, 'm.grad.yaml', { limits: { maxSpecKB: 512 } }).diagnostics, []);
  });
});
