/**
 * A synthetic dataset's large batch (`npm run bench -- python`): pytorch/examples'
 * forward-forward MNIST takes its 50,000 training images as one batch through ToTensor, Normalize
 * and Lambda(flatten). Timed once (seconds, not milliseconds) with the process's resident memory
 * before and after: drawing that batch took 87 s and 1.4 GiB before the pixels were drawn through a
 * quantile table and the batch made at once.
 */
import { readPython } from '../src/model/python/front';

const SOURCE = `import torch
from torchvision.datasets import MNIST
from torchvision.transforms import Compose, ToTensor, Normalize, Lambda
from torch.utils.data import DataLoader
transform = Compose([ToTensor(), Normalize((0.1307,), (0.3081,)), Lambda(lambda x: torch.flatten(x))])
loader = DataLoader(MNIST("./data/", train=True, download=True, transform=transform), batch_size=50000)
x, y = next(iter(loader))
`;

/** Wall time, and resident memory before and with the batch held (one thread: no sampling in between). */
export function largeBatch(): { ms: number; rssBeforeMiB: number; rssAfterMiB: number } {
  const mib = () => process.memoryUsage().rss / 2 ** 20;
  const before = mib();
  const t = performance.now();
  const read = readPython(SOURCE, { fileName: 'mnist_forward_forward.py' });
  const ms = performance.now() - t;
  const after = mib();
  read.release();
  return { ms, rssBeforeMiB: before, rssAfterMiB: after };
}
