# A small convolutional classifier in the style of the older MNIST examples: channel dropout both
# as a module (nn.Dropout2d after the second convolution) and in the functional form
# (F.dropout2d), then element dropout before the classifier. Its sidecar says
# `trace: {dropout: false}`: the masks are drawn by different generators on the two sides, so the
# parity harness switches every kind of dropout off, not only nn.Dropout.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
        self.conv2 = nn.Conv2d(4, 6, kernel_size=3)
        self.conv2_drop = nn.Dropout2d(p=0.4)
        self.fc1 = nn.Linear(6 * 2 * 2, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.dropout2d(x, p=0.3, training=self.training)
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 6 * 2 * 2)
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc1(x), dim=1)


model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
images = torch.randn(32, 1, 14, 14)
labels = torch.randint(0, 10, (32,))

model.train()
for epoch in range(3):
    for i in range(0, 32, 8):
        data, target = images[i:i + 8], labels[i:i + 8]
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
