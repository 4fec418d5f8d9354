/**
 * The torch API as the interpreter binds it, beyond the catalogue's layers: recurrent layers and
 * cells with PyTorch's call forms and attributes, the optimisers, F.pad and transforms.Pad, a name
 * the mirror of torch lacks (not followed, never an AttributeError the real script would not raise),
 * a script that casts its model to float64, a user class that shares a catalogue layer's name,
 * 1-D pooling with PyTorch's extra keywords, torchvision's padding transforms, tqdm's bars, mixed
 * precision (torch.cuda.amp), torch.autograd.Function with its own backward, adaptive pooling to any size and nn.Module's __setattr__/__getattr__ called by name.
 */
import assert from 'node:assert/strict';
import { analysePython, PythonResult, releasePython } from '../../../src/worker/python';
import { PyModule } from '../../../src/model/python/values';
import { at, ready, trainingLoop } from './support';

const HEAD = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n';

/** A script whose training loop runs `body` as the model's forward on x (asserts inside fail the read). */
function script(init: string, forward: string, x = 'torch.randn(3, 5, 4)', y = 'torch.randn(3, 1)', opt = 'torch.optim.SGD(net.parameters(), lr=0.1)'): string {
  return `${HEAD}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
${init.replace(/^/gm, '        ')}

    def forward(self, x):
${forward.replace(/^/gm, '        ')}

net = Net()
${trainingLoop(opt, x, y)}`;
}

async function traced(text: string): Promise<PythonResult> {
  const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.code}: ${d.message} at ${at(text, d.range)}`),
    [],
  );
  assert.ok(r.analysis);
  return r;
}

describe('Python front end: torch bindings beyond the catalogue', () => {
  before(ready);

  it("a torch.autograd.Function's own backward is the gradient (a straight-through clamp passes it where the clamp is flat); a number for its gradient is PyTorch's RuntimeError at the apply call", async () => {
    const ste = (back: string) =>
      `${HEAD}
class StraightThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clamp(-1, 1)

    @staticmethod
    def backward(ctx, grad_out):
        return ${back}

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return StraightThrough.apply(self.fc(x))

