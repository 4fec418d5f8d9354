"""
PyTorch Lightning (pytorch_lightning, lightning, lightning.pytorch) as Gradient Lens reads it,
written for Gradient Lens from what the Lightning 2.x documentation says of automatic optimisation:
a LightningModule is an nn.Module; Trainer.fit takes an optimiser from configure_optimizers() and,
for each batch of the train loader, zero_grad, training_step, backward, gradient clipping by norm
(gradient_clip_val, Lightning's default algorithm) and the optimiser's step. fit() itself runs no
loop: Gradient Lens puts the step it takes in the user's file at the trainer.fit(...) call
(src/model/python/lightning.ts), so the trace runs it as it runs a script's own loop. Logging,
checkpoints, callbacks, loggers and devices do nothing to gradients and do nothing here.
"""
import random

import numpy
import torch
import torch.nn as nn


class AttributeDict:
    """self.hparams: keys read as attributes (`self.hparams.lr`) and as items (`self.hparams["lr"]`)."""

    def __getitem__(self, key):
        return getattr(self, key)

    def __setitem__(self, key, value):
        setattr(self, key, value)

    def __contains__(self, key):
        return hasattr(self, key)

    def get(self, key, default=None):
        return getattr(self, key, default)


class LightningModule(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.automatic_optimization = True
        self.current_epoch = 0
        self.global_step = 0
        self.trainer = None
        self.hparams = AttributeDict()
        self.device = torch.device("cpu")

    def save_hyperparameters(self, *args, ignore=None, logger=True):
        # The caller's __init__ arguments as they were passed (Lightning reads its frame the same way).
        given = _init_args()
        if len(args) == 1 and isinstance(args[0], dict):
            given = args[0]
        elif len(args) == 1 and not isinstance(args[0], str):
            # An argparse Namespace (or any object): its attributes.
            given = args[0].__dict__
        elif args:
            given = {k: given[k] for k in args if k in given}
        skip = [ignore] if isinstance(ignore, str) else (ignore or [])
        for k in given:
            if k not in skip:
                self.hparams[k] = given[k]

    def log(self, *args, **kwargs):
        pass

    def log_dict(self, *args, **kwargs):
        pass

    def print(self, *args, **kwargs):
        pass

    # Manual optimisation (Lightning 2.x's docs): fit() sets _gl_optimizers and _gl_schedulers from
    # configure_optimizers(); training_step's body is the traced step (src/model/python/lightning-manual.ts).
    # The optimisers are the user's own, not LightningOptimizer wrappers: the same step(), zero_grad().
    def optimizers(self, use_pl_optimizer=True):
        found = getattr(self, "_gl_optimizers", None)
        if found is None:
            return _not_followed("manual optimisation (self.optimizers())")
        return found[0] if len(found) == 1 else found

    def lr_schedulers(self):
        found = getattr(self, "_gl_schedulers", None)
        if found is None:
            return _not_followed("manual optimisation (self.lr_schedulers())")
        if not found:
            return None
        return found[0] if len(found) == 1 else found

    def manual_backward(self, loss, *args, **kwargs):
        # On the CPU without a precision plugin Lightning's manual_backward is loss.backward(...).
        loss.backward(*args, **kwargs)

    def toggle_optimizer(self, optimizer, optimizer_idx=None):
        # Lightning: every parameter of the other optimisers stops requiring grad (its flag kept),
        # those this optimiser holds (shared ones too) keep theirs; untoggle_optimizer puts them back.
        own = [p for g in optimizer.param_groups for p in g["params"]]
        kept = []
        for opt in self._gl_optimizers:
            for g in opt.param_groups:
                for p in g["params"]:
                    if not any(p is q for q in own):
                        kept.append((p, p.requires_grad))
                        p.requires_grad = False
        self._gl_toggled = kept

    def untoggle_optimizer(self, optimizer=None):
        for p, flag in getattr(self, "_gl_toggled", []):
            p.requires_grad = flag
        self._gl_toggled = []

    def clip_gradients(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
        # The optimiser's parameters, by norm unless "value" (Lightning's default algorithm is "norm").
        if gradient_clip_val is None or gradient_clip_val == 0:
            return
        params = [p for g in optimizer.param_groups for p in g["params"]]
        if gradient_clip_algorithm == "value":
            torch.nn.utils.clip_grad_value_(params, gradient_clip_val)
        else:
            torch.nn.utils.clip_grad_norm_(params, gradient_clip_val)

    def configure_optimizers(self):
        raise NotImplementedError("configure_optimizers() must be overridden to train with a Trainer")


class LightningDataModule:
    def __init__(self, *args, **kwargs):
        self.hparams = AttributeDict()

    def prepare_data(self):
        pass

    def setup(self, stage=None):
        pass

    # The same as a LightningModule's (Lightning's HyperparametersMixin).
    save_hyperparameters = LightningModule.save_hyperparameters


def seed_everything(seed=None, workers=False, verbose=True):
    # Lightning seeds Python's, numpy's and torch's generators alike (no seed given: 0, with a warning).
    if seed is None:
        seed = 0
    random.seed(seed)
    numpy.random.seed(seed)
    torch.manual_seed(seed)
    return seed


class Callback:
    def __init__(self, *args, **kwargs):
        pass


class Trainer:
    def __init__(self, max_epochs=None, max_steps=-1, gradient_clip_val=None, gradient_clip_algorithm=None, accumulate_grad_batches=1, **others):
        self.max_epochs = max_epochs
        self.max_steps = max_steps
        self.gradient_clip_val = gradient_clip_val
        self.gradient_clip_algorithm = gradient_clip_algorithm
        self.accumulate_grad_batches = accumulate_grad_batches
        self.current_epoch = 0
        self.global_step = 0

    def fit(self, model, train_dataloaders=None, val_dataloaders=None, datamodule=None, ckpt_path=None):
        return _Fit(self, model, train_dataloaders, datamodule)

    def validate(self, *args, **kwargs):
        pass

    def test(self, *args, **kwargs):
        pass

    def predict(self, *args, **kwargs):
        pass

    def save_checkpoint(self, *args, **kwargs):
        pass


def _optimizers(conf):
    """configure_optimizers()'s optimisers, in each form the Lightning docs give: the optimiser, a list
    or tuple of them, ([optimisers], [schedulers]), a dict with "optimizer" (and "lr_scheduler"), a list of such dicts."""
    if isinstance(conf, dict):
        return [conf["optimizer"]]
    if isinstance(conf, (list, tuple)):
        if len(conf) == 2 and isinstance(conf[0], (list, tuple)):
            return list(conf[0])
        found = []
        for c in conf:
            found = found + _optimizers(c)
        return found
    return [conf]


def _schedulers(conf):
    """configure_optimizers()'s schedulers (each itself, or the "scheduler" of its dict) in the same forms."""
    if isinstance(conf, dict):
        found = conf.get("lr_scheduler")
        return [] if found is None else [found["scheduler"] if isinstance(found, dict) else found]
    if isinstance(conf, (list, tuple)):
        if len(conf) == 2 and isinstance(conf[0], (list, tuple)):
            return [s["scheduler"] if isinstance(s, dict) else s for s in conf[1]]
        found = []
        for c in conf:
            if isinstance(c, dict):
                found = found + _schedulers(c)
        return found
    return []


class _Fit:
    """What trainer.fit(...) trains: the step the trace takes at the call, in Lightning's order."""

    def __init__(self, trainer, model, loaders, datamodule):
        manual = not model.automatic_optimization
        if manual and _manual_refused() is not None:
            _not_followed(_manual_refused())
        if isinstance(loaders, LightningDataModule):
            datamodule = loaders
            loaders = None
        if loaders is None and datamodule is not None:
            datamodule.prepare_data()
            datamodule.setup("fit")
            loaders = datamodule.train_dataloader()
        if loaders is None:
            loaders = model.train_dataloader()
        if isinstance(loaders, (list, tuple)):
            loaders = loaders[0]
        self.trainer = trainer
        self.model = model
        self.loader = loaders
        model.trainer = trainer
        model.train()
        conf = model.configure_optimizers()
        optimizers = _optimizers(conf)
        model._gl_optimizers = optimizers
        model._gl_schedulers = _schedulers(conf)
        # Several optimisers under automatic optimisation: only the step unrolled for them (per_optimizer) follows them.
        self.several = len(optimizers) > 1 and not manual
        self.optimizers = optimizers
        self.optimizer = optimizers[0]
        accumulate = trainer.accumulate_grad_batches
        # {epoch: n} schedules: the first epoch's, which the first steps take.
        self.accumulate = accumulate.get(0, 1) if isinstance(accumulate, dict) else accumulate
        self.clip_val = trainer.gradient_clip_val if trainer.gradient_clip_val else None
        if trainer.gradient_clip_algorithm == "value" and self.clip_val is not None:
            self.clip_by_value = True
        else:
            self.clip_by_value = False

    def per_optimizer(self, n, accumulates):
        # The step was unrolled for the n optimisers configure_optimizers() is written to return.
        if len(self.optimizers) != n:
            _not_followed("several optimisers from configure_optimizers(), each stepped in turn")
        elif accumulates and self.accumulate > 1:
            _not_followed("accumulate_grad_batches with several optimisers")
        self.several = False

    def toggle_optimizer(self, i):
        self.model.toggle_optimizer(self.optimizers[i], i)

    def untoggle_optimizer(self, i):
        self.model.untoggle_optimizer(i)

    def steps_after(self, batch_idx):
        # Lightning steps at the end of each accumulation and at the epoch's last batch.
        return (batch_idx + 1) % self.accumulate == 0 or batch_idx + 1 == len(self.loader)

    def epochs(self):
        if self.several:
            _not_followed("several optimisers from configure_optimizers(), each stepped in turn")
        return range(self.trainer.max_epochs if self.trainer.max_epochs is not None else 1000)

    def training_step(self, batch, batch_idx, optimizer_idx=None):
        if optimizer_idx is None:
            out = self.model.training_step(batch, batch_idx)
        else:
            out = self.model.training_step(batch, batch_idx, optimizer_idx)
        loss = out["loss"] if isinstance(out, dict) else out
        # Lightning divides the loss by accumulate_grad_batches (ClosureResult's normalisation).
        return loss / self.accumulate if self.accumulate > 1 else loss

    def _clipped(self, optimizer_idx):
        # Lightning clips the parameters of the optimiser stepping (all the model's when it has one).
        if optimizer_idx is None:
            return self.model.parameters()
        return [p for g in self.optimizers[optimizer_idx].param_groups for p in g["params"]]

    def clip_grad_norm_(self, max_norm, optimizer_idx=None):
        torch.nn.utils.clip_grad_norm_(self._clipped(optimizer_idx), max_norm)

    def clip_grad_value_(self, clip_value, optimizer_idx=None):
        torch.nn.utils.clip_grad_value_(self._clipped(optimizer_idx), clip_value)
