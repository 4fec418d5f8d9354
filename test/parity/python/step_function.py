"""A character-level classifier trained one example at a time, the way the char-RNN tutorials do:
the loop calls train(category, line), and the function resets the gradients, runs the model over
the whole line, calls backward and updates every parameter by hand with p.data.add_."""
import torch
import torch.nn as nn

n_letters, n_hidden, n_categories = 6, 12, 3


class CharClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(CharClassifier, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line):
        hidden = torch.zeros(line.size(1), self.hidden_size)
        for i in range(line.size(0)):
            combined = torch.cat((line[i], hidden), 1)
            hidden = torch.tanh(self.i2h(combined))
        return self.softmax(self.h2o(hidden))


def example(k):
    letters = torch.zeros(4, 1, n_letters)
    for i in range(4):
        letters[i][0][(k + 2 * i) % n_letters] = 1
    return torch.tensor([k % n_categories]), letters


rnn = CharClassifier(n_letters, n_hidden, n_categories)
criterion = nn.NLLLoss()
learning_rate = 0.05


def train(category_tensor, line_tensor):
    rnn.zero_grad()
    output = rnn(line_tensor)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


for it in range(1, 10):
    category_tensor, line_tensor = example(it)
    output, loss = train(category_tensor, line_tensor)
