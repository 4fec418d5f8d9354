# The deprecated size_average= and reduce= of older tutorials (a VAE's summed reconstruction loss),
# which win over reduction= as torch.nn._reduction reads them. Fixed float64 values.
import warnings
import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings('ignore')


def show(name, loss, x):
    x.grad = None
    loss.sum().backward()
    print(name, list(loss.shape), round(loss.sum().item(), 10), [round(v, 10) + 0.0 for v in x.grad.flatten().tolist()])


x = torch.tensor([[0.2, 0.7, 0.4], [0.9, 0.1, 0.5]], dtype=torch.float64).requires_grad_()
y = torch.tensor([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]], dtype=torch.float64)
show('bce_sum', F.binary_cross_entropy(x, y, size_average=False), x)
show('bce_mean', F.binary_cross_entropy(x, y, size_average=True), x)
show('bce_none', F.binary_cross_entropy(x, y, reduce=False), x)
show('bce_over_reduction', F.binary_cross_entropy(x, y, size_average=False, reduction='none'), x)
show('mse_module_sum', nn.MSELoss(size_average=False)(x, y), x)
show('mse_module_positional', nn.MSELoss(False)(x, y), x)
show('l1_module_none', nn.L1Loss(reduce=False)(x, y), x)
show('l1_reduce_true', nn.L1Loss(size_average=False, reduce=True)(x, y), x)
show('smooth_l1_sum', nn.SmoothL1Loss(size_average=False)(x, y), x)
show('mse_functional_sum', F.mse_loss(x, y, size_average=False), x)
logits = torch.tensor([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]], dtype=torch.float64).requires_grad_()
classes = torch.tensor([2, 0])
show('ce_module_sum', nn.CrossEntropyLoss(size_average=False)(logits, classes), logits)
show('nll_functional_none', F.nll_loss(F.log_softmax(logits, dim=1), classes, reduce=False), logits)
