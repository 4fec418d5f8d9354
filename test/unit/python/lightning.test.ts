/**
 * PyTorch Lightning scripts as the Lightning docs write them, read unchanged: each way of importing
 * Lightning, training_step returning the loss or {"loss": ...}, each form configure_optimizers
 * returns, the data from a loader, a LightningDataModule or the model's own train_dataloader(),
 * save_hyperparameters/self.hparams, self.log, and Trainer(gradient_clip_val=...). The step is
 * Lightning's default loop, said at trainer.fit(...); manual optimisation is one can't-follow.
 * Parity against torch 1.13: test/parity/lightning-steps.test.ts.
 */
import assert from 'node:assert/strict';
import { analysePython, PythonResult } from '../../../src/worker/python';
import { at, ready } from './support';
import { tensorFromJson } from '../../../src/trace/data';

/** A Lightning script: `imports` bring `LightningModule` and `Trainer` into scope under `pl`-style names. */
function script(o: { imports?: string; base?: string; trainer?: string; ret?: string; opt?: string; fit?: string; x?: string; extra?: string; seed?: string } = {}): string {
  return `import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
${o.imports ?? 'import pytorch_lightning as pl'}


class LitModel(${o.base ?? 'pl.LightningModule'}):
    def __init__(self, lr=0.1, hidden=16):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(8, self.hparams.hidden), nn.Sigmoid(), nn.Linear(self.hparams.hidden, 2))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x.to(self.device)), y)
        self.log("train_loss", loss, prog_bar=True)
        self.log_dict({"epoch": self.current_epoch, "step": self.global_step})
        return ${o.ret ?? 'loss'}

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)
        return ${o.opt ?? 'optimizer'}
${o.extra ?? ''}

${o.seed ?? 'torch.manual_seed(0)'}
ds = TensorDataset(torch.randn(64, 8)${o.x ?? ''}, torch.randint(0, 2, (64,)))
loader = DataLoader(ds, batch_size=16)
model = LitModel()
trainer = ${o.trainer ?? 'pl.Trainer(max_epochs=3, accelerator="cpu", devices=1, logger=False, callbacks=[])'}
${o.fit ?? 'trainer.fit(model, loader)'}
`;
}

async function trace(text: string, steps = 5): Promise<PythonResult> {
  return analysePython({ text, fileName: 'lit.py', steps });
}

function losses(r: PythonResult): number[] {
  assert.ok(r.analysis, `no analysis: ${r.diagnostics.map((d) => `${d.code}: ${d.message}`).join('; ')}`);
  return r.analysis.trace.steps.map((s) => s.loss);
}

