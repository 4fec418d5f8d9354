"""The model as the log's header describes it: parameters and modules, with PyTorch's names."""
from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional

import torch
from torch import nn

from . import sites

# Constructor arguments whose value is a parameter: the header says whether it exists.
_PRESENCE_ARGS = {"bias"}


def _json_value(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else str(v)
    if isinstance(v, (tuple, list)) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        return list(v)
    if isinstance(v, torch.Size):
        return list(v)
    return _SKIP


_SKIP = object()


def constructor_args(m: nn.Module) -> Dict[str, Any]:
    """The arguments of a torch.nn layer as its attributes hold them (``Linear`` → in_features, out_features, bias)."""
    cls = type(m)
    if not cls.__module__.startswith("torch.nn"):
        return {}
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return {}
    out: Dict[str, Any] = {}
    for name in params:
        if name in ("self", "device", "dtype") or not hasattr(m, name):
            continue
        value = getattr(m, name)
        if name in _PRESENCE_ARGS and (value is None or isinstance(value, torch.Tensor)):
            out[name] = value is not None
            continue
        if name == "inplace":
            continue  # how it runs, not what it computes
        v = _json_value(value)
        if v is not _SKIP:
            out[name] = v
    return out


def unwrap(model: nn.Module) -> nn.Module:
    """The user's model inside DistributedDataParallel / DataParallel: its names are the user's."""
    while isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
        model = model.module
    return model


def describe(model: nn.Module) -> Dict[str, Any]:
    """``params`` as named_parameters() lists them and ``modules`` as named_modules() does, each with its site."""
    params: List[Dict[str, Any]] = []
    for name, p in model.named_parameters():
        layer = name.rsplit(".", 1)[0] if "." in name else ""
        params.append({"name": name, "layer": layer, "shape": list(p.shape)})
    modules: List[Dict[str, Any]] = []
    site_by_path: Dict[str, Optional[Dict[str, Any]]] = {}
    module_by_path: Dict[str, nn.Module] = {}
    for path, m in model.named_modules():
        module_by_path[path] = m
        parent_path, _, name = path.rpartition(".")
        parent = module_by_path.get(parent_path) if path else None
        site = sites.site_of(m, parent, name, site_by_path.get(parent_path))
        if site is None and parent is not None:
            site = site_by_path.get(parent_path)  # built where its container was (a deepcopy, a library helper)
            inherited = site is not None
        else:
            inherited = False
        site_by_path[path] = site
        entry: Dict[str, Any] = {
            "path": path,
            "type": type(m).__name__,
            "args": constructor_args(m),
            "params": [{"name": n, "shape": list(p.shape)} for n, p in m.named_parameters(recurse=False)],
            "children": [n for n, _ in m.named_children()],
        }
        if site is not None:
            entry["site"] = dict(site, inherited=True) if inherited else site
        modules.append(entry)
    return {"params": params, "modules": modules}
