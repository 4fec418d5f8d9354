/**
 * Data without reading any: torch.utils.data (TensorDataset, DataLoader over it or over a user's
 * Dataset) and torchvision's datasets and transforms. A torchvision dataset is a row of a table of
 * sample shapes, class counts, sizes and pixel statistics; its samples are synthetic images with
 * those statistics, so a batch has the right shape and scale after the script's own transforms.
 */
import * as F from '../../../engine/functional';
import { Tensor } from '../../../engine/tensor';
import { alloc } from '../../../engine/dtype';
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import { native } from '../native';
import * as P from '../protocol';
import { isInt, NOWHERE, OBJECT, PyClass, PyDict, PyInstance, PyIter, PyList, PyModule, PyOpaque, PyTuple, T, toBigInt, Value } from '../values';
import { mirrorModule, NativeObj, TensorObj, Torch } from './runtime';
import { opaqueModule } from '../interpreter';
import { fillPixels, syntheticImage as pixelImage } from './pixels';
import { distributedSampler } from './distributed';
import { imageTensor, listFolder, modeFromNormalize, pilImage, pilState, pilWith, type ImageRead, type PilState } from './image-files';

/** A torchvision dataset as Gradient Lens knows it: what its samples look like, never their data. */
export interface DatasetInfo {
  /** Per-sample image shape [C, H, W] as ToTensor gives it. */
  shape: [number, number, number];
  classes: number | null;
  train: number;
  test: number;
  /** Per-channel mean and std of the pixels in [0, 1] (the values every tutorial's Normalize uses). */
  mean: number[];
  std: number[];
}

