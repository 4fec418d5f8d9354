"""torchvision.transforms on tensors: what each does to a [C, H, W] image (and ToTensor and Resize on a PIL image)."""
import torch
import torch.nn.functional as F


def _is_pil(x):
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(x, Image.Image)


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class ToTensor:
    def __call__(self, x):
        if _is_pil(x):
            # As torchvision 0.14: [H, W, C] bytes to [C, H, W] in [0, 1], in the default float type.
            import numpy as np
            a = torch.from_numpy(np.array(x, dtype=np.uint8, copy=True))
            if a.dim() == 2:
                a = a.unsqueeze(-1)
            return a.permute(2, 0, 1).to(torch.get_default_dtype()).div(255)
        return x


class Resize:
    """A PIL image resized to (h, w), bilinear (the parity files give both sides)."""

    def __init__(self, size, interpolation=None):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, x):
        h, w = self.size
        return x.resize((w, h), 2)


class Normalize:
    def __init__(self, mean, std):
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __call__(self, x):
        # torchvision 0.14 normalises a copy in place: three means on a one-channel image raise.
        return x.clone().sub_(self.mean).div_(self.std)


class Pad:
    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, x):
        return _pad(x, self.padding, self.fill, self.padding_mode)


def _pad(x, padding, fill, mode):
    p = [padding] if isinstance(padding, int) else list(padding)
    left, top, right, bottom = p * 4 if len(p) == 1 else (p + p if len(p) == 2 else p)
    if mode == "constant":
        return F.pad(x, (left, right, top, bottom), value=fill)
    return F.pad(x.unsqueeze(0), (left, right, top, bottom), mode=mode).squeeze(0)


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        return x.flip(-1) if torch.rand(()) < self.p else x


class RandomCrop:
    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, x):
        if self.padding is not None:
            x = _pad(x, self.padding, self.fill, self.padding_mode)
        h, w = self.size
        top = int(torch.randint(0, x.shape[1] - h + 1, ()).item())
        left = int(torch.randint(0, x.shape[2] - w + 1, ()).item())
        return x[:, top:top + h, left:left + w]


class Lambda:
    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)
