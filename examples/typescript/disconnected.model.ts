// A layer built but never used in forward: `skip` gets no gradient on any step, so it never trains.
// Gradient Lens flags it as a disconnected parameter on the line that builds it.
import { Linear, model, Module, ReLU, Tensor, trace } from 'gradient-lens';

@model({ input: [10], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } })
@trace({ steps: 5, batchSize: 8 })
export class Disconnected extends Module {
  fc1 = new Linear(10, 16);
  act = new ReLU();
  skip = new Linear(10, 16);
  fc2 = new Linear(16, 1);

  forward(x: Tensor): Tensor {
    // Meant: this.act.forward(add(this.fc1.forward(x), this.skip.forward(x)))
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}
