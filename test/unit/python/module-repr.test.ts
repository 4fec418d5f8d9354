/**
 * torch.nn layers as PyTorch 1.13 shows and keeps them: `print(layer)` for forty layers (Python's
 * True/None/tuples, each class's extra_repr, arguments at their defaults left out where PyTorch
 * leaves them out), and the attributes in PyTorch's form (Conv1d's kernel_size a 1-tuple).
 */
import { printsAsTorch, ready } from './support';

describe('torch.nn layers printed and read as PyTorch keeps them', () => {
  before(ready);

  it('print(layer) and Conv1d attributes match torch 1.13 line for line', function () {
    printsAsTorch(this, 'module_repr.py');
  });

  it("a user module's extra_repr (one line, several lines with children, empty, over a torch.nn layer's via super()) prints as torch 1.13", function () {
    printsAsTorch(this, 'extra_repr.py');
  });
});
