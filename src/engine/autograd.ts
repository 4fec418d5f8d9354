/** Reverse mode: each computed tensor points at its node; backward walks them in topological order. */
import { chargeMemory, getInstrument, popLayer, pushLayer } from './context';
import type { FloatArray } from './dtype';
import type { OpKind } from './ops';
import type { OpDef } from './ops/types';
import type { Tensor } from './tensor';

export interface Node {
  kind: OpKind;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  def: OpDef<any, any>;
  inputs: readonly Tensor[];
  attrs: unknown;
  saved: unknown;
  /** The user's layer that ran this op, for findings and error messages. */
  layer: string | null;
}

/** Each walk gets a fresh mark, so visited flags live on the tensors instead of in a Set. */
let walk = 0;

/**
 * Tensors reachable from `root` through tensors that require a gradient, each after every tensor
 * it depends on. An explicit stack instead of recursion: a recursive walk overflows past a few
 * thousand ops.
 */
export function topologicalOrder(root: Tensor): Tensor[] {
  const mark = ++walk;
  const order: Tensor[] = [];
  const stack: Tensor[] = [root];
  const expanded: boolean[] = [false];
  while (stack.length) {
    const top = stack.length - 1;
    const t = stack[top];
    if (expanded[top]) {
      stack.pop();
      expanded.pop();
      order.push(t);
      continue;
    }
    if (t.visit === mark) {
      stack.pop();
      expanded.pop();
      continue;
    }
    expanded[top] = true;
    t.visit = mark;
    const node = t.node;
    if (!node) continue;
    const inputs = node.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      if (input.requiresGrad && input.visit !== mark) {
        stack.push(input);
        expanded.push(false);
      }
    }
  }
  return order;
}

/**
 * Computes d root / d t for every tensor that requires a gradient. Leaves (parameters) accumulate
 * into `.grad` as in PyTorch; gradients of intermediate tensors are released once used.
 */
export function backward(root: Tensor, seed?: FloatArray): void {
  const order = topologicalOrder(root);
  const instrument = getInstrument();
  const g0 = seed ? seed.slice() : root.data.slice().fill(1);
  if (g0.length !== root.size) throw new Error(`backward seed has ${g0.length} values, output has ${root.size}`);
  // Gradients in flight live on the tensors (`pending`), cleared as each is consumed.
  root.pending = g0;
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const gy = t.pending;
      if (!gy) continue;
      t.pending = null;
      const node = t.node;
      if (!node) {
        if (t.grad) {
          const acc = t.grad;
          for (let j = 0; j < acc.length; j++) acc[j] += gy[j];
        } else t.grad = gy;
        continue;
      }
      const inputs = node.inputs;
      const needs = new Array<boolean>(inputs.length);
      for (let k = 0; k < inputs.length; k++) needs[k] = inputs[k].requiresGrad;
      pushLayer(node.layer);
      let grads: (FloatArray | null)[];
      try {
        grads = node.def.backward({ gy, inputs, out: t, attrs: node.attrs, saved: node.saved, needs });
        for (let k = 0; k < grads.length; k++) {
          const g = grads[k];
          if (g && needs[k] && g !== gy) chargeMemory(g.byteLength, inputs[k].shape);
        }
      } finally {
        popLayer();
      }
      if (instrument) instrument.onBackward(node.kind, node.layer, gy, inputs, grads);
      for (let k = 0; k < inputs.length; k++) {
        let g = grads[k];
        const x = inputs[k];
        if (!g || !needs[k]) continue;
        if (g.length !== x.size) throw new Error(`backward of ${node.kind} gave ${g.length} values for an input of ${x.size}`);
        const prev = x.pending;
        if (prev) {
          // The same tensor feeds several ops: sum their contributions into the array it owns.
          for (let j = 0; j < prev.length; j++) prev[j] += g[j];
          continue;
        }
        // An op may hand back gy itself, or one array for two inputs: own a copy before anyone adds into it.
        if (g === gy || sharedWithEarlier(grads, k)) g = g.slice();
        x.pending = g;
      }
    }
  } finally {
    for (const t of order) t.pending = null;
  }
}

function sharedWithEarlier(grads: readonly (FloatArray | null)[], k: number): boolean {
  for (let j = 0; j < k; j++) if (grads[j] === grads[k]) return true;
  return false;
}
