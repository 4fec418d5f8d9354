/**
 * The poor-initialisation rule on PyTorch scripts that write their own init with torch.nn.init:
 * healthy schemes (orthogonal_ on an RNN's weight_hh, GPT/ViT-style trunc_normal_(std=0.02) with
 * LayerNorm, eye_ and dirac_ identities) stay silent, and truly bad ones (normal_(std=1) on a deep
 * sigmoid stack, constant_ on every weight) still warn. Each script is also run by torch 1.13 to
 * prove what it claims: the healthy ones train, the bad ones saturate or stay symmetric.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePython, releasePython } from '../../../src/worker/python';
import { PYTHON, requireTorch } from '../../support/torch';
import { ready } from '../python/support';

const DIR = join(__dirname, 'init-scripts');
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');

async function initFindings(name: string): Promise<{ severity: string; message: string }[]> {
  const text = read(name);
  const r = await analysePython({ text, fileName: name, steps: 10 });
  try {
    assert.deepEqual(r.diagnostics.map((d) => d.message), [], name);
    return r.analysis!.findings.filter((f) => f.rule === 'poor-initialisation').map((f) => ({ severity: f.severity, message: f.message }));
  } finally {
    releasePython(r);
  }
}

/** Runs the script in torch for `steps` steps, then `epilogue`, and parses the JSON it prints last. */
function inTorch<T>(name: string, steps: number, epilogue: string): T {
  const text = read(name).replace('range(10)', `range(${steps})`) + `\nimport json\n${epilogue}\n`;
  const r = spawnSync(PYTHON, ['-W', 'ignore', '-c', text], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

const HEALTHY = ['rnn_orth.py', 'vit_trunc.py', 'identity.py'];

describe('poor-initialisation on torch.nn.init schemes in PyTorch scripts', () => {
  before(ready);

  for (const name of HEALTHY) {
    it(`${name}: silent (the init is healthy)`, async () => {
      assert.deepEqual(await initFindings(name), []);
    });
  }

  it('deep_sigmoid.py: normal_(std=1) on eight Linear+Sigmoid layers warns', async () => {
    const f = await initFindings('deep_sigmoid.py');
    assert.ok(f.some((x) => x.severity === 'warning' && /written: normal\(mean=0, std=1\).*too large/.test(x.message)), JSON.stringify(f));
  });

  it('constant_all.py: constant_ on every weight warns that the units stay copies', async () => {
    const f = await initFindings('constant_all.py');
    assert.equal(f.length, 2, JSON.stringify(f));
    for (const x of f) assert.match(x.message, /starts constant \(every entry 0\.1\).*still copies of one another/);
    assert.ok(f.every((x) => x.severity === 'warning'));
  });

  describe('proven in PyTorch 1.13', () => {
    before(function () {
      requireTorch(this, 'the poor-initialisation proofs');
    });

    for (const name of HEALTHY) {
      it(`${name} trains: its loss falls below a fifth of the first in 200 steps`, () => {
        const [first, last] = inTorch<[number, number]>(name, 200, 'print(json.dumps([losses[0], losses[-1]]))');
        assert.ok(last < first / 5, `${name}: ${first} → ${last}`);
      });
    }

    it('deep_sigmoid.py saturates: a third or more of every sigmoid layer within 0.01 of 0 or 1, none with the default init', () => {
      const probe = (text: string) => {
        const r = spawnSync(PYTHON, ['-W', 'ignore', '-c', `${text.replace('range(10)', 'range(0)')}
import json
h = x
sat = []
for m in net:
    h = m(h)
    if isinstance(m, nn.Sigmoid):
        sat.append(float(((h < 0.01) | (h > 0.99)).float().mean()))
print(json.dumps(sat))
`], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout) as number[];
      };
      const text = read('deep_sigmoid.py');
      const bad = probe(text);
      assert.equal(bad.length, 8);
      assert.ok(bad.every((s) => s >= 0.3), JSON.stringify(bad));
      const withDefault = probe(text.replace('nn.init.normal_(lin.weight, std=1.0)', 'pass'));
      assert.ok(withDefault.every((s) => s === 0), JSON.stringify(withDefault));
    });

    it('constant_all.py stays symmetric: after 200 steps the first layer\'s rows still differ by under 1e-6', () => {
      const spread = inTorch<number>('constant_all.py', 200, 'w = net[0].weight\nprint(json.dumps(float((w - w[0:1]).abs().max())))');
      assert.ok(spread < 1e-6, String(spread));
    });
  });
});
