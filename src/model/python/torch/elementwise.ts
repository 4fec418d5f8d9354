/**
 * The elementwise math that torch offers both as a function and as a tensor method
 * (`torch.exp(x)` and `x.exp()`): one table, so the two spellings cannot drift apart.
 */
import * as F from '../../../engine/functional';
import type { Tensor } from '../../../engine/tensor';

export const UNARY_MATH: Record<string, (x: Tensor) => Tensor> = {
  exp: F.exp,
  log: F.log,
  sqrt: F.sqrt,
  rsqrt: F.rsqrt,
  sin: F.sin,
  cos: F.cos,
  log1p: F.log1p,
  expm1: F.expm1,
  abs: F.abs,
  sign: F.sign,
  floor: F.floor,
  ceil: F.ceil,
  round: F.round,
  trunc: F.trunc,
  neg: F.neg,
  square: F.square,
  isnan: F.isnan,
  isinf: F.isinf,
  isfinite: F.isfinite,
  logical_not: F.logicalNot,
};
