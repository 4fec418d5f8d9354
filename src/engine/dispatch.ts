/** The one place every op runs through: forward, tape recording, memory cap and instrumentation. */
import type { Node } from './autograd';
import { chargeMemory, currentLayer, getInstrument, isGradEnabled } from './context';
import { OpAttrs, OpKind, OPS } from './ops';
import { Tensor } from './tensor';

export function apply<K extends OpKind>(kind: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
  const def = OPS[kind];
  const layer = currentLayer();
  const r = def.forward(inputs, attrs);
  chargeMemory(r.data.byteLength, r.shape);
  const out = new Tensor(r.data, r.shape);
  if (isGradEnabled()) {
    let wants = false;
    for (const x of inputs) wants ||= x.requiresGrad;
    if (wants) {
      out.requiresGrad = true;
      const node: Node = { kind, def, inputs, attrs, saved: r.saved, layer };
      out.node = node;
    }
  }
  const instrument = getInstrument();
  if (instrument) instrument.onForward(kind, layer, inputs, out, def.activation?.(attrs as never));
  return out;
}
