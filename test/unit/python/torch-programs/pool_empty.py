# Max pooling whose output is empty, and PyTorch 1.13's errors around it.
import torch
import torch.nn.functional as F

cases = [
    ("1d window past the input", lambda: F.max_pool1d(torch.zeros(1, 2, 3), 4)),
    ("1d dilated window past the input", lambda: F.max_pool1d(torch.zeros(1, 2, 3), 2, dilation=3)),
    ("1d unbatched", lambda: F.max_pool1d(torch.zeros(2, 3), 4)),
    ("1d empty batch", lambda: F.max_pool1d(torch.zeros(0, 2, 4), 2)),
    ("1d empty length", lambda: F.max_pool1d(torch.zeros(1, 2, 0), 1)),
    ("1d no channels", lambda: F.max_pool1d(torch.zeros(1, 0, 4), 2)),
    ("1d needing a gradient", lambda: F.max_pool1d(torch.zeros(1, 2, 3, requires_grad=True), 4)),
    ("1d average", lambda: F.avg_pool1d(torch.zeros(1, 2, 3), 4)),
    ("2d window past the input", lambda: F.max_pool2d(torch.zeros(1, 1, 3, 3), 4)),
    ("2d empty batch", lambda: F.max_pool2d(torch.zeros(0, 1, 4, 4), 2)),
]
for name, f in cases:
    try:
        y = f()
        print(name, tuple(y.shape))
    except RuntimeError as e:
        print(name, "RuntimeError", "Output size is too small" in str(e) or str(e))
