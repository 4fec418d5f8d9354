/**
 * Folders of images read without reading a file: glob.glob, os.listdir and ImageFolder give made-up
 * names, PIL's Image.open of one a synthetic image whose mode and size are the script's own
 * (.convert, Resize, the crops), ToTensor its seeded pixels. What the script never fixes (the size,
 * the mode) is one can't-follow at the read; each folder opened is one info saying what stands for it.
 */
import assert from 'node:assert/strict';
import { readPython } from '../../../src/model/python/front';
import { at, ready } from './support';

/** A custom Dataset in the common style: the files listed in __init__, each opened in __getitem__. */
function script(list: string, open: string, transforms: string, channels = 3): string {
  return `import glob
import os
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import Dataset, DataLoader
import torchvision.transforms as transforms

class Pictures(Dataset):
    def __init__(self, root, transform=None):
        self.files = ${list}
        self.transform = transform

    def __getitem__(self, index):
        img = ${open}
        return self.transform(img), index % 2

    def __len__(self):
        return len(self.files)

tf = transforms.Compose([${transforms}])
loader = DataLoader(Pictures("data/pictures", tf), batch_size=4, shuffle=True)
images, labels = next(iter(loader))
print(tuple(images.shape), round(images.mean().item(), 6))
${TRAIN(channels)}`;
}

/** A small classifier of the loader's images, trained as the scripts do. */
const TRAIN = (channels: number) => `net = nn.Sequential(nn.Conv2d(${channels}, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for images, labels in loader:
    opt.zero_grad()
    loss = F.cross_entropy(net(images), labels)
    loss.backward()
    opt.step()
`;

const GLOB = 'sorted(glob.glob(os.path.join(root, "train") + "/*.png"))';
const RGB = 'Image.open(self.files[index]).convert("RGB")';

function read(src: string, seed?: number) {
  const r = readPython(src, { fileName: 'pictures.py', seed });
  try {
    return { diags: r.diagnostics.map((d) => ({ code: d.code, message: d.message, at: at(src, d.range) })), out: r.interp!.output.trim(), model: !!r.model };
  } finally {
    r.release();
  }
}