export const DATASETS: Record<string, DatasetInfo> = {
  MNIST: { shape: [1, 28, 28], classes: 10, train: 60000, test: 10000, mean: [0.1307], std: [0.3081] },
  FashionMNIST: { shape: [1, 28, 28], classes: 10, train: 60000, test: 10000, mean: [0.286], std: [0.353] },
  KMNIST: { shape: [1, 28, 28], classes: 10, train: 60000, test: 10000, mean: [0.1918], std: [0.3483] },
  CIFAR10: { shape: [3, 32, 32], classes: 10, train: 50000, test: 10000, mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  CIFAR100: { shape: [3, 32, 32], classes: 100, train: 50000, test: 10000, mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] },
  SVHN: { shape: [3, 32, 32], classes: 10, train: 73257, test: 26032, mean: [0.4377, 0.4438, 0.4728], std: [0.198, 0.201, 0.197] },
  STL10: { shape: [3, 96, 96], classes: 10, train: 5000, test: 8000, mean: [0.4467, 0.4398, 0.4066], std: [0.2603, 0.2566, 0.2713] },
  ImageNet: { shape: [3, 224, 224], classes: 1000, train: 1281167, test: 50000, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  // A folder of images, ImageNet-sized: the classes are the folders, unknown here (the model's output decides).
  ImageFolder: { shape: [3, 224, 224], classes: null, train: 100000, test: 10000, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  // Random images (torchvision makes each from randn, whose bytes spread over 0..255: about uniform);
  // its size, image_size and num_classes are the call's (fakeData below).
  FakeData: { shape: [3, 224, 224], classes: 10, train: 1000, test: 1000, mean: [0.5, 0.5, 0.5], std: [0.289, 0.289, 0.289] },
};

/** FakeData(size=1000, image_size=(3, 224, 224), num_classes=10, transform=None, ...): its samples as the call sets them. */
function fakeData(torch: Torch, get: (k: string, pos: number) => Value | undefined, r: Range): DatasetInfo {
  const base = DATASETS.FakeData;
  const size = get('size', 0);
  const imageSize = get('image_size', 1);
  const classes = get('num_classes', 2);
  const n = size === undefined ? base.train : torch.int(size, r, 'size');
  const shape = imageSize === undefined ? base.shape : (torch.interp.toArray(imageSize, r).map((d) => torch.int(d, r, 'image_size')) as number[]);
  if (shape.length !== 3) throw new CantFollow(new PyOpaque(`FakeData(image_size=${JSON.stringify(shape)}) (Gradient Lens makes [C, H, W] images)`, r), r);
  const c = shape[0];
  return { shape: shape as [number, number, number], classes: classes === undefined ? base.classes : torch.int(classes, r, 'num_classes'), train: n, test: n, mean: new Array(c).fill(base.mean[0]), std: new Array(c).fill(base.std[0]) };
}

/** One synthetic image [C, H, W] in [0, 1] with the dataset's per-channel statistics. */
function syntheticImage(torch: Torch, info: DatasetInfo, shape: [number, number, number]): Tensor {
  return pixelImage(shape, torch.dtype, torch.dataRng, info.mean, info.std);
}

/** What a synthetic dataset is and how its samples are transformed. */
interface SyntheticState {
  name: string;
  info: DatasetInfo;
  train: boolean;
  transform: Value;
  targetTransform: Value;
  /** Samples drawn so far (what a test reads to see a loader draws only the batches asked for). */
  drawn: number;
  /** An ImageFolder's folder: its samples are PIL images of it (RGB, of the files' own size until a transform fixes it). */
  read: ImageRead | null;
}

/** The states of the datasets above, told apart from any other native object's. */
const SYNTHETIC = new WeakSet<SyntheticState>();
/** The states of torchvision.transforms objects, told apart from any other native object's. */
const TRANSFORMS = new WeakSet<TransformState>();

/** What a transform does to a sample's shape: the image size after Resize/Crop (null: unchanged). */
interface TransformState {
  kind: string;
  /** ToTensor seen (before it, a sample is an image, not a tensor). */
  apply: (x: Value, r: Range) => Value;
  size?: [number, number] | null;
  /** Compose's steps, in order. */
  steps?: Value[];
  /** Normalize's per-channel mean and std (repeated over the channels). */
  normalize?: { mean: number[]; std: number[] };
}

/** A torchvision.transforms object's state, else null. */
function transformState(v: Value): TransformState | null {
  return v instanceof NativeObj && TRANSFORMS.has(v.state as TransformState) ? (v.state as TransformState) : null;
}

/** A transform's work on a synthetic image of a listed folder (image-files.ts); on anything else, `otherwise` (the value as it is by default). */
function onImage(x: Value, image: (pil: PilState) => Value, otherwise: () => Value = () => x): Value {
  const pil = pilState(x);
  return pil ? image(pil) : otherwise();
}

/** Augmentations that keep a synthetic sample as it is (its statistics are the dataset's either way). */
const AUGMENTATIONS = ['RandomHorizontalFlip', 'RandomVerticalFlip', 'RandomRotation', 'ColorJitter', 'RandomAffine', 'GaussianBlur', 'RandomErasing', 'AutoAugment', 'RandAugment', 'TrivialAugmentWide'];
/** Transforms that keep a synthetic sample as it is: its pixels are a tensor in [0, 1] from the start. */
const KEEPS_SAMPLE = new Set(['ToTensor', 'PILToTensor', ...AUGMENTATIONS]);

/** Where a dataset's constructor takes `transform` positionally, when not third (root, train, transform). */
const TRANSFORM_POSITION: Record<string, number> = { ImageFolder: 1, FakeData: 3 };

export function makeData(torch: Torch): { utilsData: Record<string, Value>; modules: [string, PyModule][] } {
  const Dataset = new PyClass('Dataset', [OBJECT], null, 'torch.utils.data');
  const TensorDataset = new PyClass(
    'TensorDataset',
    [Dataset],
    {
      construct: (c, args, _k, r) => {
        const tensors = args.map((a) => torch.tensorOf(a, r, 'tensors'));
        if (tensors.some((t) => t.shape[0] !== tensors[0]?.shape[0])) torch.interp.raise('AssertionError', 'Size mismatch between tensors', r);
        return new NativeObj(c, { tensors });
      },
      len: (v) => (v as NativeObj<{ tensors: Tensor[] }>).state.tensors[0]?.shape[0] ?? 0,
      getitem: (v, key, r) => new PyTuple((v as NativeObj<{ tensors: Tensor[] }>).state.tensors.map((t) => P.getItem(torch.interp, torch.wrap(t), key, r))),
    },
    'torch.utils.data',
  );
  TensorDataset.dict.set('tensors', null);

  const synthetic = (name: string) =>
    new PyClass(
      name,
      [Dataset],
      {
        construct: (c, args, kwargs, r) => {
          const get = (k: string, pos: number) => kwargs?.get(k) ?? args[pos];
          const info = name === 'FakeData' ? fakeData(torch, get, r) : DATASETS[name];
          const split = get('split', 1);
          const trainArg = get('train', 1);
          const train = name === 'FakeData' || (typeof split === 'string' ? split === 'train' : trainArg === undefined ? true : torch.bool(trainArg, r));
          const root = get('root', 0);
          const read = name === 'ImageFolder' ? listFolder(torch, r, `datasets.ImageFolder(${typeof root === 'string' ? P.repr(torch.interp, root, r) : '...'})`) : null;
          const state: SyntheticState = { name, info, train, transform: get('transform', TRANSFORM_POSITION[name] ?? 2) ?? null, targetTransform: kwargs?.get('target_transform') ?? null, drawn: 0, read };
          SYNTHETIC.add(state);
          return new NativeObj<SyntheticState>(c, state);
        },
        len: (v) => {
          const s = (v as NativeObj<SyntheticState>).state;
          return s.train ? s.info.train : s.info.test;
        },
        getitem: (v, key, r) => sample(torch, (v as NativeObj<SyntheticState>).state, r, key),
        getattr: (v, attr, r) => {
          const s = (v as NativeObj<SyntheticState>).state;
          // An ImageFolder's classes are its folders, never read: how many there are is not known.
          if (attr === 'classes') return s.info.classes === null ? new PyOpaque(`the class folders of ${s.read?.what ?? s.name} (the folder is never read: how many classes it has is not known)`, r) : new PyList(Array.from({ length: s.info.classes }, (_, i) => String(i)));
          if (attr === 'transform') return s.transform;
          if (attr === 'target_transform') return s.targetTransform;
          if (attr === 'train') return s.train;
          // The files themselves (`.data`, `.targets`, `.samples`, `.class_to_idx`, ...) are never read:
          // what the file does with them cannot be followed, which is not an error of the file's.
          if (!attr.startsWith('_')) return new PyOpaque(`the ${s.name} dataset's .${attr} (its files are not read)`, r);
          return undefined;
        },
      },
      'torchvision.datasets',
    );

  const DataLoader = new PyClass(
    'DataLoader',
    [OBJECT],
    {
      construct: (c, args, kwargs, r) => {
        const get = (k: string, pos: number, d: Value) => kwargs?.get(k) ?? args[pos] ?? d;
        const dataset = get('dataset', 0, null);
        const batchSize = get('batch_size', 1, 1n);
        // A DistributedSampler of one rank yields every index: shuffled as the loader's own shuffle is here, or in order.
        const sampler = kwargs?.get('sampler') ?? null;
        const shuffle = distributedSampler(sampler)?.shuffle ?? torch.bool(get('shuffle', 2, false), r);
        if (batchSize === null) throw new CantFollow(new PyOpaque('DataLoader(batch_size=None)', r), r);
        const drop = torch.bool(kwargs?.get('drop_last') ?? false, r);
        const collate = kwargs?.get('collate_fn') ?? null;
        if (collate !== null) throw new CantFollow(new PyOpaque('DataLoader(collate_fn=...)', r), r);
        return new NativeObj(c, { dataset, batchSize: torch.int(batchSize, r, 'batch_size'), shuffle, drop, sampler, r });
      },
      iter: (v, r) => loaderIter(torch, (v as NativeObj<LoaderState>).state, r),
      len: (v, r) => {
        const s = (v as NativeObj<LoaderState>).state;
        const n = P.len(torch.interp, s.dataset, r);
        return s.drop ? Math.floor(n / s.batchSize) : Math.ceil(n / s.batchSize);
      },
      getattr: (v, attr) => {
        const s = (v as NativeObj<LoaderState>).state;
        if (attr === 'dataset') return s.dataset;
        if (attr === 'batch_size') return BigInt(s.batchSize);
        if (attr === 'sampler') return s.sampler ?? new PyOpaque("the DataLoader's own sampler", s.r);
        return undefined;
      },
    },
    'torch.utils.data',
  );

  const utilsData: Record<string, Value> = {
    Dataset,
    IterableDataset: new PyOpaque('torch.utils.data.IterableDataset', NOWHERE),
    TensorDataset,
    DataLoader,
    random_split: native('random_split(dataset, lengths, generator=None)', (_a, r) => new PyOpaque('random_split', r)),
    Subset: native('Subset(dataset, indices)', (a) => a.dataset),
  };

  // torchvision.transforms: each a callable object over a sample.
  const transform = (name: string, make: (args: Value[], kwargs: Map<string, Value> | null, r: Range) => TransformState) => {
    const cls: PyClass = new PyClass(
      name,
      [OBJECT],
      {
        construct: (c, args, kwargs, r) => {
          const state = make(args, kwargs, r);
          TRANSFORMS.add(state);
          return new NativeObj<TransformState>(c, state);
        },
        call: (self, args, _k, r) => (self as NativeObj<TransformState>).state.apply(args[0], r),
      },
      'torchvision.transforms',
    );
    return cls;
  };
  const sizeArg = (v: Value, r: Range): [number, number] => {
    const s = torch.ints(v, r);
    return s.length === 1 ? [s[0], s[0]] : [s[0], s[1]];
  };
  const resized = (x: Value, size: [number, number], r: Range): Value => {
    const t = torch.tensorOf(x, r, 'img');
    if (t.shape[1] === size[0] && t.shape[2] === size[1]) return x;
    // The values are synthetic: a new image of the new size with the same statistics.
    const img = (x as TensorObj & { info?: DatasetInfo }).info;
    // Without its dataset's statistics (a tensor made by the script), its mean, to a hundredth so one table of quantiles serves many.
    const info = img ?? { ...DATASETS.ImageFolder, mean: [Math.min(0.99, Math.max(0.01, Math.round(F.mean(t).item() * 100) / 100))], std: [0.25] };
    const out = torch.wrap(syntheticImage(torch, info, [t.shape[0], size[0], size[1]])) as TensorObj & { info?: DatasetInfo };
    out.info = info;
    return out;
  };
  /** A crop of an image at least as large as the crop (the offset chosen by `at` from the room left); a synthetic image of the crop's size otherwise. */
  const cropped = (x: Value, size: [number, number], r: Range, at: (room: number) => number): Value => {
    const t = torch.tensorOf(x, r, 'img');
    const [h, w] = [t.shape[t.rank - 2], t.shape[t.rank - 1]];
    if (h < size[0] || w < size[1]) return resized(x, size, r);
    return torch.wrap(F.narrow(F.narrow(t, t.rank - 2, at(h - size[0]), size[0]), t.rank - 1, at(w - size[1]), size[1]));
  };
  /**
   * torchvision's padding of an image: one amount for every side, (left/right, top/bottom), or
   * (left, top, right, bottom); filled with a constant or mirrored at the edge ('reflect', which
   * CIFAR scripts use with RandomCrop).
   */
  const padded = (x: Value, padding: Value, fill: Value, mode: Value, r: Range): Value => {
    const p = torch.ints(padding, r, 'padding');
    const [left, top, right, bottom] = p.length === 1 ? [p[0], p[0], p[0], p[0]] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : p;
    const t = torch.tensorOf(x, r, 'img');
    if (mode === 'constant') return torch.wrap(F.constantPad(t, [left, right, top, bottom], torch.number(fill, r, 'fill')));
    if (mode !== 'reflect') throw new CantFollow(new PyOpaque(`transforms padding_mode='${String(mode)}'`, r), r);
    // Mirrored without repeating the edge: the `n` rows after the first, reversed, go before it.
    const mirror = (v: Tensor, dim: number, before: number, after: number) => {
      const len = v.shape[dim];
      const parts = [];
      if (before) parts.push(F.flip(F.narrow(v, dim, 1, before), [dim]));
      parts.push(v);
      if (after) parts.push(F.flip(F.narrow(v, dim, len - 1 - after, after), [dim]));
      return parts.length > 1 ? F.cat(parts, dim) : v;
    };
    return torch.wrap(mirror(mirror(t, t.rank - 1, left, right), t.rank - 2, top, bottom));
  };
  const transforms: Record<string, Value> = {
    Compose: transform('Compose', (args, _k, r) => {
      const steps = torch.interp.toArray(args[0] ?? new PyList([]), r);
      // An image never converted, normalised over several channels: it has that many (modeFromNormalize).
      const channels = steps.map((st) => transformState(st)?.normalize?.mean.length ?? 0).find((k) => k > 1);
      const start = (x: Value) => {
        const pil = pilState(x);
        return pil && channels ? pilImage(modeFromNormalize(pil, channels)) : x;
      };
      return { kind: 'Compose', steps, apply: (x, rr) => steps.reduce((v, s) => torch.interp.call(s, [v], null, rr), start(x)) };
    }),
    ToTensor: transform('ToTensor', () => ({ kind: 'ToTensor', apply: (x) => onImage(x, (pil) => imageTensor(torch, pil)) })),
    PILToTensor: transform('PILToTensor', () => ({
      kind: 'PILToTensor',
      apply: (x, rr) => onImage(x, () => {
        throw new CantFollow(new PyOpaque('transforms.PILToTensor() of a synthetic image (its uint8 values)', rr), rr);
      }),
    })),
    Grayscale: transform('Grayscale', (args, kwargs, r) => {
      const n = torch.int(args[0] ?? kwargs?.get('num_output_channels') ?? 1n, r, 'num_output_channels');
      return {
        kind: 'Grayscale',
        apply: (x, rr) => onImage(x, (pil) => pilWith(pil, { mode: n === 1 ? 'L' : 'RGB' }), () => {
          throw new CantFollow(new PyOpaque('transforms.Grayscale() of a tensor', rr), rr);
        }),
      };
    }),
    Normalize: transform('Normalize', (args, kwargs, r) => {
      const mean = numbers(torch, args[0] ?? kwargs?.get('mean') ?? null, r);
      const std = numbers(torch, args[1] ?? kwargs?.get('std') ?? null, r);
      return {
        kind: 'Normalize',
        normalize: { mean, std },
        apply: (x, rr) => {
          if (pilState(x)) torch.interp.raise('TypeError', "img should be Tensor Image. Got <class 'PIL.Image.Image'>", rr);
          const t = torch.tensorOf(x, rr, 'tensor');
          const c = t.shape[0];
          normalizesChannels(torch, { mean, std }, t.shape, rr);
          const m = F.tensor(Array.from({ length: c }, (_, i) => mean[i % mean.length]), [c, 1, 1], t.dtype);
          const s = F.tensor(Array.from({ length: c }, (_, i) => std[i % std.length]), [c, 1, 1], t.dtype);
          return torch.wrap(F.div(F.sub(t, m), s));
        },
      };
    }),
    Resize: transform('Resize', (args, kwargs, r) => {
      const size = args[0] ?? kwargs?.get('size') ?? null;
      return {
        kind: 'Resize',
        apply: (x, rr) => {
          const pil = pilState(x);
          if (pil) {
            if (!isInt(size)) return pilWith(pil, { size: sizeArg(size, r) });
            // The shorter side of an image whose size is the file's: still not known (a crop after it fixes it).
            const s = Number(toBigInt(size));
            const [h, w] = pil.size ?? [0, 0];
            return pilWith(pil, { size: pil.size ? (h <= w ? [s, Math.round((s * w) / h)] : [Math.round((s * h) / w), s]) : null });
          }
          if (isInt(size)) {
            // An int resizes the shorter side, keeping the aspect ratio: a square stays square.
            const t = torch.tensorOf(x, rr, 'img');
            const s = Number(toBigInt(size));
            const [h, w] = [t.shape[1], t.shape[2]];
            return resized(x, h <= w ? [s, Math.round((s * w) / h)] : [Math.round((s * h) / w), s], rr);
          }
          return resized(x, sizeArg(size, r), rr);
        },
      };
    }),
    CenterCrop: transform('CenterCrop', (args, kwargs, r) => {
      const size = sizeArg(args[0] ?? kwargs?.get('size') ?? null, r);
      return { kind: 'CenterCrop', apply: (x, rr) => onImage(x, (pil) => pilWith(pil, { size }), () => cropped(x, size, rr, (room) => Math.floor(room / 2))) };
    }),
    RandomCrop: transform('RandomCrop', (args, kwargs, r) => {
      const size = sizeArg(args[0] ?? kwargs?.get('size') ?? null, r);
      // CIFAR's augmentation, RandomCrop(32, padding=4): the image padded first, then cropped back.
      const padding = args[1] ?? kwargs?.get('padding') ?? null;
      const fill = args[3] ?? kwargs?.get('fill') ?? 0n;
      const mode = args[4] ?? kwargs?.get('padding_mode') ?? 'constant';
      const at = (room: number) => Math.floor(torch.dataRng.uniform() * (room + 1));
      return { kind: 'RandomCrop', apply: (x, rr) => onImage(x, (pil) => pilWith(pil, { size }), () => cropped(padding === null ? x : padded(x, padding, fill, mode, rr), size, rr, at)) };
    }),
    RandomResizedCrop: transform('RandomResizedCrop', (args, kwargs, r) => {
      const size = sizeArg(args[0] ?? kwargs?.get('size') ?? null, r);
      return { kind: 'RandomResizedCrop', apply: (x, rr) => onImage(x, (pil) => pilWith(pil, { size }), () => resized(x, size, rr)) };
    }),
    Pad: transform('Pad', (args, kwargs, r) => {
      const padding = args[0] ?? kwargs?.get('padding') ?? null;
      const fill = args[1] ?? kwargs?.get('fill') ?? 0n;
      const mode = args[2] ?? kwargs?.get('padding_mode') ?? 'constant';
      const grown = (pil: NonNullable<ReturnType<typeof pilState>>, rr: Range) => {
        const p = torch.ints(padding, rr, 'padding');
        const [left, top, right, bottom] = p.length === 1 ? [p[0], p[0], p[0], p[0]] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : p;
        return pilWith(pil, { size: pil.size && [pil.size[0] + top + bottom, pil.size[1] + left + right] });
      };
      return { kind: 'Pad', apply: (x, rr) => onImage(x, (pil) => grown(pil, rr), () => padded(x, padding, fill, mode, rr)) };
    }),
    Lambda: transform('Lambda', (args) => ({ kind: 'Lambda', apply: (x, rr) => torch.interp.call(args[0], [x], null, rr) })),
  };
  for (const name of AUGMENTATIONS) {
    // On a synthetic image of a listed folder: kept as it is, and said so at the read.
    transforms[name] = transform(name, () => ({ kind: name, apply: (x) => onImage(x, (pil) => (pil.read.kept.add(name), x)) }));
  }
  const datasets: Record<string, Value> = {};
  for (const name of Object.keys(DATASETS)) datasets[name] = synthetic(name);
  datasets.DatasetFolder = datasets.ImageFolder;
  const tvDatasets = mirrorModule('torchvision.datasets', datasets);
  const tvTransforms = mirrorModule('torchvision.transforms', transforms);
  const tv = mirrorModule('torchvision', { datasets: tvDatasets, transforms: tvTransforms, utils: opaqueModule('torchvision.utils', NOWHERE) });
  return {
    utilsData,
    modules: [
      ['torchvision', tv],
      ['torchvision.datasets', tvDatasets],
      ['torchvision.transforms', tvTransforms],
    ],
  };
}


function numbers(torch: Torch, v: Value, r: Range): number[] {
  if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x) => torch.number(x, r));
  return [torch.number(v, r)];
}

