/** Ops that index or mask: embedding lookup and seeded dropout. */
import type { Rng } from '../rng';
import type { OpTable } from './types';

export interface SparseAttrs {
  /** inputs: [indices (any shape, integer values stored as floats), weight (num, dim)] */
  embedding: { paddingIdx: number | null };
  /** Inverted dropout: kept units are scaled by 1/(1-p); identity when not training. */
  dropout: { p: number; training: boolean; rng: Rng };
}

export const sparseOps = {} as OpTable<SparseAttrs>;
