import torch


class Vocab(object):
    def __init__(self):
        self.index = {}
        self.words = []

    def add(self, word):
        if word not in self.index:
            self.index[word] = len(self.words)
            self.words.append(word)

    def __len__(self):
        return len(self.words)


class TextCorpus(object):
    def __init__(self):
        self.vocab = Vocab()

    def load(self, path, batch_size=4):
        count = 0
        with open(path, 'r') as f:
            for line in f:
                for word in line.split() + ['<eos>']:
                    self.vocab.add(word)
                    count += 1
        ids = torch.zeros(count, dtype=torch.long)
        return ids[:count // batch_size * batch_size].view(batch_size, -1)
