import assert from 'node:assert/strict';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineTail } from '../../../src/trace/run-log/tail';
import { TempDir } from './fixture';

describe('run log: LineTail', () => {
  let dir: TempDir;
  beforeEach(() => (dir = new TempDir()));
  afterEach(() => dir.dispose());

  function collect(t: LineTail, budget = Infinity): string[] {
    const out: string[] = [];
    t.read((l) => out.push(l), budget);
    return out;
  }

  it('delivers whole lines only and keeps a line still being written for the next read', () => {
    const p = join(dir.path, 'a.gl.jsonl');
    writeFileSync(p, 'one\ntwo\nthr');
    const t = new LineTail(p, 4);
    assert.deepEqual(collect(t), ['one', 'two']);
    assert.equal(t.pendingBytes, 3);
    assert.equal(t.pendingText(), 'thr');
    assert.deepEqual(collect(t), []);
    appendFileSync(p, 'ee\r\nfour\n');
    assert.deepEqual(collect(t), ['three', 'four']);
    assert.equal(t.pendingBytes, 0);
    assert.equal(t.lineNo, 4);
  });

  it('keeps a multi-byte character split across reads whole', () => {
    const p = join(dir.path, 'u.gl.jsonl');
    writeFileSync(p, '{"t":"café ✓"}\n');
    const t = new LineTail(p, 1);
    assert.deepEqual(collect(t), ['{"t":"café ✓"}']);
  });

  it('reads no more than the budget, and says more is waiting', () => {
    const p = join(dir.path, 'b.gl.jsonl');
    writeFileSync(p, 'aaaa\nbbbb\ncccc\n');
    const t = new LineTail(p, 2);
    const out: string[] = [];
    const r = t.read((l) => out.push(l), 6);
    assert.equal(r.bytes, 6);
    assert.ok(r.more);
    assert.deepEqual(out, ['aaaa']);
    t.read((l) => out.push(l));
    assert.deepEqual(out, ['aaaa', 'bbbb', 'cccc']);
  });

  it('skips a line longer than the limit and resumes at the next one', () => {
    const p = join(dir.path, 'c.gl.jsonl');
    writeFileSync(p, `ok\n${'x'.repeat(1000)}\nafter\n`);
    const t = new LineTail(p, 64, 100);
    const out: string[] = [];
    const long: number[] = [];
    t.read((l) => out.push(l), Infinity, (n) => long.push(n));
    assert.deepEqual(out, ['ok', 'after']);
    assert.deepEqual(long, [2]);
    assert.equal(t.lineNo, 3);
  });

  it('starts over when the file is replaced or truncated', () => {
    const p = join(dir.path, 'd.gl.jsonl');
    writeFileSync(p, 'old1\nold2\n');
    const t = new LineTail(p);
    assert.deepEqual(collect(t), ['old1', 'old2']);
    writeFileSync(join(dir.path, 'new'), 'new1\n');
    renameSync(join(dir.path, 'new'), p);
    const out: string[] = [];
    const r = t.read((l) => out.push(l));
    assert.ok(r.reset);
    assert.deepEqual(out, ['new1']);
    writeFileSync(p, '');
    assert.ok(t.read(() => undefined).reset);
  });
});
