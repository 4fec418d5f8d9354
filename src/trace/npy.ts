/**
 * NumPy's .npy format (versions 1 to 3), read into a tensor's values: little- or big-endian floats,
 * integers, unsigned integers and booleans, in C or Fortran order. The header is a Python dict
 * literal: `{'descr': '<f4', 'fortran_order': False, 'shape': (8, 10), }`.
 */

export interface NpyArray {
  shape: number[];
  /** Row-major (C order) values. */
  data: Float64Array;
}

export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Reads one value at `offset` for a descr's kind and size. */
function reader(descr: string): { size: number; read: (view: DataView, offset: number) => number } {
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw new NpyError(`unsupported dtype '${descr}': use float32, float64, int, uint or bool arrays`);
  const little = m[1] !== '>';
  const kind = m[2];
  const size = Number(m[3]);
  const key = `${kind}${size}`;
  switch (key) {
    case 'f4':
      return { size, read: (v, o) => v.getFloat32(o, little) };
    case 'f8':
      return { size, read: (v, o) => v.getFloat64(o, little) };
    case 'i1':
      return { size, read: (v, o) => v.getInt8(o) };
    case 'i2':
      return { size, read: (v, o) => v.getInt16(o, little) };
    case 'i4':
      return { size, read: (v, o) => v.getInt32(o, little) };
    case 'i8':
      return { size, read: (v, o) => Number(v.getBigInt64(o, little)) };
    case 'u1':
    case 'b1':
      return { size, read: (v, o) => v.getUint8(o) };
    case 'u2':
      return { size, read: (v, o) => v.getUint16(o, little) };
    case 'u4':
      return { size, read: (v, o) => v.getUint32(o, little) };
    case 'u8':
      return { size, read: (v, o) => Number(v.getBigUint64(o, little)) };
    default:
      throw new NpyError(`unsupported dtype '${descr}': use float32, float64, int, uint or bool arrays`);
  }
}

export function parseNpy(bytes: Uint8Array, maxValues = 2 ** 31 - 1): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError('not a .npy file (it does not start with \\x93NUMPY)');
  const major = bytes[6];
  if (major < 1 || major > 3) throw new NpyError(`unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : bytes.length >= 12 ? view.getUint32(8, true) : -1;
  const headerStart = major === 1 ? 10 : 12;
  if (headerLen < 0 || headerStart + headerLen > bytes.length) throw new NpyError('the .npy header runs past the end of the file');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError("the .npy header lacks 'descr', 'fortran_order' or 'shape' (a structured array?)");
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+L?$/.test(s) ? Number(s.replace('L', '')) : NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw new NpyError(`the .npy shape (${shapeText}) is not a tuple of sizes`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > maxValues) throw new NpyError(`the .npy array has ${count} values, more than can be held`);
  const { size, read } = reader(descr);
  const dataStart = headerStart + headerLen;
  if (bytes.length - dataStart !== count * size) {
    throw new NpyError(`the .npy data holds ${bytes.length - dataStart} bytes, but shape (${shape.join(', ')}) of ${descr} needs ${count * size}`);
  }
  const data = new Float64Array(count);
  if (fortran === 'False' || shape.length < 2) {
    for (let i = 0; i < count; i++) data[i] = read(view, dataStart + i * size);
  } else {
    // Fortran order: the first axis varies fastest. Walk the C-order index and compute its offset.
    const strides = new Array<number>(shape.length);
    let s = 1;
    for (let a = 0; a < shape.length; a++) {
      strides[a] = s;
      s *= shape[a];
    }
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < count; i++) {
      let f = 0;
      for (let a = 0; a < shape.length; a++) f += index[a] * strides[a];
      data[i] = read(view, dataStart + f * size);
      for (let a = shape.length - 1; a >= 0; a--) {
        if (++index[a] < shape[a]) break;
        index[a] = 0;
      }
    }
  }
  return { shape, data };
}
