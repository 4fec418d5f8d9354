/** The same training steps in TensorFlow.js on its CPU backend (tfjs-node is not used: it is native code). */
import type { ModelSpec, LayerNode } from '../src/model/graph';
import { readSpec } from './engine';
import { activationAfterLast, MlpWorkload, Workload } from './workloads';

type Tf = typeof import('@tensorflow/tfjs');
type TfTensor = import('@tensorflow/tfjs').Tensor;
type TfVariable = import('@tensorflow/tfjs').Variable;
type TfScalar = import('@tensorflow/tfjs').Scalar;

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
  const vars: TfVariable[] = [];
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
    return (w.loss === 'mse' ? tf.losses.meanSquaredError(y, h) : tf.losses.softmaxCrossEntropy(y, h)) as TfScalar;
  });
}

function train(tf: Tf, forward: () => import('@tensorflow/tfjs').Scalar): () => void {
  return () => {
    const { value, grads } = tf.variableGrads(forward);
    value.dispose();
    tf.dispose(grads);
  };
}

/** A weight matrix (in × out, as tfjs multiplies) and its bias. */
function dense(tf: Tf, inputs: number, outputs: number): { w: TfVariable; b: TfVariable } {
  return { w: tf.variable(tf.randomNormal([inputs, outputs], 0, 0.05)), b: tf.variable(tf.zeros([outputs])) };
}

/** Rows of `x` (…, in) through a dense layer. */
function affine(tf: Tf, x: TfTensor, d: { w: TfVariable; b: TfVariable }): TfTensor {
  return tf.add(tf.matMul(x, d.w), d.b);
}

/**
 * PyTorch's LSTM (one layer, batch_first) written in tfjs ops (tfjs-layers' LSTM runs the same
 * matMul/sigmoid/tanh ops, one step at a time): the input projection of every step in one product,
 * then the recurrence; (n, seq, input) to its output sequence (n, seq, hidden).
 */
function lstm(tf: Tf, n: number, seq: number, input: number, hidden: number): (x: TfTensor) => TfTensor {
  const h4 = 4 * hidden;
  const wih = dense(tf, input, h4);
  const whh = tf.variable(tf.randomNormal([hidden, h4], 0, 0.05));
  const bhh = tf.variable(tf.zeros([h4]));
  return (x) => {
    const projected = tf.reshape(affine(tf, tf.reshape(x, [n * seq, input]), wih), [n, seq, h4]);
    let h: TfTensor = tf.zeros([n, hidden]);
    let c: TfTensor = tf.zeros([n, hidden]);
    const outputs: TfTensor[] = [];
    for (let t = 0; t < seq; t++) {
      const gates = tf.add(tf.add(tf.reshape(tf.slice(projected, [0, t, 0], [n, 1, h4]), [n, h4]), tf.matMul(h, whh)), bhh);
      const [i, f, g, o] = tf.split(gates, 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      outputs.push(h);
    }
    return tf.stack(outputs, 1);
  };
}

/** LayerNorm over the last axis with a learned scale and shift. */
function layerNorm(tf: Tf, x: TfTensor, gamma: TfVariable, beta: TfVariable): TfTensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

/**
 * PyTorch's TransformerEncoder of post-norm layers (ReLU, no dropout, batch_first) written in tfjs
 * ops, as tfjs has no attention layer: (n, t, d) to (n, t, d).
 */
function transformerEncoder(tf: Tf, n: number, t: number, d: number, heads: number, feedforward: number, count: number): (x: TfTensor) => TfTensor {
  const dh = d / heads;
  const layers = Array.from({ length: count }, () => ({
    inProj: dense(tf, d, 3 * d),
    outProj: dense(tf, d, d),
    ff1: dense(tf, d, feedforward),
    ff2: dense(tf, feedforward, d),
    norms: [0, 1].map(() => ({ gamma: tf.variable(tf.ones([d])), beta: tf.variable(tf.zeros([d])) })),
  }));
  const splitHeads = (m: TfTensor) => tf.transpose(tf.reshape(m, [n, t, heads, dh]), [0, 2, 1, 3]);
  return (x) => {
    let h = tf.reshape(x, [n * t, d]);
    for (const l of layers) {
      const [q, k, v] = tf.split(affine(tf, h, l.inProj), 3, 1).map(splitHeads);
      const weights = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)));
      const attended = tf.reshape(tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]), [n * t, d]);
      h = layerNorm(tf, tf.add(h, affine(tf, attended, l.outProj)), l.norms[0].gamma, l.norms[0].beta);
      h = layerNorm(tf, tf.add(h, affine(tf, tf.relu(affine(tf, h, l.ff1)), l.ff2)), l.norms[1].gamma, l.norms[1].beta);
    }
    return tf.reshape(h, [n, t, d]);
  };
}

/**
 * A spec of convolutions, pooling, linear layers, a one-layer LSTM and a post-norm Transformer
 * encoder in tfjs (NHWC, its CPU backend's layout: the same arithmetic as NCHW); null when the spec
 * has a layer or an argument this translation does not know.
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
        const d = dense(tf, a.in_features as number, a.out_features as number);
        layers.push((h) => affine(tf, h, d));
        shape = [a.out_features as number];
        break;
      }
      case 'LSTM': {
        const b = node.args;
        if (b.num_layers !== 1 || b.bidirectional !== false || b.batch_first !== true || b.bias === false) return null;
        layers.push(lstm(tf, n, shape[0], a.input_size as number, a.hidden_size as number));
        shape = [shape[0], a.hidden_size as number];
        break;
      }
      case 'TransformerEncoder': {
        const b = node.args;
        if (b.norm_first !== false || b.activation !== 'relu' || b.norm !== false || b.dropout !== 0 || b.batch_first !== true) return null;
        layers.push(transformerEncoder(tf, n, shape[0], a.d_model as number, a.nhead as number, a.dim_feedforward as number, a.num_layers as number));
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
  return train(tf, () => tf.losses.softmaxCrossEntropy(y, layers.reduce((h, f) => f(h), x as TfTensor)) as TfScalar);
}

/** The tfjs-cpu step of a workload, or null when tfjs is not installed or cannot express it. */
export function tfjsStep(w: Workload): (() => void) | null {
  const tf = loadTf();
  if (!tf) return null;
  switch (w.kind) {
    case 'mlp':
      return mlp(tf, w);
    case 'spec':
      return fromSpec(tf, readSpec(w).spec);
  }
}
