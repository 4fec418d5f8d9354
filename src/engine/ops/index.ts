/**
 * The table of every op. Each family declares its ops' attributes and an `OpTable` over them, so an
 * op without a forward and backward does not compile; no registry is filled by side-effect imports.
 */
import { ActivationAttrs, activationOps } from './activation';
import { CompareAttrs, compareOps } from './compare';
import { ConvAttrs, convOps } from './conv';
import { CustomAttrs, customOps } from './custom';
import { ElementwiseAttrs, elementwiseOps } from './elementwise';
import { IndexingAttrs, indexingOps } from './indexing';
import { LayoutAttrs, layoutOps } from './layout';
import { LinalgAttrs, linalgOps } from './linalg';
import { LossAttrs, lossOps } from './loss';
import { NormAttrs, normOps } from './norm';
import { PoolAttrs, poolOps } from './pool';
import { RecurrentAttrs, recurrentOps } from './recurrent';
import { ReduceAttrs, reduceOps } from './reduce';
import { SparseAttrs, sparseOps } from './sparse';
import type { OpTable } from './types';

export type OpAttrs = ElementwiseAttrs &
  ActivationAttrs &
  ReduceAttrs &
  LayoutAttrs &
  IndexingAttrs &
  CompareAttrs &
  LinalgAttrs &
  ConvAttrs &
  PoolAttrs &
  RecurrentAttrs &
  NormAttrs &
  SparseAttrs &
  LossAttrs &
  CustomAttrs;

export type OpKind = keyof OpAttrs;

export const OPS: OpTable<OpAttrs> = {
  ...elementwiseOps,
  ...activationOps,
  ...reduceOps,
  ...layoutOps,
  ...indexingOps,
  ...compareOps,
  ...linalgOps,
  ...convOps,
  ...poolOps,
  ...recurrentOps,
  ...normOps,
  ...sparseOps,
  ...lossOps,
  ...customOps,
};
