/**
 * Notebooks in the style of the Udacity PyTorch course (udacity/deep-learning-v2-pytorch), read as
 * they are: magics, a sibling module imported (`import fc_model`) whose train() resizes the batch in
 * place (`images.resize_(images.size()[0], 784)`) and calls `model.forward(images)`, a ModuleList of
 * hidden layers before the output layer, a validation pass with `ps.topk(1, dim=1)` under
 * `torch.no_grad()` and `model.eval()`. Our own files, written in that style.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_TIME_LIMIT, runCli } from '../../support/cli';
import { notebookJson, printsAsTorch, ready } from './support';

const NETWORK = `import torch
from torch import nn
import torch.nn.functional as F


class Network(nn.Module):
    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__()
        self.hidden_layers = nn.ModuleList([nn.Linear(input_size, hidden_layers[0])])
        layer_sizes = zip(hidden_layers[:-1], hidden_layers[1:])
        self.hidden_layers.extend([nn.Linear(h1, h2) for h1, h2 in layer_sizes])
        self.output = nn.Linear(hidden_layers[-1], output_size)
        self.dropout = nn.Dropout(p=drop_p)

    def forward(self, x):
        for each in self.hidden_layers:
            x = self.dropout(F.relu(each(x)))
        return F.log_softmax(self.output(x), dim=1)


def validation(model, loader, criterion):
    accuracy = 0
    for images, labels in loader:
        images = images.resize_(images.size()[0], 784)
        ps = torch.exp(model.forward(images))
        top_p, top_class = ps.topk(1, dim=1)
        equals = top_class == labels.view(*top_class.shape)
        accuracy += torch.mean(equals.type(torch.FloatTensor))
    return accuracy


def train(model, trainloader, testloader, criterion, optimizer, epochs=2):
    for e in range(epochs):
        model.train()
        for images, labels in trainloader:
            images.resize_(images.size()[0], 784)
            optimizer.zero_grad()
            loss = criterion(model.forward(images), labels)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = validation(model, testloader, criterion)
        model.train()
`;

const NOTEBOOK = [
  '# md\n# Saving and loading models\n',
  `%matplotlib inline
%config InlineBackend.figure_format = 'retina'
import torch
from torch import nn, optim
from torchvision import datasets, transforms
import fc_model
`,
  `transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
trainset = datasets.FashionMNIST('F_MNIST_data/', download=True, train=True, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=32, shuffle=True)
testset = datasets.FashionMNIST('F_MNIST_data/', download=True, train=False, transform=transform)
testloader = torch.utils.data.DataLoader(testset, batch_size=32, shuffle=True)
`,
  `model = fc_model.Network(784, 10, [64, 32])
criterion = nn.NLLLoss()
optimizer = optim.Adam(model.parameters(), lr=0.001)
`,
  'fc_model.train(model, trainloader, testloader, criterion, optimizer, epochs=2)\n',
];

describe('Udacity-course-style notebooks: resize_, model.forward, ModuleList before the output layer, topk', function () {
  let dir = '';
  before(async () => {
    await ready();
    dir = mkdtempSync(join(tmpdir(), 'gl-course-'));
    writeFileSync(join(dir, 'fc_model.py'), NETWORK);
    writeFileSync(join(dir, 'saving.ipynb'), notebookJson(NOTEBOOK));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Tensor.resize_ and topk print what torch 1.13 prints (errors included), and topk passes the gradient to the chosen elements', function () {
    printsAsTorch(this, 'resize_topk.py');
  });

  it('traces the notebook on the batch the imported train() feeds model.forward, with no loss-activation finding on its log_softmax output', async () => {
    const r = await runCli(['trace', join(dir, 'saving.ipynb'), '--steps', '3', '--format', 'json', ...NO_TIME_LIMIT]);
    assert.equal(r.code, 0, r.err + r.out);
    const out = JSON.parse(r.out) as { findings: { rule: string }[]; trace: { batchSize: number; data: { input: { std: number } } } };
    // model.forward(x) is the model's call: its batch is the loader's 32 images, not a placeholder of 1.
    assert.equal(out.trace.batchSize, 32);
    assert.ok(out.trace.data.input.std > 0.1, 'the input summary is the images');
    // The output layer comes after the ModuleList the forward loops over: its log_softmax is what reaches NLLLoss.
    assert.deepEqual(out.findings.filter((f) => f.rule === 'loss-activation-mismatch'), []);
  });

  it('a model of the same class run once before another is trained keeps its own log_softmax (Part 5: an untrained look at a batch first)', async () => {
    const cells = [
      NOTEBOOK[1].replace('import fc_model\n', 'import torch.nn.functional as F\n'),
      NOTEBOOK[2],
      `class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(x.shape[0], -1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)
`,
      `model = Classifier()
images, labels = next(iter(testloader))
ps = torch.exp(model(images))
top_p, top_class = ps.topk(1, dim=1)
`,
      `model = Classifier()
criterion = nn.NLLLoss()
optimizer = optim.Adam(model.parameters(), lr=0.003)
for images, labels in trainloader:
    optimizer.zero_grad()
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer.step()
`,
    ];
    writeFileSync(join(dir, 'inference.ipynb'), notebookJson(cells));
    const r = await runCli(['trace', join(dir, 'inference.ipynb'), '--steps', '3', '--format', 'json', ...NO_TIME_LIMIT]);
    assert.equal(r.code, 0, r.err + r.out);
    const out = JSON.parse(r.out) as { findings: { rule: string }[] };
    assert.deepEqual(out.findings.filter((f) => f.rule === 'loss-activation-mismatch'), []);
  });

  it('resizing a tensor that requires a gradient stops where torch stops', async () => {
    const bad = NOTEBOOK.slice(0, 4).concat(['x = torch.zeros(3, requires_grad=True)\nx.resize_(6)\n', NOTEBOOK[4]]);
    writeFileSync(join(dir, 'bad.ipynb'), notebookJson(bad));
    const r = await runCli(['trace', join(dir, 'bad.ipynb'), ...NO_TIME_LIMIT]);
    assert.equal(r.code, 2);
    assert.match(r.err + r.out, /cell 5:2:1: the script stops here when run: RuntimeError: cannot resize variables that require grad/);
  });
});
