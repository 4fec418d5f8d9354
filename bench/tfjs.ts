/** The same training steps in TensorFlow.js on its CPU backend (tfjs-node is not used: it is native code). */
import type { ModelSpec, LayerNode } from '../src/model/graph';
import { readSpec } from './engine';
import { activationAfterLast, MlpWorkload, Workload } from './workloads';

type Tf = typeof import('@tensorflow/tfjs');
type TfTensor = import('@tensorflow/tfjs').Tensor;

function loadTf(): Tf | null {
  try {
    // Requiring the umbrella package registers the gradients; the core alone fails with "gradient function not found".
    const tf = require('@tensorflow/tfjs') as Tf;
    require('@tensorflow/tfjs-backend-cpu');
    void tf.setBackend('cpu');
    return tf;
  } catch {
    return null;
  }
}

function mlp(tf: Tf, w: MlpWorkload): () => void {
  const vars: import('@tensorflow/tfjs').Variable[] = [];
  for (let i = 0; i < w.widths.length - 1; i++) {
    vars.push(tf.variable(tf.randomNormal([w.widths[i], w.widths[i + 1]], 0, 0.05)));
    vars.push(tf.variable(tf.zeros([w.widths[i + 1]])));
  }
  const out = w.widths[w.widths.length - 1];
  const x = tf.randomNormal([w.batch, w.widths[0]]);
  const y = w.loss === 'mse' ? tf.randomNormal([w.batch, out]) : tf.oneHot(tf.randomUniform([w.batch], 0, out, 'int32'), out);
  return train(tf, () => {
    let h: TfTensor = x;
    for (let i = 0; i < vars.length; i += 2) {
      h = tf.add(tf.matMul(h, vars[i]), vars[i + 1]);
      if (i < vars.length - 2 || activationAfterLast(w)) h = w.activation === 'sigmoid' ? tf.sigmoid(h) : tf.relu(h);
    }
    return (w.loss === 'mse' ? tf.losses.meanSquaredError(y, h) : tf.losses.softmaxCrossEntropy(y, h)) as import('@tensorflow/tfjs').Scalar;
  });
}

function train(tf: Tf, forward: () => import('@tensorflow/tfjs').Scalar): () => void {
  return () => {
    const { value, grads } = tf.variableGrads(forward);
    value.dispose();
    tf.dispose(grads);
  };
}

/**
 * A spec of convolutions, pooling and linear layers in tfjs (NHWC, its CPU backend's layout: the
 * same arithmetic as NCHW); null when the spec has a layer this translation does not know.
 */
function fromSpec(tf: Tf, spec: ModelSpec): (() => void) | null {
  const layers: ((h: TfTensor) => TfTensor)[] = [];
  const n = spec.trace.batchSize;
  let shape = spec.input.shape.length === 3 ? [spec.input.shape[1], spec.input.shape[2], spec.input.shape[0]] : [...spec.input.shape];
  const nodes: LayerNode[] = spec.model.type === 'Sequential' ? spec.model.children : [spec.model];
  for (const node of nodes) {
    const a = node.args as Record<string, number | number[]>;
    const pair = (v: number | number[] | undefined, d: number) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
    switch (node.type) {
      case 'Conv2d': {
        const [kh, kw] = pair(a.kernel_size, 1);
        const [ph, pw] = pair(a.padding, 0);
        const filter = tf.variable(tf.randomNormal([kh, kw, a.in_channels as number, a.out_channels as number], 0, 0.05));
        const bias = tf.variable(tf.zeros([a.out_channels as number]));
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [ph, ph], [pw, pw], [0, 0]];
        layers.push((h) => tf.add(tf.conv2d(tf.pad(h, pad) as import('@tensorflow/tfjs').Tensor4D, filter as import('@tensorflow/tfjs').Tensor4D, 1, 'valid'), bias));
        shape = [shape[0] + 2 * ph - kh + 1, shape[1] + 2 * pw - kw + 1, a.out_channels as number];
        break;
      }
      case 'MaxPool2d': {
        const k = a.kernel_size as number;
        layers.push((h) => tf.maxPool(h as import('@tensorflow/tfjs').Tensor4D, k, k, 'valid'));
        shape = [Math.floor(shape[0] / k), Math.floor(shape[1] / k), shape[2]];
        break;
      }
      case 'ReLU':
        layers.push((h) => tf.relu(h));
        break;
      case 'Flatten': {
        const size = shape.reduce((p, d) => p * d, 1);
        layers.push((h) => tf.reshape(h, [n, size]));
        shape = [size];
        break;
      }
      case 'Linear': {
        const wt = tf.variable(tf.randomNormal([a.in_features as number, a.out_features as number], 0, 0.05));
        const b = tf.variable(tf.zeros([a.out_features as number]));
        layers.push((h) => tf.add(tf.matMul(h, wt), b));
        shape = [a.out_features as number];
        break;
      }
      default:
        return null;
    }
  }
  if (spec.loss.type !== 'CrossEntropyLoss' || spec.target.distribution?.kind !== 'classes') return null;
  const classes = spec.target.distribution.count;
  const x = tf.randomNormal([n, ...(spec.input.shape.length === 3 ? [spec.input.shape[1], spec.input.shape[2], spec.input.shape[0]] : spec.input.shape)]);
  const y = tf.oneHot(tf.randomUniform([n], 0, classes, 'int32'), classes);
  return train(tf, () => tf.losses.softmaxCrossEntropy(y, layers.reduce((h, f) => f(h), x as TfTensor)) as import('@tensorflow/tfjs').Scalar);
}

/** The tfjs-cpu step of a workload, or null when tfjs is not installed or cannot express it. */
export function tfjsStep(w: Workload): (() => void) | null {
  const tf = loadTf();
  if (!tf) return null;
  return w.kind === 'mlp' ? mlp(tf, w) : fromSpec(tf, readSpec(w).spec);
}
