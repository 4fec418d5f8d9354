/**
 * torchvision.models read from Gradient Lens's own Python source of them: the module tree and
 * parameter names are torchvision's (the parity suite checks them against torchvision 0.14 itself),
 * every layer inside is traced and shown at the user's constructor call, and what cannot be
 * followed (pretrained weights, a model it does not have) is said at the argument or call.
 */
import assert from 'node:assert/strict';
import { readPython, type PythonRead } from '../../../src/model/python/front';
import { at, ready } from './support';

const HEAD = `import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as models
`;

/** Two SGD steps of `net` on a 2x3x32x32 batch of 10 classes. */
const LOOP = `opt = torch.optim.SGD(net.parameters(), lr=0.01)
x = torch.randn(2, 3, 32, 32)
y = torch.randint(0, 10, (2,))
for step in range(2):
    opt.zero_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
`;

function read(src: string): PythonRead {
  return readPython(src, { fileName: 'train.py', steps: 2 });
}

function names(r: PythonRead): string[] {
  return r.model!.training.built.module.namedParameters().map(([n]) => n);
}

/** The sample standard deviation of a parameter's values. */
function std(r: PythonRead, name: string): number {
  const t = r.model!.training.built.module.namedParameters().find(([n]) => n === name)![1];
  const d = Array.from(t.data as Float32Array);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  return Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1));
}

describe('torchvision.models in the Python front end', function () {
  before(ready);

  it('resnet18(num_classes=10) has torchvision\'s parameter names in its order, and its layers are shown at the constructor call with their path', () => {
    const src = `${HEAD}net = models.resnet18(num_classes=10)\n${LOOP}`;
    const r = read(src);
    assert.deepEqual(r.diagnostics, []);
    const n = names(r);
    assert.equal(n.length, 62);
    assert.deepEqual(n.slice(0, 4), ['conv1.weight', 'bn1.weight', 'bn1.bias', 'layer1.0.conv1.weight']);
    assert.ok(n.includes('layer2.0.downsample.0.weight') && n.includes('layer4.1.conv2.weight'));
    assert.deepEqual(n.slice(-2), ['fc.weight', 'fc.bias']);
    const site = r.model!.sites('layer4.1.conv2')!;
    assert.equal(site.type, 'Conv2d');
    assert.equal(at(src, site.created), 'models.resnet18(num_classes=10)');
    assert.equal(at(src, site.callee), 'models.resnet18');
    assert.equal(site.created.file, undefined);
    // torchvision's initialisation: He normal with fan_out for the convolutions (std sqrt(2 / (64·7·7)) for conv1), unit BatchNorm scale.
    assert.ok(Math.abs(std(r, 'conv1.weight') / Math.sqrt(2 / (64 * 49)) - 1) < 0.05, `conv1 std ${std(r, 'conv1.weight')}`);
    assert.ok(Math.abs(std(r, 'layer4.1.conv2.weight') / Math.sqrt(2 / (512 * 9)) - 1) < 0.05);
    assert.equal(std(r, 'bn1.weight'), 0);
    r.release();
  });

  it('the script changes the model as with torchvision: a new fc, a layer read by index, a backbone inside the user\'s module', () => {
    const src = `${HEAD}class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = models.resnet18(weights=None)
        self.features = self.backbone.fc.in_features
        self.backbone.fc = nn.Identity()
        self.head = nn.Linear(self.features, 10)

    def forward(self, x):
        return self.head(self.backbone(x))

net = Siamese()
assert isinstance(net.backbone.layer4[1].conv2, nn.Conv2d)
assert net.backbone.layer4[1].conv2.out_channels == 512
${LOOP}`;
    const r = read(src);
    assert.deepEqual(r.diagnostics, []);
    const n = names(r);
    assert.ok(n.includes('backbone.layer4.1.conv2.weight'));
    assert.ok(!n.includes('backbone.fc.weight'));
    assert.deepEqual(n.slice(-2), ['head.weight', 'head.bias']);
    assert.equal(at(src, r.model!.sites('backbone.layer1.0.bn2')!.created), 'models.resnet18(weights=None)');
    r.release();
  });

  // VGG and AlexNet are left to the parity suite: their classifiers' 100M weights take tens of seconds to initialise here.
  it('mobilenet_v2 read through `import torchvision`, with torchvision\'s names and init', () => {
    const mobile = read(`import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torchvision\nnet = torchvision.models.mobilenet_v2(num_classes=10)\n${LOOP}`);
    assert.deepEqual(mobile.diagnostics, []);
    const n = names(mobile);
    assert.equal(n.length, 158);
    assert.ok(n.includes('features.1.conv.0.0.weight') && n.includes('features.18.1.bias'));
    assert.ok(Math.abs(std(mobile, 'classifier.1.weight') / 0.01 - 1) < 0.05);
    mobile.release();
  });

  it('the submodules import as torchvision\'s do: `from torchvision.models.resnet import BasicBlock, ResNet`', () => {
    const r = read(`${HEAD}from torchvision.models.resnet import BasicBlock, ResNet\nnet = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)\n${LOOP}`);
    assert.deepEqual(r.diagnostics, []);
    assert.ok(names(r).includes('layer4.0.downsample.1.bias'));
    assert.ok(!names(r).includes('layer4.1.conv1.weight'));
    r.release();
  });

  for (const [arg, where] of [
    ['weights=models.ResNet18_Weights.DEFAULT', 'weights=models.ResNet18_Weights.DEFAULT'],
    ['weights="IMAGENET1K_V1"', 'weights="IMAGENET1K_V1"'],
    ['pretrained=True', 'pretrained=True'],
    ['True', 'True'],
  ]) {
    it(`pretrained weights (${arg}) are not followed, said at the argument`, () => {
      const src = `${HEAD}net = models.resnet18(${arg})\n${LOOP}`;
      const r = read(src);
      assert.equal(r.model, null);
      const d = r.diagnostics.find((x) => x.code === 'python/cant-follow');
      assert.ok(d, JSON.stringify(r.diagnostics));
      assert.equal(at(src, d.range), where);
      assert.match(d.message, /pretrained weights \(resnet18\(.*\)\): torchvision would download them, Gradient Lens downloads nothing/);
      r.release();
    });
  }

  it('a model it does not have (vit_b_16) is not followed at the call', () => {
    const src = `${HEAD}net = models.vit_b_16()\n${LOOP}`;
    const r = read(src);
    assert.equal(r.model, null);
    const d = r.diagnostics.find((x) => x.code === 'python/cant-follow');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.match(d.message, /torchvision\.models\.vit_b_16/);
    assert.ok(at(src, d.range).startsWith('models.vit_b_16'), at(src, d.range));
    r.release();
  });

  it('an exception inside torchvision\'s code is shown at the user\'s call, never at a line of a file the user does not have', () => {
    const src = `${HEAD}net = models.resnet18(num_classes=10)\nout = net(torch.randn(2, 5, 32, 32))\n`;
    const r = read(src);
    const d = r.diagnostics.find((x) => x.code === 'python/raises');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.equal(d.range.file, undefined);
    assert.equal(at(src, d.range), 'net(torch.randn(2, 5, 32, 32))');
    assert.match(d.message, /\(inside torchvision\.models\)$/);
    assert.ok(d.related.every((x) => x.range.file === undefined));
    r.release();
  });
});
