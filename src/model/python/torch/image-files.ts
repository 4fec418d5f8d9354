/**
 * Image files without reading any. A folder listed by the script (glob.glob, os.listdir,
 * torchvision's ImageFolder) is a list of made-up file names, and PIL's `Image.open` of one of them a
 * synthetic image whose mode and size are what the script makes them (`.convert('RGB')`, a Resize or
 * a crop); ToTensor then draws its pixels from the run's data generator, with ImageNet's per-channel
 * statistics. What the script never fixes (the size of images it never resizes, the mode of images it
 * never converts) is the files' own, not known here: can't follow, at the read, naming what is unknown.
 */
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import { moduleMember, opaqueModule, type Interpreter } from '../interpreter';
import { native } from '../native';
import * as P from '../protocol';
import { isInt, OBJECT, PyClass, PyIter, PyList, PyModule, PyOpaque, PyTuple, toBigInt, typeName, type Value } from '../values';
import { syntheticImage } from './pixels';
import { NativeObj, type TensorObj, type Torch } from './runtime';

/** How many names a listed folder gives: its real count is not known (the folder is never read). */
export const LISTED_FILES = 1000;

/** One folder the script lists: what it stands for, and what its images became. */
export interface ImageRead {
  at: Range;
  /** The call in the user's words: `glob.glob(...)`, `os.listdir(...)`, `datasets.ImageFolder(...)`. */
  what: string;
  count: number;
  /** Images opened from it. */
  opened: number;
  /** The shapes ToTensor gave its images, as `3×256×256`. */
  shapes: Set<string>;
  /** Transforms that left its synthetic images as they are (RandomHorizontalFlip, ColorJitter, ...). */
  kept: Set<string>;
  /** How the mode of images the script never converts was settled, when it was. */
  assumedMode: string | null;
  /** Classes assumed for its labels (an ImageFolder's class folders are never read), when labels were drawn. */
  assumedClasses?: number;
}

/** A PIL image of a listed folder: its mode and size as far as the script has fixed them. */
export interface PilState {
  read: ImageRead;
  /** PIL's mode ('RGB', 'L', ...); null: the file's own, never converted. */
  mode: string | null;
  /** [height, width]; null: the file's own, never resized. */
  size: [number, number] | null;
}

/** Channels of a tensor ToTensor makes from an image of each PIL mode. */
const MODE_CHANNELS: Record<string, number> = { '1': 1, L: 1, P: 1, I: 1, F: 1, LA: 2, RGB: 3, YCbCr: 3, LAB: 3, HSV: 3, RGBA: 4, CMYK: 4 };
/** Pixel statistics of the synthetic images: ImageNet's per channel (every tutorial's Normalize), their mean for one channel. */
const RGB_MEAN = [0.485, 0.456, 0.406];
const RGB_STD = [0.229, 0.224, 0.225];
const GRAY_MEAN = [0.449];
const GRAY_STD = [0.226];

/** The made-up name of file `i` of read `k`: what Image.open recognises (any folder before it). */
const NAME = /gl-synthetic-(\d+)-(\d+)\.\w+$/;
const fileName = (k: number, i: number, ext: string) => `gl-synthetic-${k}-${String(i).padStart(4, '0')}.${ext}`;

/** A new listed folder of the run. */
export function listFolder(torch: Torch, at: Range, what: string): ImageRead {
  const read: ImageRead = { at, what, count: LISTED_FILES, opened: 0, shapes: new Set(), kept: new Set(), assumedMode: null };
  torch.imageReads.push(read);
  return read;
}

/** The names a listed folder gives, each `folder/` + a made-up name with the pattern's extension (jpg when it names none). */
function names(torch: Torch, read: ImageRead, folder: string, ext: string): PyList {
  const k = torch.imageReads.indexOf(read);
  return new PyList(Array.from({ length: read.count }, (_, i) => folder + fileName(k, i, ext)));
}

