import assert from 'node:assert/strict';
import { CSV_HEADER, csvText, toCsv } from '../../../webview/charts/csv';
import { seedTrace, STEPS } from './fixture';

/** A minimal RFC 4180 reader, to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

describe('toCsv', () => {
  it('has a header and one row per step × parameter, steps outer, parameters in model order', () => {
    const trace = seedTrace();
    const rows = parseCsv(toCsv(trace));
    assert.deepEqual(rows[0], CSV_HEADER);
    assert.deepEqual(rows[0].slice(0, 6), ['step', 'loss', 'parameter', 'layer', 'grad_norm', 'update_ratio']);
    assert.equal(rows.length, 1 + STEPS * 4);
    assert.deepEqual(
      rows.slice(1, 6).map((r) => [r[0], r[2], r[3]]),
      [
        ['0', '0.weight', '0'],
        ['0', '0.bias', '0'],
        ['0', '2.weight', '2'],
        ['0', '2.bias', '2'],
        ['1', '0.weight', '0'],
      ],
    );
    for (const r of rows) assert.equal(r.length, CSV_HEADER.length);
  });

  it('writes every number so it reads back exactly', () => {
    const trace = seedTrace();
    const rows = parseCsv(toCsv(trace));
    const col = (name: string) => CSV_HEADER.indexOf(name);
    const r = rows[1 + 13 * 4 + 0];
    const p = trace.steps[13].params[0];
    assert.equal(Number(r[col('loss')]), trace.steps[13].loss);
    assert.equal(Number(r[col('grad_norm')]), p.gradNorm);
    assert.equal(Number(r[col('update_ratio')]), p.updateRatio);
    assert.equal(Number(r[col('grad_mean_abs')]), p.gradMeanAbs);
    assert.equal(Number(r[col('zero_fraction')]), p.zeroFraction);
    assert.equal(Number(r[col('weight_norm')]), p.weightNorm);
    assert.equal(r[col('reached')], 'true');
  });

  it('spells out NaN and ±Infinity and keeps an exact zero', () => {
    const trace = seedTrace();
    trace.steps[0].params[1] = { ...trace.steps[0].params[1], gradNorm: NaN, updateRatio: Infinity, weightMean: -Infinity, reached: false };
    const r = parseCsv(toCsv(trace))[2];
    const col = (name: string) => CSV_HEADER.indexOf(name);
    assert.equal(r[col('grad_norm')], 'NaN');
    assert.equal(r[col('update_ratio')], 'Infinity');
    assert.equal(r[col('weight_mean')], '-Infinity');
    assert.equal(r[col('reached')], 'false');
    const zero = parseCsv(toCsv(seedTrace()))[1 + 19 * 4 + 1];
    assert.equal(zero[col('grad_norm')], '0');
  });

  it('quotes names with commas or quotes, and defuses spreadsheet formulas', () => {
    assert.equal(csvText('0.weight'), '0.weight');
    assert.equal(csvText('a,b'), '"a,b"');
    assert.equal(csvText('say "hi"'), '"say ""hi"""');
    assert.equal(csvText('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvText('@SUM(A1)'), "'@SUM(A1)");
    const trace = seedTrace();
    trace.params[0] = { ...trace.params[0], name: '=cmd|calc', layer: 'enc,0' };
    const r = parseCsv(toCsv(trace))[1];
    assert.deepEqual([r[2], r[3]], ["'=cmd|calc", 'enc,0']);
  });

  it('has just the header for a trace with no steps', () => {
    assert.equal(toCsv({ ...seedTrace(), steps: [] }), CSV_HEADER.join(',') + '\r\n');
  });
});
