/**
 * The catalogue: every layer, loss, optimiser, init scheme and distribution with its PyTorch name,
 * arguments (types, defaults, docs), how the engine builds it and what the rules need to know about
 * it. The parsers, the JSON Schema, the builder, the authoring API, editor completion and the rules
 * all read it, so they cannot disagree.
 */
export * from './args';
export * from './shapes';
export * from './layers';
export type { RecurrentLayerType } from './recurrent-layers';
export type { AttentionLayerType } from './attention-layers';
export type { BlockLayerType } from './block-layers';
export * from './losses';
export * from './optimizers';
export * from './inits';
export * from './sections';
