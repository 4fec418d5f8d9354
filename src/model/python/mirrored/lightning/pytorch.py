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

    def optimizers(self, use_pl_optimizer=True):
        return _not_followed("manual optimisation (self.optimizers())")

    def lr_schedulers(self):
        return _not_followed("manual optimisation (self.lr_schedulers())")

    def manual_backward(self, loss, *args, **kwargs):
        return _not_followed("manual optimisation (self.manual_backward(...))")

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


class _Fit:
    """What trainer.fit(...) trains: the step the trace takes at the call, in Lightning's order."""

    def __init__(self, trainer, model, loaders, datamodule):
        if not model.automatic_optimization:
            _not_followed("manual optimisation (self.automatic_optimization = False)")
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
        optimizers = _optimizers(model.configure_optimizers())
        if len(optimizers) > 1:
            _not_followed("several optimisers from configure_optimizers(), each stepped in turn")
        self.optimizer = optimizers[0]
        accumulate = trainer.accumulate_grad_batches
        # {epoch: n} schedules: the first epoch's, which the first steps take.
        self.accumulate = accumulate.get(0, 1) if isinstance(accumulate, dict) else accumulate
        self.clip_val = trainer.gradient_clip_val if trainer.gradient_clip_val else None
        if trainer.gradient_clip_algorithm == "value" and self.clip_val is not None:
            self.clip_by_value = True
        else:
            self.clip_by_value = False

    def steps_after(self, batch_idx):
        # Lightning steps at the end of each accumulation and at the epoch's last batch.
        return (batch_idx + 1) % self.accumulate == 0 or batch_idx + 1 == len(self.loader)

    def epochs(self):
        return range(self.trainer.max_epochs if self.trainer.max_epochs is not None else 1000)

    def training_step(self, batch, batch_idx):
        out = self.model.training_step(batch, batch_idx)
        loss = out["loss"] if isinstance(out, dict) else out
        # Lightning divides the loss by accumulate_grad_batches (ClosureResult's normalisation).
        return loss / self.accumulate if self.accumulate > 1 else loss

    def clip_grad_norm_(self, max_norm):
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)

    def clip_grad_value_(self, clip_value):
        torch.nn.utils.clip_grad_value_(self.model.parameters(), clip_value)
