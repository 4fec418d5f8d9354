/**
 * A training run's model as the same graph a spec gives: one LayerNode per module of the run's
 * header, its range the user's own `nn.Linear(...)` call in their .py file (a range that names
 * its file), so every rule works unchanged on a real run.
 */
import type { ArgValue, LayerNode, LossType, ModelSpec, OptimizerType, SourceRange } from '../../model/graph';
import type { RunModule, SourceSite, Trace } from '../types';

/** Turns a recorded site into a range in its file's text (the caller knows how to read files). */
export type RangeOf = (site: SourceSite) => SourceRange;

/** Modules in forward order: a module's place is the first forward pass that finished inside it. */
function forwardRank(trace: Trace): Map<string, number> {
  const run = trace.run!;
  const rank = new Map<string, number>();
  run.order.forEach((path, i) => {
    // Every ancestor of a module that ran has run no later than it.
    for (let p = path; ; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
      if (!rank.has(p) || rank.get(p)! > i) rank.set(p, i);
      if (p === '') break;
    }
  });
  return rank;
}

export function specOfRun(trace: Trace, rangeOf: RangeOf): ModelSpec {
  const run = trace.run;
  if (!run) throw new Error('specOfRun: the trace is not a training run');
  const byPath = new Map<string, RunModule>(run.modules.map((m) => [m.path, m]));
  const order = forwardRank(trace);
  const firstSite = run.modules.find((m) => m.site)?.site ?? run.backwardSite ?? run.loss?.site ?? null;
  const fallback: SourceRange = firstSite ? rangeOf(firstSite) : { start: 0, end: 0 };

  const node = (m: RunModule, parentRange: SourceRange): LayerNode => {
    const range = m.site ? rangeOf(m.site) : parentRange;
    const shapes = run.shapes[m.path];
    return {
      type: m.type,
      name: m.path.includes('.') ? m.path.slice(m.path.lastIndexOf('.') + 1) : m.path,
      path: m.path,
      args: m.args as Record<string, ArgValue>,
      init: {},
      params: m.params.map((p) => ({ name: p.name, shape: [...p.shape] })),
      children: [],
      range,
      typeRange: range,
      argRanges: {},
      inShape: shapes ? [...shapes.in] : [],
      outShape: shapes ? [...shapes.out] : [],
    };
  };
  const rootModule = byPath.get('') ?? { path: '', type: 'Module', args: {}, params: [], children: [] };
  const root = node(rootModule, fallback);
  // Children in forward order (registration order for those that never ran), iteratively: models nest deeply.
  const stack: [RunModule, LayerNode][] = [[rootModule, root]];
  while (stack.length) {
    const [m, n] = stack.pop()!;
    const kids = m.children
      .map((name, i) => ({ m: byPath.get(m.path ? `${m.path}.${name}` : name), i }))
      .filter((k): k is { m: RunModule; i: number } => !!k.m)
      .sort((a, b) => (order.get(a.m.path) ?? Infinity) - (order.get(b.m.path) ?? Infinity) || a.i - b.i);
    for (const k of kids) {
      const c = node(k.m, n.range);
      n.children.push(c);
      stack.push([k.m, c]);
    }
  }
  const lossSite = run.loss?.site ?? run.backwardSite;
  const lossRange = lossSite ? rangeOf(lossSite) : fallback;
  const optimizerSite = run.optimizerSite ?? run.backwardSite;
  const optimizerRange = optimizerSite ? rangeOf(optimizerSite) : fallback;
  const optimizerArgs: Record<string, number | boolean | number[]> = {};
  for (const [k, v] of Object.entries(run.optimizerArgs)) {
    if (typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'))) optimizerArgs[k] = v as number | boolean | number[];
  }
  const inShape = run.shapes['']?.in ?? [];
  return {
    model: root,
    input: { shape: [...inShape], distribution: null, file: null, range: root.range },
    target: { shape: [], distribution: null, file: null, range: lossRange },
    loss: {
      // A loss gradient_lens could not name stays unnamed: no rule about a specific loss applies to it.
      type: (run.loss?.type ?? 'unknown') as LossType,
      args: { reduction: run.loss?.reduction === 'sum' ? 'sum' : 'mean' },
      range: lossRange,
      typeRange: lossRange,
      argRanges: {},
    },
    // a run's clipping is its training loop's: the log does not say
    optimizer: { type: trace.optimizer.type as OptimizerType, args: optimizerArgs, range: optimizerRange, typeRange: optimizerRange, argRanges: {}, clip: null },
    trace: { steps: trace.steps.length, batchSize: trace.batchSize, seed: 0, dtype: trace.dtype, range: null },
  };
}
