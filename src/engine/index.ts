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
