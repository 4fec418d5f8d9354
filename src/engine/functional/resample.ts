/**
 * Reflection padding and nearest-neighbour upsampling (F.pad(mode='reflect'), nn.ReflectionPad2d,
 * F.interpolate(mode='nearest'), nn.Upsample): each output element reads one input element, so both
 * are one `take_blocks` whose offsets within each image say where; its backward scatter-adds dy back to them, which is
 * PyTorch's gradient for both (a border pixel read twice gets both gradients).
 */
import { apply } from '../dispatch';
import { ShapeError, sizeOf, stridesOf } from '../shape';
import type { Tensor } from '../tensor';

/**
 * x read along its last maps.length axes: output index o of trailing axis k reads input index
 * maps[k][o]. `reflect`: reflection padding, whose PyTorch node saves its input (nearest's none).
 */
function takeAlong(x: Tensor, maps: readonly Int32Array[], reflect = false): Tensor {
  const lead = x.shape.slice(0, x.rank - maps.length);
  const strides = stridesOf(x.shape).slice(lead.length);
  let offsets = [0];
  maps.forEach((m, k) => (offsets = offsets.flatMap((o) => Array.from(m, (i) => o + i * strides[k]))));
  // The same offsets in every block of the leading axes: one op reads them block by block.
  const attrs = { offsets: Int32Array.from(offsets), block: sizeOf(x.shape.slice(lead.length)), shape: [...lead, ...maps.map((m) => m.length)] };
  return apply('take_blocks', [x], reflect ? { ...attrs, reflect } : attrs);
}

/**
 * F.pad(mode='reflect'): `pads` holds (before, after) pairs from the last axis backwards; each pad
 * must be smaller than its axis (PyTorch 1.13's check and wording, the last axis checked first).
 */
export function reflectionPad(x: Tensor, pads: readonly number[]): Tensor {
  if (pads.length % 2 !== 0) throw new ShapeError(`Padding length must be divisible by 2, got ${pads.length}`);
  const k = pads.length / 2;
  if (k > x.rank - 1) throw new ShapeError(`Padding length too large: ${pads.length} for a ${x.rank}-D input`);
  const maps: Int32Array[] = [];
  for (let j = 0; j < k; j++) {
    const axis = x.rank - 1 - j;
    const n = x.shape[axis];
    const [before, after] = [pads[2 * j], pads[2 * j + 1]];
    if (before >= n || after >= n) {
      throw new ShapeError(`Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${before}, ${after}) at dimension ${axis} of input ${x.rank}`);
    }
    if (before < 0 || after < 0) throw new ShapeError(`reflection padding of ${before}, ${after} is negative`);
    // index i - before, mirrored at both ends without repeating the edge: -1 -> 1, n -> n - 2
    maps.unshift(Int32Array.from({ length: n + before + after }, (_, i) => {
      const at = i - before;
      return at < 0 ? -at : at >= n ? 2 * (n - 1) - at : at;
    }));
  }
  return takeAlong(x, maps, true);
}

/**
 * F.interpolate(mode='nearest') over the axes after batch and channels: to `size`, or by
 * `scaleFactor` (output floor(in·s), input index floor(o / s)), as PyTorch 1.13's nearest does.
 */
export function upsampleNearest(x: Tensor, size: readonly number[] | null, scaleFactor: readonly number[] | null): Tensor {
  const spatial = x.rank - 2;
  if (spatial < 1 || spatial > 3) throw new ShapeError(`Input Error: Only 3D, 4D and 5D input Tensors supported (got ${x.rank}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got nearest)`);
  const given = size ?? scaleFactor;
  if (!given || (size && scaleFactor)) throw new ShapeError(size ? 'only one of size or scale_factor should be defined' : 'either size or scale_factor should be defined');
  if (given.length !== spatial) {
    throw new ShapeError(`Input and ${size ? 'output' : 'scale_factor'} must have the same number of spatial dimensions, but got input with spatial dimensions of [${x.shape.slice(2).join(', ')}] and ${size ? 'output size' : 'scale_factor'} of [${given.join(', ')}]. Please provide input tensor in (N, C, d1, d2, ...,dK) format and ${size ? 'output size' : 'scale_factor'} in (o1, o2, ...,oK) format.`);
  }
  const maps = x.shape.slice(2).map((n, d) => {
    const out = size ? size[d] : Math.floor(n * scaleFactor![d]);
    if (!(out > 0)) throw new ShapeError(`Input and output sizes should be greater than 0, but got input (${x.shape.slice(2).join(', ')}) and output (${out})`);
    const scale = size ? n / out : 1 / scaleFactor![d];
    return Int32Array.from({ length: out }, (_, o) => Math.min(Math.floor(o * scale), n - 1));
  });
  return takeAlong(x, maps);
}
