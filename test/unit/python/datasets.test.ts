/**
 * torchvision datasets whose samples the call itself sets: FakeData's size, image_size and
 * num_classes, keyword or positional, as torchvision 0.14 gives them (the pixels are random in
 * both; their range is compared).
 */
import { printsAsTorch, ready } from './support';

describe('torchvision datasets set by the call, as torchvision makes them', () => {
  before(ready);

  it('FakeData: length, sample shape, label type and a DataLoader over it', function () {
    printsAsTorch(this, 'fake_data.py');
  });
});
