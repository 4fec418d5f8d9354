# A character-level LSTM in the style of Udacity's char-rnn notebook: the text encoded through dicts,
# one-hot encoded with NumPy's fancy indexing, batches from a generator (get_batches, yield) whose last
# batch takes its final targets from the start through an IndexError it catches, the hidden state
# made with the legacy weight.new(...).zero_() and cut from its history each batch
# (tuple([each.data for each in h])), gradients clipped before Adam. The text is written here instead
# of read from a file, its characters sorted (a set's order changes from run to run), the one-hot
# array in NumPy's default float64 for a model in double precision, and dropout 0 (PyTorch's masks
# come from another generator).
import numpy as np
import torch
from torch import nn

text = "Happy families are all alike; every unhappy family is unhappy in its own way.\n" * 2

chars = tuple(sorted(set(text)))
int2char = dict(enumerate(chars))
char2int = {ch: ii for ii, ch in int2char.items()}
encoded = np.array([char2int[ch] for ch in text])


def one_hot_encode(arr, n_labels):
    one_hot = np.zeros((np.multiply(*arr.shape), n_labels))
    one_hot[np.arange(one_hot.shape[0]), arr.flatten()] = 1.
    one_hot = one_hot.reshape((*arr.shape, n_labels))
    return one_hot


def get_batches(arr, batch_size, seq_length):
    batch_size_total = batch_size * seq_length
    n_batches = len(arr) // batch_size_total
    arr = arr[:n_batches * batch_size_total]
    arr = arr.reshape((batch_size, -1))
    for n in range(0, arr.shape[1], seq_length):
        x = arr[:, n:n + seq_length]
        y = np.zeros_like(x)
        try:
            y[:, :-1], y[:, -1] = x[:, 1:], arr[:, n + seq_length]
        except IndexError:
            y[:, :-1], y[:, -1] = x[:, 1:], arr[:, 0]
        yield x, y


class CharRNN(nn.Module):
    def __init__(self, tokens, n_hidden=16, n_layers=2, drop_prob=0.0):
        super().__init__()
        self.n_layers = n_layers
        self.n_hidden = n_hidden
        self.chars = tokens
        self.lstm = nn.LSTM(len(self.chars), n_hidden, n_layers, dropout=drop_prob, batch_first=True)
        self.dropout = nn.Dropout(drop_prob)
        self.fc = nn.Linear(n_hidden, len(self.chars))

    def forward(self, x, hidden):
        r_output, hidden = self.lstm(x, hidden)
        out = self.dropout(r_output)
        out = out.contiguous().view(-1, self.n_hidden)
        out = self.fc(out)
        return out, hidden

    def init_hidden(self, batch_size):
        weight = next(self.parameters()).data
        hidden = (weight.new(self.n_layers, batch_size, self.n_hidden).zero_(),
                  weight.new(self.n_layers, batch_size, self.n_hidden).zero_())
        return hidden


torch.manual_seed(0)
net = CharRNN(chars)
net.double()
batch_size = 4
seq_length = 10
opt = torch.optim.Adam(net.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()
n_chars = len(net.chars)
for e in range(3):
    h = net.init_hidden(batch_size)
    for x, y in get_batches(encoded, batch_size, seq_length):
        x = one_hot_encode(x, n_chars)
        inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
        h = tuple([each.data for each in h])
        net.zero_grad()
        output, h = net(inputs, h)
        loss = criterion(output, targets.view(batch_size * seq_length))
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 5)
        opt.step()
