"""A language model whose class derives nn.Transformer itself, as some examples write it.

Only the encoder half is used: the class calls `self.encoder(...)` (a module PyTorch builds inside
nn.Transformer's constructor), puts a plain Linear head where the decoder was, re-initialises every
Linear it finds through `self.modules()` (the inner attention and feed-forward layers included) and
builds its causal mask with masked_fill.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class TokenPositions(nn.Module):
    def __init__(self, width, longest=64):
        super().__init__()
        where = torch.arange(longest, dtype=torch.float).unsqueeze(1)
        rate = torch.exp(torch.arange(0, width, 2).float() * (-math.log(1000.0) / width))
        table = torch.zeros(longest, 1, width)
        table[:, 0, 0::2] = torch.sin(where * rate)
        table[:, 0, 1::2] = torch.cos(where * rate)
        self.register_buffer("table", table)

    def forward(self, x):
        return x + self.table[: x.size(0)]


class EncoderOnlyLM(nn.Transformer):
    def __init__(self, vocab, width, heads, hidden, depth, dropout=0.1):
        super(EncoderOnlyLM, self).__init__(d_model=width, nhead=heads, dim_feedforward=hidden,
                                            num_encoder_layers=depth, dropout=dropout)
        self.positions = TokenPositions(width)
        self.embed = nn.Embedding(vocab, width)
        self.width = width
        self.decoder = nn.Linear(width, vocab)
        self.causal = None
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.05)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def causal_mask(self, n):
        keep = (torch.triu(torch.ones(n, n)) == 1).transpose(0, 1)
        return keep.float().masked_fill(keep == 0, float("-inf")).masked_fill(keep == 1, 0.0)

    def forward(self, tokens):
        if self.causal is None or self.causal.size(0) != len(tokens):
            self.causal = self.causal_mask(len(tokens))
        h = self.positions(self.embed(tokens) * math.sqrt(self.width))
        h = self.encoder(h, mask=self.causal)
        return F.log_softmax(self.decoder(h), dim=-1)