/** One sample of a synthetic dataset: (image after the transform, class index). */
function sample(torch: Torch, s: SyntheticState, r: Range, key: Value): Value {
  if (!isInt(key)) return torch.interp.raise('TypeError', 'dataset indices must be integers', r);
  // Past the end, an IndexError, as the real dataset raises: iterating a dataset (`for x, y in ds`) stops there.
  const n = s.train ? s.info.train : s.info.test;
  const i = Number(toBigInt(key));
  if (i >= n || i < -n) torch.interp.raise('IndexError', s.name === 'FakeData' ? 'FakeData index out of range' : `index ${i} is out of bounds for dimension 0 with size ${n}`, r);
  s.drawn++;
  if (s.read) {
    // ImageFolder's loader opens each file and converts it to RGB.
    s.read.opened++;
    const pil = pilImage({ read: s.read, mode: 'RGB', size: null });
    return new PyTuple([s.transform === null ? pil : torch.interp.call(s.transform, [pil], null, r), label(torch, s, r)]);
  }
  const img = torch.wrap(syntheticImage(torch, s.info, s.info.shape)) as TensorObj & { info?: DatasetInfo };
  img.info = s.info;
  const x = s.transform === null ? new PyOpaque(`a ${s.name} image without transforms.ToTensor()`, r) : torch.interp.call(s.transform, [img], null, r);
  return new PyTuple([x, label(torch, s, r)]);
}

