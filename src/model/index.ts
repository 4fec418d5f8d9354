/** The model graph and its spec front end (YAML/JSON). No `vscode` here: the CLI and tests use it too. */
export * from './graph';
export { parseSpec } from './parse';
export type { ParseOptions, ParseResult } from './parse';
export { LAYERS, LAYER_TYPES, LOSSES, LOSS_TYPES, OPTIMIZERS, INITS, DISTRIBUTIONS, formatShape } from './layers';
export type { LayerDef, ArgDef, ArgType } from './layers';
export { buildSchema } from './schema';
