/** Activation layers: parameter-free modules over the functional activations, PyTorch's defaults. */
import * as F from '../functional';
import type { Tensor } from '../tensor';
import { Module } from './module';

/** inplace=true overwrites its input (ResNet's ReLU(inplace=True)), with PyTorch's version checks. */
export class ReLU extends Module {
  constructor(readonly inplace = false) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? F.relu_(x) : F.relu(x);
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

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return F.mish(x);
  }
}

/** Linear between min_val and max_val, flat (zero gradient) outside. */
export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
    readonly inplace = false,
  ) {
    super();
    if (!(minVal < maxVal)) throw new RangeError(`Hardtanh: min_val (${minVal}) must be less than max_val (${maxVal})`);
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? F.hardtanh_(x, this.minVal, this.maxVal) : F.hardtanh(x, this.minVal, this.maxVal);
  }
}

/** min(max(0, x), 6): Hardtanh(0, 6). */
export class ReLU6 extends Hardtanh {
  constructor(inplace = false) {
    super(0, 6, inplace);
  }
}

/** x − tanh(x). */
export class Tanhshrink extends Module {
  forward(x: Tensor): Tensor {
    return F.tanhshrink(x);
  }
}