/** Classes assumed for an ImageFolder's labels: its class folders are never read. */
const ASSUMED_CLASSES = 2;

/** A sample's class: uniform over the dataset's classes, after the target transform. */
function label(torch: Torch, s: SyntheticState, r: Range): Value {
  const classes = s.info.classes;
  // An ImageFolder's classes are folders never read: two assumed (the fewest any classifier has), and said so at the read.
  if (classes === null && s.read) s.read.assumedClasses = ASSUMED_CLASSES;
  const count = classes ?? (s.read ? ASSUMED_CLASSES : null);
  const y: Value = count === null ? new PyOpaque(`the class of an ${s.name} image`, r) : BigInt(Math.floor(torch.dataRng.uniform() * count));
  return s.targetTransform === null ? y : torch.interp.call(s.targetTransform, [y], null, r);
}

/**
 * The leading steps of a transform that act on each pixel alone, folded into one per-channel
 * scale and shift (ToTensor and the augmentations: none; Normalize: (x - m) / s), and the steps
 * after them; null when the first step is none of those.
 */
function pixelwisePrefix(torch: Torch, transform: Value, shape: readonly number[], r: Range): { scale: number[]; shift: number[]; rest: Value[] } | null {
  const channels = shape[0];
  const stateOf = transformState;
  const steps = stateOf(transform)?.steps ?? [transform];
  const scale = new Array<number>(channels).fill(1);
  const shift = new Array<number>(channels).fill(0);
  let k = 0;
  for (; k < steps.length; k++) {
    const st = stateOf(steps[k]);
    if (st?.normalize) {
      normalizesChannels(torch, st.normalize, shape, r);
      const { mean, std } = st.normalize;
      for (let c = 0; c < channels; c++) {
        const sd = std[c % std.length];
        scale[c] /= sd;
        shift[c] = (shift[c] - mean[c % mean.length]) / sd;
      }
    } else if (!st || !KEEPS_SAMPLE.has(st.kind)) break;
  }
  return k === 0 ? null : { scale, shift, rest: steps.slice(k) };
}

