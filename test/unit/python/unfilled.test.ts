/**
 * A loop over a file's lines is not followed (no file is read), so what it fills is unknown: a
 * language model's vocabulary built by its data helper (`corpus.dictionary.add_word(word)` for each
 * word of each line) is not an empty dict. len() of it is the file's "can't follow", at the open()
 * call, not an nn.Embedding of 0 words raised as the script's error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysePython } from '../../../src/worker/python';
import type { PythonSources } from '../../../src/model/python/imports';
import { at, ready } from './support';

const TRAIN = `
model = nn.Sequential(nn.Embedding(vocab_size, 8), nn.Flatten(), nn.Linear(8 * 5, vocab_size))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(3):
    inputs = torch.randint(0, vocab_size, (4, 5))
    targets = torch.randint(0, vocab_size, (4,))
    loss = nn.CrossEntropyLoss()(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
`;

const HELPER = `import torch


class Vocabulary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = {}

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word[len(self.word2idx)] = word
            self.word2idx[word] = len(self.word2idx)

    def __len__(self):
        return len(self.word2idx)


class TextFile(object):
    def __init__(self):
        self.vocab = Vocabulary()

    def read(self, path):
        with open(path, 'r') as f:
            for line in f:
                for word in line.split() + ['<eos>']:
                    self.vocab.add_word(word)
`;

const MAIN = `import torch
import torch.nn as nn
from text_utils import TextFile

text = TextFile()
text.read('data/train.txt')
vocab_size = len(text.vocab)
${TRAIN}`;

function folderSources(): PythonSources {
  return {
    read: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    },
    isFolder: (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false,
  };
}

/** The script (its vocabulary read from corpus.txt, then TRAIN) says one thing: the file read is not followed, at open(). */
async function onlyTheFileRead(vocabulary: string): Promise<void> {
  const text = `import torch\nimport torch.nn as nn\n\n${vocabulary}${TRAIN}`;
  const r = await analysePython({ text, fileName: 'lm.py', steps: 3 });
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.message} at ${at(text, d.range)}`),
    ["Gradient Lens can't follow open() (file I/O) here at open('corpus.txt')"],
  );
}

describe('containers a skipped loop over a file may have filled: their len() is the file read not followed', () => {
  before(ready);

  it('a vocabulary dict filled from a file in the script itself: the can\'t-follow at open(), no Embedding of 0 words', async () => {
    await onlyTheFileRead(`word2idx = {}
with open('corpus.txt') as f:
    for line in f:
        for word in line.split():
            word2idx.setdefault(word, len(word2idx))
vocab_size = len(word2idx)
`);
  });

  it('a word list filled from a file, made a vocabulary by sorted(set(words)): the can\'t-follow at open(), not an empty vocabulary', async () => {
    await onlyTheFileRead(`words = []
for line in open('corpus.txt'):
    words.extend(line.split())
vocab = sorted(set(words))
vocab_size = len(vocab)
`);
  });

  it('the vocabulary built by a helper module (its Corpus fills self.vocab.word2idx): the can\'t-follow in the helper, at its open()', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gl-unfilled-'));
    try {
      writeFileSync(join(root, 'text_utils.py'), HELPER);
      writeFileSync(join(root, 'main.py'), MAIN);
      const r = await analysePython({ text: MAIN, fileName: join(root, 'main.py'), steps: 3, sources: folderSources() });
      const d = r.diagnostics.map((x) => ({ file: x.range.file ?? 'main.py', message: x.message, text: at(x.range.file ? HELPER : MAIN, x.range) }));
      assert.deepEqual(d[0], { file: join(root, 'text_utils.py'), message: "Gradient Lens can't follow open() (file I/O) here", text: "open(path, 'r')" });
      assert.ok(!r.diagnostics.some((x) => /Embedding|num_embeddings/.test(x.message)), JSON.stringify(r.diagnostics.map((x) => x.message)));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('index lists appended over a file\'s words and made tensors (makemore\'s X = torch.tensor(X)): the can\'t-follow at open(), not an index of unknown type', async () => {
    const text = `import torch
import torch.nn.functional as F

words = open('names.txt', 'r').read().splitlines()
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
X, Y = [], []
for w in words:
    context = [0] * 3
    for ch in w + '.':
        X.append(context)
        Y.append(stoi[ch])
        context = context[1:] + [stoi[ch]]
X = torch.tensor(X)
Y = torch.tensor(Y)
C = torch.randn((27, 10), requires_grad=True)
W = torch.randn((30, 27), requires_grad=True)
for i in range(100):
    ix = torch.randint(0, X.shape[0], (32,))
    logits = C[X[ix]].view(-1, 30) @ W
    loss = F.cross_entropy(logits, Y[ix])
    C.grad = None
    W.grad = None
    loss.backward()
    C.data += -0.1 * C.grad
    W.data += -0.1 * W.grad
`;
    const r = await analysePython({ text, fileName: 'makemore.py', steps: 3 });
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.message} at ${at(text, d.range)}`),
      ["Gradient Lens can't follow open() (file I/O) here at open('names.txt', 'r')"],
    );
  });

  it('a loop over a file that fills nothing the model uses leaves the model traced (len() of other lists as before)', async () => {
    const text = `import torch
import torch.nn as nn

notes = []
sizes = [3, 4]
for line in open('notes.txt'):
    notes.append(line)
vocab_size = 10 + len(sizes)
${TRAIN}`;
    const r = await analysePython({ text, fileName: 'lm.py', steps: 3 });
    assert.deepEqual(r.diagnostics.map((d) => d.message), []);
    assert.equal(r.analysis!.trace.steps.length, 3);
  });
});
