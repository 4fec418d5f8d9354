"""
A stand-in for torchvision where it is not installed (Debian ships torch without it): the datasets
give random images of the real shapes and class counts, the transforms do what they do to a tensor.
The parity suite records the batch PyTorch's side trained on and hands Gradient Lens the same batch,
so only the shapes have to be right here, never the pixels.
"""
from . import datasets, transforms  # noqa: F401
