"""
Regression on synthetic tabular data with a residual MLP.

The kind of script that sits in a research repo: a config dataclass-free argparse block, a model
with type hints and docstrings, input standardisation held in buffers, a custom init, and an
evaluation helper under torch.no_grad().
"""
from __future__ import annotations

import argparse
import math
from typing import List, Optional, Tuple

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm


class ResidualBlock(nn.Module):
    """Linear -> norm -> activation, with a skip connection."""

    def __init__(self, dim: int, dropout: float = 0.0, activation: str = "gelu", **kwargs) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, dim, **kwargs)
        self.norm = nn.LayerNorm(dim)
        self.act = nn.GELU() if activation == "gelu" else nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        out = self.act(self.norm(self.linear(x)))
        return residual + self.dropout(out)


class TabularNet(nn.Module):
    def __init__(self, in_features: int, hidden: int = 64, depth: int = 3, out_features: int = 1,
                 mean: Optional[torch.Tensor] = None, std: Optional[torch.Tensor] = None, **block_kwargs):
        """
        Args:
            in_features: number of input columns
            hidden: width of every hidden layer
            depth: number of residual blocks
        """
        super(TabularNet, self).__init__()
        self.register_buffer("mean", mean if mean is not None else torch.zeros(in_features))
        self.register_buffer("std", std if std is not None else torch.ones(in_features))
        self.stem = nn.Linear(in_features, hidden)
        self.layers = nn.ModuleList([ResidualBlock(hidden, **block_kwargs) for _ in range(depth)])
        self.head = nn.Linear(hidden, out_features)
        self.log_scale = nn.Parameter(torch.zeros(1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for name, p in self.named_parameters():
            if name.endswith("weight") and p.dim() == 2:
                fan_in = p.size(1)
                bound = 1.0 / math.sqrt(fan_in)
                nn.init.uniform_(p, -bound, bound)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = (x - self.mean) / (self.std + 1e-6)
        h = F.relu(self.stem(x), inplace=True)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i == len(self.layers) - 1:
                h = F.dropout(h, p=0.0, training=self.training)
        pred = self.head(h).squeeze(-1)
        scale = self.log_scale.exp().expand_as(pred)
        return pred, scale


def gaussian_nll(pred: torch.Tensor, scale: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of target under N(pred, scale^2), averaged."""
    var = scale ** 2
    return 0.5 * (torch.log(2 * math.pi * var) + (target - pred) ** 2 / var).mean()


def make_data(n: int, d: int, seed: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g) * 3.0 + 1.0
    w = torch.randn(d, generator=g)
    y = X @ w + 0.1 * torch.randn(n, generator=g)
    return X, y


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    total, count = 0.0, 0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        pred, scale = model(xb)
        total += F.mse_loss(pred, yb, reduction="sum").item()
        count += xb.shape[0]
    model.train()
    return total / max(count, 1)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=12)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    X, y = make_data(args.samples, args.features)
    n_train = int(0.8 * len(X))
    train_ds = TensorDataset(X[:n_train], y[:n_train])
    val_ds = TensorDataset(X[n_train:], y[n_train:])
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=args.batch_size)

    model = TabularNet(args.features, hidden=args.hidden, depth=args.depth,
                       mean=X[:n_train].mean(0), std=X[:n_train].std(0), dropout=0.0).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"model has {n_params:,} parameters")

    for epoch in range(1, args.epochs + 1):
        model.train()
        running = 0.0
        pbar = tqdm(train_loader, desc=f"epoch {epoch}", leave=False)
        for step, (xb, yb) in enumerate(pbar):
            xb = xb.to(device)
            yb = yb.to(device)
            pred, scale = model(xb)
            loss = gaussian_nll(pred, scale, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            running += loss.item() * xb.size(0)
            pbar.set_postfix(loss=f"{loss.item():.3f}")
        val_mse = evaluate(model, val_loader, device)
        print(f"epoch {epoch:3d} | train nll {running / n_train:.4f} | val mse {val_mse:.4f}")


if __name__ == "__main__":
    main()
