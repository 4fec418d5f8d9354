/**
 * Ops with a forward and backward the user writes. They run through the engine's one generic
 * `custom` op; Gradient Lens keeps a copy of the inputs each op saw so the custom-gradient rule can
 * check the backward against finite differences on them.
 */
import { currentLayer } from '../engine/context';
import { apply } from '../engine/dispatch';
import type { CustomOpFunctions } from '../engine/ops/custom';
import { Tensor } from '../engine/tensor';
import { registerCustomOp, RegisteredCustomOp } from './registry';
import { captureSite } from './sites';

export interface CustomOpDefinition {
  /** The op's name in messages. */
  name: string;
  forward(x: Tensor): Tensor;
  /** dL/dx from the input `x`, the forward's output `y` and dL/dy; the same shape as `x`. */
  backward(x: Tensor, y: Tensor, dy: Tensor): Tensor;
}

/** A custom op, called like a functional op: `mySigmoid(x)`. */
export type CustomOpFunction = ((x: Tensor) => Tensor) & { readonly opName: string };

function run(op: RegisteredCustomOp, x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`custom op ${op.fns.name} takes a Tensor`);
  const seen = { shape: [...x.shape], data: Float64Array.from(x.data) };
  if (!op.first) op.first = seen;
  else op.latest = seen;
  op.layers.add(currentLayer() ?? '');
  return apply('custom', [x], op.fns);
}

function checkDefinition(def: Partial<CustomOpDefinition>, where: string): void {
  if (typeof def.forward !== 'function') throw new TypeError(`${where} needs a forward(x) method`);
  if (typeof def.backward !== 'function') throw new TypeError(`${where} needs a backward(x, y, dy) method`);
}

/** Defines an op from its forward and backward: `const mySigmoid = customOp({ name, forward(x) {…}, backward(x, y, dy) {…} })`. */
export function customOp(def: CustomOpDefinition): CustomOpFunction {
  if (!def || typeof def !== 'object') throw new TypeError('customOp takes { name, forward(x), backward(x, y, dy) }');
  const name = typeof def.name === 'string' && def.name ? def.name : 'customOp';
  checkDefinition(def, `customOp ${name}`);
  const op: RegisteredCustomOp = {
    fns: { name, forward: (x) => def.forward(x), backward: (x, y, dy) => def.backward(x, y, dy) },
    site: captureSite(),
    className: null,
    first: null,
    latest: null,
    layers: new Set(),
  };
  registerCustomOp(op);
  const f = (x: Tensor) => run(op, x);
  Object.defineProperty(f, 'opName', { value: name });
  return f as CustomOpFunction;
}

/**
 * The class form: `class MySigmoid extends CustomOp { forward(x) {…} backward(x, y, dy) {…} }`,
 * then `const mySigmoid = new MySigmoid()` and `mySigmoid.apply(x)`. Named after the class.
 */
export abstract class CustomOp {
  readonly opName: string;
  readonly #op: RegisteredCustomOp;

  constructor(name?: string) {
    const className = new.target.name;
    this.opName = name ?? className;
    checkDefinition(this, `CustomOp ${this.opName}`);
    const fns: CustomOpFunctions = {
      name: this.opName,
      forward: (x) => this.forward(x),
      backward: (x, y, dy) => this.backward(x, y, dy),
    };
    this.#op = { fns, site: captureSite(), className, first: null, latest: null, layers: new Set() };
    registerCustomOp(this.#op);
  }

  abstract forward(x: Tensor): Tensor;
  abstract backward(x: Tensor, y: Tensor, dy: Tensor): Tensor;

  /** Runs the op on the tape (its backward is this class's). */
  apply(x: Tensor): Tensor {
    return run(this.#op, x);
  }
}
