# A user module's extra_repr, as print(module) shows it in PyTorch 1.13: one line inside the
# parentheses, several lines and the children's lines below, an empty one as no extra_repr, and a
# class deriving a torch.nn layer whose own extra_repr replaces the layer's.
import torch
import torch.nn as nn


class Scale(nn.Module):
    def __init__(self, factor, learnable=False):
        super().__init__()
        self.factor = factor
        self.learnable = learnable

    def extra_repr(self):
        return f"factor={self.factor}, learnable={self.learnable}"

    def forward(self, x):
        return x * self.factor


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.width = width
        self.fc = nn.Linear(width, width)
        self.scale = Scale(0.5)

    def extra_repr(self):
        return "width={}\nresidual=True".format(self.width)


class Quiet(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.ReLU()

    def extra_repr(self):
        return ""


class NamedLinear(nn.Linear):
    def extra_repr(self):
        return "named " + super().extra_repr()


print(Scale(2))
print(Block(3))
print(Quiet())
print(NamedLinear(2, 4))
print(nn.Sequential(Scale(1.5, True), Block(2)))
print(repr(Scale(3)), str(Scale(4)).upper())
