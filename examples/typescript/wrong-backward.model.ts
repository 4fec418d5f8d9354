// A hand-written sigmoid whose backward uses x·(1−x) on the input instead of y·(1−y) on the output,
// the mistake behind "an incorrect implementation of the backpropagation algorithm". Gradient Lens
// checks every custom backward against float64 finite differences and flags this one.
import { customOp, Linear, map, model, Module, Tensor, trace, zip } from 'gradient-lens';

export const mySigmoid = customOp({
  name: 'mySigmoid',
  forward: (x) => map(x, (v) => 1 / (1 + Math.exp(-v))),
  backward: (x, y, dy) => zip(x, dy, (v, g) => g * v * (1 - v)),
});

@model({ input: [10], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } })
@trace({ steps: 5, batchSize: 8 })
export class WrongBackward extends Module {
  fc1 = new Linear(10, 10);
  fc2 = new Linear(10, 1);

  forward(x: Tensor): Tensor {
    return this.fc2.forward(mySigmoid(this.fc1.forward(x)));
  }
}