/**
 * Normalize's mean and std against an image's channels as torchvision 0.14 applies them (in-place
 * `tensor.sub_(mean).div_(std)` over a (C, 1, 1) view): one value for every channel or one for
 * each, else PyTorch's broadcasting error, raised where the sample is loaded. The three-channel
 * (0.5, 0.5, 0.5) on a one-channel MNIST image is the RuntimeError torch 1.13 gives there.
 */
function normalizesChannels(torch: Torch, n: { mean: number[]; std: number[] }, shape: readonly number[], r: Range): void {
  const c = shape[0];
  for (const k of [n.mean.length, n.std.length]) {
    if (k === 1 || k === c) continue;
    const dims = shape.join(', ');
    if (c === 1) torch.interp.raise('RuntimeError', `output with shape [${dims}] doesn't match the broadcast shape [${[k, ...shape.slice(1)].join(', ')}]`, r);
    torch.interp.raise('RuntimeError', `The size of tensor a (${c}) must match the size of tensor b (${k}) at non-singleton dimension 0`, r);
  }
}

/**
 * `count` samples of a synthetic dataset collated, as the loader gives them, made a batch at once:
 * the pixels drawn into one tensor with the transform's pixelwise steps folded in, the later steps
 * (a Lambda, a crop) applied to each sample's view of it. Null when the transform does not start
 * with a pixelwise step (each sample is then made and transformed alone).
 */
