// The seed model of "Why is my parameter's gradient zero?", written in TypeScript:
// Linear(10,10) → Sigmoid → Linear(10,1), MSE, SGD lr 0.01. With PyTorch's default
// initialisation it trains: Gradient Lens reports no problem here.
import { Linear, model, Module, Sigmoid, Tensor, trace } from 'gradient-lens';

@model({ input: [10], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } })
@trace({ steps: 20, batchSize: 1, seed: 0 })
export class Seed extends Module {
  fc1 = new Linear(10, 10);
  act = new Sigmoid();
  fc2 = new Linear(10, 1);

  forward(x: Tensor): Tensor {
    const h = this.act.forward(this.fc1.forward(x));
    return this.fc2.forward(h);
  }
}
