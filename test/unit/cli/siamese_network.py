# A siamese network in the style of pytorch/examples' siamese_network: a torchvision ResNet-18 as the
# shared backbone (its first convolution taking one channel, its fc removed), the two embeddings
# concatenated and scored by a small head whose sigmoid output goes to BCELoss: same pair or not.
import torch
import torch.nn as nn
import torch.optim as optim
import torchvision


class SiameseNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.resnet = torchvision.models.resnet18(weights=None)
        # Grayscale pairs: one input channel instead of three.
        self.resnet.conv1 = nn.Conv2d(1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)
        self.fc_in_features = self.resnet.fc.in_features
        # Everything but the last layer: the embedding is the pooled features.
        self.resnet = torch.nn.Sequential(*(list(self.resnet.children())[:-1]))
        self.fc = nn.Sequential(
            nn.Linear(self.fc_in_features * 2, 256),
            nn.ReLU(inplace=True),
            nn.Linear(256, 1),
        )
        self.sigmoid = nn.Sigmoid()
        self.resnet.apply(self.init_weights)
        self.fc.apply(self.init_weights)

    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward_once(self, x):
        output = self.resnet(x)
        return output.view(output.size()[0], -1)

    def forward(self, input1, input2):
        output1 = self.forward_once(input1)
        output2 = self.forward_once(input2)
        output = torch.cat((output1, output2), 1)
        return self.sigmoid(self.fc(output))


def train(model, optimizer, criterion, steps):
    model.train()
    for step in range(steps):
        images_1 = torch.randn(2, 1, 32, 32)
        images_2 = torch.randn(2, 1, 32, 32)
        targets = torch.randint(0, 2, (2, 1)).float()
        optimizer.zero_grad()
        outputs = model(images_1, images_2)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()


torch.manual_seed(1)
model = SiameseNetwork()
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
criterion = nn.BCELoss()
train(model, optimizer, criterion, 2)
