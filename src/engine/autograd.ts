/** Reverse mode: each computed tensor points at its node; backward walks them in topological order. */
import { chargeMemory, getInstrument, withLayer } from './context';
import type { FloatArray } from './dtype';
import type { OpKind } from './ops';
import type { OpDef } from './ops/types';
import { Tensor } from './tensor';

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

/**
 * Tensors reachable from `root`, each after every tensor it depends on. An explicit stack instead
 * of recursion: a recursive walk overflows past a few thousand ops.
 */
export function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Tensor[] = [root];
  const expanded: boolean[] = [false];
  while (stack.length) {
    const t = stack[stack.length - 1];
    if (expanded[expanded.length - 1]) {
      stack.pop();
      expanded.pop();
      order.push(t);
      continue;
    }
    expanded[expanded.length - 1] = true;
    if (visited.has(t)) {
      stack.pop();
      expanded.pop();
      continue;
    }
    visited.add(t);
    const node = t.node;
    if (!node) continue;
    for (const input of node.inputs) {
      if (input.requiresGrad && !visited.has(input)) {
        stack.push(input);
        expanded.push(false);
      }
    }
  }
  return order;
}

function accumulate(t: Tensor, g: FloatArray): void {
  if (!t.grad) {
    t.grad = g;
    return;
  }
  const acc = t.grad;
  for (let i = 0; i < acc.length; i++) acc[i] += g[i];
}

/**
 * Computes d root / d t for every tensor that requires a gradient. Leaves (parameters) accumulate
 * into `.grad` as in PyTorch; gradients of intermediate tensors are released once used.
 */
export function backward(root: Tensor, seed?: FloatArray): void {
  const order = topologicalOrder(root);
  const instrument = getInstrument();
  const g0 = seed ?? root.data.slice().fill(1);
  if (g0.length !== root.size) throw new Error(`backward seed has ${g0.length} values, output has ${root.size}`);
  const own = new Map<Tensor, FloatArray>();
  own.set(root, g0);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const gy = own.get(t);
    if (!gy) continue;
    const node = t.node;
    if (!node) {
      accumulate(t, gy === g0 ? gy.slice() : gy);
      continue;
    }
    own.delete(t);
    const needs = node.inputs.map((x) => x.requiresGrad);
    const grads = withLayer(node.layer ?? '', () => {
      const gs = node.def.backward({ gy, inputs: node.inputs, out: t, attrs: node.attrs, saved: node.saved, needs });
      for (let k = 0; k < gs.length; k++) {
        const g = gs[k];
        if (g && needs[k] && g !== gy) chargeMemory(g.byteLength, node.inputs[k].shape);
      }
      return gs;
    });
    if (instrument) instrument.onBackward(node.kind, node.layer, gy, node.inputs, grads);
    for (let k = 0; k < node.inputs.length; k++) {
      const g = grads[k];
      const x = node.inputs[k];
      if (!g || !needs[k]) continue;
      if (g.length !== x.size) throw new Error(`backward of ${node.kind} gave ${g.length} values for an input of ${x.size}`);
      const prev = own.get(x);
      if (prev) {
        // The same tensor feeds several ops: sum their contributions (copy first if shared).
        const sum = prev === g ? prev.slice() : prev;
        for (let j = 0; j < sum.length; j++) sum[j] += g[j];
        own.set(x, sum);
      } else {
        // An op may hand back gy itself (identity-like backward); own a copy before anyone adds into it.
        own.set(x, g === gy || isShared(g, own) ? g.slice() : g);
      }
    }
  }
}

function isShared(g: FloatArray, own: Map<Tensor, FloatArray>): boolean {
  for (const v of own.values()) if (v === g) return true;
  return false;
}
