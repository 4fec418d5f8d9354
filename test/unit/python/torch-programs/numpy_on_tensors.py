# NumPy functions given a torch tensor, as Udacity's notebooks call them (the denoising autoencoder's
# np.clip(noisy_imgs, 0., 1.) fed to its model, np.squeeze of a comparison): torch 1.13's
# __array_wrap__ hands back a tensor; a tensor that requires grad cannot become an array.
import numpy as np
import torch

torch.manual_seed(0)
images = torch.rand(2, 1, 2, 2)
noisy = images + 0.5 * torch.tensor([[[[-2.0, 0.1], [0.3, 2.0]]], [[[0.0, -0.2], [1.5, 0.4]]]])
clipped = np.clip(noisy, 0., 1.)
print(type(clipped).__name__, clipped.dtype, tuple(clipped.shape), clipped.min().item() >= 0, clipped.max().item() <= 1)
print(np.clip(torch.tensor([[-2, 0, 5]]), 0, 1).tolist(), np.clip(torch.tensor([-1.5, 0.25, 2.0]).double(), 0, 1))
conv = torch.nn.Conv2d(1, 2, 2)
print(tuple(conv(clipped).shape))
t = torch.tensor([[-1.5, 0.25, 2.0]])
for name, v in [("squeeze", np.squeeze(t)), ("transpose", np.transpose(t)), ("reshape", np.reshape(t, (3,))),
                ("round", np.round(t)), ("argmax", np.argmax(t)), ("sqrt", np.sqrt(np.abs(t))), ("abs", np.abs(t)),
                ("exp_int", np.exp(torch.tensor([0, 2])))]:
    print(name, type(v).__name__, v.dtype, v.tolist())
w = torch.tensor([[0.5, -1.0]], requires_grad=True)
s = np.squeeze(w * 2)
print(type(s).__name__, s.requires_grad, s.shape)
pred = torch.tensor([1, 0, 2])
correct = np.squeeze(pred.eq(torch.tensor([1, 1, 2]).view_as(pred)))
print(type(correct).__name__, correct, correct[0].item())
try:
    np.clip(w, 0., 1.)
except RuntimeError as err:
    print("RuntimeError:", err)
print(type(np.clip(np.array([-1.0, 2.0]), 0, 1)).__name__)