net = Net()
${trainingLoop('torch.optim.SGD(net.parameters(), lr=0.1)', 'torch.randn(8, 4) * 100')}`;
    const r = await traced(ste('grad_out'));
    // Inputs of size 100 put every output on the clamp's flat part: its derivative would give no gradient.
    const t = r.analysis!.trace;
    const first = t.steps[0].params[t.params.findIndex((p) => p.name === 'fc.weight')];
    assert.ok(first.gradNorm > 1e-3, String(first.gradNorm));
    // A number for a tensor's gradient is PyTorch 1.13's RuntimeError, at the apply call.
    const text = ste('1.0');
    const bad = await analysePython({ text, fileName: 'model.py', steps: 2 });
    assert.equal(bad.diagnostics.length, 1, JSON.stringify(bad.diagnostics));
    assert.match(bad.diagnostics[0].message, /RuntimeError: expected Variable or None \(got float\)/);
    assert.equal(at(text, bad.diagnostics[0].range), 'StraightThrough.apply(self.fc(x))');
  });

  it('nn.LSTM and nn.GRU: PyTorch attributes, (output, (h_n, c_n)) and named_parameters() names', async () => {
    const r = await traced(
      script(
        "self.lstm = nn.LSTM(4, 8, num_layers=2, batch_first=True)\nself.gru = nn.GRU(8, 6, batch_first=True, bidirectional=True)\nself.head = nn.Linear(12, 1)\nassert self.lstm.hidden_size == 8 and self.lstm.num_layers == 2 and self.lstm.batch_first\nassert self.gru.bidirectional and self.gru.mode == 'GRU'",
        'out, (h, c) = self.lstm(x)\nassert tuple(out.shape) == (3, 5, 8) and tuple(h.shape) == (2, 3, 8) and tuple(c.shape) == (2, 3, 8)\nout, h = self.gru(out, None)\nassert tuple(h.shape) == (2, 3, 6)\nreturn self.head(out[:, -1, :])',
      ),
    );
    const names = r.analysis!.trace.params.map((p) => p.name);
    for (const n of ['lstm.weight_ih_l0', 'lstm.weight_hh_l1', 'lstm.bias_hh_l1', 'gru.weight_ih_l0_reverse', 'head.weight']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  });

  it('1-D pooling: nn.MaxPool1d and nn.AvgPool1d as catalogue layers (PyTorch keywords at their defaults), F.max_pool1d and F.avg_pool1d', async () => {
    const r = await traced(
      script(
        'self.conv = nn.Conv1d(5, 6, 3)\nself.pool = nn.MaxPool1d(2, stride=1, padding=1, dilation=1, return_indices=False, ceil_mode=False)\nself.avg = nn.AvgPool1d(kernel_size=2, ceil_mode=False, count_include_pad=True)\nself.head = nn.Linear(6, 1)',
        'h = self.avg(self.pool(F.relu(self.conv(x))))\nassert tuple(h.shape) == (3, 6, 1)\nh = F.avg_pool1d(F.max_pool1d(h, 1), 1, stride=None)\nreturn self.head(h.flatten(1))',
      ),
    );
    const types = r.read.model!.graph().model.children.map((c) => `${c.name}: ${c.type}`);
    assert.deepEqual(types.filter((t) => /Pool/.test(t)), ['pool: MaxPool1d', 'avg: AvgPool1d']);
  });

  it('1-D pooling with ceil_mode is followed (a last, partial window: 5 → 3), max pooling\'s return_indices on the module is not, said at the constructor', async () => {
    const text = script('self.pool = nn.MaxPool1d(2, ceil_mode=True)\nself.head = nn.Linear(6, 1)', 'return self.head(self.pool(x).flatten(1))', 'torch.randn(3, 2, 5)');
    const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
    assert.deepEqual(r.diagnostics, []);
    const over = script('self.pool = nn.AvgPool1d(2)\nself.max = nn.MaxPool2d(2, return_indices=True)\nself.head = nn.Linear(4, 1)', 'return self.head(self.pool(x).flatten(1) + self.max(x.unsqueeze(1))[0].sum())', 'torch.randn(3, 2, 5)');
    const bad = await analysePython({ text: over, fileName: 'model.py', steps: 2 });
    const d = bad.diagnostics.find((x) => x.code === 'python/cant-follow');
    assert.ok(d, bad.diagnostics.map((x) => x.message).join('; ') || 'no diagnostic');
    assert.equal(at(over, d.range), 'nn.MaxPool2d(2, return_indices=True)');
    assert.match(d.message, /MaxPool2d\(return_indices=\.\.\.\)/);
  });

  it('cells unrolled by hand (LSTMCell over x.split(1, dim=1), GRUCell) and the Transformer encoder', async () => {
    await traced(
      script(
        'self.cell = nn.LSTMCell(4, 8)\nself.gru = nn.GRUCell(8, 8)\nlayer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)\nself.enc = nn.TransformerEncoder(layer, num_layers=2)\nself.head = nn.Linear(8, 1)',
        'h = torch.zeros(x.size(0), 8)\nc = torch.zeros(x.size(0), 8)\ng = torch.zeros(x.size(0), 8)\nouts = []\nfor xt in x.split(1, dim=1):\n    h, c = self.cell(xt.squeeze(1), (h, c))\n    g = self.gru(h, g)\n    outs.append(g)\nseq = self.enc(torch.stack(outs, 1))\nreturn self.head(seq.mean(1))',
      ),
    );
  });

  it('the optimisers torch.optim offers: AdamW, RMSprop, Adagrad, Adadelta with their arguments', async () => {
    for (const opt of ['torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.1)', 'torch.optim.RMSprop(net.parameters(), lr=0.01, momentum=0.9, centered=True)', 'torch.optim.Adagrad(net.parameters(), lr=0.1)', 'torch.optim.Adadelta(net.parameters())']) {
      const r = await traced(script('self.fc = nn.Linear(4, 1)', 'return self.fc(x.mean(1))', undefined, undefined, opt));
      assert.equal(r.analysis!.trace.steps.length, 2, opt);
    }
  });

  it('F.pad and transforms.Pad pad with a constant; hasattr answers False for what torch 1.13 lacks', async () => {
    await traced(
      script(
        "self.fc = nn.Linear(4 * 10, 1)\nassert not hasattr(F, 'scaled_dot_product_attention')\nassert hasattr(F, 'relu')",
        'x = F.pad(x, (0, 0, 2, 3), value=1.0)\nassert tuple(x.shape) == (3, 10, 4)\nreturn self.fc(x.flatten(1))',
      ),
    );
  });

  it("transforms.Pad mirrors with padding_mode='reflect' (PyTorch's values) and RandomCrop pads before it crops (CIFAR's RandomCrop(32, padding=4))", async () => {
    await traced(
      script(
        'self.fc = nn.Linear(4, 1)',
        [
          'from torchvision import transforms',
          'img = torch.arange(12.).view(1, 3, 4)',
          "p = transforms.Pad(2, padding_mode='reflect')(img)",
          'assert tuple(p.shape) == (1, 7, 8)',
          'assert p[0, 0].tolist() == [10.0, 9.0, 8.0, 9.0, 10.0, 11.0, 10.0, 9.0] and p[0, 6, 7].item() == 1.0',
          'q = transforms.Pad((1, 2), fill=-1.0)(img)',
          'assert tuple(q.shape) == (1, 7, 6) and q[0, 0, 0].item() == -1.0',
          'c = transforms.RandomCrop(4, padding=1)(img)',
          'assert tuple(c.shape) == (1, 4, 4)',
          "c = transforms.RandomCrop((3, 4), padding=2, padding_mode='reflect')(img)",
          'assert tuple(c.shape) == (1, 3, 4)',
          'return self.fc(x.mean(1))',
        ].join('\n'),
      ),
    );
  });

  it('a loop wrapped in tqdm (tqdm(loader), trange, a bar kept in a name, with tqdm(total=…)) is traced as the loop it wraps', async () => {
    const text = `${HEAD}from tqdm import tqdm, trange
