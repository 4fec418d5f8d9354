/**
 * `gradient-lens trace` on scripts in the form of the most-read PyTorch tutorial repository
 * (yunjey/pytorch-tutorial), our own small ones under tutorial/: a language model whose vocabulary
 * its data helper reads from a file (the file read is the can't-follow, in the helper), a GAN that
 * normalises MNIST with three means (torch 1.13's RuntimeError, where the loop loads the batch),
 * and a regression on float literals written like ints with a summed loss (traced); and in
 * PyTorch-GAN's form, a WGAN-div (Variable(..., requires_grad=True) real images, torch.autograd.grad
 * with create_graph at them and at the generator's images, the generator stepped every n_critic
 * iterations: traced, saying which iterations its steps were), and the same with a convolutional
 * critic (the can't-follow at the autograd.grad call, not a critic that looks disconnected).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Io, main } from '../../../src/cli/main';
import { readUserFile } from '../../../src/user-files';

const DIR = join(__dirname, 'tutorial');

/** `edit` rewrites the file's text as read (a variant of a program without a second copy of it). */
async function trace(file: string, edit: (text: string) => string = (t) => t): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const readFile: Io['readFile'] = (p, limit) => (p === join(DIR, file) ? edit(readUserFile(p, limit)) : readUserFile(p, limit));
  const io: Io = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readFile };
  const code = await main(['trace', join(DIR, file), '--steps', '3'], io);
  return { code, out, err };
}

describe('CLI: tutorial-style scripts (a data helper reading a file, Normalize on the wrong channels, float literals and size_average)', () => {
  it("word_lm/main.py: the vocabulary's file read is one line at the helper's open(), exit 2, no Embedding of 0 words", async () => {
    const r = await trace('word_lm/main.py');
    assert.equal(r.code, 2);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.ok(lines[0].endsWith("word_lm/corpus_utils.py:24:14: Gradient Lens can't follow open() (file I/O) here"), lines[0]);
  });

  it("gan_rgb_mean.py: three means on MNIST's one channel stop the script at its loop with torch's RuntimeError", async () => {
    const r = await trace('gan_rgb_mean.py');
    assert.equal(r.code, 2);
    assert.match(r.err, /gan_rgb_mean\.py:15:\d+: .*RuntimeError: output with shape \[1, 28, 28\] doesn't match the broadcast shape \[3, 28, 28\]/);
  });

  it('basics.py: traced, the summed loss (six samples) by the deprecated size_average=False', async () => {
    const r = await trace('basics.py');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /basics\.py: 3 steps, batch 6, float32, SGD lr=0\.001/);
  });
  it("wgan_div_style.py: traced, both models, the steps at the generator's iterations 0, 3, 6 said at the `if`", async () => {
    const r = await trace('wgan_div_style.py');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wgan_div_style\.py:42:12: info python\/guarded-step: g_loss\.backward\(\) runs only when i % n_critic == 0: .*ended at iterations 0, 3, 6 \(7 iterations/);
    assert.match(r.out, /step\s+d_loss\s+g_loss\s+generator\.0\.weight/);
    assert.match(r.out, /critic\.2\.weight/);
    assert.doesNotMatch(r.out, /disconnected/);
  });

  it("wgan_div_style.py with a Conv2d and SiLU critic (SiLU's gradient is not written again): the penalty is one can't-follow at its autograd.grad call naming silu, exit 2, no finding on the critic", async () => {
    const linear = 'critic = nn.Sequential(nn.Linear(784, 32), nn.LeakyReLU(0.2, inplace=True), nn.Linear(32, 1))';
    const conv = 'critic = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 4, 3, 2, 1), nn.SiLU(), nn.Flatten(), nn.Linear(784, 1))';
    const r = await trace('wgan_div_style.py', (t) => {
      assert.ok(t.includes(linear));
      return t.replace(linear, conv);
    });
    assert.equal(r.code, 2);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0], /wgan_div_style\.py:35:21: Gradient Lens can't follow torch\.autograd\.grad through silu \(.*\) here$/);
    assert.doesNotMatch(r.out, /disconnected/);
  });
});
