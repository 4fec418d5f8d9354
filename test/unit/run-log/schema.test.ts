import Ajv from 'ajv';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRunLogSchema, decode, DecodeError, decodeRecord, RECORD_SCHEMAS, runLogSchemaText } from '../../../src/trace/run-log/schema';
import { graph, header, line, step } from './fixture';

const ROOT = join(__dirname, '..', '..', '..');

/** Validates records as JSON (non-finite numbers as strings), the way the Python writer writes them. */
export function validator(): (record: unknown) => string | null {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(buildRunLogSchema());
  return (record) => (validate(record) ? null : ajv.errorsText(validate.errors));
}

describe('run log: the JSON Schema and the decoder', () => {
  it('the committed schema is the generated one (regenerate: node -r esbuild-register schema/generate.ts)', () => {
    assert.equal(readFileSync(join(ROOT, 'schema', 'gl-run.schema.json'), 'utf8'), runLogSchemaText());
  });

  it('accepts every kind of record the writer writes, and the decoder agrees', () => {
    const check = validator();
    const records = [header(), header(1, { part: 2 }), graph(), step(3, { loss: NaN }), { kind: 'nonFinite', step: 1, op: 'loss', layer: null, phase: 'forward', nan: 1, inf: 0, inputMaxAbs: 0, recorded: false }, { kind: 'message', step: 2, text: 'x' }, { kind: 'end', step: 9, reason: 'finished', recordedSteps: 3, interval: 4 }];
    for (const r of records) {
      const json = JSON.parse(line(r));
      assert.equal(check(json), null, JSON.stringify(r).slice(0, 80));
      assert.ok(decodeRecord(json));
    }
    assert.deepEqual(Object.keys(RECORD_SCHEMAS).sort(), ['end', 'graph', 'header', 'message', 'nonFinite', 'step']);
  });

  it('rejects what the schema rejects, naming the place', () => {
    const check = validator();
    const bad = JSON.parse(line(step(0)));
    bad.params[1].histogram = 'many';
    assert.notEqual(check(bad), null);
    assert.throws(() => decodeRecord(bad), (e: Error) => e instanceof DecodeError && e.message === '/params/1/histogram: expected a list, found "many"');
    assert.throws(() => decodeRecord({ ...JSON.parse(line(step(0))), step: -1 }), /\/step: expected an integer ≥ 0, found -1/);
    assert.throws(() => decodeRecord([1]), /a record is a JSON object, found a list/);
    assert.equal(decodeRecord({ kind: 'future-thing' }), null);
  });

  it('turns "NaN", "Infinity" and "-Infinity" into numbers, and nothing else', () => {
    const num = { anyOf: [{ type: 'number' as const }, { enum: ['NaN', 'Infinity', '-Infinity'] }] };
    assert.ok(Number.isNaN(decode(num, 'NaN') as number));
    assert.equal(decode(num, '-Infinity'), -Infinity);
    assert.throws(() => decode(num, 'nan'), /expected a number, found "nan"/);
    // Unknown fields are kept: a newer writer of the same version may add some.
    const h = decodeRecord({ ...header(), gpu: 'A100' }) as unknown as Record<string, unknown>;
    assert.equal(h.gpu, 'A100');
  });
});
