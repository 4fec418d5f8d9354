/**
 * Outside the subset: constructs Gradient Lens does not model, each one in a script whose model
 * depends on it. Each gives one information diagnostic "Gradient Lens can't follow <construct>
 * here" on the expression that made the value: never a crash, never a guess, never a Python
 * exception the real script would not raise.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, ready, trainingLoop } from './support';

interface Case {
  /** What the construct is, as the message names it (a fragment). */
  construct: string;
  /** Lines before the model (imports, helpers). */
  setup?: string;
  /** The layer width, computed through the construct (`width = ...`); or `forward` uses it. */
  width?: string;
  /** The forward's body, `x` in, a tensor out (uses self.fc). */
  forward?: string;
  /** Lines after the model is built, before the loop (`net` exists). */
  after?: string;
  /** The text the diagnostic's range covers. */
  range: string;
}

const FC = 'return self.fc(x)';

/** A script whose model, forward or training depends on one construct. */
function program(c: Case): string {
  return `import torch
import torch.nn as nn
import torch.nn.functional as F
${c.setup ?? ''}

class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, 1)

    def forward(self, x):
${(c.forward ?? FC).replace(/^/gm, '        ')}


width = ${c.width ?? '4'}
net = Net(width)
${c.after ?? ''}
${trainingLoop()}`;
}

