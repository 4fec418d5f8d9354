/**
 * Ops whose forward and backward the user writes (`customOp` in the authoring API). The engine
 * treats them like any other op on the tape; the custom-gradient rule checks the user's backward
 * against finite differences, because nothing here can tell whether it is right.
 */
import { getInstrument, noGrad, setInstrument } from '../context';
import { FloatArray, like } from '../dtype';
import { formatShape, sameShape } from '../shape';
import { Tensor } from '../tensor';
import { defineOp, OpTable, type Slot } from './types';

/** What the user writes: a forward on one tensor and the vector-Jacobian product of it. */
export interface CustomOpFunctions {
  /** The op's name in messages, e.g. "mySigmoid". */
  name: string;
  forward(x: Tensor): Tensor;
  /** dL/dx given the input x, the forward's output y and dL/dy. */
  backward(x: Tensor, y: Tensor, dy: Tensor): Tensor;
}

/**
 * Several tensor inputs (a Python `torch.autograd.Function`'s): the forward takes them all, the
 * backward gives each one's gradient, null for an input with none (PyTorch's None).
 */
export interface CustomOpManyFunctions {
  name: string;
  many: true;
  forward(xs: readonly Tensor[]): Tensor;
  /** `needs[k]`: whether input k wants a gradient (PyTorch's ctx.needs_input_grad). */
  backward(xs: readonly Tensor[], y: Tensor, dy: Tensor, needs: readonly boolean[]): (Tensor | null)[];
  /**
   * What the forward that just ran saved for the backward (a Python Function's
   * ctx.save_for_backward): inputs by index or the output, and whether it saved another tensor.
   * Every input and the output when absent.
   */
  saved?: () => { slots: readonly Slot[]; besides: boolean };
}

export interface CustomAttrs {
  custom: CustomOpFunctions | CustomOpManyFunctions;
}

const SAVES_ONE = [0, 'output'] as const;

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
    saves: (needs, f) => ('many' in f ? (f.saved?.().slots ?? [...needs.keys(), 'output']) : SAVES_ONE),
    savesBesides: (f) => 'many' in f && f.saved?.().besides === true,
    forward: (xs, f) => {
      const y = checkResult(f.name, 'forward', runInside(() => ('many' in f ? f.forward(xs) : f.forward(xs[0]))));
      return { data: own(y.data, xs[0].data, xs.map((x) => x.data)), shape: [...y.shape], saved: undefined };
    },
    backward: ({ gy, inputs, out, attrs: f, needs }) => {
      if (!needs.some((n) => n)) return inputs.map(() => null);
      const dy = new Tensor(gy, out.shape);
      const given = [gy, out.data, ...inputs.map((x) => x.data)];
      if (!('many' in f)) return [own(gradientOf(f.name, checkResult(f.name, 'backward', runInside(() => f.backward(inputs[0], out, dy))), inputs[0]).data, gy, given)];
      const dxs = runInside(() => f.backward(inputs, out, dy, needs));
      return inputs.map((x, k) => {
        const dx = dxs[k];
        if (!needs[k] || dx === null || dx === undefined) return null;
        return own(gradientOf(f.name, checkResult(f.name, 'backward', dx), x).data, gy, given);
      });
    },
  }),
};

/** A gradient must have its input's shape. */
function gradientOf(name: string, dx: Tensor, x: Tensor): Tensor {
  if (!sameShape(dx.shape, x.shape)) {
    throw new Error(`custom op ${name}: backward returned a gradient of shape ${formatShape(dx.shape)} for an input of shape ${formatShape(x.shape)}`);
  }
  return dx;
}
