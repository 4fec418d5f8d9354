/**
 * A script calls nn.Conv2d(3, 8, 3, 1, 1, 2) with PyTorch's positional order: every catalogue layer
 * the PyTorch front end binds by the catalogue (not ENGINE_LAYERS, which spell PyTorch's own
 * signatures) must read positional arguments in torch 1.13's order, or a dilation would be read as
 * a bias and a dense convolution traced in its place.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { LAYERS, type LayerType } from '../../src/model/catalogue';
import { ENGINE_LAYERS } from '../../src/model/python/torch/engine-layers';
import { TORCH_EXTRA_ARGS, TORCH_POSITIONAL } from '../../src/model/python/torch/layer-args';
import { PYTHON, requireTorch } from '../support/torch';

/** Positional names as the front end reads them, and every name it accepts. */
function ours(type: LayerType): { positional: readonly string[]; accepted: Set<string> } {
  const names = [...LAYERS[type].args.map((a) => a.name), ...(TORCH_EXTRA_ARGS[type] ?? []).map((e) => e.name)];
  return { positional: TORCH_POSITIONAL[type] ?? names, accepted: new Set(names) };
}

const BOUND = (Object.keys(LAYERS) as LayerType[]).filter((t) => t !== 'Sequential' && !Object.hasOwn(ENGINE_LAYERS, t));

describe('catalogue layers read positional arguments in PyTorch order', () => {
  let torchOrder: Record<string, string[] | null>;
  before(function () {
    requireTorch(this, 'layer signatures');
    const script = [
      'import inspect, json, sys, torch.nn as nn',
      'out = {}',
      'for t in json.loads(sys.argv[1]):',
      '    c = getattr(nn, t, None)',
      "    out[t] = None if c is None else [p.name for p in inspect.signature(c.__init__).parameters.values() if p.name != 'self' and p.kind == p.POSITIONAL_OR_KEYWORD]",
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script, JSON.stringify(BOUND)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    torchOrder = JSON.parse(r.stdout);
  });

  it('every bound layer that torch.nn has: the same names in the same places, as far as both go', () => {
    const wrong: string[] = [];
    for (const t of BOUND) {
      const theirs = torchOrder[t];
      if (!theirs) continue;
      const { positional } = ours(t);
      const n = Math.min(positional.length, theirs.length);
      if (positional.slice(0, n).join() !== theirs.slice(0, n).join()) wrong.push(`${t}: ours ${positional.join(', ')}; torch ${theirs.join(', ')}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('each PyTorch order names only arguments the layer accepts, each once', () => {
    for (const [t, order] of Object.entries(TORCH_POSITIONAL) as [LayerType, readonly string[]][]) {
      const { accepted } = ours(t);
      assert.equal(new Set(order).size, order.length, t);
      for (const name of order) assert.ok(accepted.has(name), `${t}: ${name}`);
    }
  });
});
