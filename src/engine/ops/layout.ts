/** Ops that move elements without arithmetic: reshape, transpose, concat, slice. */
import type { OpTable } from './types';

export interface LayoutAttrs {
  reshape: { shape: number[] };
  /** A permutation of the axes (PyTorch's permute; transpose(d0, d1) is a swap). */
  transpose: { perm: number[] };
  concat: { axis: number };
  /** Per axis [start, end), step 1. */
  slice: { starts: number[]; ends: number[] };
}

export const layoutOps = {} as OpTable<LayoutAttrs>;
