/** torch.nn's layer and loss classes over the functional API. */
export { Module } from './module';
export {
  Linear,
  Conv1d,
  Conv2d,
  MaxPool1d,
  AvgPool1d,
  ConvTranspose1d,
  ConvTranspose2d,
  MaxPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  Dropout,
  Dropout2d,
  AdaptiveAvgPool2d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  GroupNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  Embedding,
  Flatten,
  Unflatten,
  PixelShuffle,
  PixelUnshuffle,
  ReflectionPad,
  ConstantPad,
  UpsampleNearest,
  Identity,
  Sequential,
} from './layers';
export type {
  InitOptions,
  LinearOptions,
  Conv1dOptions,
  Conv2dOptions,
  ConvTranspose1dOptions,
  ConvTranspose2dOptions,
  PoolOptions,
  Pool1dOptions,
  BatchNormOptions,
  LayerNormOptions,
  GroupNormOptions,
  InstanceNormOptions,
  EmbeddingOptions,
} from './layers';
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from './recurrent';
export type { RecurrentOptions, RNNOptions, CellOptions, RNNCellOptions } from './recurrent';
export { MultiheadAttention } from './attention';
export type { MultiheadAttentionOptions, AttentionCallOptions } from './attention';
export { TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder, Transformer } from './transformer';
export type { TransformerLayerOptions, TransformerOptions, TransformerActivation, EncoderCallOptions, DecoderCallOptions, TransformerCallOptions } from './transformer';
export { ModuleList, ModuleDict, Residual, cloneModule } from './containers';
export { ReLU, Sigmoid, Tanh, LeakyReLU, ELU, GELU, Softplus, Softmax, LogSoftmax, SiLU, Mish, Hardtanh, ReLU6, Tanhshrink } from './activations';
export { Loss, MSELoss, L1Loss, HuberLoss, SmoothL1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss } from './losses';
export type { LossOptions, HuberLossOptions, SmoothL1LossOptions, ClassLossModuleOptions, CrossEntropyLossOptions, BCELossOptions, BCEWithLogitsLossOptions } from './losses';
