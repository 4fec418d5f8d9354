/**
 * The first application of each module, as the model graph reads it (graph.ts): its input and
 * output shapes, and the layers whose outputs reached its input, found by a walk back through the
 * tape as it is applied. No tensor is kept: a loss module made anew in every step
 * (`criterion = nn.BCEWithLogitsLoss()` inside a GAN's loss function, Udacity's DCGAN) kept its
 * first input, and with it its step's whole graph: about 100 MB a step there, until the process cap
 * stopped the trace.
 */
import type * as enn from '../../../engine/nn';
import type { Tensor } from '../../../engine/tensor';

export interface Application {
  inShape: number[];
  outShape: number[];
  /** The layers (modules without children) whose outputs reached the input: the data flow between layers. */
  from: Set<enn.Module>;
}

/** Most tensors one walk back visits: a long unrolled graph is cut short rather than walked whole. */
const WALK_BUDGET = 10_000;

export class Applications {
  private readonly first = new Map<enn.Module, Application>();
  /** The module whose first application produced a tensor; weak, so the tensor and its graph can go. */
  private readonly producedBy = new WeakMap<Tensor, enn.Module>();

  /** Records `m`'s first application; later ones change nothing. */
  note(m: enn.Module, input: Tensor, output: Tensor): Application | null {
    if (this.first.has(m)) return null;
    // An in-place module hands back its input, which the layer before produced: that layer keeps it.
    if (!this.producedBy.has(output)) this.producedBy.set(output, m);
    const a: Application = { inShape: input.shape.slice(1), outShape: output.shape.slice(1), from: this.layersBefore(m, input) };
    this.first.set(m, a);
    return a;
  }

  get(m: enn.Module): Application | undefined {
    return this.first.get(m);
  }

  /** The modules applied, in the order of their first application. */
  modules(): IterableIterator<enn.Module> {
    return this.first.keys();
  }

  entries(): IterableIterator<[enn.Module, Application]> {
    return this.first.entries();
  }

  /** Walks back from the input, stopping at the first tensor another module produced on each path. */
  private layersBefore(m: enn.Module, input: Tensor): Set<enn.Module> {
    const from = new Set<enn.Module>();
    const stack: Tensor[] = [input];
    const seen = new Set<Tensor>();
    let budget = WALK_BUDGET;
    while (stack.length && budget-- > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      const producer = this.producedBy.get(t);
      // A block's output (a residual sum inside it) comes from the layers inside: walk on into it.
      if (producer && producer !== m && producer.namedChildren().length === 0) {
        from.add(producer);
        continue;
      }
      const node = t.node;
      if (node) for (const x of node.inputs) stack.push(x);
    }
    return from;
  }
}