from tqdm.auto import tqdm as auto_tqdm
net = nn.Linear(4, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
data = [(torch.randn(8, 4), torch.randn(8, 1)) for _ in range(3)]
with tqdm(total=len(data)) as bar:
    assert len(bar) == 3
    bar.update(1)
tqdm.write('start')
for epoch in trange(2, desc='epochs'):
    pbar = auto_tqdm(data, leave=False)
    assert len(pbar) == 3
    for step, (xb, yb) in enumerate(pbar):
        opt.zero_grad()
        loss = F.mse_loss(net(xb), yb)
        loss.backward()
        opt.step()
        pbar.set_postfix(loss=loss.item())
        pbar.set_description(f'epoch {epoch}')
`;
    const r = await traced(text);
    assert.equal(r.analysis!.trace.steps.length, 2);
  });

  it('mixed precision runs as PyTorch runs it without CUDA: autocast off, GradScaler passing the loss through and stepping the optimiser', async () => {
    const text = `${HEAD}net = nn.Linear(4, 1)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
scaler = torch.cuda.amp.GradScaler()
scaler2 = torch.amp.GradScaler(enabled=False)
assert scaler.get_scale() == 1.0 and not scaler.is_enabled()
x = torch.randn(8, 4)
y = torch.randn(8, 1)

@torch.cuda.amp.autocast()
def predict(inp):
    return net(inp)

for step in range(3):
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.amp.autocast(), torch.autocast(device_type='cuda', dtype=torch.float16):
        loss = F.mse_loss(predict(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
`;
    const r = await traced(text);
    assert.equal(r.analysis!.trace.steps.length, 2);
    const clip = r.analysis!.trace.optimizer.clip;
    assert.equal(clip?.kind === 'norm' && clip.maxNorm, 1);
  });

  it("autocast on the CPU (bfloat16) is a construct Gradient Lens can't follow, at the call", async () => {
    const text = `${HEAD}net = nn.Linear(4, 1)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(8, 4)
y = torch.randn(8, 1)
for step in range(3):
    optimizer.zero_grad()
    with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
        loss = F.mse_loss(net(x), y)
    loss.backward()
    optimizer.step()
`;
    const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
    const d = r.diagnostics.find((x) => x.code === 'python/cant-follow');
    assert.ok(d, r.diagnostics.map((x) => x.message).join('; '));
    assert.match(d.message, /can't follow autocast on the CPU/);
    assert.equal(at(text, d.range), "torch.autocast(device_type='cpu', dtype=torch.bfloat16)");
  });

  it('positional arguments in PyTorch order: Conv2d(5, 10, 3, 1, 1, 1, 5, False) is groups 5 without a bias; a positional dilation 2 is a dilation, not a bias', async () => {
    const r = await traced(
      script(
        'self.conv = nn.Conv2d(5, 10, 3, 1, 1, 1, 5, False)\nassert self.conv.bias is None and tuple(self.conv.weight.shape) == (10, 1, 3, 3)\nself.up = nn.ConvTranspose2d(10, 10, 2, 2, 0, 0, 1, True)\nself.head = nn.Linear(10 * 10 * 8, 1)',
        'h = self.up(self.conv(x.unsqueeze(1).expand(-1, 5, -1, -1)))\nreturn self.head(h.flatten(1))',
      ),
    );
    assert.deepEqual(r.analysis!.trace.params.map((p) => p.name), ['conv.weight', 'up.weight', 'up.bias', 'head.weight', 'head.bias']);
    // padding 2 with dilation 2 keeps 5 × 4; read as dense (or as bias=2) it would give 7 × 6
    const dilated = await traced(
      script(
        'self.conv = nn.Conv2d(5, 10, 3, 1, 2, 2)\nassert self.conv.dilation == (2, 2)\nself.head = nn.Linear(10 * 5 * 4, 1)',
        'h = self.conv(x.unsqueeze(1).expand(-1, 5, -1, -1))\nassert tuple(h.shape[1:]) == (10, 5, 4)\nreturn self.head(h.flatten(1))',
      ),
    );
    assert.deepEqual(dilated.analysis!.trace.params.map((p) => p.name), ['conv.weight', 'conv.bias', 'head.weight', 'head.bias']);
  });

  it("padding='same' with dilation pads d·(k − 1)/2 a side as PyTorch; an odd total (PyTorch's extra pad on the right) is can't-follow", async () => {
    await traced(
      script(
        "self.conv = nn.Conv1d(5, 3, 2, padding='same', dilation=2)\nself.conv2 = nn.Conv2d(1, 2, (3, 2), padding='same', dilation=(1, 4))\nself.head = nn.Linear(3 * 4 + 2 * 3 * 4, 1)",
        'h = self.conv(x)\nassert tuple(h.shape[1:]) == (3, 4)\ng = self.conv2(h.unsqueeze(1))\nassert tuple(g.shape[1:]) == (2, 3, 4)\nreturn self.head(torch.cat([h.flatten(1), g.flatten(1)], 1))',
      ),
    );
    const text = script("self.conv = nn.Conv1d(5, 3, 2, padding='same', dilation=3)\nself.head = nn.Linear(3 * 4, 1)", 'return self.head(self.conv(x).flatten(1))');
    const d = (await analysePython({ text, fileName: 'model.py', steps: 2 })).diagnostics.find((x) => x.code === 'python/cant-follow');
    assert.ok(d);
    assert.match(d.message, /can't follow Conv1d\(padding='same'\)/);
  });

  it('F.adaptive_avg_pool2d to any size, as nn.AdaptiveAvgPool2d (None keeps a side)', async () => {
    await traced(
      script(
        'self.fc = nn.Linear(3 * 2, 1)',
        'h = x.unsqueeze(1)\nassert tuple(F.adaptive_avg_pool2d(h, (2, None)).shape) == (3, 1, 2, 4)\nassert tuple(F.adaptive_avg_pool2d(h, 1).shape) == (3, 1, 1, 1)\nreturn self.fc(F.adaptive_avg_pool2d(h, (3, 2)).flatten(1))',
      ),
    );
  });

  it('nn.PixelShuffle, nn.PixelUnshuffle, F.pixel_shuffle and torch.pixel_unshuffle: the shapes and attributes PyTorch gives', async () => {
    await traced(
      script(
        'self.conv = nn.Conv2d(5, 8, 3, padding=1)\nself.up = nn.PixelShuffle(2)\nself.down = nn.PixelUnshuffle(downscale_factor=2)\nself.fc = nn.Linear(8 * 2 * 4, 1)\nassert self.up.upscale_factor == 2 and self.down.downscale_factor == 2',
        'h = self.up(self.conv(x.unsqueeze(-1).expand(3, 5, 4, 4)))\nassert tuple(h.shape) == (3, 2, 8, 8)\nassert tuple(F.pixel_shuffle(h, 1).shape) == (3, 2, 8, 8)\nh = torch.pixel_unshuffle(F.pixel_shuffle(self.down(h), 2), 2)\nassert tuple(h.shape) == (3, 8, 4, 4)\nreturn self.fc(h[:, :, :2].flatten(1))',
      ),
    );
  });

  it("a pixel shuffle of channels not divisible by the factor's square raises PyTorch's RuntimeError at the call", async () => {
    const text = script('self.conv = nn.Conv2d(5, 6, 1)\nself.up = nn.PixelShuffle(2)\nself.fc = nn.Linear(6, 1)', 'return self.fc(self.up(self.conv(x.unsqueeze(-1))).flatten(1))');
    const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
    const d = r.diagnostics.find((x) => /RuntimeError/.test(x.message));
    assert.ok(d, r.diagnostics.map((x) => x.message).join('; ') || 'no diagnostic');
    assert.match(d.message, /pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size\(-3\)=6 is not divisible by 4/);
    assert.equal(at(text, d.range), 'self.up(self.conv(x.unsqueeze(-1)))');
  });

  it("nn.Upsample and F.interpolate in an interpolating mode are not followed, said at the call; 'nearest' and ReflectionPad2d keep PyTorch's attributes", async () => {
    for (const [init, forward, call] of [
      ["self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)\nself.fc = nn.Linear(5 * 8 * 2, 1)", 'return self.fc(self.up(x.unsqueeze(1)).flatten(1))', "nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)"],
      ['self.fc = nn.Linear(5 * 8 * 2, 1)', "return self.fc(F.interpolate(x.unsqueeze(1), scale_factor=2, mode='bicubic').flatten(1))", "F.interpolate(x.unsqueeze(1), scale_factor=2, mode='bicubic')"],
    ]) {
      const text = script(init, forward);
      const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
      const d = r.diagnostics.find((x) => x.code === 'python/cant-follow');
      assert.ok(d, r.diagnostics.map((x) => x.message).join('; ') || 'no diagnostic');
      assert.match(d.message, /can't follow (nn\.Upsample|F\.interpolate)\(mode='(bilinear|bicubic)'\)/);
      assert.equal(at(text, d.range), call);
    }
    await traced(
      script(
        "self.up = nn.Upsample(scale_factor=2, mode='nearest')\nself.pad = nn.ReflectionPad2d((1, 0, 2, 1))\nself.fc = nn.Linear(13 * 9, 1)\nassert self.up.mode == 'nearest' and self.pad.padding == (1, 0, 2, 1)",
        'h = self.pad(self.up(x.unsqueeze(1)))\nassert tuple(h.shape) == (3, 1, 13, 9)\nreturn self.fc(h.flatten(1))',
      ),
    );
  });

  it("nn.Transformer.generate_square_subsequent_mask, from the class or a model's transformer: torch 1.13's float causal mask", async () => {
    await traced(
      script(
        'self.tf = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8, dropout=0.0)\nself.fc = nn.Linear(4, 1)',
        "m = nn.Transformer.generate_square_subsequent_mask(3)\nassert m.tolist() == [[0.0, float('-inf'), float('-inf')], [0.0, 0.0, float('-inf')], [0.0, 0.0, 0.0]]\nassert m.dtype == torch.float32\ntgt = x.transpose(0, 1)\nout = self.tf(tgt, tgt, tgt_mask=self.tf.generate_square_subsequent_mask(tgt.size(0)))\nreturn self.fc(out[-1])",
      ),
    );
  });

  it("a torch name the mirror lacks is a value Gradient Lens can't follow, at its range, never an AttributeError", async () => {
    const text = script('self.fc = nn.Linear(4, 1)\nself.norm = nn.FancyNorm(4)', 'return self.fc(self.norm(x).mean(1))');
    const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
    assert.ok(!r.diagnostics.some((d) => /AttributeError/.test(d.message)), r.diagnostics.map((d) => d.message).join('; '));
    const d = r.diagnostics.find((x) => x.code === 'python/cant-follow');
    assert.ok(d, r.diagnostics.map((x) => x.message).join('; '));
    assert.match(d.message, /can't follow torch\.nn\.FancyNorm/);
    assert.equal(at(text, d.range), 'nn.FancyNorm');
  });

  it('a script that casts its model to float64 is traced in float64 when no dtype was chosen', async () => {
    const text = script('self.fc = nn.Linear(4, 1)', 'return self.fc(x.mean(1))', 'torch.randn(3, 5, 4, dtype=torch.double)', 'torch.randn(3, 1).double()').replace('net = Net()', 'net = Net()\nnet.double()');
    const r = await traced(text);
    assert.equal(r.analysis!.trace.dtype, 'float64');
    const chosen = await analysePython({ text, fileName: 'model.py', steps: 2, dtype: 'float32' });
    assert.match(chosen.diagnostics.map((d) => d.message).join('; '), /a model cast to float64 in a float32 run/);
  });

  it("Linear(bias=False).bias is None; a user's class named like a catalogue layer is not that layer to the rules", async () => {
    const text = `${HEAD}
class LayerNorm(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, None, 1e-5)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = LayerNorm(4)
        self.fc = nn.Linear(4, 1, bias=False)
        assert self.fc.bias is None

    def forward(self, x):
        return self.fc(self.ln(x))

net = Net()
${trainingLoop()}`;
    const r = await traced(text);
    const graph = r.read.model!.graph();
    assert.deepEqual(
      graph.model.children.map((c) => c.type),
      ['__main__.LayerNorm', 'Linear'],
    );
  });

  it("the loop's clip_grad_norm_ is the trace's gradient clipping, and the exploding-through-time finding knows the loop clips", async () => {
    // the examples' LSTM with a recurrent weight drawn with std 1.5: its gradient explodes through time
    const text = (clip: string) => `${HEAD}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 16, batch_first=True)
        nn.init.normal_(self.lstm.weight_hh_l0, std=1.5)
        self.head = nn.Linear(480, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out.flatten(1))

torch.manual_seed(0)
net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(8, 30, 4)
y = torch.randn(8, 1)
for step in range(3):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
${clip}    opt.step()
`;
    const clipped = await traced(text('    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)\n'));
    assert.deepEqual({ ...clipped.analysis!.trace.optimizer }, { type: 'SGD', lr: 0.1, clip: { kind: 'norm', maxNorm: 1, normType: 2 } });
    // the engine's optimiser clipped before each step, as the loop does
    assert.ok(clipped.analysis!.trace.steps.every((st) => st.clip && st.clip.scale !== null && st.clip.scale < 1), JSON.stringify(clipped.analysis!.trace.steps[0].clip));
    const plain = await traced(text(''));
    assert.equal(plain.analysis!.trace.optimizer.clip, null);
    const rules = (r: PythonResult) => r.analysis!.findings.map((f) => f.rule);
    assert.ok(rules(plain).includes('gradient-through-time'), `unclipped: ${rules(plain).join(', ')}`);
    assert.ok(!rules(clipped).includes('gradient-through-time'), `clipped: ${rules(clipped).join(', ')}`);
    // a fix the script's syntax cannot write yet (clip_grad_norm_ in its loop) is not offered empty
    for (const f of plain.analysis!.findings) for (const x of f.fixes) assert.ok(x.edits.length > 0, `${f.rule}: ${x.title}`);
  });

  it("Bernoulli draws: EfficientNet's drop-connect (mask.bernoulli_(keep), x.div_(keep), x.mul_(mask)), torch.bernoulli and PyTorch's errors", async () => {
    // Frequencies as torch 1.13 draws them (seed 0: 0.8045 and 0.2415 of 4000); the draws themselves differ.
    await traced(
      script(
        'self.fc = nn.Linear(4, 3)\nself.head = nn.Linear(3, 1)',
        [
          'm = torch.empty(4000).bernoulli_(0.8)',
          'assert bool(((m == 0) | (m == 1)).all()) and abs(m.mean().item() - 0.8) < 0.03',
          'assert abs(torch.bernoulli(torch.full((4000,), 0.25)).mean().item() - 0.25) < 0.03',
          'assert torch.full((3,), 0.5).bernoulli().shape == (3,) and torch.bernoulli(torch.zeros(3), 1.0).sum().item() == 3',
          'try:\n    torch.empty(3).bernoulli_(1.5)\n    raise AssertionError("p out of range")\nexcept RuntimeError as e:\n    assert str(e) == "bernoulli_ expects p to be in [0, 1], but got p=1.5", str(e)',
          'try:\n    self.fc.weight.bernoulli_(0.5)\n    raise AssertionError("an in-place draw on a parameter")\nexcept RuntimeError as e:\n    assert "leaf Variable" in str(e)',
          'h = self.fc(x[:, 0])',
          'mask = torch.empty([h.shape[0], 1], dtype=h.dtype, device=h.device)',
          'mask.bernoulli_(0.5)',
          'h.div_(0.5)',
          'h.mul_(mask)',
          'return self.head(h)',
        ].join('\n'),
      ),
    );
  });

  it("DropBlock's and drop path's helpers: torch.meshgrid ('ij' and 'xy', a list too) and floor_ on a random draw", async () => {
    // The grids and the error as torch 1.13 gives them.
    await traced(
      script(
        'self.fc = nn.Linear(4, 3)\nself.head = nn.Linear(3, 1)',
        [
          'a, b = torch.arange(3), torch.arange(2)',
          "gi, gj = torch.meshgrid(a, b, indexing='ij')",
          'assert gi.tolist() == [[0, 0], [1, 1], [2, 2]] and gj.tolist() == [[0, 1], [0, 1], [0, 1]]',
          "gx, gy = torch.meshgrid([a, b], indexing='xy')",
          'assert gx.tolist() == [[0, 1, 2], [0, 1, 2]] and gy.tolist() == [[0, 0, 0], [1, 1, 1]]',
          'try:\n    torch.meshgrid(a, b, indexing="yx")\n    raise AssertionError("indexing yx")\nexcept RuntimeError as e:\n    assert str(e) == \'torch.meshgrid: indexing must be one of "xy" or "ij", but received: yx\', str(e)',
          'h = self.fc(x[:, 0])',
          'keep = 0.8',
          'r = keep + torch.rand((h.shape[0],) + (1,) * (h.ndim - 1), dtype=h.dtype)',
          'r.floor_()',
          'assert bool(((r == 0) | (r == 1)).all())',
          'return self.head(h.div(keep) * r)',
        ].join('\n'),
      ),
    );
  });

  it("a dim out of range is PyTorch's IndexError (the All-CNN file's torch.mean(torch.mean(x, 2), 3))", async () => {
    const text = script('self.head = nn.Linear(4, 1)', 'try:\n    x.mean(3)\n    raise AssertionError("mean over dim 3 of a 3-D tensor")\nexcept IndexError as e:\n    assert str(e) == "Dimension out of range (expected to be in range of [-3, 2], but got 3)", str(e)\nreturn self.head(torch.mean(torch.mean(x, 1), 2))');
    const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.message} at ${at(text, d.range)}`),
      ['the model fails here: IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2) at torch.mean(torch.mean(x, 1), 2)'],
    );
  });

  it("nn.Module's __setattr__, __getattr__ and __delattr__ called by name (DLA's computed subtree names, a wrapper's super().__getattr__ fallback)", async () => {
    // As torch 1.13 runs it: __getattr__ finds only what is registered, so a plain attribute raises.
    const r = await traced(`${HEAD}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.width = 4
        for i in range(2):
            self.__setattr__('fc_%d' % i, nn.Linear(4, 4))
        self.__setattr__('extra', nn.Linear(2, 2))
        self.__delattr__('extra')
        self.head = nn.Linear(4, 1)
        try:
            self.__getattr__('width')
            raise AssertionError('a plain attribute was found')
        except AttributeError as e:
            assert str(e) == "'Net' object has no attribute 'width'", str(e)

    def forward(self, x):
        for i in range(2):
            x = torch.relu(self.__getattr__('fc_%d' % i)(x))
        return self.head(x)

class Wrapper(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.inner, name)

    def forward(self, x):
        assert self.width == 4 and self.head.out_features == 1
        return self.inner(x)

net = Wrapper(Net())
${trainingLoop()}`);
    assert.deepEqual(
      r.analysis!.trace.params.map((p) => p.name).sort(),
      ['inner.fc_0.bias', 'inner.fc_0.weight', 'inner.fc_1.bias', 'inner.fc_1.weight', 'inner.head.bias', 'inner.head.weight'],
    );
  });
});

