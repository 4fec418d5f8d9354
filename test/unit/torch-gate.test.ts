/**
 * Every comparison against Python or PyTorch finds its interpreter, and decides whether a missing
 * torch skips or fails, in test/support/torch.ts: a suite with a gate of its own would skip in CI
 * without anyone noticing.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const TEST = join(__dirname, '..');

function files(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) stack.push(p);
      else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
    }
  }
  return out;
}

describe('the one gate for PyTorch comparisons', () => {
  it('no test names the Python interpreter or probes for torch itself', () => {
    const own = files(TEST).filter((f) => {
      if (f === join(TEST, 'support', 'torch.ts') || f === __filename) return false;
      const text = readFileSync(f, 'utf8');
      return text.includes("'/usr/bin/python3'") || /\[\s*'-c',\s*'import torch/.test(text);
    });
    assert.deepEqual(own.map((f) => relative(TEST, f)), [], 'use PYTHON and requireTorch from test/support/torch.ts');
  });
});
