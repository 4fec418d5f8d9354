/**
 * collections.Counter as CPython 3.11 runs it: the sentiment-RNN notebook's vocabulary
 * (`sorted(counts, key=counts.get, reverse=True)`), a missing word's count 0, most_common, update and
 * subtract, the multiset operators; and the vocabulary's size reaching the model it sizes.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { printsAsTorch, ready } from './support';

describe('Python front end: collections.Counter as CPython 3.11', () => {
  before(ready);

  it('prints what CPython prints beside torch 1.13 (counts, vocabulary order, most_common, update/subtract, + - | &, repr)', function () {
    printsAsTorch(this, 'collections_counter.py');
  });

  it("a vocabulary counted with Counter sizes the Embedding the training loop trains: no can't-follow", async () => {
    const text = `import torch
import torch.nn as nn
from collections import Counter

words = "a b b c c c".split()
counts = Counter(words)
vocab = sorted(counts, key=counts.get, reverse=True)
vocab_to_int = {w: i for i, w in enumerate(vocab, 1)}
ids = torch.tensor([[vocab_to_int[w] for w in words]])
net = nn.Sequential(nn.Embedding(len(vocab_to_int) + 1, 4), nn.Flatten(), nn.Linear(24, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(2):
    opt.zero_grad()
    loss = net(ids).pow(2).mean()
    loss.backward()
    opt.step()
`;
    const r = await analysePython({ text, fileName: 'vocab.py', steps: 2 });
    assert.deepEqual(r.diagnostics.filter((d) => d.code === 'python/cant-follow' || d.code === 'python/raises'), []);
    // Three words and the padding index: Embedding(4, 4).
    const emb = r.analysis!.trace.params.find((p) => p.name === '0.weight');
    assert.deepEqual(emb?.shape, [4, 4]);
    assert.equal(r.analysis!.trace.steps.length, 2);
  });
});
