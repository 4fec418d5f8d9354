/**
 * Checks across sections once they are read: the memory a batch, a tensor and the whole model need
 * against the limit, and the loss against the target's form and shape.
 */
import type { DataSpec, LayerNode, LossSpec, OptimizerSpec, SourceRange, TraceSettings } from '../graph';
import { formatShape, LOSSES, OPTIMIZERS } from '../catalogue';
import { formatBytes } from '../../numbers';
import { memoryByLayer } from '../memory';
import type { SpecReading } from './context';

export function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

/** The activation (or data) tensor for a whole batch must fit under the cap. */
export function checkActivation(cx: SpecReading, shape: number[], batch: number, bytesPer: number, what: string, range: SourceRange): boolean {
  const bytes = product(shape) * batch * bytesPer;
  if (bytes <= cx.maxBytes) return true;
  cx.overMemoryLimit(`${what} is ${formatShape([batch, ...shape])} for batch_size ${batch}: ${formatBytes(bytes)} in ${bytesPer === 8 ? 'float64' : 'float32'}`, range);
  return false;
}

/** The whole model's memory, estimated from the shapes before anything is built: the first layer past the limit is reported. */
export function checkModelMemory(cx: SpecReading, model: LayerNode, input: DataSpec, target: DataSpec, optimizer: OptimizerSpec, trace: TraceSettings, bytesPer: number): void {
  const over = memoryByLayer({ model, input, target, optimizer }, trace.batchSize, bytesPer).find((m) => m.bytes > cx.maxBytes);
  if (!over) return;
  const { layer } = over;
  const state = OPTIMIZERS[optimizer.type].state(optimizer.args).what;
  cx.overMemoryLimit(
    `the model needs about ${formatBytes(over.bytes)} of memory by ${layer.path}: ${layer.type} (parameters with their gradients, copies and ${state}: ${formatBytes(over.parameterBytes)}; ` +
      `activations and their gradients for batch_size ${trace.batchSize}: ${formatBytes(over.activationBytes)})`,
    layer.typeRange,
  );
}

export function checkLossTarget(cx: SpecReading, model: LayerNode, loss: LossSpec, target: { spec: DataSpec; shapeRange: SourceRange; classesRange: SourceRange | null }): void {
  const out = model.outShape;
  const t = target.spec;
  const needs = LOSSES[loss.type].target;
  if (needs === 'classes') {
    if (t.distribution?.kind !== 'classes') {
      const c = out.length === 1 ? out[0] : 'C';
      cx.error('spec/loss-target', `${loss.type} needs class-index targets: write target: {classes: ${c}} (the model's output ${formatShape(out)} holds one score per class)`, target.spec.range);
      return;
    }
    const count = t.distribution.count;
    if (out.length !== 1 || out[0] !== count) {
      const want = out.length === 1 ? `${out[0]} classes` : `one score per class, [${count}]`;
      cx.error(
        'spec/shape-mismatch',
        `${loss.type} compares the model's output ${formatShape(out)} with ${count} classes: the last layer must give [${count}] per sample, or classes must be ${want}`,
        target.classesRange ?? target.spec.range,
      );
    }
    return;
  }
  if (t.distribution?.kind === 'classes') {
    cx.error(
      'spec/loss-target',
      `${loss.type} compares the output with a target of the same shape: write target: {shape: ${formatShape(out)}}; {classes: N} targets are for CrossEntropyLoss and NLLLoss`,
      target.classesRange ?? target.spec.range,
    );
    return;
  }
  if (out.length !== t.shape.length || out.some((d, i) => d !== t.shape[i])) {
    cx.error(
      'spec/shape-mismatch',
      `${loss.type} compares the model's output ${formatShape(out)} with the target ${formatShape(t.shape)}: they must have the same shape`,
      target.shapeRange,
      cx.setTo(`Set the target's shape to ${formatShape(out)}`, target.shapeRange, out),
    );
  }
}
