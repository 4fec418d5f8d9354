/**
 * Dilated windows beyond convolutions: max pooling with dilation (nn.MaxPool1d/2d, F.max_pool1d/2d).
 * A program prints the outputs and gradients on fixed float64 values, the same under torch 1.13 and here.
 */
import { printsAsTorch, ready } from './support';

describe('dilation in max pooling as PyTorch 1.13', () => {
  before(ready);

  it('dilation.py prints the same outputs and gradients under torch and here', function () {
    printsAsTorch(this, 'dilation.py');
  });
});
