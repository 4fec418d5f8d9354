/**
 * The functional API: torch's and torch.nn.functional's names (camelCased), argument orders and
 * conventions (dim, keepdim, correction, negative indices, broadcasting, type promotion), each a
 * thin call into the dispatcher.
 */
export * from './math';
export * from './reduce';
export * from './views';
export * from './inplace';
export * from './creation';
export * from './nn';
export * from './attention';
export * from './resample';