/** The PIL image state of a value, or null. */
export function pilState(v: Value): PilState | null {
  return v instanceof NativeObj && PIL_IMAGES.has(v.state as PilState) ? (v.state as PilState) : null;
}
const PIL_IMAGES = new WeakSet<PilState>();

let imageClass: PyClass | null = null;

/** A PIL image of this state (`PIL.Image.Image`). */
export function pilImage(state: PilState): Value {
  PIL_IMAGES.add(state);
  return new NativeObj<PilState>(imageClass ??= makeImageClass(), state);
}

/** The same image with another mode or size (PIL's operations return a new image). */
export function pilWith(s: PilState, change: Partial<Pick<PilState, 'mode' | 'size'>>): Value {
  return pilImage({ ...s, ...change });
}

function makeImageClass(): PyClass {
  const state = (v: Value) => (v as NativeObj<PilState>).state;
  const cls = new PyClass(
    'Image',
    [OBJECT],
    {
      getattr: (v, attr, r) => {
        const s = state(v);
        if (attr === 'mode') return s.mode ?? new PyOpaque(`the mode of an image ${s.read.what} lists (the file's own)`, r);
        // PIL's size is (width, height).
        if (attr === 'size') return s.size ? new PyTuple([BigInt(s.size[1]), BigInt(s.size[0])]) : new PyOpaque(`the size of an image ${s.read.what} lists (the file's own)`, r);
        if (attr === 'width' || attr === 'height') return s.size ? BigInt(s.size[attr === 'width' ? 1 : 0]) : new PyOpaque(`the ${attr} of an image ${s.read.what} lists (the file's own)`, r);
        return undefined;
      },
      enter: (v) => v,
      repr: (v) => `<PIL.Image.Image image mode=${state(v).mode ?? '?'} size=${state(v).size ? `${state(v).size![1]}x${state(v).size![0]}` : '?'}>`,
    },
    'PIL.Image',
  );
  cls.dict.set('convert', native('convert(self, mode=None, matrix=None, dither=None, palette=0, colors=256)', (a, r, interp) => {
    const mode = a.mode;
    if (mode === null) return a.self;
    if (typeof mode !== 'string') throw new CantFollow(new PyOpaque('Image.convert(mode) of a mode not written in the script', r), r);
    if (!(mode in MODE_CHANNELS)) interp.raise('ValueError', `conversion from ${state(a.self).mode ?? 'RGB'} to ${mode} not supported`, r);
    return pilWith(state(a.self), { mode });
  }, { method: true }));
  cls.dict.set('resize', native('resize(self, size, resample=None, box=None, reducing_gap=None)', (a, r, interp) => {
    const [w, h] = interp.toArray(a.size, r).map((d) => (isInt(d) ? Number(toBigInt(d)) : interp.raise('TypeError', "'float' object cannot be interpreted as an integer", r)));
    return pilWith(state(a.self), { size: [h, w] });
  }, { method: true }));
  for (const same of ['copy', 'load']) cls.dict.set(same, native(`${same}(self)`, (a) => (same === 'load' ? null : a.self), { method: true }));
  cls.dict.set('close', native('close(self)', () => null, { method: true }));
  return cls;
}

/**
 * ToTensor of a synthetic image: [C, H, W] in [0, 1], drawn from the run's data generator. Its mode
 * and size must be the script's: the files' own are not known.
 */
export function imageTensor(torch: Torch, s: PilState): TensorObj {
  const { read } = s;
  if (s.mode === null) throw new CantFollow(new PyOpaque(`the mode of the images ${read.what} lists (RGB or grayscale: the files decide, and the script never calls .convert('RGB') or .convert('L'))`, read.at), read.at);
  if (s.size === null) throw new CantFollow(new PyOpaque(`the size of the images ${read.what} lists (the files decide: no Resize((h, w)), CenterCrop, RandomCrop or RandomResizedCrop fixes it before ToTensor)`, read.at), read.at);
  const c = MODE_CHANNELS[s.mode];
  const [mean, std] = c === 1 ? [GRAY_MEAN, GRAY_STD] : [RGB_MEAN, RGB_STD];
  read.shapes.add(`${c}×${s.size[0]}×${s.size[1]}`);
  return torch.wrap(syntheticImage([c, s.size[0], s.size[1]], torch.dtype, torch.dataRng, mean, std));
}

