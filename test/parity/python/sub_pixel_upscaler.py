# A sub-pixel super-resolution network in the style of the ESPCN examples: convolutions to
# upscale_factor ** 2 channels, then nn.PixelShuffle to an r-times larger image; orthogonal init
# with a ReLU gain, and the older un-suffixed init spelling. A second head folds the image back
# with F.pixel_unshuffle and torch.pixel_shuffle, so both directions are checked.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init


class Upscaler(nn.Module):
    def __init__(self, upscale_factor, channels=1):
        super().__init__()
        self.r = upscale_factor
        self.act = nn.ReLU()
        self.head = nn.Conv2d(channels, 16, (5, 5), (1, 1), (2, 2))
        self.body = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.tail = nn.Conv2d(8, channels * upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.shuffle = nn.PixelShuffle(upscale_factor)
        self.refine = nn.Conv2d(channels * upscale_factor ** 2, channels * upscale_factor ** 2, 1)
        for conv in (self.head, self.body):
            init.orthogonal_(conv.weight, init.calculate_gain('relu'))
        init.orthogonal(self.tail.weight)

    def forward(self, x):
        x = self.act(self.head(x))
        x = self.act(self.body(x))
        big = self.shuffle(self.tail(x))
        folded = self.refine(F.pixel_unshuffle(big, self.r))
        return big + torch.pixel_shuffle(folded, self.r)
