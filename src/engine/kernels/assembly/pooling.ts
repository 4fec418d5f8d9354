/**
 * Max pooling over planes of H×W floats (every leading axis of NCHW is a plane): each output is
 * the largest in-bounds value of its window and `arg` the flat index into x of where it was found,
 * with the JavaScript kernel's rules: the first maximum on ties, a NaN wins (the last NaN of the
 * window), padding never competes. Comparisons and selects without branches: on real activations
 * "is this one larger" is a coin toss, which a branch mispredicts half the time.
 */

/** Sizes of one pooling, in the order the JavaScript side writes them (i32 words). */
@unmanaged
export class PoolJob {
  planes: i32;
  h: i32;
  w: i32;
  kh: i32;
  kw: i32;
  sh: i32;
  sw: i32;
  ph: i32;
  pw: i32;
  oh: i32;
  ow: i32;
  x: usize;
  y: usize;
  arg: usize;
}

export function maxPool(job: usize): void {
  const g = changetype<PoolJob>(job);
  if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0) maxPool2x2(g);
  else maxPoolAny(g);
}

/** Any window, stride and padding, one output at a time. */
function maxPoolAny(g: PoolJob): void {
  const h = g.h, w = g.w, kh = g.kh, kw = g.kw, sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw, oh = g.oh, ow = g.ow;
  let q: usize = 0;
  for (let pl = 0; pl < g.planes; pl++) {
    const base = pl * h * w;
    for (let y = 0; y < oh; y++) {
      const y0 = max(y * sh - ph, 0);
      const y1 = min(y * sh - ph + kh, h);
      for (let xq = 0; xq < ow; xq++, q++) {
        const x0 = max(xq * sw - pw, 0);
        const x1 = min(xq * sw - pw + kw, w);
        let best: f32 = -Infinity;
        let at = base + y0 * w + x0;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const i = base + iy * w + ix;
            const v = load<f32>(g.x + <usize>i * 4);
            const take = v > best || v != v;
            best = select<f32>(v, best, take);
            at = select<i32>(i, at, take);
          }
        }
        store<f32>(g.y + q * 4, best);
        store<i32>(g.arg + q * 4, at);
      }
    }
  }
}

/** Lanes 0, 2, 4, 6 (even) or 1, 3, 5, 7 (odd) of the eight floats a, b. */
// @ts-ignore: decorator
@inline
function evens(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
}

// @ts-ignore: decorator
@inline
function odds(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
}

/**
 * The CNN's usual 2×2 window with stride 2 and no padding, four outputs at a time: the window's
 * four candidates in the order the general loop visits them, the first taken as it is (against
 * −inf it is taken unless it is −inf, and then its index is the one kept anyway).
 */
function maxPool2x2(g: PoolJob): void {
  const h = g.h, w = g.w, oh = g.oh, ow = g.ow;
  const full = ow & ~3;
  const step = i32x4.splat(8);
  let q: usize = 0;
  for (let pl = 0; pl < g.planes; pl++) {
    const base = pl * h * w;
    for (let y = 0; y < oh; y++) {
      const row0 = base + 2 * y * w;
      const top = g.x + <usize>row0 * 4;
      const bottom = top + <usize>w * 4;
      // indices of the four windows' top-left elements
      let idx = i32x4.add(i32x4.splat(row0), i32x4(0, 2, 4, 6));
      for (let xq = 0; xq < full; xq += 4, q += 4) {
        const off = <usize>(2 * xq) * 4;
        const t0 = v128.load(top + off);
        const t1 = v128.load(top + off, 16);
        const b0 = v128.load(bottom + off);
        const b1 = v128.load(bottom + off, 16);
        let best = evens(t0, t1);
        let at = idx;
        let v = odds(t0, t1);
        let take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(idx, i32x4.splat(1)), at, take);
        v = evens(b0, b1);
        take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(idx, i32x4.splat(w)), at, take);
        v = odds(b0, b1);
        take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(idx, i32x4.splat(w + 1)), at, take);
        v128.store(g.y + q * 4, best);
        v128.store(g.arg + q * 4, at);
        idx = i32x4.add(idx, step);
      }
      for (let xq = full; xq < ow; xq++, q++) {
        const i = row0 + 2 * xq;
        let best = load<f32>(g.x + <usize>i * 4);
        let at = i;
        for (let c = 1; c < 4; c++) {
          const j = i + (c >> 1) * w + (c & 1);
          const v = load<f32>(g.x + <usize>j * 4);
          const take = v > best || v != v;
          best = select<f32>(v, best, take);
          at = select<i32>(j, at, take);
        }
        store<f32>(g.y + q * 4, best);
        store<i32>(g.arg + q * 4, at);
      }
    }
  }
}

