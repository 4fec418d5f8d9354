/**
 * Synthetic torchvision batches: the pixels' documented properties (range, the dataset's mean and
 * std, so its Normalize gives mean 0 and std 1; class count; shapes; the same batch for the same
 * seed), whether the batch is made at once (a transform starting pixelwise) or sample by sample,
 * and a loader that draws only the batches asked for.
 */
import assert from 'node:assert/strict';
import { readPython } from '../../../src/model/python/front';
import { betaCdf, quantileTable } from '../../../src/model/python/torch/pixels';
import { DATASETS } from '../../../src/model/python/torch/data';
import { ready } from './support';

/** Runs `src` as the front end reads it; what it printed, and a global's native state. */
function read(src: string, seed?: number): { out: string[]; state: (name: string) => unknown } {
  const r = readPython(src, { fileName: 'data.py', seed });
  try {
    assert.deepEqual(r.diagnostics.map((d) => d.message), []);
    const interp = r.interp!;
    return { out: interp.output.trim().split('\n'), state: (name) => (interp.globals.vars.get(name) as unknown as { state: unknown }).state };
  } finally {
    r.release();
  }
}

const STATS = `
def stats(x):
    print(tuple(x.shape), '|', x.mean().item(), x.std().item(), x.min().item(), x.max().item())
`;

describe('synthetic torchvision batches', () => {
  before(ready);

  it("the Beta CDF the pixels are drawn through is the Beta's (closed forms at a few points)", () => {
    assert.ok(Math.abs(betaCdf(2, 3, 0.4) - 0.5248) < 1e-12);
    // Beta(1/2, 1/2) is the arcsine law: (2/π)·asin(√x).
    for (const x of [1e-6, 0.1, 0.5, 0.9, 0.999999]) assert.ok(Math.abs(betaCdf(0.5, 0.5, x) - (2 / Math.PI) * Math.asin(Math.sqrt(x))) < 1e-12, String(x));
    assert.ok(Math.abs(betaCdf(1, 1, 0.3) - 0.3) < 1e-12);
  });

  it("every dataset's quantile table has the dataset's mean and std per channel, in [0, 1]", () => {
    for (const [name, info] of Object.entries(DATASETS)) {
      info.mean.forEach((mean, c) => {
        const q = quantileTable(mean, info.std[c]);
        const k = q.length - 1;
        let m = 0;
        let m2 = 0;
        // Linear between the quantiles, as the draw interpolates.
        for (let i = 0; i < k; i++) {
          m += (q[i] + q[i + 1]) / 2 / k;
          m2 += (q[i] ** 2 + q[i] * q[i + 1] + q[i + 1] ** 2) / 3 / k;
        }
        assert.ok(Math.abs(m - mean) < 1e-3, `${name}[${c}] mean ${m}`);
        assert.ok(Math.abs(Math.sqrt(m2 - m * m) - info.std[c]) < 1e-3, `${name}[${c}] std`);
        assert.ok(q[0] >= 0 && q[k] <= 1 && q.every((v, i) => i === 0 || v >= q[i - 1]), `${name}[${c}] range and order`);
      });
    }
  });

  it("a batch made at once (ToTensor, Normalize, then a Lambda on each sample) and one made sample by sample have the dataset's statistics", () => {
    const { out } = read(`import torch
from torchvision import datasets, transforms
from torch.utils.data import DataLoader
${STATS}
raw = DataLoader(datasets.CIFAR10('d', transform=transforms.ToTensor()), batch_size=256)
x, y = next(iter(raw))
stats(x[:, 0])
stats(x[:, 2])
print(y.dtype, y.min().item() >= 0, y.max().item() <= 9, len(set(y.tolist())))
flat = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,)), transforms.Lambda(lambda x: torch.flatten(x))])
x, y = next(iter(DataLoader(datasets.MNIST('d', transform=flat), batch_size=512)))
stats(x)
# Resize first: each sample made and transformed alone.
each = transforms.Compose([transforms.Resize(14), transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
x, y = next(iter(DataLoader(datasets.MNIST('d', transform=each), batch_size=512)))
stats(x)
`);
    const stats = (l: string) => {
      const [shape, nums] = l.split(' | ');
      const [mean, std, min, max] = nums.split(' ').map(Number);
      return { shape, mean, std, min, max };
    };
    const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 0.02, `${what}: ${a} is not ${b}`);
    const expected: [string, number, number, number, number][] = [
      // Raw pixels in [0, 1]; normalised MNIST from (0 - m)/s to (1 - m)/s.
      ['(256, 32, 32)', 0.4914, 0.247, 0, 1],
      ['(256, 32, 32)', 0.4465, 0.2616, 0, 1],
      ['(512, 784)', 0, 1, -0.1307 / 0.3081, (1 - 0.1307) / 0.3081],
      ['(512, 1, 14, 14)', 0, 1, -0.1307 / 0.3081, (1 - 0.1307) / 0.3081],
    ];
    const lines = [out[0], out[1], out[3], out[4]];
    expected.forEach(([shape, mean, std, min, max], i) => {
      const got = stats(lines[i]);
      assert.equal(got.shape, shape);
      near(got.mean, mean, `${shape} mean`);
      near(got.std, std, `${shape} std`);
      assert.ok(got.min >= min - 1e-5 && got.max <= max + 1e-5, `${lines[i]} in [${min}, ${max}]`);
    });
    assert.equal(out[2], 'torch.int64 True True 10');
  });

  it('the same seed gives the same batch, another seed another', () => {
    const src = `import torch
from torchvision import datasets, transforms
from torch.utils.data import DataLoader
x, y = next(iter(DataLoader(datasets.FashionMNIST('d', transform=transforms.ToTensor()), batch_size=8)))
print(x.sum().item(), y.tolist())
`;
    assert.deepEqual(read(src, 3).out, read(src, 3).out);
    assert.notDeepEqual(read(src, 3).out, read(src, 4).out);
  });

  it('a loader of 50,000-sample batches draws the first batch only, when the script takes one', () => {
    const { out, state } = read(`import torch
from torchvision.datasets import MNIST
from torchvision.transforms import Compose, ToTensor, Normalize, Lambda
from torch.utils.data import DataLoader
ds = MNIST("./data/", train=True, download=True, transform=Compose([ToTensor(), Normalize((0.1307,), (0.3081,))]))
loader = DataLoader(ds, batch_size=50000)
print(len(loader))
x, y = next(iter(loader))
print(tuple(x.shape), tuple(y.shape))
`);
    assert.deepEqual(out, ['2', '(50000, 1, 28, 28) (50000,)']);
    assert.equal((state('ds') as { drawn: number }).drawn, 50000);
  });
});
