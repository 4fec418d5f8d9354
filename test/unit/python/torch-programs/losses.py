# Losses PyTorch code writes beyond the plain mean: ignore_index (padding targets), reduction='none'
# reduced by the script itself (a mask, a per-sample weight), reduction='sum'. Fixed float64 values,
# so torch 1.13 and Gradient Lens print the same numbers.
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD_IDX = 1


def show(name, loss, x):
    x.grad = None
    loss.backward()
    print(name, round(loss.item(), 10), [round(v, 10) + 0.0 for v in x.grad.flatten().tolist()])


def logits():
    v = torch.tensor([[0.3, -1.2, 2.0, 0.5], [1.1, 0.4, -0.7, 0.0], [-0.5, 0.9, 0.2, 1.6],
                      [0.8, -0.3, 0.6, -1.4], [2.2, 0.1, -0.9, 0.7]], dtype=torch.float64)
    return v.requires_grad_()


targets = torch.tensor([2, PAD_IDX, 3, 0, PAD_IDX])
x = logits()
show('ce_module_ignore', nn.CrossEntropyLoss(ignore_index=PAD_IDX)(x, targets), x)
show('ce_functional_ignore', F.cross_entropy(x, targets, ignore_index=PAD_IDX), x)
show('ce_ignore_sum', F.cross_entropy(x, targets, ignore_index=PAD_IDX, reduction='sum'), x)
show('ce_positional_ignore', nn.CrossEntropyLoss(None, None, PAD_IDX)(x, targets), x)
show('nll_module_ignore', nn.NLLLoss(ignore_index=3)(F.log_softmax(x, dim=1), targets), x)
show('nll_functional_ignore', F.nll_loss(F.log_softmax(x, dim=1), targets, ignore_index=0), x)
show('ce_default_ignore', F.cross_entropy(x, torch.tensor([2, -100, 3, -100, 1])), x)
# Every target ignored: the mean is 0 / 0, NaN, and the gradient zero.
all_pad = torch.full((5,), PAD_IDX, dtype=torch.long)
loss = F.cross_entropy(x, all_pad, ignore_index=PAD_IDX)
print('all_ignored', loss.item() != loss.item())
x.grad = None
loss.backward()
print('all_ignored_grad', x.grad.abs().sum().item())

# reduction='none': the script reduces the per-element loss itself.
per = F.cross_entropy(x, torch.tensor([2, 1, 3, 0, 1]), reduction='none')
print('none_shape', list(per.shape))
weights = torch.tensor([1.0, 0.5, 2.0, 0.0, 1.5], dtype=torch.float64)
show('ce_none_weighted', (per * weights).sum() / weights.sum(), x)
mask = targets != PAD_IDX
show('ce_none_masked', nn.CrossEntropyLoss(reduction='none')(x, targets)[mask].mean(), x)
y = torch.tensor([[0.5, 0.1, -0.2, 0.4], [1.0, 0.3, -0.5, 0.2], [0.0, 0.0, 0.0, 0.0],
                  [0.7, -0.1, 0.3, -1.0], [2.0, 0.2, -1.0, 0.5]], dtype=torch.float64)
show('mse_none_sum', nn.MSELoss(reduction='none')(x, y).sum(dim=1).mean(), x)
show('l1_none_mean', F.l1_loss(x, y, reduction='none').mean(), x)
show('huber_none', F.huber_loss(x, y, reduction='none', delta=0.5).sum(), x)
show('smooth_l1_none', nn.SmoothL1Loss(reduction='none')(x, y).mean(), x)
p = torch.sigmoid(x)
show('bce_none', F.binary_cross_entropy(p, torch.sigmoid(y), reduction='none').sum(1).mean(), x)
show('bce_logits_none', nn.BCEWithLogitsLoss(reduction='none')(x, torch.sigmoid(y)).mean(), x)
show('mse_sum', F.mse_loss(x, y, reduction='sum'), x)

# Class weights, label smoothing and pos_weight: the weighted mean divides by the summed weight of
# the counted targets; smoothing mixes in the (weighted) mean over the classes; ignored targets add nothing.
w = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64)
show('ce_weight_module', nn.CrossEntropyLoss(weight=w)(x, torch.tensor([2, 1, 3, 0, 1])), x)
show('ce_weight_positional', nn.CrossEntropyLoss(w)(x, targets), x)
show('ce_weight_ignore', F.cross_entropy(x, targets, weight=w, ignore_index=PAD_IDX), x)
show('ce_smoothing', nn.CrossEntropyLoss(label_smoothing=0.1)(x, targets), x)
show('ce_smoothing_ignore', F.cross_entropy(x, targets, ignore_index=PAD_IDX, label_smoothing=0.2), x)
show('ce_weight_smoothing', F.cross_entropy(x, targets, weight=w, label_smoothing=0.3), x)
show('ce_weight_smoothing_ignore', nn.CrossEntropyLoss(weight=w, ignore_index=PAD_IDX, label_smoothing=0.25)(x, targets), x)
show('ce_weight_smoothing_sum', F.cross_entropy(x, targets, weight=w, ignore_index=PAD_IDX, label_smoothing=0.25, reduction='sum'), x)
show('ce_weight_smoothing_none', F.cross_entropy(x, targets, weight=w, ignore_index=PAD_IDX, label_smoothing=0.25, reduction='none').sum(), x)
probs = torch.softmax(y, dim=1)
show('ce_probabilities_weight_smoothing', F.cross_entropy(x, probs, weight=w, label_smoothing=0.15), x)
show('ce_probabilities_module', nn.CrossEntropyLoss(weight=w)(x, probs), x)
show('nll_weight', nn.NLLLoss(weight=w)(F.log_softmax(x, dim=1), targets), x)
show('nll_weight_ignore', F.nll_loss(F.log_softmax(x, dim=1), targets, weight=w, ignore_index=PAD_IDX), x)
t01 = torch.sigmoid(y)
show('bce_weight_classes', nn.BCELoss(weight=w)(torch.sigmoid(x), t01), x)
show('bce_weight_rows', F.binary_cross_entropy(torch.sigmoid(x), t01, weight=torch.tensor([[1.0], [0.5], [2.0], [0.0], [1.5]], dtype=torch.float64)), x)
show('bce_logits_weight', F.binary_cross_entropy_with_logits(x, t01, weight=w), x)
show('bce_logits_pos_weight', nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0, 1.0, 0.5, 2.0], dtype=torch.float64))(x, t01), x)
show('bce_logits_both_sum', F.binary_cross_entropy_with_logits(x, t01, weight=w, pos_weight=w * 2, reduction='sum'), x)
show('bce_logits_positional', nn.BCEWithLogitsLoss(w, None, None, 'mean', w + 1)(x, t01), x)