export const UNSUPPORTED: Case[] = [
  { construct: 'numpy.load', setup: 'import numpy as np', width: 'np.load("w.npy").shape[1]', range: 'np.load("w.npy")' },
  { construct: 'open()', width: 'int(open("width.txt").read())', range: 'open("width.txt")' },
  { construct: 'json', setup: 'import json', width: 'json.load(open("cfg.json"))["width"]', range: 'json.load(open("cfg.json"))' },
  { construct: "the command-line argument --width (argparse; give the script's arguments with args: in its sidecar or after -- on the command line)", setup: "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('--width', type=int, required=True)\nargs = parser.parse_args()", width: 'args.width', range: "parser.add_argument('--width', type=int, required=True)" },
  { construct: 'sys.argv', setup: 'import sys', width: 'int(sys.argv[1])', range: 'sys.argv' },
  // The launcher's rank variables are known (rank 0 of 1, distributed.test.ts); the user's others are not.
  { construct: 'the environment variable WIDTH', setup: 'import os', width: 'int(os.environ["WIDTH"])', range: 'os.environ["WIDTH"]' },
  { construct: 'input()', width: 'int(input("width? "))', range: 'input("width? ")' },
  { construct: 'pickle.load', setup: 'import pickle', width: 'pickle.load(open("cfg.pkl", "rb"))["width"]', range: 'pickle.load(open("cfg.pkl", "rb"))' },
  { construct: 'pandas.read_csv', setup: 'import pandas as pd', width: 'pd.read_csv("data.csv").shape[1] - 1', range: 'pd.read_csv("data.csv")' },
  // NumPy arrays are followed (ndarray.ts); what of NumPy is outside them is not, at the call.
  { construct: 'numpy.float16', setup: 'import numpy as np', forward: 'return self.fc(x + torch.from_numpy(np.ones(4).astype(np.float16)).float())', range: 'np.float16' },
  { construct: 'torch.load', width: 'torch.load("ckpt.pt")["width"]', range: 'torch.load("ckpt.pt")' },
  { construct: 'yaml.safe_load', setup: 'import yaml', width: 'yaml.safe_load(open("cfg.yaml"))["width"]', range: 'yaml.safe_load(open("cfg.yaml"))' },
  { construct: 'a generator of more than 10000 items', setup: 'def widths():\n    while True:\n        yield 4', width: 'next(widths())', range: 'yield 4' },
  { construct: 'an async function', setup: 'async def width_of():\n    return 4', width: 'width_of()', range: 'width_of' },
  { construct: 'a match statement', setup: 'mode = "small"\nmatch mode:\n    case "small":\n        w = 4\n    case _:\n        w = 64', width: 'w', range: 'match mode:\n    case "small":\n        w = 4\n    case _:\n        w = 64' },
  { construct: 'complex numbers', width: 'int((2 + 2j).real) * 2', range: '2j' },
  { construct: 'bytes literals', width: 'len(b"abcd")', range: 'b"abcd"' },
  { construct: 'a metaclass', setup: 'class Meta(type):\n    pass\n\nclass Cfg(metaclass=Meta):\n    width = 4', width: 'Cfg.width', range: 'metaclass=Meta' },
  { construct: 'type() with three arguments', width: 'type("Cfg", (), {"width": 4}).width', range: 'type("Cfg", (), {"width": 4})' },
  { construct: 'collections.namedtuple', setup: 'from collections import namedtuple\nCfg = namedtuple("Cfg", "width")', width: 'Cfg(4).width', range: 'namedtuple("Cfg", "width")' },
  { construct: 'collections.defaultdict', setup: 'from collections import defaultdict\nsizes = defaultdict(int)\nsizes["w"] += 4', width: 'sizes["w"]', range: 'defaultdict(int)' },
  { construct: 'torch.einsum', forward: 'return self.fc(torch.einsum("bi,bi->bi", x, x))', range: 'torch.einsum("bi,bi->bi", x, x)' },
  {
    construct: 'a custom forward with several outputs (torch.autograd.Function Mul)',
    setup: 'class Mul(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, a, b):\n        ctx.save_for_backward(a, b)\n        return a * b, a + b\n\n    @staticmethod\n    def backward(ctx, g, h):\n        a, b = ctx.saved_tensors\n        return g * b + h, g * a + h',
    forward: 'return self.fc(Mul.apply(x, x)[0])',
    range: 'Mul.apply(x, x)',
  },
  { construct: 'module hooks (register_forward_hook)', after: 'net.fc.register_forward_hook(lambda m, i, o: print(o.shape))', range: 'net.fc.register_forward_hook(lambda m, i, o: print(o.shape))' },
  { construct: 'Tensor.register_hook', after: 'net.fc.weight.register_hook(lambda g: g * 2)', range: 'net.fc.weight.register_hook(lambda g: g * 2)' },
  { construct: 'numpy.linalg.inv', setup: 'import numpy as np', forward: 'return self.fc(x + torch.from_numpy(np.linalg.inv(np.ones((4, 4)))[0]).float())', range: 'np.linalg.inv(np.ones((4, 4)))' },
  { construct: 'half precision (float16)', after: 'net = net.half()', range: 'net.half()' },
  { construct: 'ndarray.cumsum', setup: 'import numpy as np', forward: 'return self.fc(torch.tensor(x.detach().numpy().cumsum(1)))', range: 'x.detach().numpy().cumsum' },
  { construct: "F.pad(mode='circular')", forward: "return self.fc(F.pad(x.unsqueeze(1), (1, 1), mode='circular')[:, 0, 1:-1])", range: "F.pad(x.unsqueeze(1), (1, 1), mode='circular')" },
  { construct: 'MaxPool2d(return_indices=...) with a value other than the default', forward: 'return self.fc(x + self.pool(x.view(1, 1, 2, 2))[0].mean())', after: 'net.pool = nn.MaxPool2d(2, return_indices=True)', range: 'nn.MaxPool2d(2, return_indices=True)' },
  { construct: 'LSTM(proj_size=...)', after: 'net.rnn = nn.LSTM(4, 8, proj_size=2)', forward: 'return self.fc(self.rnn(x.unsqueeze(0))[0][0])', range: 'nn.LSTM(4, 8, proj_size=2)' },
  { construct: 'subprocess.check_output', setup: 'import subprocess', width: 'int(subprocess.check_output(["nproc"]))', range: 'subprocess.check_output(["nproc"])' },
  { construct: 'urllib.request.urlopen', setup: 'import urllib.request', width: 'int(urllib.request.urlopen("http://example.com/w").read())', range: 'urllib.request.urlopen("http://example.com/w")' },
  { construct: 'eval()', width: 'eval("2 + 2")', range: 'eval("2 + 2")' },
  { construct: 'sklearn.datasets.load_iris', setup: 'from sklearn.datasets import load_iris', width: 'load_iris().data.shape[1]', range: 'load_iris()' },
  { construct: 'transformers.AutoConfig.from_pretrained', setup: 'from transformers import AutoConfig', width: 'AutoConfig.from_pretrained("bert-base-uncased").hidden_size // 192', range: 'AutoConfig.from_pretrained("bert-base-uncased")' },
  { construct: 'the relative import from .layers', setup: 'from .layers import WIDTH', width: 'WIDTH', range: 'from .layers import WIDTH' },
  { construct: 'einops.rearrange', setup: 'from einops import rearrange', forward: "return self.fc(rearrange(x, 'b c -> b c'))", range: "rearrange(x, 'b c -> b c')" },
  { construct: 'torch.autograd.grad', forward: 'x = x.requires_grad_()\ng = torch.autograd.grad(torch.sin(x).sum(), x, create_graph=True)[0]\nreturn self.fc(x + g)', range: 'torch.autograd.grad(torch.sin(x).sum(), x, create_graph=True)' },
  { construct: 'torch.nn.FancyNorm', after: 'net.norm = nn.FancyNorm(4)', forward: 'return self.fc(self.norm(x))', range: 'nn.FancyNorm' },
  { construct: 'exec()', setup: 'cfg = {}\nexec("w = 4", cfg)', width: 'cfg["w"]', range: 'exec("w = 4", cfg)' },
  // A torchvision dataset's samples are synthetic; its files (pytorch/examples' siamese network reads `.data`) are not.
  { construct: "the MNIST dataset's .data (its files are not read)", setup: 'from torchvision import datasets\nmnist = datasets.MNIST("../data", train=True, download=True)', width: 'mnist.data.shape[1] // 7', range: 'mnist.data' },
];

describe("Python front end: constructs outside the subset (40 and more), each a can't-follow diagnostic at its range", () => {
  before(ready);

  it('has at least 40 cases', () => assert.ok(UNSUPPORTED.length >= 40, String(UNSUPPORTED.length)));

  for (const c of UNSUPPORTED) {
    it(c.construct, async () => {
      const text = program(c);
      const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
      const follow = r.diagnostics.filter((d) => d.code === 'python/cant-follow');
      const said = r.diagnostics.map((d) => `${d.code}: ${d.message} at ${JSON.stringify(at(text, d.range))}`).join('\n');
      assert.ok(!r.diagnostics.some((d) => d.code === 'python/raises'), `a Python exception the real script would not raise:\n${said}`);
      assert.equal(follow.length, 1, said);
      const [d] = follow;
      assert.equal(d.severity, 'info');
      assert.ok(d.message.includes(c.construct), `${d.message} names ${c.construct}`);
      assert.match(d.message, /^Gradient Lens can't follow .* here$/);
      assert.equal(at(text, d.range), c.range, said);
    });
  }
});
