"""
A Lightning script in the Lightning docs' style, traced by Gradient Lens; its torch side is
lightning_plain.py (the same model with the loop Lightning runs written out: Lightning is not
installed here).
"""
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
import pytorch_lightning as pl


class Data(pl.LightningDataModule):
    def __init__(self, batch_size=6):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage=None):
        x = torch.linspace(-2.0, 2.0, 96).reshape(24, 4).sin()
        y = (3.0 * x[:, :1] - x[:, 1:2] * x[:, 2:3] + 0.5).cos()
        self.train_set = TensorDataset(x, y)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size)


class Regressor(pl.LightningModule):
    def __init__(self, hidden=10, lr=0.2):
        super().__init__()
        self.save_hyperparameters()
        self.l1 = nn.Linear(4, self.hparams.hidden)
        self.l2 = nn.Linear(self.hparams.hidden, 1)

    def forward(self, x):
        return self.l2(torch.tanh(self.l1(x)))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.mse_loss(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return {"loss": loss}

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)
        return {"optimizer": optimizer, "lr_scheduler": torch.optim.lr_scheduler.StepLR(optimizer, step_size=50)}


if __name__ == "__main__":
    trainer = pl.Trainer(max_epochs=3, gradient_clip_val=0.25, accelerator="auto", devices=1, logger=False)
    trainer.fit(Regressor(), datamodule=Data())
