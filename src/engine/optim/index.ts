/** torch.optim's optimisers and torch.nn.utils' gradient clipping, with PyTorch 1.13's update rules. */
export { Optimizer } from './optimizer';
export type { GradientClip, ClipRecord } from './optimizer';
export { SGD, SGD_DEFAULTS } from './sgd';
export { ParamGroups } from './groups';
export type { SGDOptions } from './sgd';
export { Adam, AdamW, ADAM_DEFAULTS, ADAMW_DEFAULTS } from './adam';
export type { AdamOptions } from './adam';
export { RMSprop, Adagrad, Adadelta, RMSPROP_DEFAULTS, ADAGRAD_DEFAULTS, ADADELTA_DEFAULTS } from './adaptive';
export type { RMSpropOptions, AdagradOptions, AdadeltaOptions } from './adaptive';
export { clipGradNorm_, clipGradValue_, NonFiniteNormError } from './clip';