describe('Python front end: torch bindings kept from one run for the next', () => {
  before(ready);

  const SEED = `${HEAD}
net = nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 1))
nn.init.normal_(net[0].weight, std=5.0)
${trainingLoop()}`;
  /** A script that changes torch's modules as a script may (an attribute set, a function replaced). */
  const MEDDLER = `${HEAD}
nn.extra = 1
F.relu = None
torch.nn.Linear = None
`;
  /** Asserts that none of that reached it (an assertion that fails is a diagnostic). */
  const CHECK = `${HEAD}
assert not hasattr(nn, 'extra')
assert F.relu is not None and torch.nn.Linear is not None and nn.Linear is torch.nn.Linear
`;
  const read = (text: string) => analysePython({ text, fileName: 'model.py', steps: 3 });
  const steps = (r: PythonResult) => JSON.stringify(r.analysis!.trace.steps);

  it('torch.randint in each of PyTorch\'s forms, size and high by keyword too (forward-forward\'s randint(n, size=(1,))); the factories\' size= (GAT)', async () => {
    await traced(
      script(
        'self.head = nn.Linear(4, 1)',
        [
          'a = torch.randint(7, size=(1,))',
          'b = torch.randint(2, 5, (3, 2))',
          'c = torch.randint(3, (2,))',
          'd = torch.randint(low=1, high=4, size=(5,))',
          'e = torch.randint(0, high=2, size=(2,), dtype=torch.long)',
          'assert a.shape == (1,) and 0 <= a.item() < 7 and a.dtype == torch.int64',
          'assert b.shape == (3, 2) and bool(((b >= 2) & (b < 5)).all())',
          'assert c.shape == (2,) and d.shape == (5,) and int(d.min()) >= 1 and int(d.max()) < 4 and e.shape == (2,)',
          // The factories' shape by keyword, as GAT's nn.Parameter(torch.empty(size=(n, m))).
          'assert torch.empty(size=(2, 3)).shape == (2, 3) and torch.zeros(size=[4]).shape == (4,) and torch.randn(size=(1, 2)).shape == (1, 2)',
          'return self.head(x[:, 0])',
        ].join('\n'),
      ),
    );
  });

  it('a released run\'s bindings serve the next run: the same loss and gradients as new ones, and nothing a script set on torch reaches it', async () => {
    const fresh = await read(SEED);
    assert.ok(fresh.analysis, fresh.diagnostics.map((d) => d.message).join('; '));
    const meddler = await read(MEDDLER);
    assert.deepEqual(meddler.diagnostics.map((d) => d.message), [], 'the script changed torch\'s modules');
    assert.equal((meddler.read.interp!.modules.get('torch.nn') as PyModule).dict.get('extra'), 1n);
    const linear = (r: PythonResult) => (r.read.interp!.modules.get('torch.nn') as PyModule).dict.get('Linear');
    releasePython(meddler);
    const check = await read(CHECK);
    assert.deepEqual(check.diagnostics.map((d) => d.message), [], 'what the last script set stayed in its run');
    releasePython(check);
    const reused = await read(SEED);
    assert.equal(linear(reused), linear(check), 'the bindings were reused');
    assert.notEqual(linear(reused), linear(fresh), 'the first run had bindings of its own (never released)');
    assert.notEqual(reused.read.interp!.modules.get('torch.nn'), check.read.interp!.modules.get('torch.nn'), 'each run has its own module objects');
    assert.equal(steps(reused), steps(fresh));
    assert.deepEqual(reused.analysis!.findings.map((f) => f.message), fresh.analysis!.findings.map((f) => f.message));
  });
});
