"""Which loss the training computes, read from the autograd graph of the tensor passed to backward()."""
from __future__ import annotations

import sys
from typing import Any, Dict, Optional

import torch

from . import sites

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}
# Scaling a loss (gradient accumulation, averaging) does not change which loss it is.
_PASS_THROUGH = {"DivBackward0", "MulBackward0"}


def _node_reduction(node) -> Optional[str]:
    r = getattr(node, "_saved_reduction", None)
    return _REDUCTIONS.get(r) if isinstance(r, int) else None


def _next(node, i: int = 0):
    try:
        return node.next_functions[i][0]
    except (IndexError, AttributeError):
        return None


def infer(loss: torch.Tensor) -> Optional[Dict[str, Any]]:
    """{"type": torch.nn loss name, "reduction"} for the built-in losses, or None."""
    node = loss.grad_fn
    for _ in range(4):
        if node is None or node.name() not in _PASS_THROUGH:
            break
        node = _next(node)
    if node is None:
        return None
    name = node.name()
    if name == "MseLossBackward0":
        return {"type": "MSELoss", "reduction": _node_reduction(node) or "mean"}
    if name == "HuberLossBackward0":
        return {"type": "HuberLoss", "reduction": _node_reduction(node) or "mean"}
    if name == "SmoothL1LossBackward0":
        return {"type": "SmoothL1Loss", "reduction": _node_reduction(node) or "mean"}
    if name == "BinaryCrossEntropyBackward0":
        return {"type": "BCELoss", "reduction": _node_reduction(node) or "mean"}
    if name == "BinaryCrossEntropyWithLogitsBackward0":
        return {"type": "BCEWithLogitsLoss", "reduction": _node_reduction(node) or "mean"}
    if name == "NllLossBackward0":
        prev = _next(node)
        kind = "CrossEntropyLoss" if prev is not None and prev.name() == "LogSoftmaxBackward0" else "NLLLoss"
        return {"type": kind, "reduction": _node_reduction(node) or "mean"}
    if name in ("MeanBackward0", "SumBackward0"):
        a = _next(node)
        if a is not None and a.name() == "AbsBackward0":
            s = _next(a)
            if s is not None and s.name() == "SubBackward0":
                return {"type": "L1Loss", "reduction": "mean" if name == "MeanBackward0" else "sum"}
    return None


def site_of_loss_module(loss_type: str, frame) -> Optional[Dict[str, Any]]:
    """Where the loss object (``criterion = nn.MSELoss()``) was built: found among the names visible where backward() was called."""
    cls = getattr(torch.nn, loss_type, None)
    if cls is None:
        return None
    seen = 0
    while frame is not None and seen < 4:
        if not sites._is_library(frame.f_code.co_filename):
            seen += 1
            for scope in (frame.f_locals, frame.f_globals):
                for value in list(scope.values()):
                    if type(value) is cls:
                        site = sites.recorded_site(value)
                        if site is not None:
                            return site
        frame = frame.f_back
    return None


def caller_frame():
    """The innermost frame outside torch and gradient_lens: where the user called backward()."""
    frame = sys._getframe(1)
    while frame is not None and sites._is_library(frame.f_code.co_filename):
        frame = frame.f_back
    return frame
