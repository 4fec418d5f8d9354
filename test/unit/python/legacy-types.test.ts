/**
 * What older tutorials (MorvanZhou's, torch 0.4 era) still write: the legacy tensor types
 * (`x.type(torch.LongTensor)`, `torch.FloatTensor(2, 3)`) and `torch.normal(mean, std)` for their
 * data, printed line for line as PyTorch 1.13 prints them (draws as statistics).
 */
import { printsAsTorch, ready } from './support';

describe('legacy tensor types and torch.normal as PyTorch 1.13', () => {
  before(ready);

  it('legacy_types_normal.py prints the same under torch and here, on several seeds', function () {
    printsAsTorch(this, 'legacy_types_normal.py', [0, 1, 2]);
  });
});
