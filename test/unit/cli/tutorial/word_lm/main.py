import torch
import torch.nn as nn
from corpus_utils import TextCorpus

corpus = TextCorpus()
ids = corpus.load('data/train.txt', 4)
vocab_size = len(corpus.vocab)


class WordLM(nn.Module):
    def __init__(self, vocab_size, embed_size=16, hidden_size=32):
        super(WordLM, self).__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, batch_first=True)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.linear(out.reshape(-1, out.size(2)))


model = WordLM(vocab_size)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
for i in range(0, ids.size(1) - 8, 8):
    inputs = ids[:, i:i + 8]
    targets = ids[:, i + 1:i + 9]
    loss = criterion(model(inputs), targets.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
