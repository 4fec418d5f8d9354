/** How the PyTorch parity suites compare numbers: one criterion, one tolerance per dtype, the worst error kept for the summary. */
import type { DType } from '../../src/engine';

export type Named = Record<string, { shape: number[]; data: number[] }>;

/** A tensor as the PyTorch harness sends it: its numbers, or (a request's `binary`) base64 of its little-endian float64 bytes. */
export interface SentTensor {
  shape: number[];
  data?: number[];
  b64?: string;
}

/** The harness's tensors with their numbers (torch_python.py's tensor_json). */
export function decodeNamed(sent: Record<string, SentTensor>): Named {
  const out: Named = {};
  for (const [name, t] of Object.entries(sent)) out[name] = { shape: t.shape, data: decodeData(t) };
  return out;
}

export function decodeData(t: SentTensor): number[] {
  if (t.data) return t.data;
  const bytes = Buffer.from(t.b64 ?? '', 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

/**
 * Elementwise |a-b| <= rtol·max(|a|,|b|) + atol. The atol only absorbs rounding noise on values
 * that are zero in exact arithmetic (the bias of a layer feeding batch norm, whose gradient the
 * mean subtraction cancels; softmax rows that sum to a constant): in float64 that noise is
 * ~1e-16 times the summed terms, so 1e-12 is ample; in float32 it is ~1e-7 times terms of order
 * one, so 1e-6. Both are far below any gradient in these models that is not zero in theory.
 */
export const TOLERANCE: Record<DType, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-5, atol: 1e-12 },
  float32: { rtol: 1e-4, atol: 1e-6 },
};

export interface Worst {
  /** |a-b| / (max(|a|,|b|) + atol/rtol): the criterion holds exactly when this is <= rtol. */
  rel: number;
  where: string;
}

/** `skip` leaves entries out (the parity suite's entries whose gradient is zero in theory, in adaptive steps). */
export function compare(what: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, dtype: DType, worst: Worst, skip?: ArrayLike<boolean>): string[] {
  const { rtol, atol } = TOLERANCE[dtype];
  const failures: string[] = [];
  if (ours.length !== theirs.length) return [`${what}: ${ours.length} values, PyTorch has ${theirs.length}`];
  for (let i = 0; i < ours.length; i++) {
    if (skip?.[i]) continue;
    const a = Number(ours[i]);
    const b = Number(theirs[i]);
    const scale = Math.max(Math.abs(a), Math.abs(b));
    const rel = Number.isFinite(a) && Number.isFinite(b) ? Math.abs(a - b) / (scale + atol / rtol) : Infinity;
    if (rel > worst.rel) {
      worst.rel = rel;
      worst.where = `${what}[${i}]`;
    }
    if (!(Math.abs(a - b) <= rtol * scale + atol) && failures.length < 5) failures.push(`${what}[${i}]: ours ${a}, PyTorch ${b}`);
  }
  return failures;
}

export function compareNamed(what: string, ours: Named, theirs: Named, dtype: DType, worst: Worst, skip?: Record<string, boolean[]>): string[] {
  const failures: string[] = [];
  const a = Object.keys(ours).sort().join(', ');
  const b = Object.keys(theirs).sort().join(', ');
  if (a !== b) return [`${what}: names [${a}], PyTorch has [${b}]`];
  for (const name of Object.keys(theirs)) {
    if (ours[name].shape.join(',') !== theirs[name].shape.join(',')) {
      failures.push(`${what} ${name}: shape [${ours[name].shape}], PyTorch [${theirs[name].shape}]`);
      continue;
    }
    failures.push(...compare(`${what} ${name}`, ours[name].data, theirs[name].data, dtype, worst, skip?.[name]));
  }
  return failures;
}

