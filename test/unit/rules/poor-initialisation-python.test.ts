/**
 * The poor-initialisation rule on PyTorch scripts that write their own init with torch.nn.init:
 * healthy schemes (orthogonal_ on an RNN's weight_hh, GPT/ViT-style trunc_normal_(std=0.02) with
 * LayerNorm, eye_ and dirac_ identities) stay silent, and truly bad ones (normal_(std=1) on a deep
 * sigmoid stack, constant_ on every weight) still warn. Each script is also run by torch 1.13 to
 * prove what it claims: the healthy ones train, the bad ones saturate or stay symmetric.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePython, releasePython } from '../../../src/worker/python';
import { requireTorch, runInOneTorchProcess, type ScriptAnswer } from '../../support/torch';
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

/** The script run for `steps` steps, then `epilogue` (which prints JSON last). */
function withSteps(name: string, steps: number, epilogue: string): string {
  return read(name).replace('range(10)', `range(${steps})`) + `\nimport json\n${epilogue}\n`;
}

/** The JSON a script printed last. */
function printed<T>(answer: ScriptAnswer | undefined): T {
  assert.ok(answer && 'stdout' in answer, answer && 'error' in answer ? answer.error : 'the script was not run');
  return JSON.parse(answer.stdout.trim().split('\n').pop()!) as T;
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
    const SATURATION_PROBE = (text: string) => `${text.replace('range(10)', 'range(0)')}
import json
h = x
sat = []
for m in net:
    h = m(h)
    if isinstance(m, nn.Sigmoid):
        sat.append(float(((h < 0.01) | (h > 0.99)).float().mean()))
print(json.dumps(sat))
`;
    const deepSigmoid = read('deep_sigmoid.py');
    const scripts: Record<string, string> = {
      ...Object.fromEntries(HEALTHY.map((name) => [name, withSteps(name, 200, 'print(json.dumps([losses[0], losses[-1]]))')])),
      'deep_sigmoid.py': SATURATION_PROBE(deepSigmoid),
      'deep_sigmoid.py with the default init': SATURATION_PROBE(deepSigmoid.replace('nn.init.normal_(lin.weight, std=1.0)', 'pass')),
      'constant_all.py': withSteps('constant_all.py', 200, 'w = net[0].weight\nprint(json.dumps(float((w - w[0:1]).abs().max())))'),
    };
    const answers = new Map<string, ScriptAnswer>();

    before(function () {
      requireTorch(this, 'the poor-initialisation proofs');
      const keys = Object.keys(scripts);
      // One thread: on a shared 2-core machine torch's intra-op threads wait on each other, and the
      // claims hold with room to spare at any summation order. Each script seeds torch itself.
      runInOneTorchProcess(keys.map((k) => ({ text: scripts[k], file: join(DIR, k) })), 1).forEach((a, i) => answers.set(keys[i], a));
    });

    for (const name of HEALTHY) {
      it(`${name} trains: its loss falls below a fifth of the first in 200 steps`, () => {
        const [first, last] = printed<[number, number]>(answers.get(name));
        assert.ok(last < first / 5, `${name}: ${first} → ${last}`);
      });
    }

    it('deep_sigmoid.py saturates: a third or more of every sigmoid layer within 0.01 of 0 or 1, none with the default init', () => {
      assert.notEqual(scripts['deep_sigmoid.py with the default init'], scripts['deep_sigmoid.py'], 'the default init replaced nothing');
      const bad = printed<number[]>(answers.get('deep_sigmoid.py'));
      assert.equal(bad.length, 8);
      assert.ok(bad.every((s) => s >= 0.3), JSON.stringify(bad));
      const withDefault = printed<number[]>(answers.get('deep_sigmoid.py with the default init'));
      assert.ok(withDefault.every((s) => s === 0), JSON.stringify(withDefault));
    });

    it('constant_all.py stays symmetric: after 200 steps the first layer\'s rows still differ by under 1e-6', () => {
      const spread = printed<number>(answers.get('constant_all.py'));
      assert.ok(spread < 1e-6, String(spread));
    });
  });
});
