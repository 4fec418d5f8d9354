/** Adaptive pooling: windows sized so the output has the requested size, PyTorch's start/end rule. */
import { like } from '../dtype';
import { formatShape, Shape, ShapeError } from '../shape';
import { defineOp, OpTable } from './types';

export interface PoolAttrs {
  /** (N, C, H, W) or (C, H, W) → (…, oh, ow); output window i spans [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉). */
  adaptive_avg_pool2d: { outputSize: [number, number] };
  /** The same windows, each cell the window's largest value (NaN wins, as in PyTorch). */
  adaptive_max_pool2d: { outputSize: [number, number] };
}

interface AdaptiveGeometry {
  planes: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  shape: Shape;
}

function adaptiveGeometry(op: string, x: Shape, [oh, ow]: [number, number]): AdaptiveGeometry {
  if (x.length !== 3 && x.length !== 4) throw new ShapeError(`${op}: expected 3D or 4D input, got ${formatShape(x)}`);
  if (!(Number.isInteger(oh) && Number.isInteger(ow) && oh >= 1 && ow >= 1)) throw new ShapeError(`${op}: output_size must be positive, got [${oh}, ${ow}]`);
  const h = x[x.length - 2];
  const w = x[x.length - 1];
  if (h === 0 || w === 0) throw new ShapeError(`${op}: expected input to have non-zero size for non-batch dimensions, got ${formatShape(x)}`);
  let planes = 1;
  for (const d of x.slice(0, -2)) planes *= d;
  return { planes, h, w, oh, ow, shape: [...x.slice(0, -2), oh, ow] };
}

const start = (i: number, out: number, size: number): number => Math.floor((i * size) / out);
const end = (i: number, out: number, size: number): number => Math.ceil(((i + 1) * size) / out);

/** Visits every output cell with its window and the window's element count. */
function eachWindow(g: AdaptiveGeometry, visit: (q: number, base: number, y0: number, y1: number, x0: number, x1: number, count: number) => void): void {
  const { planes, h, w, oh, ow } = g;
  for (let pl = 0, q = 0; pl < planes; pl++) {
    for (let y = 0; y < oh; y++) {
      const y0 = start(y, oh, h);
      const y1 = end(y, oh, h);
      for (let xq = 0; xq < ow; xq++, q++) {
        const x0 = start(xq, ow, w);
        const x1 = end(xq, ow, w);
        visit(q, pl * h * w, y0, y1, x0, x1, (y1 - y0) * (x1 - x0));
      }
    }
  }
}

export const poolOps: OpTable<PoolAttrs> = {
  // d adaptive avg = dy/(window size) to every element of the window (windows may overlap)
  adaptive_avg_pool2d: defineOp({
    // PyTorch's node saves its input (for its shape), though the gradient reads none of its values
    saves: [0],
    forward: ([x], { outputSize }) => {
      const g = adaptiveGeometry('adaptive_avg_pool2d', x.shape, outputSize);
      const d = x.data;
      const out = like(d, g.planes * g.oh * g.ow);
      eachWindow(g, (q, base, y0, y1, x0, x1, count) => {
        let acc = 0;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) acc += d[base + iy * g.w + ix];
        out[q] = acc / count;
      });
      return { data: out, shape: g.shape, saved: g };
    },
    backward: ({ gy, inputs: [x], saved: g }) => {
      const dx = like(gy, x.size);
      eachWindow(g, (q, base, y0, y1, x0, x1, count) => {
        const v = gy[q] / count;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) dx[base + iy * g.w + ix] += v;
      });
      return [dx];
    },
  }),
  // d adaptive max = dy to the window's argmax alone (the first largest; overlapping windows add up)
  adaptive_max_pool2d: defineOp({
    // PyTorch's node saves its input and the indices
    saves: [0],
    forward: ([x], { outputSize }) => {
      const g = adaptiveGeometry('adaptive_max_pool2d', x.shape, outputSize);
      const d = x.data;
      const out = like(d, g.planes * g.oh * g.ow);
      const argmax = new Int32Array(out.length);
      eachWindow(g, (q, base, y0, y1, x0, x1) => {
        let best = base + y0 * g.w + x0;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const i = base + iy * g.w + ix;
            if (d[i] > d[best] || (Number.isNaN(d[i]) && !Number.isNaN(d[best]))) best = i;
          }
        }
        out[q] = d[best];
        argmax[q] = best;
      });
      return { data: out, shape: g.shape, saved: argmax };
    },
    backward: ({ gy, inputs: [x], saved: argmax }) => {
      const dx = like(gy, x.size);
      for (let q = 0; q < argmax.length; q++) dx[argmax[q]] += gy[q];
      return [dx];
    },
  }),
};
