// Two models in one file, each traced on its own: a healthy ReLU regressor with a correct custom
// op (class form), and a tanh network whose weights push every unit into saturation.
import { CustomOp, init, Linear, model, Module, ReLU, Tanh, Tensor, trace, zip } from 'gradient-lens';

/** x·|x|, with its derivative 2|x| written by hand. */
class SignedSquare extends CustomOp {
  forward(x: Tensor): Tensor {
    return zip(x, x, (v) => v * Math.abs(v));
  }

  backward(x: Tensor, y: Tensor, dy: Tensor): Tensor {
    return zip(x, dy, (v, g) => 2 * Math.abs(v) * g);
  }
}
const signedSquare = new SignedSquare();

@model({ input: [8], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } })
@trace({ steps: 10, batchSize: 16 })
export class Healthy extends Module {
  fc1 = new Linear(8, 16);
  act = new ReLU();
  fc2 = new Linear(16, 1);

  forward(x: Tensor): Tensor {
    return this.fc2.forward(signedSquare.apply(this.act.forward(this.fc1.forward(x))));
  }
}

@model({ input: [16], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } })
@trace({ steps: 10, batchSize: 16 })
export class SaturatedTanh extends Module {
  fc1 = new Linear(16, 32);
  act = new Tanh();
  fc2 = new Linear(32, 1);

  constructor() {
    super();
    init.normal(this.fc1.weight, 0, 4);
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}