function syntheticBatch(torch: Torch, s: SyntheticState, count: number, r: Range): Value | null {
  if (s.transform === null || s.read) return null;
  const [c, h, w] = s.info.shape;
  const prefix = pixelwisePrefix(torch, s.transform, s.info.shape, r);
  if (!prefix) return null;
  const x = new Tensor(alloc(torch.dtype, count * c * h * w), [count, c, h, w], false, torch.dtype);
  const data = x.data;
  for (let i = 0; i < count; i++) {
    for (let ch = 0; ch < c; ch++) fillPixels(data, (i * c + ch) * h * w, h * w, torch.dataRng, s.info.mean[ch % s.info.mean.length], s.info.std[ch % s.info.std.length], prefix.scale[ch], prefix.shift[ch]);
  }
  s.drawn += count;
  // Each sample a tensor over its own part of the batch's values (no copy: the batch is not used after).
  const size = c * h * w;
  const one = (i: number) => torch.wrap(new Tensor(data.subarray(i * size, (i + 1) * size), [c, h, w], false, torch.dtype));
  const each = (i: number) => prefix.rest.reduce((v, st) => torch.interp.call(st, [v], null, r), one(i));
  const images = prefix.rest.length ? collate(torch, Array.from({ length: count }, (_, i) => each(i)), r) : torch.wrap(x);
  return new PyTuple([images, collate(torch, Array.from({ length: count }, () => label(torch, s, r)), r)]);
}

