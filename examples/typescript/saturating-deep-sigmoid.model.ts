// A deep sigmoid network whose first layer is initialised from N(0, 8²): its pre-activations reach
// |x| in the tens, where sigmoid's derivative is ~0, so almost no gradient gets back to fc1.
// Gradient Lens flags the saturated sigmoid on the line that builds it.
import { init, Linear, model, Module, Sigmoid, Tensor, trace } from 'gradient-lens';

@model({ input: [16], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } })
@trace({ steps: 10, batchSize: 16 })
export class DeepSigmoid extends Module {
  fc1 = new Linear(16, 32);
  act1 = new Sigmoid();
  fc2 = new Linear(32, 32);
  act2 = new Sigmoid();
  fc3 = new Linear(32, 32);
  act3 = new Sigmoid();
  fc4 = new Linear(32, 1);

  constructor() {
    super();
    init.normal(this.fc1.weight, 0, 8);
  }

  forward(x: Tensor): Tensor {
    let h = this.act1.forward(this.fc1.forward(x));
    h = this.act2.forward(this.fc2.forward(h));
    h = this.act3.forward(this.fc3.forward(h));
    return this.fc4.forward(h);
  }
}
