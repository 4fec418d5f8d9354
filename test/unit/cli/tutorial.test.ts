/**
 * `gradient-lens trace` on scripts in the form of the most-read PyTorch tutorial repository
 * (yunjey/pytorch-tutorial), our own small ones under tutorial/: a language model whose vocabulary
 * its data helper reads from a file (the file read is the can't-follow, in the helper), a GAN that
 * normalises MNIST with three means (torch 1.13's RuntimeError, where the loop loads the batch),
 * and a regression on float literals written like ints with a summed loss (traced).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Io, main } from '../../../src/cli/main';
import { readUserFile } from '../../../src/user-files';

const DIR = join(__dirname, 'tutorial');

async function trace(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readFile: readUserFile };
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
});