describe('python: PyTorch Lightning scripts', () => {
  before(ready);

  it("traces a LightningModule trained by trainer.fit(model, loader): its layers, its optimiser, Lightning's loop said at fit", async () => {
    const text = script();
    const r = await trace(text);
    assert.equal(losses(r).length, 5);
    assert.deepEqual(r.analysis!.trace.params.map((p) => p.name), ['net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias']);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    assert.equal(r.diagnostics[0].code, 'python/lightning');
    assert.equal(r.diagnostics[0].severity, 'info');
    assert.equal(at(text, r.diagnostics[0].range), 'trainer.fit(model, loader)');
    assert.match(r.diagnostics[0].message, /Lightning's default training loop/);
    assert.equal(r.read.model?.meta.optimizer.type, 'SGD');
    assert.equal(r.read.model?.meta.optimizer.lr, 0.1);
  });

  it('every import form, every configure_optimizers form and a dict return give the same steps', async () => {
    const base = losses(await trace(script()));
    const forms: [string, Parameters<typeof script>[0]][] = [
      ['import lightning as L', { imports: 'import lightning as L', base: 'L.LightningModule', trainer: 'L.Trainer(max_epochs=3)' }],
      ['import lightning.pytorch as pl', { imports: 'import lightning.pytorch as pl' }],
      ['from lightning.pytorch import ...', { imports: 'from lightning.pytorch import LightningModule, Trainer', base: 'LightningModule', trainer: 'Trainer(max_epochs=3)' }],
      ['from pytorch_lightning import ...', { imports: 'from pytorch_lightning import LightningModule, Trainer', base: 'LightningModule', trainer: 'Trainer(max_steps=100)' }],
      ['{"loss": loss}', { ret: '{"loss": loss, "log": {"x": 1}}' }],
      ['[optimizer]', { opt: '[optimizer]' }],
      ['([optimizer], [scheduler])', { opt: '[optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=100)]' }],
      ['{"optimizer", "lr_scheduler"}', { opt: '{"optimizer": optimizer, "lr_scheduler": {"scheduler": torch.optim.lr_scheduler.StepLR(optimizer, 100), "interval": "epoch"}}' }],
      ['seed_everything, callbacks, loggers', { imports: 'import pytorch_lightning as pl\nfrom pytorch_lightning.callbacks import ModelCheckpoint\nfrom pytorch_lightning.loggers import CSVLogger', seed: 'pl.seed_everything(0, workers=True)', trainer: 'pl.Trainer(max_epochs=3, callbacks=[ModelCheckpoint(monitor="train_loss")], logger=CSVLogger("logs"))' }],
      ['fit keywords', { fit: 'trainer.fit(model=model, train_dataloaders=loader)' }],
      ['fit in main()', { fit: 'def main():\n    trainer.fit(model, train_dataloaders=loader)\n\n\nif __name__ == "__main__":\n    main()' }],
    ];
    for (const [name, o] of forms) {
      const r = await trace(script(o));
      assert.deepEqual(r.diagnostics.map((d) => d.code), ['python/lightning'], `${name}: ${JSON.stringify(r.diagnostics)}`);
      assert.deepEqual(losses(r), base, name);
    }
  });

  it('save_hyperparameters(args) of an argparse Namespace: self.hparams reads its attributes', async () => {
    const text = script({ imports: 'import argparse\nimport pytorch_lightning as pl' })
      .replace('def __init__(self, lr=0.1, hidden=16):\n        super().__init__()\n        self.save_hyperparameters()', 'def __init__(self, args):\n        super().__init__()\n        self.save_hyperparameters(args)')
      .replace('model = LitModel()', 'model = LitModel(argparse.Namespace(lr=0.3, hidden=16))');
    const r = await trace(text);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['python/lightning'], JSON.stringify(r.diagnostics));
    assert.equal(r.read.model?.meta.optimizer.lr, 0.3);
  });

  it("seed_everything(n) seeds torch's generator as torch.manual_seed(n) does", async () => {
    const seeded = losses(await trace(script({ seed: 'pl.seed_everything(3)' })));
    assert.deepEqual(seeded, losses(await trace(script({ seed: 'torch.manual_seed(3)' }))));
    assert.notDeepEqual(seeded, losses(await trace(script())));
  });

  it("the data from a LightningDataModule (datamodule=, positional) or the model's own train_dataloader()", async () => {
    const base = losses(await trace(script()));
    const dm = `
class Data(pl.LightningDataModule):
    def __init__(self, batch_size=16):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage=None):
        self.train_set = ds

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size)
`;
    for (const fit of ['trainer.fit(model, datamodule=Data())', 'trainer.fit(model, Data())']) {
      assert.deepEqual(losses(await trace(script({ extra: dm, fit }))), base, fit);
    }
    const own = script({ extra: '    def train_dataloader(self):\n        return DataLoader(ds, batch_size=16)\n', fit: 'trainer.fit(model)' });
    assert.deepEqual(losses(await trace(own)), base, 'train_dataloader()');
  });

  it("Trainer(gradient_clip_val=...) clips by norm, as Lightning's default; gradient_clip_algorithm='value' by value", async () => {
    const big = { x: ' * 30' };
    const plain = losses(await trace(script(big)));
    const byNorm = await trace(script({ ...big, trainer: 'pl.Trainer(max_epochs=3, gradient_clip_val=0.1)' }));
    assert.deepEqual(byNorm.read.model?.meta.optimizer.clip, { kind: 'norm', maxNorm: 0.1, normType: 2 });
    assert.notDeepEqual(losses(byNorm), plain);
    const byValue = await trace(script({ ...big, trainer: 'pl.Trainer(max_epochs=3, gradient_clip_val=0.1, gradient_clip_algorithm="value")' }));
    assert.deepEqual(byValue.read.model?.meta.optimizer.clip, { kind: 'value', clipValue: 0.1 });
  });

  it("a saturated sigmoid in a LightningModule gets its finding on the user's nn.Sigmoid() line", async () => {
    const text = script({ x: ' * 40' });
    const r = await trace(text);
    const sat = r.analysis?.findings.find((f) => f.rule === 'saturated-activation');
    assert.ok(sat, JSON.stringify(r.analysis?.findings.map((f) => f.rule)));
    assert.equal(at(text, sat.range), 'nn.Sigmoid()');
    assert.ok(!(await trace(script())).analysis?.findings.some((f) => f.rule === 'saturated-activation'));
  });

  it("the batch is the loader's (its batch_size in the header), and a given batch (--batch) replaces it as in a plain loop", async () => {
    const r = await trace(script());
    assert.equal(r.analysis!.trace.batchSize, 16);
    // The same model, data and optimiser with the loop written out: the given batch must give the same steps.
    const plain = script()
      .replace('(pl.LightningModule)', '(nn.Module)')
      .replace(/\n {8}self\.save_hyperparameters\(\)/, '')
      .replace(/self\.hparams\.(\w+)/g, (_m, k: string) => ({ hidden: '16', lr: '0.1' })[k]!)
      .replace(/trainer = .*\ntrainer\.fit\(model, loader\)\n/, 'optimizer = model.configure_optimizers()\nfor epoch in range(3):\n    for i, (xb, yb) in enumerate(loader):\n        optimizer.zero_grad()\n        loss = F.cross_entropy(model(xb), yb)\n        loss.backward()\n        optimizer.step()\n')
      .replace(/ {8}self\.log.*\n/g, '');
    assert.notEqual(plain, script());
    const input = tensorFromJson({ shape: [4, 8], data: Array.from({ length: 32 }, (_, i) => Math.sin(i * 1.7) * 2) }, 'batch input', 'float32');
    const target = tensorFromJson({ shape: [4], data: [0, 1, 1, 0] }, 'batch target', 'float32');
    const withBatch = async (text: string) => analysePython({ text, fileName: 'lit.py', steps: 3, batch: { input, target } });
    const ours = await withBatch(script());
    assert.deepEqual(ours.diagnostics.map((d) => d.code), ['python/lightning'], JSON.stringify(ours.diagnostics));
    assert.equal(ours.analysis!.trace.batchSize, 4);
    const theirs = await withBatch(plain);
    assert.ok(theirs.analysis, JSON.stringify(theirs.diagnostics));
    assert.equal(theirs.analysis!.trace.batchSize, 4, JSON.stringify(theirs.diagnostics));
    assert.deepEqual(losses(ours), losses(theirs));
    assert.notDeepEqual(losses(ours), losses(r).slice(0, 3));
  });

  it("manual optimisation: training_step as written is the step (optimizers(), manual_backward, clip_gradients), the same steps as the automatic loop; forms it cannot make a step of are one can't-follow", async () => {
    const manualStep = `    def training_step(self, batch, batch_idx):
        opt = self.optimizers()
        x, y = batch
        loss = F.cross_entropy(self(x.to(self.device)), y)
        opt.zero_grad()
        self.manual_backward(loss)
        self.clip_gradients(opt, gradient_clip_val=0.5, gradient_clip_algorithm="norm")
        opt.step()
        return loss
`;
    const manual = (step: string) =>
      script()
        .replace('self.save_hyperparameters()', 'self.save_hyperparameters()\n        self.automatic_optimization = False')
        .replace(/ {4}def training_step[\s\S]*?return loss\n/, step);
    const text = manual(manualStep);
    assert.notEqual(text, script());
    const r = await trace(text);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['python/lightning'], JSON.stringify(r.diagnostics));
    assert.match(r.diagnostics[0].message, /manual optimisation/);
    assert.equal(at(text, r.diagnostics[0].range), 'trainer.fit(model, loader)');
    assert.equal(r.analysis!.trace.batchSize, 16);
    assert.deepEqual(r.read.model?.meta.optimizer.clip, { kind: 'norm', maxNorm: 0.5, normType: 2 });
    // The automatic loop with the Trainer's clipping takes the same steps.
    assert.deepEqual(losses(r), losses(await trace(script({ trainer: 'pl.Trainer(max_epochs=3, gradient_clip_val=0.5)' }))));
    for (const [form, step] of [
      ['an early return', manualStep.replace('        opt.zero_grad()\n', '        if batch_idx > 99:\n            return None\n        opt.zero_grad()\n')],
      ['*args', manualStep.replace('(self, batch, batch_idx)', '(self, batch, *args)')],
    ]) {
      const refused = await trace(manual(step));
      assert.equal(refused.analysis, null, form);
      assert.deepEqual(refused.diagnostics.map((d) => d.code), ['python/cant-follow'], `${form}: ${JSON.stringify(refused.diagnostics)}`);
      assert.match(refused.diagnostics[0].message, /manual optimisation/, form);
    }
  });

  it("validation_step, test_step, predict_step and the epoch hooks change no step and add nothing; a hook that changes the step (on_after_backward, optimizer_step, ...) is one can't-follow at its def", async () => {
    const base = losses(await trace(script()));
    const outside = `
    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", F.cross_entropy(self(x), y))

    def test_step(self, batch, batch_idx):
        return self.validation_step(batch, batch_idx)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        return self(batch[0])

    def on_train_epoch_end(self):
        self.log("epoch_done", 1.0)

    def on_validation_epoch_end(self):
        pass
`;
    const text = script({ extra: outside, fit: 'trainer.fit(model, loader, loader)\ntrainer.validate(model, loader)\ntrainer.test(model, loader)' });
    const r = await trace(text);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['python/lightning'], JSON.stringify(r.diagnostics));
    assert.deepEqual(losses(r), base);
    for (const hook of ['on_after_backward(self)', 'on_before_optimizer_step(self, optimizer)', 'optimizer_step(self, *args, **kwargs)']) {
      const hooked = script({ extra: `\n    def ${hook}:\n        pass\n` });
      const h = await trace(hooked);
      assert.equal(h.analysis, null, hook);
      assert.deepEqual(h.diagnostics.map((d) => d.code), ['python/cant-follow'], `${hook}: ${JSON.stringify(h.diagnostics)}`);
      assert.equal(at(hooked, h.diagnostics[0].range), hook.slice(0, hook.indexOf('(')));
    }
  });

  it("two optimisers from configure_optimizers() (a GAN's, stepped in turn) are one can't-follow at trainer.fit", async () => {
    const text = script({ opt: '[optimizer, torch.optim.Adam(self.parameters())], []' });
    const r = await trace(text);
    assert.equal(r.analysis, null);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    assert.equal(r.diagnostics[0].code, 'python/cant-follow');
    assert.match(r.diagnostics[0].message, /several optimisers/);
    assert.equal(at(text, r.diagnostics[0].range), 'trainer.fit(model, loader)');
  });

  it("Lightning 1.x's training_step(batch, batch_idx, optimizer_idx) with two optimisers: each in turn a batch, both models traced, said at fit as 1.x's; a count not written out is one can't-follow", async () => {
    const text = script({ opt: '[optimizer, torch.optim.SGD(self.parameters(), lr=0.01)], []' })
      .replace('def training_step(self, batch, batch_idx):', 'def training_step(self, batch, batch_idx, optimizer_idx):');
    const r = await trace(text, 2);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['python/lightning'], JSON.stringify(r.diagnostics));
    assert.match(r.diagnostics[0].message, /Lightning 1\.x's automatic optimisation with 2 optimisers/);
    assert.deepEqual(r.analysis!.trace.steps[0].losses?.map((l) => l.name), ['loss_0', 'loss_1']);
    const unwritten = await trace(text.replace('return [optimizer, torch.optim.SGD(self.parameters(), lr=0.01)], []', 'opts = [optimizer, torch.optim.SGD(self.parameters(), lr=0.01)]\n        return opts, []'));
    assert.deepEqual(unwritten.diagnostics.map((d) => d.code), ['python/cant-follow'], JSON.stringify(unwritten.diagnostics));
  });
});
