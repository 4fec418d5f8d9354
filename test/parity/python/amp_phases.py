"""
Train/val phases in one loop, in the style of the transfer-learning tutorial, with the extras
of a modern training script: mixed precision (GradScaler/autocast, off without CUDA), gradient
accumulation, a DCGAN-style weights_init applied by class name, and a ReduceLROnPlateau schedule.
"""
import argparse
import copy
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim import lr_scheduler
from torchvision import datasets, transforms

torch.backends.cudnn.benchmark = True


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class SmallNet(nn.Module):
    def __init__(self, num_classes=10, activation='ReLU', width=8):
        super(SmallNet, self).__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width * 2, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width * 2)
        self.act = getattr(nn, activation)()
        self.fc = nn.Linear(width * 2 * 4 * 4, num_classes)

    def forward(self, x):
        x = self.act(self.bn1(self.conv1(x)))
        x = self.act(self.bn2(self.conv2(x)))
        x = F.adaptive_avg_pool2d(x, (4, 4))
        x = x.permute(0, 2, 3, 1).contiguous()
        return self.fc(x.reshape(x.size(0), -1))


def train_model(model, dataloaders, dataset_sizes, criterion, optimizer, scheduler, scaler, device, num_epochs=25, accum_steps=2):
    since = time.time()
    best_model_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0

    for epoch in range(num_epochs):
        print(f'Epoch {epoch}/{num_epochs - 1}')
        print('-' * 10)

        for phase in ['train', 'val']:
            if phase == 'train':
                model.train()
            else:
                model.eval()

            running_loss = 0.0
            running_corrects = 0

            for step, (inputs, labels) in enumerate(dataloaders[phase]):
                inputs = inputs.to(device, non_blocking=True)
                labels = labels.to(device, non_blocking=True)

                with torch.set_grad_enabled(phase == 'train'):
                    with torch.cuda.amp.autocast(enabled=scaler.is_enabled()):
                        outputs = model(inputs)
                        _, preds = torch.max(outputs, 1)
                        loss = criterion(outputs, labels) / accum_steps

                    if phase == 'train':
                        scaler.scale(loss).backward()
                        if (step + 1) % accum_steps == 0:
                            scaler.step(optimizer)
                            scaler.update()
                            optimizer.zero_grad(set_to_none=True)

                running_loss += loss.item() * inputs.size(0) * accum_steps
                running_corrects += torch.sum(preds == labels.data)

            epoch_loss = running_loss / dataset_sizes[phase]
            epoch_acc = running_corrects.double() / dataset_sizes[phase]
            if phase == 'val':
                scheduler.step(epoch_loss)
            print(f'{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}')

            if phase == 'val' and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_model_wts = copy.deepcopy(model.state_dict())

    time_elapsed = time.time() - since
    print(f'Training complete in {time_elapsed // 60:.0f}m {time_elapsed % 60:.0f}s')
    model.load_state_dict(best_model_wts)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--activation', default='ReLU', choices=['ReLU', 'GELU', 'SiLU'])
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--amp', action='store_true')
    args = parser.parse_args()

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    data_transforms = {
        'train': transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                     transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
        'val': transforms.Compose([transforms.ToTensor(),
                                   transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
    }
    image_datasets = {x: datasets.CIFAR10('data', train=(x == 'train'), download=True, transform=data_transforms[x])
                      for x in ['train', 'val']}
    dataloaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=args.batch_size, shuffle=True, num_workers=4)
                   for x in ['train', 'val']}
    dataset_sizes = {x: len(image_datasets[x]) for x in ['train', 'val']}

    model = SmallNet(activation=args.activation)
    model.apply(weights_init)
    model = model.to(device)

    criterion = nn.CrossEntropyLoss(label_smoothing=0.0)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=3)
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp and torch.cuda.is_available())
    train_model(model, dataloaders, dataset_sizes, criterion, optimizer, scheduler, scaler, device, num_epochs=10)


if __name__ == '__main__':
    main()
