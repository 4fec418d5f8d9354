/**
 * The op parity cases: the same computation written for PyTorch (Python statements assigning `out`)
 * and for the engine. Inputs are float (the run's dtype, requiring a gradient unless grad: false),
 * int64 or bool; values are drawn from a seeded Rng unless given.
 */
import type { DType, Tensor } from '../../src/engine';
import type { nn } from '../../src/engine';
import { Rng } from '../../src/engine';
import * as F from '../../src/engine';

export interface InputSpec {
  shape: number[];
  dtype?: 'float' | 'int64' | 'bool';
  grad?: boolean;
  low?: number;
  high?: number;
  values?: number[];
}

export interface OpCase {
  name: string;
  inputs: Record<string, InputSpec>;
  py: string;
  ts: (t: Record<string, Tensor>, dtype: DType, m: nn.Module) => Tensor | readonly Tensor[];
  /** A torch.nn module built as `m` (PyTorch's constructor expression, and the engine's), its state_dict shared. */
  module?: { py: string; ts: (dtype: DType, rng: Rng) => nn.Module };
  /** When PyTorch raises: what the engine's message must match. */
  error?: RegExp;
  dtypes?: DType[];
  /**
   * The float32 relative tolerance, where PyTorch's own float32 result is further than ops.test.ts's
   * 1e-5 from its float64 one on some CPU (OpenBLAS and ATen pick kernels by CPU type): say why at the case.
   */
  float32Rtol?: number;
}

const x34 = { x: { shape: [3, 4] } };
const NAN = NaN;
const INF = Infinity;

