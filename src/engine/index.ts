/** Public surface of the engine. */
export * from './functional';
export { backward, topologicalOrder } from './autograd';
export { noGrad, withLayer, setInstrument, setMemoryLimit, resetMemory, TensorMemoryError } from './context';
export { Instrument } from './instrument';
export type { ActivationStats, NonFiniteOrigin, OutputSummary } from './instrument';
export { Tensor, tensor, zeros, full, scalar } from './tensor';
export type { DType, FloatArray } from './dtype';
export { Rng } from './rng';
export type { OpKind, OpAttrs } from './ops';
export * as nn from './nn';
export * as init from './init';
export { Optimizer, SGD, Adam } from './optim';
export type { SGDOptions, AdamOptions } from './optim';
export { stateDict, loadStateDict } from './state';
export type { StateDict, StateEntry, LoadOptions } from './state';
export type { Reduction } from './ops/loss';