interface LoaderState {
  dataset: Value;
  /** The sampler given (`sampler=DistributedSampler(dataset)`), else null. */
  sampler: Value;
  batchSize: number;
  shuffle: boolean;
  drop: boolean;
  r: Range;
}

/** PyTorch's default_collate: tensors stacked, numbers to a tensor, tuples position by position. */
function collate(torch: Torch, items: Value[], r: Range): Value {
  const first = items[0];
  if (first instanceof TensorObj) return torch.wrap(stacked(items.map((x) => torch.tensorOf(x, r))));
  if (isInt(first)) return torch.wrap(F.tensor(items.map((x) => Number(toBigInt(x as bigint))), [items.length], 'int64'));
  if (typeof first === 'number') return torch.wrap(F.tensor(items as number[], [items.length], 'float64'));
  if (first instanceof PyTuple || first instanceof PyList) {
    const n = first.items.length;
    const cols = Array.from({ length: n }, (_, i) => collate(torch, items.map((x) => (x as PyTuple).items[i]), r));
    return first instanceof PyTuple ? new PyTuple(cols) : new PyList(cols);
  }
  if (first instanceof PyDict) {
    const d = new PyDict();
    for (const k of first.keys()) d.set(k, collate(torch, items.map((x) => (x as PyDict).get(k) ?? null), r));
    return d;
  }
  if (first instanceof PyOpaque) throw new CantFollow(first, r);
  return torch.interp.raise('TypeError', `default_collate: batch must contain tensors, numbers, dicts or lists; found ${typeof first}`, r);
}

