/** torch.nn.utils.clip_grad_norm_ and clip_grad_value_, applied to the parameters' `.grad` in place. */
import type { Tensor } from '../tensor';

/** PyTorch's error for a non-finite total norm when error_if_nonfinite is set. */
export class NonFiniteNormError extends Error {
  override name = 'NonFiniteNormError';
}

/**
 * Scales every gradient by min(1, max_norm/(total + 1e−6)), where total is the norm of all gradients
 * as one vector (p-norm, or the largest |g| for norm_type Infinity); returns the total, as PyTorch.
 * A NaN or infinite total scales every gradient to NaN (or 0), unless errorIfNonfinite refuses.
 */
export function clipGradNorm_(params: Iterable<Tensor>, maxNorm: number, normType = 2, errorIfNonfinite = false): number {
  const grads = [...params].map((p) => p.grad).filter((g): g is NonNullable<typeof g> => g !== null);
  if (!grads.length) return 0;
  let total: number;
  if (normType === Infinity) {
    total = 0;
    for (const g of grads) for (let i = 0; i < g.length; i++) {
      const a = Math.abs(g[i]);
      if (a > total || a !== a) total = a;
    }
  } else {
    // the norm of the per-tensor norms, as torch.norm(torch.stack([...])) does
    let acc = 0;
    for (const g of grads) {
      let s = 0;
      for (let i = 0; i < g.length; i++) s += Math.pow(Math.abs(g[i]), normType);
      acc += Math.pow(Math.pow(s, 1 / normType), normType);
    }
    total = Math.pow(acc, 1 / normType);
  }
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new NonFiniteNormError(
      `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`error_if_nonfinite=False\``,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  // torch.clamp(coef, max=1): NaN stays NaN
  const clamped = coef > 1 ? 1 : coef;
  for (const g of grads) {
    const c = g instanceof Float32Array ? Math.fround(clamped) : clamped;
    for (let i = 0; i < g.length; i++) g[i] *= c;
  }
  return total;
}

/** Clamps every gradient element into [−clip_value, clip_value]. */
export function clipGradValue_(params: Iterable<Tensor>, clipValue: number): void {
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) {
      const v = g[i];
      g[i] = v < -clipValue ? -clipValue : v > clipValue ? clipValue : v;
    }
  }
}