describe('image folders: synthetic images for the files a script lists and opens', () => {
  before(ready);

  it('glob + Image.open(...).convert("RGB") + Resize/ToTensor/Normalize: batches of the script\'s shape, one info at the glob saying what they are', () => {
    const src = script(GLOB, RGB, 'transforms.Resize((20, 12)), transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))');
    const r = read(src);
    assert.ok(r.model);
    assert.match(r.out, /^\(4, 3, 20, 12\) /);
    const infos = r.diags.filter((d) => d.code === 'python/image-folder');
    assert.equal(infos.length, 1, JSON.stringify(r.diags));
    assert.equal(infos[0].at, 'glob.glob(os.path.join(root, "train") + "/*.png")');
    assert.match(infos[0].message, /^glob\.glob\('data\/pictures\/train\/\*\.png'\) is read as 1000 synthetic images .*3×20×12 after the script's transforms, pixels drawn with seed 0/);
    assert.deepEqual(r.diags.filter((d) => d.code !== 'python/image-folder'), []);
  });

  it('the pixels are seeded: the same seed gives the same batch, another seed another', () => {
    const src = script(GLOB, RGB, 'transforms.Resize((8, 8)), transforms.ToTensor()');
    assert.equal(read(src, 3).out, read(src, 3).out);
    assert.notEqual(read(src, 3).out, read(src, 4).out);
  });

  it('convert("L") gives one channel; a crop after Resize(int) fixes the size; augmentations are said to keep the image', () => {
    const src = script(GLOB, 'Image.open(self.files[index]).convert("L")', 'transforms.Resize(40), transforms.CenterCrop(32), transforms.RandomHorizontalFlip(), transforms.ColorJitter(0.2), transforms.ToTensor()', 1);
    const r = read(src);
    assert.match(r.out, /^\(4, 1, 32, 32\) /);
    const info = r.diags.find((d) => d.code === 'python/image-folder')!;
    assert.match(info.message, /1×32×32/);
    assert.match(info.message, /RandomHorizontalFlip, ColorJitter leave a synthetic image as it is/);
  });

  it('a size the script never fixes is a can\'t-follow at the read naming it', () => {
    const src = script(GLOB, RGB, 'transforms.Resize(64), transforms.ToTensor()');
    const r = read(src);
    assert.ok(!r.model);
    const d = r.diags.find((x) => x.code === 'python/cant-follow')!;
    assert.ok(d, JSON.stringify(r.diags));
    assert.match(d.message, /the size of the images glob\.glob\('data\/pictures\/train\/\*\.png'\) lists \(the files decide/);
    assert.equal(d.at, 'glob.glob(os.path.join(root, "train") + "/*.png")');
  });

  it("a mode never converted: Normalize's three means say RGB (and the info says so); with one mean, a can't-follow naming the mode", () => {
    const three = read(script(GLOB, 'Image.open(self.files[index])', 'transforms.Resize((16, 16)), transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))'));
    assert.match(three.out, /^\(4, 3, 16, 16\) /);
    assert.match(three.diags.find((d) => d.code === 'python/image-folder')!.message, /mode RGB \(the images are never converted; Normalize's 3 means say 3 channels\)/);
    const one = read(script(GLOB, 'Image.open(self.files[index])', 'transforms.Resize((16, 16)), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))'));
    assert.ok(!one.model);
    assert.match(one.diags.find((d) => d.code === 'python/cant-follow')!.message, /the mode of the images glob\.glob\(.*\) lists \(RGB or grayscale: the files decide/);
  });

  it('os.listdir + os.path.join: the listing\'s names open as images; a file named in the script is never read', () => {
    const listed = read(script('sorted(os.listdir(root))', 'Image.open(os.path.join(self.root_dir, self.files[index])).convert("RGB")', 'transforms.RandomResizedCrop(24), transforms.ToTensor()').replace('self.files = sorted', 'self.root_dir = root\n        self.files = sorted'));
    assert.match(listed.out, /^\(4, 3, 24, 24\) /);
    assert.match(listed.diags.find((d) => d.code === 'python/image-folder')!.message, /^os\.listdir\('data\/pictures'\) is read as 1000 synthetic images/);
    const named = read(script(GLOB, 'Image.open("cat.jpg").convert("RGB")', 'transforms.Resize((8, 8)), transforms.ToTensor()'));
    assert.match(named.diags.find((d) => d.code === 'python/cant-follow')!.message, /the image file "cat\.jpg" \(Gradient Lens never reads the user's files/);
  });

  it('ImageFolder: RGB images whose size the transforms fix, the info at the call; no transform fixing the size is a can\'t-follow', () => {
    const folder = (tf: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms
ds = datasets.ImageFolder("data/train", transforms.Compose([${tf}]))
x, y = ds[0]
print(tuple(x.shape))
loader = torch.utils.data.DataLoader(ds, batch_size=4)
${TRAIN(3)}`;
    const r = readPython(folder('transforms.RandomResizedCrop(48), transforms.RandomHorizontalFlip(), transforms.ToTensor()'), { fileName: 'folder.py' });
    try {
      assert.equal(r.interp!.output.trim(), '(3, 48, 48)');
      assert.ok(r.model, JSON.stringify(r.diagnostics.map((d) => d.message)));
      const info = r.diagnostics.find((d) => d.code === 'python/image-folder')!.message;
      assert.match(info, /^datasets\.ImageFolder\('data\/train'\) is read as 1000 synthetic images .*3×48×48/);
      assert.match(info, /labels drawn from 2 classes \(the class folders are never read/);
    } finally {
      r.release();
    }
    const src = folder('transforms.ToTensor()');
    const unsized = readPython(src, { fileName: 'folder.py' });
    try {
      const d = unsized.diagnostics.find((x) => x.code === 'python/cant-follow')!;
      assert.match(d.message, /the size of the images datasets\.ImageFolder\('data\/train'\) lists/);
      assert.equal(at(src, d.range), 'datasets.ImageFolder("data/train", transforms.Compose([transforms.ToTensor()]))');
    } finally {
      unsized.release();
    }
    // How many classes: the folders' count, not known; asked for, a can't-follow where it is asked.
    const counted = folder('transforms.Resize((8, 8)), transforms.ToTensor()').replace('nn.Linear(4, 2)', 'nn.Linear(4, len(ds.classes))');
    const c = readPython(counted, { fileName: 'folder.py' });
    try {
      const d = c.diagnostics.find((x) => x.code === 'python/cant-follow')!;
      assert.match(d.message, /the class folders of datasets\.ImageFolder\('data\/train'\) \(the folder is never read: how many classes it has is not known\)/);
      assert.equal(at(counted, d.range), 'ds.classes');
    } finally {
      c.release();
    }
  });
});
