/**
 * Max pooling whose output is empty: torch 1.13's F.max_pool1d gives an empty tensor where no
 * gradient is needed and refuses (in the 2-D op's words) where one is; its input checks and
 * avg_pool1d's and max_pool2d's refusals, compared with torch line for line.
 */
import { printsAsTorch, ready } from './support';

describe('max pooling to an empty output as PyTorch 1.13', () => {
  before(ready);

  it('pool_empty.py prints the same shapes and errors under torch and here', function () {
    printsAsTorch(this, 'pool_empty.py');
  });
});
