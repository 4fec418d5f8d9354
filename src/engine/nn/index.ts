/** torch.nn's layer and loss classes over the functional API. */
export { Module } from './module';
export {
  Linear,
  Conv1d,
  Conv2d,
  MaxPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  Dropout,
  Embedding,
  Flatten,
  Identity,
  Sequential,
} from './layers';
export type {
  InitOptions,
  LinearOptions,
  Conv1dOptions,
  Conv2dOptions,
  PoolOptions,
  BatchNormOptions,
  LayerNormOptions,
  EmbeddingOptions,
} from './layers';
export { ReLU, Sigmoid, Tanh, LeakyReLU, ELU, GELU, Softplus, Softmax, LogSoftmax } from './activations';
export { Loss, MSELoss, L1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss } from './losses';
export type { LossOptions, HuberLossOptions } from './losses';
