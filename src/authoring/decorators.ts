/**
 * `@model(...)` marks a class for tracing and `@trace(...)` sets how. Both work as standard (TC39)
 * decorators, called `(class, context)`, and as TypeScript's `experimentalDecorators`, called
 * `(class)`: the context argument tells which.
 */
import * as nn from '../engine/nn';
import { ModelOptions, registerModel, setTraceOptions, TraceOptions } from './registry';
import { captureSite } from './sites';

const USAGE = `@model needs its options, e.g. @model({ input: [10], target: [1], loss: "MSELoss", optimizer: { SGD: { lr: 0.01 } } })`;

interface DecoratorContext {
  kind: string;
  name?: string | symbol;
}

type Constructor = abstract new (...args: never[]) => object;

/** The class being decorated and its name, from either calling convention; throws on anything but a class. */
function decorated(what: string, target: unknown, context: unknown, extra: number): { cls: Constructor; name: string } {
  const ctx = context as DecoratorContext | undefined;
  const standard = ctx !== null && typeof ctx === 'object' && typeof ctx.kind === 'string';
  if (standard && ctx.kind !== 'class') throw new TypeError(`${what} decorates a class, not a ${ctx.kind}`);
  // experimentalDecorators pass (prototype, key, descriptor) to member decorators.
  if (!standard && (extra > 0 || context !== undefined)) throw new TypeError(`${what} decorates a class, not a class member`);
  if (typeof target !== 'function') throw new TypeError(`${what} decorates a class`);
  const name = standard && typeof ctx.name === 'string' ? ctx.name : target.name;
  return { cls: target as Constructor, name: name || '(anonymous class)' };
}

/**
 * Marks a Module subclass for tracing. Its options are the spec format's: the per-sample `input`
 * and `target` shapes (or `{shape, distribution}`), the `loss` and the `optimizer`.
 */
export function model(options: ModelOptions) {
  if (typeof options === 'function' || options === null || typeof options !== 'object') throw new TypeError(USAGE);
  const site = captureSite();
  return (target: Constructor, context?: unknown, ...rest: unknown[]): void => {
    const { cls, name } = decorated('@model', target, context, rest.length);
    if (!(cls.prototype instanceof nn.Module)) {
      throw new TypeError(`@model class ${name} must extend Module from "gradient-lens" (it needs a forward and named layers)`);
    }
    registerModel({ cls: cls as unknown as new () => nn.Module, name, options, site });
  };
}

/** How many optimiser steps to trace, on what batch size, seed and element type (the spec format's `trace:`). */
export function trace(options: TraceOptions) {
  if (typeof options === 'function' || options === null || typeof options !== 'object') {
    throw new TypeError('@trace needs its options, e.g. @trace({ steps: 20, batchSize: 8 })');
  }
  const site = captureSite();
  return (target: Constructor, context?: unknown, ...rest: unknown[]): void => {
    const { cls } = decorated('@trace', target, context, rest.length);
    setTraceOptions(cls, options, site);
  };
}
