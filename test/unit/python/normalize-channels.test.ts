/**
 * transforms.Normalize against the dataset's channels as torchvision 0.14 applies it, in place over
 * a (C, 1, 1) view: one mean/std for every channel or one for each, else the broadcasting error
 * torch 1.13 raises where the sample is loaded. yunjey/pytorch-tutorial's GAN normalises MNIST's
 * one channel with (0.5, 0.5, 0.5): its script stops there when run, and so does the trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { analysePython } from '../../../src/worker/python';
import { PYTHON, requireTorch } from '../../support/torch';
import { at, ready } from './support';

const script = (dataset: string, transform: string, pixels = dataset === 'MNIST' ? 28 * 28 : 3 * 32 * 32) => `import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as transforms

transform = ${transform}
data = torchvision.datasets.${dataset}(root='data', train=True, transform=transform, download=True)
loader = torch.utils.data.DataLoader(dataset=data, batch_size=8, shuffle=True)
model = nn.Sequential(nn.Flatten(), nn.Linear(${pixels}, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for images, labels in loader:
    loss = nn.CrossEntropyLoss()(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
`;

const RGB = 'transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))])';

async function messages(text: string): Promise<string[]> {
  const r = await analysePython({ text, fileName: 'gan.py', steps: 2 });
  return r.diagnostics.map((d) => `${d.message} at ${at(text, d.range)}`);
}

describe('transforms.Normalize against the image channels, as torchvision 0.14 under torch 1.13', () => {
  before(ready);

  it("three means on MNIST's one channel: torch's RuntimeError where the loop loads the batch", async () => {
    const said = await messages(script('MNIST', RGB));
    assert.equal(said.length, 1, said.join('\n'));
    assert.match(said[0], /RuntimeError: output with shape \[1, 28, 28\] doesn't match the broadcast shape \[3, 28, 28\] at /);
  });

  it('the same when each sample is transformed alone (a crop before ToTensor), and two means on CIFAR-10 three channels', async () => {
    const cropped = await messages(script('MNIST', 'transforms.Compose([transforms.RandomCrop(28), transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])'));
    assert.match(cropped.join('\n'), /output with shape \[1, 28, 28\] doesn't match the broadcast shape \[3, 28, 28\]/);
    const two = await messages(script('CIFAR10', 'transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5), (0.5, 0.5))])'));
    assert.match(two.join('\n'), /The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0/);
  });

  it('one mean for every channel, or one for each, is traced', async () => {
    assert.deepEqual(await messages(script('MNIST', 'transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])')), []);
    assert.deepEqual(await messages(script('CIFAR10', RGB)), []);
    assert.deepEqual(await messages(script('CIFAR10', 'transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])')), []);
  });

  it("the messages are torch 1.13's own for the in-place sub_ torchvision makes", function () {
    requireTorch(this, "torch's broadcasting errors");
    // The program on stdin (a `-c 'import torch` probe is what the torch gate forbids: requireTorch gates this test).
    const program = 'import torch\nfor c, k in [(1, 3), (3, 2)]:\n    try:\n        torch.zeros(c, 28, 28).sub_(torch.zeros(k, 1, 1))\n    except RuntimeError as e:\n        print(e)\n';
    const r = spawnSync(PYTHON, ['-'], { input: program, encoding: 'utf8' });
    assert.deepEqual(r.stdout.trim().split('\n'), ["output with shape [1, 28, 28] doesn't match the broadcast shape [3, 28, 28]", 'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0']);
  });
});
