/**
 * F.max_pool2d(ceil_mode=True) as torch 1.13: output shapes (the partial last window kept when it
 * starts inside the input or its left padding), outputs and input gradients in float64.
 */
import { printsAsTorch, ready } from './support';

describe('pooling with ceil_mode as PyTorch 1.13', () => {
  before(ready);

  it('max_pool_ceil.py prints the same shapes, outputs and gradients under torch and here', function () {
    printsAsTorch(this, 'max_pool_ceil.py');
  });

  it('pool_ceil.py: F.max_pool1d and F.avg_pool1d/2d with ceil_mode, count_include_pad and divisor_override, and the modules, print the same under torch and here', function () {
    printsAsTorch(this, 'pool_ceil.py');
  });
});
