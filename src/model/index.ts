/** The model graph and its spec front end (YAML/JSON). No `vscode` here: the CLI and tests use it too. */
export * from './graph';
export { parseSpec } from './parse';
export type { ParseOptions, ParseResult } from './parse';
export { LAYERS, layerTypes, LOSSES, LOSS_TYPES, OPTIMIZERS, OPTIMIZER_TYPES, INITS, DISTRIBUTIONS, formatShape, layerDef, traitsOf } from './catalogue';
export type { LayerDef, LayerType, LayerTraits, ActivationTraits, ArgDef, ArgType, LossDef, OptimizerDef } from './catalogue';
export { buildSchema } from './schema';
