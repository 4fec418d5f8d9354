/**
 * Ops whose forward and backward the user writes (`customOp` in the authoring API). The engine
 * treats them like any other op on the tape; the custom-gradient rule checks the user's backward
 * against finite differences, because nothing here can tell whether it is right.
 */
import { getInstrument, noGrad, setInstrument } from '../context';
import { FloatArray, like } from '../dtype';
import { formatShape, sameShape } from '../shape';
import { Tensor } from '../tensor';
import { defineOp, OpTable } from './types';

/** What the user writes: a forward on one tensor and the vector-Jacobian product of it. */
export interface CustomOpFunctions {
  /** The op's name in messages, e.g. "mySigmoid". */
  name: string;
  forward(x: Tensor): Tensor;
  /** dL/dx given the input x, the forward's output y and dL/dy. */
  backward(x: Tensor, y: Tensor, dy: Tensor): Tensor;
}

export interface CustomAttrs {
  custom: CustomOpFunctions;
}

/** Runs a piece of the user's code as one op: no tape (the op's backward is the user's) and no statistics of its inner ops. */
function runInside<T>(fn: () => T): T {
  const instrument = getInstrument();
  setInstrument(null);
  try {
    return noGrad(fn);
  } finally {
    setInstrument(instrument);
  }
}

function checkResult(name: string, what: string, r: unknown): Tensor {
  if (!(r instanceof Tensor)) {
    const got = r === null ? 'null' : typeof r === 'object' ? (r as object).constructor?.name ?? 'an object' : typeof r;
    throw new TypeError(`custom op ${name}: ${what} must return a Tensor, got ${got}`);
  }
  return r;
}

/** The result's values in `proto`'s element type, never one of the arrays the op was given (the tape adds into its arrays). */
function own(data: FloatArray, proto: FloatArray, given: readonly FloatArray[]): FloatArray {
  if (data.constructor === proto.constructor && !given.includes(data)) return data;
  const out = like(proto, data.length);
  out.set(data);
  return out;
}

export const customOps: OpTable<CustomAttrs> = {
  // d custom = the user's backward(x, y, dy)
  custom: defineOp({
    saves: [0, 'output'],
    forward: ([x], f) => {
      const y = checkResult(f.name, 'forward', runInside(() => f.forward(x)));
      return { data: own(y.data, x.data, [x.data]), shape: [...y.shape], saved: undefined };
    },
    backward: ({ gy, inputs: [x], out, attrs: f, needs }) => {
      if (!needs[0]) return [null];
      const dy = new Tensor(gy, out.shape);
      const dx = checkResult(f.name, 'backward', runInside(() => f.backward(x, out, dy)));
      if (!sameShape(dx.shape, x.shape)) {
        throw new Error(`custom op ${f.name}: backward returned a gradient of shape ${formatShape(dx.shape)} for an input of shape ${formatShape(x.shape)}`);
      }
      return [own(dx.data, gy, [gy, x.data, out.data])];
    },
  }),
};
