import assert from 'node:assert/strict';
import { formatBytes, formatDuration, percent, shortNumber } from '../../src/numbers';

describe('numbers: how a measured number is written', () => {
  it('shortNumber: two significant digits, plain from 0.001 to 10,000, a person\'s exponent form outside', () => {
    assert.equal(shortNumber(0), '0');
    assert.equal(shortNumber(-0), '0');
    assert.equal(shortNumber(0.0042), '0.0042');
    assert.equal(shortNumber(0.001), '0.001');
    assert.equal(shortNumber(812), '810');
    assert.equal(shortNumber(1234), '1200');
    assert.equal(shortNumber(2e-11), '2e-11', 'no "2.0e-11"');
    assert.equal(shortNumber(1e4), '1e4', 'no "1.0e4" and no "e+4"');
    assert.equal(shortNumber(2.6e7), '2.6e7');
    assert.equal(shortNumber(-3.14159e-5), '-3.1e-5');
    assert.equal(shortNumber(0.00099999), '0.001', 'rounded up into the plain range');
    assert.equal(shortNumber(9999.5), '1e4', 'rounded up out of the plain range');
  });

  it('shortNumber: more digits for labels and tooltips, the plain range widening with them', () => {
    assert.equal(shortNumber(0.000123456, 3), '1.23e-4');
    assert.equal(shortNumber(1.5e-4, 3), '1.5e-4', 'trailing zeros dropped');
    assert.equal(shortNumber(12345, 3), '1.23e4');
    assert.equal(shortNumber(123456, 6), '123456');
    assert.equal(shortNumber(1234567, 6), '1.23457e6');
    assert.equal(shortNumber(2.4186e-9, 6), '2.4186e-9');
  });

  it('shortNumber: non-finite values by name', () => {
    assert.equal(shortNumber(NaN), 'NaN');
    assert.equal(shortNumber(Infinity, 3), 'Infinity');
    assert.equal(shortNumber(-Infinity), '-Infinity');
  });

  it('percent: one decimal below 10%, "<0.1%" for a trace of a share', () => {
    assert.equal(percent(0), '0%');
    assert.equal(percent(0.0004), '<0.1%');
    assert.equal(percent(0.003), '0.3%');
    assert.equal(percent(0.94), '94%');
    assert.equal(percent(1), '100%');
  });

  it('formatBytes and formatDuration', () => {
    assert.equal(formatBytes(512), '512 bytes');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(16 * 1024 ** 2), '16 MiB');
    assert.equal(formatBytes(Infinity), 'more memory than exists');
    assert.equal(formatDuration(200), '200 ms');
    assert.equal(formatDuration(2000), '2 s');
    assert.equal(formatDuration(1500), '1.5 s');
  });
});
