/**
 * The interpreter against CPython: every program under programs/ prints the same text when run by
 * /usr/bin/python3 and by the interpreter (numbers, formatting, error messages, scoping, classes).
 * Then what has no CPython counterpart: opaque values and skipped statements, limits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CantFollow, LimitExceeded, PyRaise } from '../../../src/model/python/errors';
import { PyOpaque } from '../../../src/model/python/values';
import { at, PYTHON, ready, run } from './support';

const PROGRAMS = join(__dirname, 'programs');

function cpython(file: string): string | null {
  const r = spawnSync(PYTHON, ['-W', 'ignore', file], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout;
}

describe('Python interpreter: the same output as CPython', () => {
  before(ready);
  for (const name of readdirSync(PROGRAMS).filter((f) => f.endsWith('.py')).sort()) {
    it(name, function () {
      const file = join(PROGRAMS, name);
      const expected = cpython(file);
      if (expected === null) this.skip();
      const { output, error } = run(readFileSync(file, 'utf8'));
      assert.equal(error, null, `the run ended early: ${(error as Error)?.message}`);
      assert.equal(output, expected);
    });
  }
});

describe('Python interpreter: values it cannot follow', () => {
  before(ready);

  it('an unknown module is opaque; a statement needing its value is skipped and binds its names to it', () => {
    const src = 'import foo\nn = foo.size()\nm = n + 1\nok = 3\nif m:\n    ok = 4\n';
    const { interp, error } = run(src);
    assert.equal(error, null);
    const m = interp.globals.vars.get('m');
    assert.ok(m instanceof PyOpaque);
    assert.equal(m.construct, 'foo.size');
    assert.equal(at(src, m.origin), 'foo.size()');
    const ok = interp.globals.vars.get('ok');
    assert.ok(ok instanceof PyOpaque, 'the if with an unknown condition ran neither branch: ok may be 3 or 4');
    assert.equal(at(src, ok.origin), 'foo.size()');
    assert.equal(interp.skipped.length, 1);
    assert.equal(at(src, interp.skipped[0].r), 'if m:\n    ok = 4');
  });

  it('a value needed inside a function skips that statement only; the function goes on', () => {
    const src = 'import sys\ndef f():\n    a, c = 1, 3\n    b = len(sys.argv) > 2 and 5\n    if b:\n        a = 2\n    return a, c\nx, y = f()\n';
    const { interp } = run(src);
    const x = interp.globals.vars.get('x');
    assert.ok(x instanceof PyOpaque, 'a may have become 2: it is unknown');
    assert.equal(at(src, x.origin), 'sys.argv');
    assert.equal(interp.globals.vars.get('y'), 3n, 'c did not depend on it');
  });

  it('a function whose return depends on an unknown value returns it', () => {
    const src = 'import os\ndef width():\n    if os.environ.get("W"):\n        return 8\n    return 4\nw = width()\n';
    const { interp } = run(src);
    assert.ok(interp.globals.vars.get('w') instanceof PyOpaque);
  });

  it('an unknown call marks the objects it is given; an observer (logging, time) does not', () => {
    const src = 'import mylib, logging\nclass M: pass\nm = M()\nk = M()\nmylib.patch(m)\nlogging.info(k)\n';
    const { interp } = run(src);
    const m = interp.globals.vars.get('m') as object;
    const k = interp.globals.vars.get('k') as object;
    assert.ok(interp.taints.get(m) instanceof CantFollow);
    assert.equal(at(src, interp.taints.get(m)!.opaque.origin), 'mylib.patch');
    assert.equal(interp.taints.get(k), undefined);
  });

  it('open(), eval() and sys.argv are opaque where they are written', () => {
    const src = 'cfg = open("c.json")\nv = eval("1+1")\nn = int(__import__("sys").argv[1])\n';
    const { interp } = run(src);
    for (const [name, text] of [
      ['cfg', 'open("c.json")'],
      ['v', 'eval("1+1")'],
      ['n', '__import__("sys")'],
    ] as const) {
      const o = interp.globals.vars.get(name);
      assert.ok(o instanceof PyOpaque, name);
      assert.equal(at(src, o.origin), text);
    }
  });

  it('async def and match are outside the subset: opaque where written, not errors (a generator runs)', () => {
    const src = 'def gen():\n    yield 1\ng = gen()\nasync def co():\n    pass\nc = co()\nmatch 3:\n    case 3:\n        z = 1\n';
    const { interp, error } = run(src);
    assert.equal(error, null);
    assert.ok(!(interp.globals.vars.get('g') instanceof PyOpaque));
    assert.equal((interp.globals.vars.get('c') as PyOpaque).construct, 'an async function');
    assert.equal(interp.skipped[interp.skipped.length - 1].cause.opaque.construct, 'a match statement');
  });
});

describe('Python interpreter: limits end every run', () => {
  before(ready);

  it('an endless loop stops at the step limit, at the loop', () => {
    const src = 'x = 0\nwhile True:\n    x += 1\n';
    const { error } = run(src, { limits: { maxSteps: 10_000 } });
    assert.ok(error instanceof LimitExceeded);
    assert.equal(error.kind, 'steps');
    assert.match(at(src, error.r), /while True|x \+= 1/);
  });

  it('runaway recursion is a RecursionError at the recursive call', () => {
    const src = 'def f(n):\n    return f(n + 1)\nf(0)\n';
    const { error } = run(src);
    assert.ok(error instanceof PyRaise);
    assert.match(error.message, /RecursionError: maximum recursion depth exceeded/);
  });

  it('huge values stop at the size limits', () => {
    for (const src of ['x = 10 ** (10 ** 8)', 'x = [0] * (10 ** 9)', "s = 'ab' * (10 ** 9)", 'x = 1 << (10 ** 9)', 'l = [1]\nwhile True:\n    l = l + l\n', 'x = 3\nwhile True:\n    x = x * x\n']) {
      const { error } = run(src);
      assert.ok(error instanceof LimitExceeded, src);
      assert.equal(error.kind, 'size', src);
    }
  });

  it('deep recursion in a comprehension or a lambda also ends', () => {
    const { error } = run('f = lambda n: f(n + 1)\nf(0)\n');
    assert.ok(error instanceof PyRaise);
  });
});