/**
 * torch.stack of samples: their values copied once into the batch when none needs a gradient (as
 * loaded data does not); F.stack, which copies each into an unsqueezed view first, otherwise.
 */
function stacked(xs: Tensor[]): Tensor {
  const first = xs[0];
  if (xs.some((x) => x.requiresGrad || x.dtype !== first.dtype || x.rank !== first.rank || x.shape.some((d, i) => d !== first.shape[i]))) return F.stack(xs);
  const out = new Tensor(alloc(first.dtype, xs.length * first.size), [xs.length, ...first.shape], false, first.dtype);
  xs.forEach((x, i) => out.data.set(x.data, i * first.size));
  return out;
}

/** Batches of a loader, drawn as the training loop asks for them. */
/** What iter(loader) is in torch 1.13 with num_workers=0: its name is in the AttributeError of Python 2's `data_iter.next()`. */
const LOADER_ITER = new PyClass('_SingleProcessDataLoaderIter', [T.iterator], null, 'torch.utils.data.dataloader');

function loaderIter(torch: Torch, s: LoaderState, r: Range): PyIter {
  const interp = torch.interp;
  const ds = s.dataset;
  if (ds instanceof PyOpaque) throw new CantFollow(ds, r);
  // TensorDataset: rows of its tensors, the batch at once.
  if (ds instanceof NativeObj && Array.isArray((ds.state as { tensors?: Tensor[] }).tensors)) {
    const tensors = (ds.state as { tensors: Tensor[] }).tensors;
    const n = tensors[0]?.shape[0] ?? 0;
    const order = Array.from({ length: n }, (_, i) => i);
    if (s.shuffle) for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(torch.dataRng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let at = 0;
    return new PyIter(() => {
      if (at >= n || (s.drop && at + s.batchSize > n)) return undefined;
      const idx = F.tensor(order.slice(at, at + s.batchSize), [Math.min(s.batchSize, n - at)], 'int64');
      at += s.batchSize;
      return new PyTuple(tensors.map((t) => torch.wrap(F.indexSelect(t, 0, idx))));
    }, LOADER_ITER);
  }
  // Any map-style dataset (a torchvision one, or the user's class with __getitem__ and __len__).
  const n = P.len(interp, ds, r);
  const synthetic = ds instanceof NativeObj && SYNTHETIC.has(ds.state as SyntheticState) ? (ds.state as SyntheticState) : null;
  let at = 0;
  return new PyIter(() => {
    if (at >= n || (s.drop && at + s.batchSize > n)) return undefined;
    // A synthetic sample is the same whichever index it has: the batch is drawn at once.
    const whole = synthetic && syntheticBatch(torch, synthetic, Math.min(s.batchSize, n - at), r);
    if (whole) {
      at += s.batchSize;
      return whole;
    }
    const items: Value[] = [];
    for (let i = 0; i < s.batchSize && at < n; i++, at++) {
      const k = s.shuffle ? BigInt(Math.floor(torch.dataRng.uniform() * n)) : BigInt(at);
      items.push(P.getItem(interp, ds, k, r));
    }
    return collate(torch, items, r);
  }, LOADER_ITER);
}

export { PyInstance };
