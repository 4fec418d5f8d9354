/**
 * gradient-lens: write a model in TypeScript, PyTorch style, and Gradient Lens traces it in place.
 *
 *   import { model, Module, Linear, Sigmoid, Tensor } from 'gradient-lens';
 *
 *   @model({ input: [10], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } })
 *   class Net extends Module {
 *     fc1 = new Linear(10, 10);
 *     act = new Sigmoid();
 *     fc2 = new Linear(10, 1);
 *     forward(x: Tensor) {
 *       return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
 *     }
 *   }
 */
export { model, trace } from './decorators';
export type { DataOption, DistributionOption, LossOption, ModelOptions, OptimizerOption, Reduction, TraceOptions } from './registry';
export { Module, ModuleList, parameter } from './module';
// Every layer and loss of the engine, as torch.nn names them; `Module` above is the one users extend.
export * from '../engine/nn';
// Both the layers and the functional API name an options type so; the layer's is the one a constructor takes.
export type { BatchNormOptions, InstanceNormOptions } from '../engine/nn';
export { customOp, CustomOp } from './custom';
export type { CustomOpDefinition, CustomOpFunction } from './custom';
export { map, zip, randn, rand } from './tensors';
export * from '../engine/functional';
export { Tensor } from '../engine/tensor';
export { noGrad } from '../engine/context';
export { Rng } from '../engine/rng';
export type { DType } from '../engine/dtype';
export * as init from './init';