/**
 * An image never converted whose transform normalises several channels: PyTorch's Normalize fails on
 * any other count, so the script's images have that many (three: RGB).
 */
export function modeFromNormalize(s: PilState, channels: number): PilState {
  const mode = Object.keys(MODE_CHANNELS).find((m) => MODE_CHANNELS[m] === channels && m !== 'YCbCr');
  if (s.mode !== null || channels < 2 || !mode) return s;
  s.read.assumedMode ??= `${mode} (the images are never converted; Normalize's ${channels} means say ${channels} channels)`;
  return { ...s, mode };
}

/** The info at a listed folder's read: what stands for its files. */
export function imageReadNote(read: ImageRead, seed: number): string {
  const what = read.opened || read.shapes.size ? `${read.count} synthetic images` : `${read.count} made-up file names`;
  const shapes = read.shapes.size ? `, ${[...read.shapes].join(' and ')} after the script's transforms, pixels drawn with seed ${seed} from ImageNet's per-channel mean and std` : '';
  const mode = read.assumedMode ? `; mode ${read.assumedMode}` : '';
  const classes = read.assumedClasses ? `; labels drawn from ${read.assumedClasses} classes (the class folders are never read, so their count is not known: ${read.assumedClasses}, the fewest a classifier has, is assumed)` : '';
  const kept = read.kept.size ? `; ${[...read.kept].join(', ')} leave${read.kept.size === 1 ? 's' : ''} a synthetic image as it is` : '';
  return `${read.what} is read as ${what} (Gradient Lens never reads the user's files, and the names are made up)${shapes}${mode}${classes}${kept}`;
}

// ── the modules: glob, os.listdir and os.path, PIL.Image ────────────────────

const text = (interp: Interpreter, v: Value, r: Range) => (typeof v === 'string' ? P.repr(interp, v, r) : '...');

/** `glob.glob(pattern)`: the made-up names of a folder, in the pattern's folder with its extension. */
export function globModule(torch: Torch): PyModule {
  const m = new PyModule('glob');
  m.partial = true;
  m.missing = (name, at) => moduleMember(opaqueModule('glob', at), name, at);
  const listed = (name: string) => (a: Record<string, Value>, r: Range, interp: Interpreter) => {
    const pattern = a.pathname;
    const read = listFolder(torch, r, `${name}(${text(interp, pattern, r)})`);
    const p = typeof pattern === 'string' ? pattern : '';
    const slash = p.lastIndexOf('/');
    const ext = /\.([A-Za-z0-9]+)$/.exec(p)?.[1] ?? 'jpg';
    // Wildcards in the folder part (`root/*/`: one folder per class) stand for one made-up folder.
    return names(torch, read, p.slice(0, slash + 1).replace(/[*?[\]]/g, '_'), ext);
  };
  const glob = listed('glob.glob');
  m.dict.set('glob', native('glob(pathname, *, root_dir=None, dir_fd=None, recursive=False)', glob));
  m.dict.set('iglob', native('iglob(pathname, *, root_dir=None, dir_fd=None, recursive=False)', (a, r, interp) => {
    const list = listed('glob.iglob')(a, r, interp);
    let i = 0;
    return new PyIter(() => (i < list.items.length ? list.items[i++] : undefined));
  }));
  return m;
}