export const OP_CASES: OpCase[] = [
  // ── arithmetic, broadcasting, promotion ──
  { name: 'add broadcast', inputs: { x: { shape: [3, 1] }, y: { shape: [4] } }, py: 'out = x + y', ts: ({ x, y }) => F.add(x, y) },
  { name: 'sub alpha', inputs: { x: { shape: [2, 3] }, y: { shape: [3] } }, py: 'out = torch.sub(x, y, alpha=2.5)', ts: ({ x, y }) => F.sub(x, y, 2.5) },
  { name: 'mul by int tensor', inputs: { x: { shape: [2, 3] }, i: { shape: [3], dtype: 'int64' } }, py: 'out = x * i', ts: ({ x, i }) => F.mul(x, i) },
  { name: 'int div int is float', inputs: { i: { shape: [4], dtype: 'int64', low: 1 }, j: { shape: [4], dtype: 'int64', low: 1 } }, py: 'out = i / j', ts: ({ i, j }) => F.div(i, j) },
  { name: 'int plus float scalar', inputs: { i: { shape: [4], dtype: 'int64' } }, py: 'out = i + 2.5', ts: ({ i }) => F.add(i, 2.5) },
  { name: 'int plus int scalar', inputs: { i: { shape: [4], dtype: 'int64' } }, py: 'out = i * 3 + 1', ts: ({ i }) => F.add(F.mul(i, 3), 1) },
  { name: 'bool plus int', inputs: { b: { shape: [5], dtype: 'bool' } }, py: 'out = b + 1', ts: ({ b }) => F.add(b, 1) },
  { name: 'floor_divide and remainder', inputs: { x: { shape: [6], values: [7, -7, 7.5, -7.5, 0, 3], grad: false }, y: { shape: [6], values: [2, 2, -2, -2, 3, 3], grad: false } }, py: 'out = (torch.floor_divide(x, y), torch.remainder(x, y))', ts: ({ x, y }) => [F.floorDivide(x, y), F.remainder(x, y)] },
  { name: 'remainder gradient', inputs: { x: { shape: [5], low: 0.1, high: 5 }, y: { shape: [5], low: 0.5, high: 2 } }, py: 'out = x % y', ts: ({ x, y }) => F.remainder(x, y) },
  { name: 'div rounding modes', inputs: { i: { shape: [4], dtype: 'int64', values: [7, -7, 6, -1] } }, py: "out = (torch.div(i, 2, rounding_mode='floor'), torch.div(i, 2, rounding_mode='trunc'))", ts: ({ i }) => [F.div(i, 2, 'floor'), F.div(i, 2, 'trunc')] },
  { name: 'pow tensor tensor', inputs: { x: { shape: [2, 3], low: 0.5, high: 2 }, y: { shape: [3] } }, py: 'out = x ** y', ts: ({ x, y }) => F.pow(x, y) },
  { name: 'scalar base pow', inputs: { y: { shape: [4] } }, py: 'out = 10000 ** y', ts: ({ y }) => F.pow(10000, y) },
  { name: 'pow constant', inputs: x34, py: 'out = x ** 3', ts: ({ x }) => F.pow(x, 3) },
  { name: 'pow at zero base', inputs: { x: { shape: [3], values: [0, 0, 2] }, y: { shape: [3], values: [0, 2, 0] } }, py: 'out = x ** y', ts: ({ x, y }) => F.pow(x, y) },
  { name: 'sqrt rsqrt', inputs: { x: { shape: [5], low: 0.1, high: 4 } }, py: 'out = (torch.sqrt(x), torch.rsqrt(x))', ts: ({ x }) => [F.sqrt(x), F.rsqrt(x)] },
  { name: 'sin cos', inputs: x34, py: 'out = torch.sin(x) * torch.cos(x)', ts: ({ x }) => F.mul(F.sin(x), F.cos(x)) },
  { name: 'log1p expm1', inputs: { x: { shape: [6], low: -0.9, high: 3 } }, py: 'out = (torch.log1p(x), torch.expm1(x))', ts: ({ x }) => [F.log1p(x), F.expm1(x)] },
  { name: 'abs sign at zero', inputs: { x: { shape: [4], values: [-2, 0, 3, NAN] } }, py: 'out = (torch.abs(x), torch.sign(x))', ts: ({ x }) => [F.abs(x), F.sign(x)] },
  { name: 'floor ceil round trunc at halves and non-finite', inputs: { x: { shape: [10], values: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, NAN, INF, -INF] } }, py: 'out = (torch.floor(x), torch.ceil(x), torch.round(x), torch.trunc(x))', ts: ({ x }) => [F.floor(x), F.ceil(x), F.round(x), F.trunc(x)] },
  { name: 'floor_ in place (drop path)', inputs: { x: { shape: [4, 1], low: -1, high: 1 }, k: { shape: [4, 1], low: 0, high: 1, grad: false } }, py: 'r = 0.8 + k\nr.floor_()\nout = x.div(0.8) * r', ts: ({ x, k }) => F.mul(F.div(x, 0.8), F.floor_(F.add(k, 0.8))) },
  { name: 'rounding an int tensor keeps it', inputs: { i: { shape: [4], dtype: 'int64' } }, py: 'out = (torch.floor(i), torch.round(i))', ts: ({ i }) => [F.floor(i), F.round(i)] },
  { name: 'exp of int', inputs: { i: { shape: [3], dtype: 'int64' } }, py: 'out = torch.exp(i)', ts: ({ i }) => F.exp(i) },
  { name: 'minimum maximum ties', inputs: { x: { shape: [5], values: [1, 2, 3, NAN, -1] }, y: { shape: [5], values: [1, 3, 2, 0, NAN] } }, py: 'out = (torch.maximum(x, y), torch.minimum(x, y))', ts: ({ x, y }) => [F.maximum(x, y), F.minimum(x, y)] },
  { name: 'clamp at the bounds', inputs: { x: { shape: [6], values: [-2, -1, 0, 1, 2, NAN] } }, py: 'out = torch.clamp(x, -1, 1)', ts: ({ x }) => F.clamp(x, -1, 1) },
  { name: 'clamp min only', inputs: x34, py: 'out = x.clamp(min=0.5)', ts: ({ x }) => F.clamp(x, 0.5) },
  { name: 'neg of bool refused', inputs: { b: { shape: [3], dtype: 'bool' } }, py: 'out = -b', ts: ({ b }) => F.neg(b), error: /bool/ },

  // ── comparisons, logic, selection ──
  { name: 'comparisons', inputs: { x: { shape: [5], values: [1, 2, NAN, 4, 5] }, y: { shape: [1], values: [2] } }, py: 'out = (x == y, x != y, x < y, x <= y, x > y, x >= y)', ts: ({ x, y }) => [F.eq(x, y), F.ne(x, y), F.lt(x, y), F.le(x, y), F.gt(x, y), F.ge(x, y)] },
  { name: 'logical ops', inputs: { a: { shape: [6], dtype: 'bool' }, b: { shape: [6], dtype: 'bool' } }, py: 'out = (a & b, a | b, a ^ b, ~a, torch.logical_not(a))', ts: ({ a, b }) => [F.logicalAnd(a, b), F.logicalOr(a, b), F.logicalXor(a, b), F.bitwiseNot(a), F.logicalNot(a)] },
  { name: 'where', inputs: { c: { shape: [3, 1], dtype: 'bool' }, x: { shape: [3, 4] }, y: { shape: [4] } }, py: 'out = torch.where(c, x, y)', ts: ({ c, x, y }) => F.where(c, x, y) },
  { name: 'where with a scalar', inputs: { x: { shape: [3, 4] } }, py: 'out = torch.where(x > 0, x, 0.0)', ts: ({ x }) => F.where(F.gt(x, 0), x, 0.0) },
  { name: 'masked_fill causal', inputs: { x: { shape: [2, 4, 4] } }, py: "m = torch.tril(torch.ones(4, 4)) == 0\nout = F.softmax(x.masked_fill(m, float('-inf')), dim=-1)", ts: ({ x }) => F.softmax(F.maskedFill(x, F.eq(F.tril(F.ones([4, 4])), 0), -Infinity), -1) },
  { name: 'isnan isinf isfinite', inputs: { x: { shape: [4], values: [1, NAN, INF, -INF], grad: false } }, py: 'out = (torch.isnan(x), torch.isinf(x), torch.isfinite(x))', ts: ({ x }) => [F.isnan(x), F.isinf(x), F.isfinite(x)] },
  { name: 'casts', inputs: { x: { shape: [5], values: [-1.7, -0.2, 0, 0.5, 2.9] } }, py: 'out = (x.long(), x.bool(), x.double() * 2, x.float() + 1)', ts: ({ x }) => [F.long(x), F.bool(x), F.mul(F.double(x), 2), F.add(F.float(x), 1)] },

  // ── reductions ──
  { name: 'sum dims keepdim', inputs: { x: { shape: [2, 3, 4] } }, py: 'out = (x.sum(), x.sum((0, 2), keepdim=True), x.sum(-1))', ts: ({ x }) => [F.sum(x), F.sum(x, [0, 2], true), F.sum(x, -1)] },
  { name: 'sum of bool and int', inputs: { b: { shape: [2, 3], dtype: 'bool' }, i: { shape: [2, 3], dtype: 'int64' } }, py: 'out = (b.sum(), i.sum(1))', ts: ({ b, i }) => [F.sum(b), F.sum(i, 1)] },
  { name: 'mean', inputs: { x: { shape: [2, 3, 4] } }, py: 'out = (x.mean(), x.mean(1, keepdim=True))', ts: ({ x }) => [F.mean(x), F.mean(x, 1, true)] },
  { name: 'mean of int refused', inputs: { i: { shape: [3], dtype: 'int64' } }, py: 'out = i.mean()', ts: ({ i }) => F.mean(i), error: /could not infer output dtype/ },
  { name: 'max dim with ties', inputs: { x: { shape: [2, 3], values: [1, 3, 3, 2, 2, 0] } }, py: 'v, i = torch.max(x, 1)\nout = (v, i)', ts: ({ x }) => F.maxDim(x, 1) },
  { name: 'min dim keepdim', inputs: { x: { shape: [3, 4] } }, py: 'v, i = x.min(0, keepdim=True)\nout = (v, i)', ts: ({ x }) => F.minDim(x, 0, true) },
  { name: 'max all with ties', inputs: { x: { shape: [2, 2], values: [1, 4, 4, 0] } }, py: 'out = x.max()', ts: ({ x }) => F.max(x) },
  { name: 'amax amin', inputs: { x: { shape: [2, 3, 4] } }, py: 'out = (torch.amax(x, (0, 2)), torch.amin(x, -1, keepdim=True))', ts: ({ x }) => [F.amax(x, [0, 2]), F.amin(x, -1, true)] },
  { name: 'argmax argmin', inputs: { x: { shape: [3, 4], grad: false } }, py: 'out = (x.argmax(), x.argmax(1), x.argmin(0, keepdim=True))', ts: ({ x }) => [F.argmax(x), F.argmax(x, 1), F.argmin(x, 0, true)] },
  { name: 'argmax with NaN', inputs: { x: { shape: [4], values: [1, NAN, 5, NAN], grad: false } }, py: 'out = (x.argmax(), x.argmin())', ts: ({ x }) => [F.argmax(x), F.argmin(x)] },
  { name: 'var std correction', inputs: { x: { shape: [3, 5] } }, py: 'out = (torch.var(x), torch.var(x, 1, correction=0), x.std(0, keepdim=True), torch.std(x, unbiased=False))', ts: ({ x }) => [F.variance(x), F.variance(x, 1, 0), F.std(x, 0, 1, true), F.std(x, null, 0)] },
  { name: 'var of one element', inputs: { x: { shape: [1, 3] } }, py: 'out = torch.var(x, 0)', ts: ({ x }) => F.variance(x, 0) },
  { name: 'logsumexp', inputs: { x: { shape: [3, 4] } }, py: 'out = (torch.logsumexp(x, 1), torch.logsumexp(x, (0, 1), keepdim=True))', ts: ({ x }) => [F.logsumexp(x, 1), F.logsumexp(x, [0, 1], true)] },
  { name: 'logsumexp of -inf', inputs: { x: { shape: [2, 2], values: [-INF, -INF, 0, -INF] } }, py: 'out = torch.logsumexp(x, 1)', ts: ({ x }) => F.logsumexp(x, 1) },
  { name: 'cumsum', inputs: { x: { shape: [3, 4] }, i: { shape: [5], dtype: 'int64' } }, py: 'out = (torch.cumsum(x, 1), x.cumsum(0), i.cumsum(0))', ts: ({ x, i }) => [F.cumsum(x, 1), F.cumsum(x, 0), F.cumsum(i, 0)] },

  // ── shapes and views ──
  { name: 'view reshape -1', inputs: { x: { shape: [2, 3, 4] } }, py: 'out = (x.view(6, -1) * 2, x.reshape(-1, 2, 3))', ts: ({ x }) => [F.mul(F.view(x, [6, -1]), 2), F.reshape(x, [-1, 2, 3])] },
  { name: 'view of a transpose refused', inputs: { x: { shape: [2, 3] } }, py: 'out = x.t().view(-1)', ts: ({ x }) => F.view(F.t(x), [-1]), error: /view size is not compatible/ },
  { name: 'reshape of a transpose copies', inputs: { x: { shape: [2, 3] } }, py: 'out = x.t().reshape(-1)', ts: ({ x }) => F.reshape(F.t(x), [-1]) },
  { name: 'transpose permute', inputs: { x: { shape: [2, 3, 4] } }, py: 'out = (x.transpose(0, 2), x.permute(1, 2, 0), x.transpose(-2, -1).contiguous())', ts: ({ x }) => [F.transpose(x, 0, 2), F.permute(x, [1, 2, 0]), F.contiguous(F.transpose(x, -2, -1))] },
  { name: 'unsqueeze squeeze', inputs: { x: { shape: [3, 1, 4] } }, py: 'out = (x.unsqueeze(0), x.unsqueeze(-1), x.squeeze(), x.squeeze(1), x.squeeze(0))', ts: ({ x }) => [F.unsqueeze(x, 0), F.unsqueeze(x, -1), F.squeeze(x), F.squeeze(x, 1), F.squeeze(x, 0)] },
  { name: 'expand', inputs: { x: { shape: [3, 1] } }, py: 'out = x.expand(2, 3, 4) * 1.5', ts: ({ x }) => F.mul(F.expand(x, [2, 3, 4]), 1.5) },
  { name: 'narrow select', inputs: { x: { shape: [4, 5] } }, py: 'out = (x.narrow(1, 1, 3), x.select(0, -1), x[2])', ts: ({ x }) => [F.narrow(x, 1, 1, 3), F.select(x, 0, -1), F.getItem(x, [2])] },
  { name: 'split chunk unbind', inputs: { x: { shape: [5, 3] } }, py: 'out = (*torch.split(x, 2), *x.split([1, 4]), *x.chunk(3, 1), *x.unbind(1))', ts: ({ x }) => [...F.split(x, 2), ...F.split(x, [1, 4]), ...F.chunk(x, 3, 1), ...F.unbind(x, 1)] },
  { name: 'chunk uneven', inputs: { x: { shape: [5] } }, py: 'out = x.chunk(4)', ts: ({ x }) => F.chunk(x, 4) },
  { name: 'cat stack', inputs: { x: { shape: [2, 3] }, y: { shape: [2, 3] } }, py: 'out = (torch.cat([x, y], 1), torch.stack([x, y]), torch.stack([x, y], -1))', ts: ({ x, y }) => [F.cat([x, y], 1), F.stack([x, y]), F.stack([x, y], -1)] },
  { name: 'cat promotes', inputs: { x: { shape: [2] }, i: { shape: [3], dtype: 'int64' } }, py: 'out = torch.cat([x, i])', ts: ({ x, i }) => F.cat([x, i]) },
  { name: 'flip roll repeat', inputs: { x: { shape: [2, 3] } }, py: 'out = (x.flip(1), torch.flip(x, [0, 1]), x.roll(1, 1), torch.roll(x, -1), x.repeat(2, 1, 2))', ts: ({ x }) => [F.flip(x, [1]), F.flip(x, [0, 1]), F.roll(x, 1, 1), F.roll(x, -1), F.repeat(x, [2, 1, 2])] },
  { name: 'tril triu', inputs: { x: { shape: [2, 3, 4] } }, py: 'out = (x.tril(), torch.triu(x, 1), x.tril(-1))', ts: ({ x }) => [F.tril(x), F.triu(x, 1), F.tril(x, -1)] },
  { name: 'gather', inputs: { x: { shape: [3, 4] }, i: { shape: [3, 2], dtype: 'int64', high: 4 } }, py: 'out = torch.gather(x, 1, i)', ts: ({ x, i }) => F.gather(x, 1, i) },
  { name: 'gather dim 0 repeated', inputs: { x: { shape: [3, 2] }, i: { shape: [4, 2], dtype: 'int64', values: [0, 1, 2, 2, 0, 0, 1, 1] } }, py: 'out = x.gather(0, i)', ts: ({ x, i }) => F.gather(x, 0, i) },
  { name: 'index_select', inputs: { x: { shape: [3, 4] }, i: { shape: [3], dtype: 'int64', values: [3, 0, 3] } }, py: 'out = x.index_select(1, i)', ts: ({ x, i }) => F.indexSelect(x, 1, i) },
  { name: 'detach', inputs: x34, py: 'out = x.detach() * x', ts: ({ x }) => F.mul(F.detach(x), x) },

  // ── indexing ──
  { name: 'slices with steps', inputs: { x: { shape: [5, 6] } }, py: 'out = (x[1:, ::2], x[-2:, 1:5:3], x[:, -1], x[::2, -3:-1])', ts: ({ x }) => [F.getItem(x, [{ start: 1 }, { step: 2 }]), F.getItem(x, [{ start: -2 }, { start: 1, stop: 5, step: 3 }]), F.getItem(x, [F.ALL, -1]), F.getItem(x, [{ step: 2 }, { start: -3, stop: -1 }])] },
  { name: 'None and Ellipsis', inputs: { x: { shape: [2, 3, 4] } }, py: 'out = (x[None, :, 0], x[..., 1], x[0, ..., None], x[:, None, :, None, 2])', ts: ({ x }) => [F.getItem(x, [null, F.ALL, 0]), F.getItem(x, ['...', 1]), F.getItem(x, [0, '...', null]), F.getItem(x, [F.ALL, null, F.ALL, null, 2])] },
  { name: 'integer tensor index', inputs: { x: { shape: [4, 3] }, i: { shape: [2, 3], dtype: 'int64', values: [0, 3, 3, -1, 1, 0] } }, py: 'out = x[i]', ts: ({ x, i }) => F.getItem(x, [i]) },
  { name: 'list index with slice', inputs: { x: { shape: [4, 5] } }, py: 'out = x[[0, 2, 2], 1:]', ts: ({ x }) => F.getItem(x, [[0, 2, 2], { start: 1 }]) },
  { name: 'adjacent advanced indices', inputs: { x: { shape: [2, 3, 4] }, i: { shape: [2], dtype: 'int64', values: [0, 2] }, j: { shape: [2], dtype: 'int64', values: [3, 1] } }, py: 'out = x[:, i, j]', ts: ({ x, i, j }) => F.getItem(x, [F.ALL, i, j]) },
  { name: 'separated advanced indices', inputs: { x: { shape: [2, 3, 4] }, i: { shape: [2], dtype: 'int64', values: [1, 0] }, j: { shape: [2], dtype: 'int64', values: [3, 1] } }, py: 'out = x[i, :, j]', ts: ({ x, i, j }) => F.getItem(x, [i, F.ALL, j]) },
  { name: 'bool mask index', inputs: { x: { shape: [3, 4] } }, py: 'out = (x[x > 0], x[:, torch.tensor([True, False, True, True])])', ts: ({ x }) => [F.getItem(x, [F.gt(x, 0)]), F.getItem(x, [F.ALL, F.fromNested([true, false, true, true])])] },
  { name: 'index out of range refused', inputs: x34, py: 'out = x[3]', ts: ({ x }) => F.getItem(x, [3]), error: /out of bounds for dimension 0 with size 3/ },

  // ── grouped convolutions (weight [out, in/groups, ...]) ──
  { name: 'conv2d groups 2, stride and padding', inputs: { x: { shape: [2, 4, 7, 6] }, w: { shape: [6, 2, 3, 3] }, b: { shape: [6] } }, py: 'out = F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2)', ts: ({ x, w, b }) => F.conv2d(x, w, b, [2, 1], 1, 2) },
  { name: 'conv2d depthwise, out = 2C', inputs: { x: { shape: [2, 3, 5, 7] }, w: { shape: [6, 1, 3, 2] } }, py: 'out = F.conv2d(x, w, None, 2, (1, 0), 1, 3)', ts: ({ x, w }) => F.conv2d(x, w, null, 2, [1, 0], 3) },
  { name: 'conv1d groups, unbatched', inputs: { x: { shape: [4, 9] }, w: { shape: [4, 1, 3] }, b: { shape: [4] } }, py: 'out = F.conv1d(x, w, b, stride=2, padding=1, groups=4)', ts: ({ x, w, b }) => F.conv1d(x, w, b, 2, 1, 4) },
  { name: 'conv2d groups that do not divide the input channels refused', inputs: { x: { shape: [1, 3, 5, 5] }, w: { shape: [4, 2, 3, 3] } }, py: 'out = F.conv2d(x, w, groups=2)', ts: ({ x, w }) => F.conv2d(x, w, null, 1, 0, 2), error: /Given groups=2, weight of size \[4, 2, 3, 3\], expected input\[1, 3, 5, 5\] to have 4 channels, but got 3 channels instead/ },

  // ── dilated convolutions (taps `dilation` apart; the engine's dilation comes after groups) ──
  { name: 'conv2d dilation 2, padding 2', inputs: { x: { shape: [2, 3, 9, 8] }, w: { shape: [4, 3, 3, 3] }, b: { shape: [4] } }, py: 'out = F.conv2d(x, w, b, padding=2, dilation=2)', ts: ({ x, w, b }) => F.conv2d(x, w, b, 1, 2, 1, 2) },
  { name: 'conv2d dilation (2, 3) with stride (2, 1) and groups 2', inputs: { x: { shape: [2, 4, 11, 10] }, w: { shape: [6, 2, 3, 2] }, b: { shape: [6] } }, py: 'out = F.conv2d(x, w, b, (2, 1), (1, 2), (2, 3), 2)', ts: ({ x, w, b }) => F.conv2d(x, w, b, [2, 1], [1, 2], 2, [2, 3]) },
  { name: 'conv1d dilation 4, stride 2, depthwise, unbatched', inputs: { x: { shape: [3, 17] }, w: { shape: [3, 1, 3] }, b: { shape: [3] } }, py: 'out = F.conv1d(x, w, b, stride=2, padding=3, dilation=4, groups=3)', ts: ({ x, w, b }) => F.conv1d(x, w, b, 2, 3, 3, 4) },
  { name: 'conv1d dilated kernel wider than the input refused', inputs: { x: { shape: [1, 2, 5] }, w: { shape: [2, 2, 3] } }, py: 'out = F.conv1d(x, w, dilation=3)', ts: ({ x, w }) => F.conv1d(x, w, null, 1, 0, 1, 3), error: /does not fit/ },

  // ── assignment and in-place, with PyTorch's autograd semantics ──
  { name: 'setitem row', inputs: { x: { shape: [3, 4] }, w: { shape: [4] } }, py: 'y = x * 1\ny[0] = w * 2\nout = y', ts: ({ x, w }) => F.setItem(F.mul(x, 1), [0], F.mul(w, 2)) },
  { name: 'setitem strided positional encoding', inputs: { p: { shape: [5, 1], grad: false } }, py: 'pe = torch.zeros(5, 6)\nd = torch.exp(torch.arange(0, 6, 2).float() * (-math.log(10000.0) / 6))\npe[:, 0::2] = torch.sin(p * d)\npe[:, 1::2] = torch.cos(p * d)\nout = pe', ts: ({ p }) => { const pe = F.zeros([5, 6]); const d = F.exp(F.mul(F.float(F.arange(0, 6, 2)), -Math.log(10000) / 6)); F.setItem(pe, [F.ALL, { start: 0, step: 2 }], F.sin(F.mul(p, d))); F.setItem(pe, [F.ALL, { start: 1, step: 2 }], F.cos(F.mul(p, d))); return pe; } },
  { name: 'setitem int column', inputs: { i: { shape: [3, 2], dtype: 'int64' } }, py: 'j = i.clone()\nj[:, 0] = 7\nj[1] = torch.tensor([4.9, -4.9])\nout = j', ts: ({ i }) => { const j = F.clone(i); F.setItem(j, [F.ALL, 0], 7); F.setItem(j, [1], F.tensor([4.9, -4.9], [2], 'float32')); return j; } },
  { name: 'setitem mask', inputs: x34, py: 'y = x * 3\ny[y < 0] = 0\nout = y', ts: ({ x }) => { const y = F.mul(x, 3); F.setItem(y, [F.lt(y, 0)], 0); return y; } },
  { name: 'setitem from a value requiring grad into a constant', inputs: { w: { shape: [2] } }, py: 'z = torch.zeros(3, 2, dtype=w.dtype)\nz[1] = w.exp()\nout = z * 2', ts: ({ w }, dtype) => { const z = F.zeros([3, 2], dtype); F.setItem(z, [1], F.exp(w)); return F.mul(z, 2); } },
  { name: 'chained index write', inputs: { x: { shape: [3, 4] }, w: { shape: [1] } }, py: 'y = x * 1\ny[1][2] = w[0] * 5\nout = y', ts: ({ x, w }) => { const y = F.mul(x, 1); F.setItem(F.getItem(y, [1]), [2], F.mul(F.getItem(w, [0]), 5)); return y; } },
  { name: 'write through a view', inputs: { w: { shape: [3] } }, py: 'y = w * 1\nv = y[0:2]\nv.mul_(w[2])\nout = y', ts: ({ w }) => { const y = F.mul(w, 1); F.mul_(F.getItem(y, [{ start: 0, stop: 2 }]), F.getItem(w, [2])); return y; } },
  { name: 'view sees a write to its base', inputs: { w: { shape: [3] } }, py: 'y = w * 1\nv = y.view(3, 1)\ny.add_(1)\nout = v * w.view(3, 1)', ts: ({ w }) => { const y = F.mul(w, 1); const v = F.view(y, [3, 1]); F.add_(y, 1); return F.mul(v, F.view(w, [3, 1])); } },
  { name: 'in-place add (out += identity)', inputs: { x: { shape: [2, 3] }, w: { shape: [2, 3] } }, py: 'out_ = torch.relu(x * w)\nout_ += x\nout = torch.relu(out_)', ts: ({ x, w }) => { const o = F.relu(F.mul(x, w)); F.add_(o, x); return F.relu(o); } },
  { name: 'relu_ then a consumer', inputs: x34, py: 'y = x * 2\ny.relu_()\nout = y * y', ts: ({ x }) => { const y = F.mul(x, 2); F.relu_(y); return F.mul(y, y); } },
  { name: 'mul_ by a tensor keeps the original self', inputs: { w: { shape: [3] } }, py: 'y = w * 1\ny.mul_(w)\ny.add_(1)\nout = y', ts: ({ w }) => { const y = F.mul(w, 1); F.mul_(y, w); F.add_(y, 1); return y; } },
  { name: 'sum then setitem', inputs: { w: { shape: [3] } }, py: 'y = w * 2\nz = y.sum()\ny[0] = 5\nout = (z, y)', ts: ({ w }) => { const y = F.mul(w, 2); const z = F.sum(y); F.setItem(y, [0], 5); return [z, y]; } },
  { name: 'consumer before an in-place change keeps its gradient', inputs: { w: { shape: [3] } }, py: 'a = w * 2\nb = a + 1\na[0] = 0\nout = (b + a).sum()', ts: ({ w }) => { const a = F.mul(w, 2); const b = F.add(a, 1); F.setItem(a, [0], 0); return F.sum(F.add(b, a)); } },
  { name: 'detach shares storage', inputs: { w: { shape: [3] } }, py: 'y = w * 1\nd = y.detach()\nd.add_(1)\nout = y * 1', ts: ({ w }) => { const y = F.mul(w, 1); F.add_(F.detach(y), 1); return F.mul(y, 1); } },
  { name: 'index_put accumulate', inputs: { x: { shape: [4] }, v: { shape: [3] } }, py: 'y = x * 1\ny.index_put_((torch.tensor([0, 2, 0]),), v, accumulate=True)\nout = y', ts: ({ x, v }) => F.indexPut_(F.mul(x, 1), [F.tensor([0, 2, 0], [3], 'int64')], v, true) },
  { name: 'masked_fill_ and fill_', inputs: x34, py: 'y = x * 1\ny.masked_fill_(x > 0.5, -1.0)\ny[0].fill_(2)\nout = y', ts: ({ x }) => { const y = F.mul(x, 1); F.maskedFill_(y, F.gt(x, 0.5), -1); F.fill_(F.getItem(y, [0]), 2); return y; } },
  { name: 'sigmoid output changed in place', inputs: { w: { shape: [3] } }, py: 'y = w.sigmoid()\ny.add_(1)\nout = y', ts: ({ w }) => { const y = F.sigmoid(w); F.add_(y, 1); return y; }, error: /modified by an inplace operation.*version 1; expected version 0/ },
  { name: 'exp output changed by setitem', inputs: { w: { shape: [3] } }, py: 'y = w.exp()\nz = y * 3\ny[0] = 5\nout = z + y', ts: ({ w }) => { const y = F.exp(w); const z = F.mul(y, 3); F.setItem(y, [0], 5); return F.add(z, y); }, error: /modified by an inplace operation/ },
  { name: 'relu_ output changed again', inputs: { w: { shape: [3] } }, py: 'y = w * 1\ny.relu_()\ny.add_(1)\nout = y', ts: ({ w }) => { const y = F.mul(w, 1); F.relu_(y); F.add_(y, 1); return y; }, error: /version 2; expected version 1/ },
  { name: 'saved view whose base changed', inputs: { w: { shape: [3] } }, py: 'y = w * 1\nz = y.view(3, 1)\na = z * z\ny.add_(1)\nout = a', ts: ({ w }) => { const y = F.mul(w, 1); const z = F.view(y, [3, 1]); const a = F.mul(z, z); F.add_(y, 1); return a; }, error: /modified by an inplace operation/ },
  { name: 'in-place on a leaf refused', inputs: { w: { shape: [3] } }, py: 'w.add_(1)\nout = w', ts: ({ w }) => F.add_(w, 1), error: /a leaf Variable that requires grad is being used in an in-place operation/ },
  { name: 'in-place on a view of a leaf refused', inputs: { w: { shape: [3] } }, py: 'w[0] = 1\nout = w', ts: ({ w }) => F.setItem(w, [0], 1), error: /leaf Variable that requires grad/ },
  { name: 'write into an expanded view refused', inputs: { w: { shape: [3] } }, py: 'y = w.expand(2, 3).clone()\ne = y.expand(2, 2, 3)\ne.add_(1)\nout = e', ts: ({ w }) => F.add_(F.expand(F.clone(F.expand(w, [2, 3])), [2, 2, 3]), 1), error: /more than one element of the written-to tensor/ },
  { name: 'float written into int in place refused', inputs: { i: { shape: [3], dtype: 'int64' } }, py: 'i.add_(0.5)\nout = i', ts: ({ i }) => F.add_(i, 0.5), error: /can't be cast/ },

  // ── matrix products ──
  { name: 'bmm', inputs: { a: { shape: [2, 3, 4] }, b: { shape: [2, 4, 5] } }, py: 'out = torch.bmm(a, b)', ts: ({ a, b }) => F.bmm(a, b) },
  { name: 'matmul broadcast batch', inputs: { a: { shape: [2, 1, 3, 4] }, b: { shape: [5, 4, 2] } }, py: 'out = a @ b', ts: ({ a, b }) => F.matmul(a, b) },
  { name: 'matmul vector and batch', inputs: { a: { shape: [4] }, b: { shape: [3, 4, 2] } }, py: 'out = (a @ b, b.transpose(-2, -1) @ a)', ts: ({ a, b }) => [F.matmul(a, b), F.matmul(F.transpose(b, -2, -1), a)] },
  { name: 'hand-written attention', inputs: { q: { shape: [2, 2, 5, 4] }, k: { shape: [2, 2, 5, 4] }, v: { shape: [2, 2, 5, 4] } }, py: "att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))\natt = att.masked_fill(torch.tril(torch.ones(5, 5)).view(1, 1, 5, 5) == 0, float('-inf'))\nout = F.softmax(att, dim=-1) @ v", ts: ({ q, k, v }) => { let att = F.mul(F.matmul(q, F.transpose(k, -2, -1)), 1 / Math.sqrt(4)); att = F.maskedFill(att, F.eq(F.view(F.tril(F.ones([5, 5])), [1, 1, 5, 5]), 0), -Infinity); return F.matmul(F.softmax(att, -1), v); } },

  // ── factories ──
  { name: 'arange linspace eye', inputs: {}, py: 'out = (torch.arange(5), torch.arange(1, 2, 0.25), torch.arange(0, 10, 3), torch.linspace(0, 1, 5), torch.linspace(-1, 1, 4), torch.eye(3, 4), torch.full((2,), 7), torch.full((2,), 0.5))', ts: () => [F.arange(5), F.arange(1, 2, 0.25), F.arange(0, 10, 3), F.linspace(0, 1, 5), F.linspace(-1, 1, 4), F.eye(3, 4), F.full([2], 7), F.full([2], 0.5)], dtypes: ['float64'] },
  { name: 'like and new factories', inputs: { x: { shape: [2, 3], grad: false }, i: { shape: [2], dtype: 'int64' } }, py: 'out = (torch.zeros_like(x), torch.ones_like(i), x.new_zeros(4), i.new_ones((2, 2)), torch.full_like(x, 3))', ts: ({ x, i }) => [F.zerosLike(x), F.onesLike(i), F.newZeros(x, [4]), F.newOnes(i, [2, 2]), F.fullLike(x, 3)] },
  { name: 'nested literal', inputs: {}, py: 'out = (torch.tensor([[1, 2], [3, 4]]), torch.tensor([1.5, 2]), torch.tensor([True, False]))', ts: () => [F.fromNested([[1, 2], [3, 4]]), F.fromNested([1.5, 2]), F.fromNested([true, false])], dtypes: ['float64'] },

  // ── activations ──
  { name: 'silu mish tanhshrink', inputs: { x: { shape: [3, 4], low: -6, high: 6 } }, py: 'out = (F.silu(x), F.mish(x), F.tanhshrink(x))', ts: ({ x }) => [F.silu(x), F.mish(x), F.tanhshrink(x)] },
  { name: 'hardtanh relu6 at the bounds', inputs: { x: { shape: [7], values: [-2, -1, 0, 0.5, 1, 6, 7] } }, py: 'out = (F.hardtanh(x), F.relu6(x), F.hardtanh(x, -0.5, 0.5))', ts: ({ x }) => [F.hardtanh(x), F.relu6(x), F.hardtanh(x, -0.5, 0.5)] },
  { name: 'activations at NaN and inf', inputs: { x: { shape: [4], values: [NAN, INF, -INF, 0] } }, py: 'out = (F.silu(x), F.mish(x), F.tanhshrink(x), F.hardtanh(x), F.relu6(x))', ts: ({ x }) => [F.silu(x), F.mish(x), F.tanhshrink(x), F.hardtanh(x), F.relu6(x)] },

  // ── functional layers ──
  { name: 'adaptive_avg_pool2d uneven', inputs: { x: { shape: [2, 3, 5, 7] } }, py: 'out = (F.adaptive_avg_pool2d(x, (3, 2)), F.adaptive_avg_pool2d(x, 1), F.adaptive_avg_pool2d(x[0], (None, 4)))', ts: ({ x }) => [F.adaptiveAvgPool2d(x, [3, 2]), F.adaptiveAvgPool2d(x, 1), F.adaptiveAvgPool2d(F.getItem(x, [0]), [null, 4])] },
  { name: 'adaptive_max_pool2d and 1d uneven', inputs: { x: { shape: [2, 3, 5, 7] } }, py: 'out = (F.adaptive_max_pool2d(x, (3, 2)), F.adaptive_max_pool2d(x, 1), F.adaptive_max_pool2d(x[0], (None, 4)), F.adaptive_max_pool1d(x[:, 0], 3), F.adaptive_max_pool1d(x[0, 0], 5))', ts: ({ x }) => [F.adaptiveMaxPool2d(x, [3, 2]), F.adaptiveMaxPool2d(x, 1), F.adaptiveMaxPool2d(F.getItem(x, [0]), [null, 4]), F.adaptiveMaxPool1d(F.getItem(x, [F.ALL, 0]), 3), F.adaptiveMaxPool1d(F.getItem(x, [0, 0]), 5)] },
  // A sub-pixel upsampler's rearrangement, its inverse, extra leading axes and an unbatched image; each result scaled so each element's gradient differs.
  { name: 'pixel_shuffle pixel_unshuffle', inputs: { x: { shape: [2, 18, 2, 3] }, u: { shape: [3, 2, 4, 6] }, w: { shape: [2, 2, 8, 2, 3] } }, py: 'out = (F.pixel_shuffle(x, 3) * torch.arange(108.0).view(2, 6, 9), F.pixel_unshuffle(u, 2), torch.pixel_shuffle(w, 2), F.pixel_shuffle(x[0], 1), F.pixel_unshuffle(F.pixel_shuffle(x, 3), 3))', ts: ({ x, u, w }) => [F.mul(F.pixelShuffle(x, 3), F.view(F.arange(108), [2, 6, 9])), F.pixelUnshuffle(u, 2), F.pixelShuffle(w, 2), F.pixelShuffle(F.getItem(x, [0]), 1), F.pixelUnshuffle(F.pixelShuffle(x, 3), 3)] },
  { name: 'pixel_shuffle channels not divisible by the square', inputs: { x: { shape: [1, 6, 2, 2] } }, py: 'out = F.pixel_shuffle(x, 2)', ts: ({ x }) => F.pixelShuffle(x, 2), error: /^pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size\(-3\)=6 is not divisible by 4$/ },
  { name: 'pixel_unshuffle width not divisible', inputs: { x: { shape: [1, 1, 4, 6] } }, py: 'out = F.pixel_unshuffle(x, 4)', ts: ({ x }) => F.pixelUnshuffle(x, 4), error: /^pixel_unshuffle expects width to be divisible by downscale_factor, but input.size\(-1\)=6 is not divisible by 4$/ },
  { name: 'pixel_shuffle on a matrix', inputs: { x: { shape: [4, 4] } }, py: 'out = F.pixel_shuffle(x, 2)', ts: ({ x }) => F.pixelShuffle(x, 2), error: /^pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 dimension\(s\)$/ },
  // Reflection padding and nearest upsampling read each input element into several outputs: the gradient sums them (scaled so they differ).
  { name: 'reflect pad and nearest interpolate', inputs: { x: { shape: [2, 3, 4, 5] }, s: { shape: [2, 2, 7] } }, py: "out = (F.pad(x, (2, 3, 1, 3), mode='reflect') * torch.arange(480.0).view(2, 3, 8, 10), F.pad(s, (6, 1), mode='reflect'), F.interpolate(x, scale_factor=2), F.interpolate(x, size=(3, 7)), F.interpolate(s, scale_factor=1.5, mode='nearest'), F.interpolate(x, scale_factor=(0.5, 1.25)))", ts: ({ x, s }) => [F.mul(F.reflectionPad(x, [2, 3, 1, 3]), F.view(F.arange(480), [2, 3, 8, 10])), F.reflectionPad(s, [6, 1]), F.upsampleNearest(x, null, [2, 2]), F.upsampleNearest(x, [3, 7], null), F.upsampleNearest(s, null, [1.5]), F.upsampleNearest(x, null, [0.5, 1.25])] },
  { name: 'reflect pad as wide as the axis', inputs: { x: { shape: [1, 2, 3, 4] } }, py: "out = F.pad(x, (1, 1, 3, 0), mode='reflect')", ts: ({ x }) => F.reflectionPad(x, [1, 1, 3, 0]), error: /^Argument #4: Padding size should be less than the corresponding input dimension, but got: padding \(3, 0\) at dimension 2 of input 4$/ },
  { name: 'max_pool1d avg_pool1d', inputs: { x: { shape: [2, 3, 9] } }, py: 'out = (F.max_pool1d(x, 2), F.max_pool1d(x, 3, 2, 1), F.max_pool1d(x[0], 4, 1), F.avg_pool1d(x, 2), F.avg_pool1d(x, 3, 2, 1), F.avg_pool1d(x[1], 5))', ts: ({ x }) => { const x0 = F.getItem(x, [0]); const x1 = F.getItem(x, [1]); return [F.maxPool1d(x, 2), F.maxPool1d(x, 3, 2, 1), F.maxPool1d(x0, 4, 1), F.avgPool1d(x, 2), F.avgPool1d(x, 3, 2, 1), F.avgPool1d(x1, 5)]; } },
  { name: 'max_pool2d and max_pool1d dilated', inputs: { x: { shape: [2, 3, 9, 8] } }, py: 'out = (F.max_pool2d(x, 3, 1, 1, 2), F.max_pool2d(x, (2, 3), (2, 1), (1, 1), (3, 2)), F.max_pool2d(x[0], 2, dilation=4), F.max_pool1d(x[:, 0], 3, 2, 1, 3), F.max_pool1d(x[0, 0], 2, dilation=5))', ts: ({ x }) => [F.maxPool2d(x, 3, 1, 1, 2), F.maxPool2d(x, [2, 3], [2, 1], [1, 1], [3, 2]), F.maxPool2d(F.getItem(x, [0]), 2, null, 0, 4), F.maxPool1d(F.getItem(x, [F.ALL, 0]), 3, 2, 1, 3), F.maxPool1d(F.getItem(x, [0, 0]), 2, null, 0, 5)] },
  { name: 'conv_transpose2d and 1d dilated', inputs: { x: { shape: [2, 3, 4, 5] }, w: { shape: [3, 2, 3, 2] }, b: { shape: [2] }, w1: { shape: [3, 2, 4] } }, py: 'out = (F.conv_transpose2d(x, w, b, 2, 1, 1, 1, 2), F.conv_transpose2d(x, w, None, (1, 2), (2, 0), (1, 0), 1, (2, 3)), F.conv_transpose1d(x[:, :, 0], w1, b, 1, 2, 1, 1, 3), F.conv_transpose1d(x[0, :, 1], w1, None, 3, 0, 0, 1, 2))', ts: ({ x, w, b, w1 }) => [F.convTranspose2d(x, w, b, 2, 1, 1, 2), F.convTranspose2d(x, w, null, [1, 2], [2, 0], [1, 0], [2, 3]), F.convTranspose1d(F.getItem(x, [F.ALL, F.ALL, 0]), w1, b, 1, 2, 1, 3), F.convTranspose1d(F.getItem(x, [0, F.ALL, 1]), w1, null, 3, 0, 0, 2)] },
  { name: 'conv_transpose2d dilated output too small refused', inputs: { x: { shape: [1, 2, 1, 1] }, w: { shape: [2, 3, 3, 3] } }, py: 'out = F.conv_transpose2d(x, w, padding=3, dilation=2)', ts: ({ x, w }) => F.convTranspose2d(x, w, null, 1, 3, 0, 2), error: /Output size is too small/ },
  { name: 'max_pool2d dilated past the input refused', inputs: { x: { shape: [1, 2, 5, 5] } }, py: 'out = F.max_pool2d(x, 3, dilation=3)', ts: ({ x }) => F.maxPool2d(x, 3, null, 0, 3), error: /Output size is too small/ },
  { name: 'max_pool1d padding over half the kernel refused', inputs: { x: { shape: [1, 2, 6] } }, py: 'out = F.max_pool1d(x, 2, 2, 2)', ts: ({ x }) => F.maxPool1d(x, 2, 2, 2), error: /should be at most half of kernel size/ },
  // A scale or a shift alone (nanoGPT's LayerNorm with bias=False passes bias=None): both reach the output and get gradients.
  // (torch 1.13's group_norm backward with a bias and no weight fails: "tensor does not have a device".)
  { name: 'layer_norm and group_norm with only a weight or only a bias', inputs: { x: { shape: [2, 6, 3, 2] }, w: { shape: [3, 2] }, b: { shape: [3, 2] }, g: { shape: [6] } }, py: 'out = (F.layer_norm(x, (3, 2), w, None), F.layer_norm(x, (3, 2), None, b), F.group_norm(x, 3, g, None))', ts: ({ x, w, b, g }) => [F.layerNorm(x, [3, 2], w, null), F.layerNorm(x, [3, 2], null, b), F.groupNorm(x, 3, g, null)] },
  { name: 'group_norm', inputs: { x: { shape: [2, 6, 3, 2] }, w: { shape: [6] }, b: { shape: [6] } }, py: 'out = (F.group_norm(x, 3, w, b), F.group_norm(x, 1), F.group_norm(x, 6, eps=0.1))', ts: ({ x, w, b }) => [F.groupNorm(x, 3, w, b), F.groupNorm(x, 1), F.groupNorm(x, 6, null, null, 0.1)] },
  { name: 'instance_norm with running stats', inputs: { x: { shape: [3, 2, 4] }, rm: { shape: [2], grad: false }, rv: { shape: [2], low: 0.5, high: 2, grad: false } }, py: 'y = F.instance_norm(x, rm, rv, momentum=0.3)\nout = (y, rm, rv, F.instance_norm(x, rm, rv, use_input_stats=False))', ts: ({ x, rm, rv }) => { const y = F.instanceNorm(x, { runningMean: rm.data, runningVar: rv.data, momentum: 0.3 }); return [y, rm, rv, F.instanceNorm(x, { runningMean: rm.data, runningVar: rv.data, useInputStats: false })]; } },
  { name: 'dropout2d p=0 and eval', inputs: { x: { shape: [2, 3, 2, 2] } }, py: 'out = (F.dropout2d(x, 0.0), F.dropout2d(x, 0.7, training=False))', ts: ({ x }) => [F.dropout2d(x, 0, true, new Rng(0)), F.dropout2d(x, 0.7, false, new Rng(0))] },

  // ── losses ──
  { name: 'cross_entropy ignore_index and label smoothing', inputs: { x: { shape: [5, 4] }, t: { shape: [5], dtype: 'int64', values: [0, 3, -100, 2, 1] } }, py: 'out = (F.cross_entropy(x, t), F.cross_entropy(x, t, label_smoothing=0.2), F.cross_entropy(x, t, reduction="sum", label_smoothing=0.1), F.cross_entropy(x, t, reduction="none", label_smoothing=0.3))', ts: ({ x, t }) => [F.crossEntropy(x, t), F.crossEntropy(x, t, { labelSmoothing: 0.2 }), F.crossEntropy(x, t, { reduction: 'sum', labelSmoothing: 0.1 }), F.crossEntropy(x, t, { reduction: 'none', labelSmoothing: 0.3 })] },
  { name: 'cross_entropy class weights', inputs: { x: { shape: [2, 3, 4] }, t: { shape: [2, 4], dtype: 'int64', high: 3 }, w: { shape: [3], low: 0.2, high: 2, grad: false } }, py: 'out = (F.cross_entropy(x, t, weight=w), F.cross_entropy(x, t, weight=w, label_smoothing=0.25), F.cross_entropy(x, t, weight=w, ignore_index=1, reduction="none"))', ts: ({ x, t, w }) => [F.crossEntropy(x, t, { weight: w }), F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.25 }), F.crossEntropy(x, t, { weight: w, ignoreIndex: 1, reduction: 'none' })] },
  { name: 'cross_entropy probability targets', inputs: { x: { shape: [3, 4] }, p: { shape: [3, 4], low: 0, high: 1 }, w: { shape: [4], low: 0.5, high: 1.5, grad: false } }, py: 'out = (F.cross_entropy(x, p), F.cross_entropy(x, p, label_smoothing=0.2, weight=w), F.cross_entropy(x, p, reduction="none"))', ts: ({ x, p, w }) => [F.crossEntropy(x, p), F.crossEntropy(x, p, { labelSmoothing: 0.2, weight: w }), F.crossEntropy(x, p, { reduction: 'none' })] },
  { name: 'nll_loss weight and ignore_index', inputs: { x: { shape: [4, 3], low: -3, high: 0 }, t: { shape: [4], dtype: 'int64', values: [2, 0, 1, 2] }, w: { shape: [3], low: 0.2, high: 2, grad: false } }, py: 'out = (F.nll_loss(x, t, weight=w), F.nll_loss(x, t, ignore_index=2), F.nll_loss(x, t, weight=w, reduction="none"))', ts: ({ x, t, w }) => [F.nllLoss(x, t, { weight: w }), F.nllLoss(x, t, { ignoreIndex: 2 }), F.nllLoss(x, t, { weight: w, reduction: 'none' })] },
  { name: 'binary losses with weights', inputs: { p: { shape: [3, 4], low: 0.05, high: 0.95 }, x: { shape: [3, 4] }, t: { shape: [3, 4], low: 0, high: 1 }, w: { shape: [4], low: 0.5, high: 2, grad: false }, pw: { shape: [4], low: 0.5, high: 3, grad: false } }, py: 'out = (F.binary_cross_entropy(p, t, weight=w), F.binary_cross_entropy_with_logits(x, t, pos_weight=pw), F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction="none"), F.binary_cross_entropy(p, t, reduction="sum"))', ts: ({ p, x, t, w, pw }) => [F.bceLoss(p, t, { weight: w }), F.bceWithLogits(x, t, { posWeight: pw }), F.bceWithLogits(x, t, { weight: w, posWeight: pw, reduction: 'none' }), F.bceLoss(p, t, 'sum')] },
  { name: 'pointwise losses without reduction', inputs: { x: { shape: [3, 4] }, t: { shape: [4] } }, py: 'out = (F.mse_loss(x, t.expand(3, 4), reduction="none"), F.l1_loss(x, t.expand(3, 4), reduction="none"), F.smooth_l1_loss(x, t.expand(3, 4), beta=0.5), F.smooth_l1_loss(x, t.expand(3, 4), reduction="none", beta=0.0), F.huber_loss(x, t.expand(3, 4), reduction="none", delta=0.7))', ts: ({ x, t }) => { const te = F.expand(t, [3, 4]); return [F.mseLoss(x, te, 'none'), F.l1Loss(x, te, 'none'), F.smoothL1Loss(x, te, 'mean', 0.5), F.smoothL1Loss(x, te, 'none', 0), F.huberLoss(x, te, 0.7, 'none')]; } },
  { name: 'cross_entropy at inf logits', inputs: { x: { shape: [3, 3], values: [INF, 0, 0, -INF, 0, 1, 1000, -1000, 0] }, t: { shape: [3], dtype: 'int64', values: [1, 0, 0] } }, py: 'out = F.cross_entropy(x, t, reduction="none")', ts: ({ x, t }) => F.crossEntropy(x, t, { reduction: 'none' }) },
];
