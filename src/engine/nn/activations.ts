/** Activation layers: parameter-free modules over the functional activations, PyTorch's defaults. */
import * as F from '../functional';
import type { Tensor } from '../tensor';
import { Module } from './module';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }
}

export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got '${approximate}'`);
  }

  forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate);
  }
}

export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.softplus(x, this.beta, this.threshold);
  }
}

/**
 * PyTorch's legacy choice when Softmax/LogSoftmax get no dim (it warns): dim 0 for inputs of
 * rank 0, 1 or 3, else dim 1.
 */
function implicitDim(rank: number): number {
  return rank === 0 || rank === 1 || rank === 3 ? 0 : 1;
}

export class Softmax extends Module {
  constructor(readonly dim?: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim ?? implicitDim(x.rank));
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim?: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dim ?? implicitDim(x.rank));
  }
}