/** os.listdir (a folder's made-up file names) and os.path's string arithmetic, added to a run's `os`. */
export function addFolderListing(torch: Torch, os: PyModule): PyModule {
  os.dict.set('listdir', native('listdir(path=".")', (a, r, interp) => names(torch, listFolder(torch, r, `os.listdir(${text(interp, a.path, r)})`), '', 'jpg')));
  const path = new PyModule('os.path');
  path.partial = true;
  path.missing = (name, at) => moduleMember(opaqueModule('os.path', at), name, at);
  const pure = { propagate: true };
  const str = (v: Value, r: Range, interp: Interpreter): string => (typeof v === 'string' ? v : interp.raise('TypeError', `expected str, bytes or os.PathLike object, not ${typeName(v)}`, r));
  path.dict.set('join', native('join(a, *p)', (a, r, interp) => {
    let out = str(a.a, r, interp);
    for (const part of a.__varargs ?? []) {
      const s = str(part, r, interp);
      out = s.startsWith('/') ? s : out === '' || out.endsWith('/') ? out + s : `${out}/${s}`;
    }
    return out;
  }, pure));
  path.dict.set('basename', native('basename(p)', (a, r, interp) => str(a.p, r, interp).slice(str(a.p, r, interp).lastIndexOf('/') + 1), pure));
  path.dict.set('dirname', native('dirname(p)', (a, r, interp) => {
    const p = str(a.p, r, interp);
    const head = p.slice(0, p.lastIndexOf('/') + 1);
    return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
  }, pure));
  path.dict.set('splitext', native('splitext(p)', (a, r, interp) => {
    const p = str(a.p, r, interp);
    const dot = p.lastIndexOf('.');
    const base = p.lastIndexOf('/') + 1;
    // A leading dot of the name (`.bashrc`) is no extension.
    return dot > base && p.slice(base, dot).replace(/\./g, '') !== '' ? new PyTuple([p.slice(0, dot), p.slice(dot)]) : new PyTuple([p, '']);
  }, pure));
  // A made-up name is a file of the folder listed: what the script filters its listing by.
  const synthetic = (name: string) => native(`${name}(path)`, (a, r) => (typeof a.path === 'string' && NAME.test(a.path) ? name !== 'isdir' : new PyOpaque(`os.path.${name}(...) (the user's disk is not read)`, r)));
  for (const name of ['isfile', 'exists', 'isdir']) path.dict.set(name, synthetic(name));
  os.dict.set('path', path);
  return os;
}

/** PIL and PIL.Image: Image.open of a listed folder's file, and the resampling filters' numbers. */
export function pilModules(torch: Torch): { PIL: PyModule; Image: PyModule } {
  const Image = new PyModule('PIL.Image');
  Image.partial = true;
  Image.missing = (name, at) => moduleMember(opaqueModule('PIL.Image', at), name, at);
  imageClass ??= makeImageClass();
  Image.dict.set('Image', imageClass);
  Object.entries({ NEAREST: 0, LANCZOS: 1, ANTIALIAS: 1, BILINEAR: 2, BICUBIC: 3, BOX: 4, HAMMING: 5 }).forEach(([k, v]) => Image.dict.set(k, BigInt(v)));
  Image.dict.set('open', native('open(fp, mode="r", formats=None)', (a, r) => {
    const fp = a.fp;
    const found = typeof fp === 'string' ? NAME.exec(fp) : null;
    const read = found ? torch.imageReads[Number(found[1])] : undefined;
    if (!read) {
      const what = typeof fp === 'string' ? `the image file ${JSON.stringify(fp)}` : 'an image file not named in the script';
      throw new CantFollow(new PyOpaque(`${what} (Gradient Lens never reads the user's files: a folder listed by glob.glob, os.listdir or ImageFolder stands for synthetic images)`, r), r);
    }
    read.opened++;
    return pilImage({ read, mode: null, size: null });
  }));
  const PIL = new PyModule('PIL');
  PIL.partial = true;
  PIL.missing = (name, at) => moduleMember(opaqueModule('PIL', at), name, at);
  PIL.dict.set('Image', Image);
  return { PIL, Image };
}
