/**
 * Malformed specs: each must yield an error with a stable code, at the text at fault (1-based
 * line:col of the range start, as an editor shows it) and a message that says what is expected.
 */
import assert from 'node:assert/strict';
import { parseSpec, positionAt } from '../../../src/model';

interface Case {
  name: string;
  text: string;
  code: string;
  at: string;
  message: RegExp;
  file?: string;
  /** Shrinks the limit for the size cases. */
  maxTensorBytes?: number;
}

/** The seed model with parts replaced; `model` lines start on line 2. */
function seed(parts: { model?: string; input?: string; target?: string; loss?: string; more?: string } = {}): string {
  const model =
    parts.model ??
    `  - Linear: {in_features: 10, out_features: 10}
  - Sigmoid
  - Linear: {in_features: 10, out_features: 1}`;
  return `model:
${model}
input: ${parts.input ?? '{shape: [10], distribution: normal}'}
target: ${parts.target ?? '{shape: [1], distribution: normal}'}
loss: ${parts.loss ?? 'MSELoss'}
${parts.more ?? ''}`;
}

const JSON_SEED = `{
  "model": [
    {"Linear": {"in_features": 10, "out_features": 10}},
    "Sigmoid",
    {"Linear": {"in_features": 10, "out_features": 1}}
  ],
  "input": {"shape": [10]},
  "target": {"shape": [1]},
  "loss": "MSELoss"
}`;

const cases: Case[] = [
  // ---- syntax
  { name: 'YAML: unclosed flow map', text: seed({ model: '  - Linear: {in_features: 10, out_features: 10\n  - Sigmoid' }), code: 'spec/syntax', at: '3:3', message: /YAML syntax error.*end with a \}/ },
  { name: 'YAML: a tab for indentation', text: 'model:\n\t- ReLU\n', code: 'spec/syntax', at: '2:1', message: /YAML syntax error.*tab/i },
  { name: 'YAML: two documents', text: `${seed()}---\nloss: L1Loss\n`, code: 'spec/syntax', at: '8:1', message: /multiple documents/ },
  { name: 'YAML: a key twice', text: seed({ more: 'loss: L1Loss\n' }), code: 'spec/duplicate-key', at: '8:1', message: /duplicate key 'loss'/ },
  { name: 'JSON: trailing comma', text: JSON_SEED.replace('"loss": "MSELoss"', '"loss": "MSELoss",'), file: 'm.grad.json', code: 'spec/syntax', at: '10:1', message: /JSON syntax error.*trailing commas/ },
  { name: 'JSON: missing comma', text: JSON_SEED.replace('"Sigmoid",', '"Sigmoid"'), file: 'm.grad.json', code: 'spec/syntax', at: '5:5', message: /comma was expected/ },
  { name: 'JSON: a comment', text: `// seed\n${JSON_SEED}`, file: 'm.grad.json', code: 'spec/syntax', at: '1:1', message: /comments are not allowed/ },
  { name: 'JSON: unknown layer, located in JSON', text: JSON_SEED.replace('"Sigmoid"', '"Sigmod"'), file: 'm.grad.json', code: 'spec/unknown-layer', at: '4:5', message: /unknown layer 'Sigmod'\. Did you mean 'Sigmoid'\?/ },
  { name: 'a list instead of a map', text: '- Linear: {in_features: 1, out_features: 1}\n', code: 'spec/type', at: '1:1', message: /a model spec is a map with the keys/ },

  // ---- layers
  { name: 'unknown layer, bare', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n  - Sigmod' }), code: 'spec/unknown-layer', at: '3:5', message: /unknown layer 'Sigmod'\. Did you mean 'Sigmoid'\?/ },
  { name: 'unknown layer, map form', text: seed({ model: '  - Linaer: {in_features: 10, out_features: 1}' }), code: 'spec/unknown-layer', at: '2:5', message: /Did you mean 'Linear'\?/ },
  { name: 'wrong case of a layer', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n  - relu' }), code: 'spec/unknown-layer', at: '3:5', message: /Did you mean 'ReLU'\?/ },
  { name: 'unsupported layer lists the known ones', text: seed({ model: '  - Upsample: {scale_factor: 2}' }), code: 'spec/unknown-layer', at: '2:5', message: /unknown layer 'Upsample'\. Layers are Linear, Conv1d/ },
  { name: 'misspelt argument', text: seed({ model: '  - Linear: {in_feature: 10, out_features: 1}' }), code: 'spec/unknown-arg', at: '2:14', message: /Linear has no argument 'in_feature'\. Did you mean 'in_features'\? Its arguments are in_features, out_features, bias/ },
  { name: 'string where an integer is expected', text: seed({ model: '  - Linear: {in_features: ten, out_features: 1}' }), code: 'spec/type', at: '2:27', message: /Linear in_features must be a positive integer \(got the string "ten"\)/ },
  { name: 'zero size', text: seed({ model: '  - Linear: {in_features: 10, out_features: 0}' }), code: 'spec/type', at: '2:45', message: /out_features must be a positive integer \(got 0\)/ },
  { name: 'negative size', text: seed({ model: '  - Linear: {in_features: -10, out_features: 1}' }), code: 'spec/type', at: '2:27', message: /in_features must be a positive integer \(got -10\)/ },
  { name: 'non-integer size', text: seed({ model: '  - Linear: {in_features: 10, out_features: 2.5}' }), code: 'spec/type', at: '2:45', message: /must be a positive integer \(got 2\.5\)/ },
  { name: 'Dropout p outside [0, 1]', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n  - Dropout: {p: 1.5}' }), code: 'spec/type', at: '3:18', message: /Dropout p must be a number in \[0, 1\] \(got 1\.5\)/ },
  { name: 'yes is not a boolean in YAML 1.2', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1, bias: yes}' }), code: 'spec/type', at: '2:54', message: /bias must be true or false \(got the string "yes"\)/ },
  { name: 'enum argument', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n  - GELU: {approximate: fast}' }), code: 'spec/type', at: '3:25', message: /GELU approximate must be one of 'none', 'tanh'/ },
  { name: 'bare layer missing its required arguments', text: seed({ model: '  - Linear' }), code: 'spec/missing', at: '2:5', message: /Linear needs in_features and out_features: write Linear: \{in_features: …, out_features: …\}/ },
  { name: 'one required argument missing', text: seed({ model: '  - Linear: {in_features: 10}' }), code: 'spec/missing', at: '2:5', message: /Linear needs out_features/ },
  { name: 'arguments not a map', text: seed({ model: '  - Dropout: 0.2' }), code: 'spec/type', at: '2:14', message: /Dropout takes a map like \{p: …\}, not 0\.2/ },
  { name: 'two layers in one entry', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    ReLU: null' }), code: 'spec/type', at: '3:5', message: /one layer per entry: move ReLU to its own entry/ },
  { name: 'unknown key beside the layer', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    nmae: fc1' }), code: 'spec/unknown-key', at: '3:5', message: /no key 'nmae'\. Did you mean 'name'\?/ },
  { name: 'duplicate layer names', text: seed({ model: '  - name: fc\n    Linear: {in_features: 10, out_features: 10}\n  - name: fc\n    Linear: {in_features: 10, out_features: 1}' }), code: 'spec/duplicate-name', at: '4:11', message: /two layers in model are named 'fc'/ },
  { name: 'a name clashing with an index', text: seed({ model: '  - Linear: {in_features: 10, out_features: 10}\n  - name: "0"\n    Linear: {in_features: 10, out_features: 1}' }), code: 'spec/duplicate-name', at: '3:11', message: /named '0' \(the entry at index 0 and this one\)/ },
  { name: 'a dotted name', text: seed({ model: '  - name: enc.fc\n    Linear: {in_features: 10, out_features: 1}' }), code: 'spec/type', at: '2:11', message: /without dots/ },
  { name: 'Sequential of a map', text: seed({ model: '  - Sequential: {Linear: {in_features: 10, out_features: 1}}' }), code: 'spec/type', at: '2:17', message: /Sequential takes a list of layer entries/ },
  { name: 'empty model', text: seed({ model: '  []' }).replace('model:\n  []', 'model: []'), code: 'spec/missing', at: '1:8', message: /model must be a list of layers/ },
  { name: 'padding_idx out of range', text: seed({ model: '  - Embedding: {num_embeddings: 5, embedding_dim: 2, padding_idx: 5}', input: '{shape: [3], distribution: {integers: {high: 5}}}', target: '{shape: [3, 2]}' }), code: 'spec/type', at: '2:67', message: /padding_idx must be within num_embeddings: in \[-5, 4\], got 5/ },
  { name: 'pool padding over half the kernel', text: seed({ model: '  - MaxPool2d: {kernel_size: 2, padding: 2}', input: '{shape: [1, 4, 4]}', target: '{shape: [1, 4, 4]}' }), code: 'spec/type', at: '2:42', message: /padding 2 must be at most half the kernel size 2/ },

  // ---- shapes
  {
    name: 'Linear after a Linear of the wrong width',
    text: seed({ model: '  - Linear: {in_features: 10, out_features: 10}\n  - Linear: {in_features: 20, out_features: 1}' }),
    code: 'spec/shape-mismatch',
    at: '3:27',
    message: /^Linear expects 20 input features but the previous layer \(0: Linear\) gives \[10\]$/,
  },
  { name: 'first layer against the input', text: seed({ input: '{shape: [12]}' }), code: 'spec/shape-mismatch', at: '2:27', message: /Linear expects 10 input features but the input gives \[12\]/ },
  {
    name: 'conv kernel larger than the image',
    text: seed({ model: '  - Conv2d: {in_channels: 1, out_channels: 2, kernel_size: 5}', input: '{shape: [1, 3, 3]}' }),
    code: 'spec/shape-mismatch',
    at: '2:60',
    message: /Conv2d's kernel \(5\) is larger than the padded input height \(3 \+ 2·0 = 3\)/,
  },
  {
    name: 'conv kernel larger than the image once dilated',
    text: seed({ model: '  - Conv2d: {in_channels: 1, out_channels: 2, kernel_size: 3, dilation: 3}', input: '{shape: [1, 5, 5]}' }),
    code: 'spec/shape-mismatch',
    at: '2:73',
    message: /Conv2d's kernel \(3, 7 wide with dilation 3\) is larger than the padded input height \(5 \+ 2·0 = 5\).*Kernel size can't be greater than actual input size/,
  },
  { name: 'conv channels', text: seed({ model: '  - Conv2d: {in_channels: 3, out_channels: 2, kernel_size: 1}', input: '{shape: [1, 4, 4]}' }), code: 'spec/shape-mismatch', at: '2:27', message: /Conv2d expects 3 input channels but the input gives \[1, 4, 4\]/ },
  { name: 'conv on a flat input', text: seed({ model: '  - Conv1d: {in_channels: 1, out_channels: 2, kernel_size: 1}' }), code: 'spec/shape-mismatch', at: '2:5', message: /Conv1d expects a per-sample input \[channels, length\] but the input gives \[10\]/ },
  { name: 'BatchNorm1d features', text: seed({ model: '  - Linear: {in_features: 10, out_features: 4}\n  - BatchNorm1d: {num_features: 8}' }), code: 'spec/shape-mismatch', at: '3:33', message: /BatchNorm1d expects 8 features .* but the previous layer \(0: Linear\) gives \[4\]/ },
  {
    name: 'BatchNorm1d with one sample per batch',
    text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n  - BatchNorm1d: {num_features: 1}', more: 'trace: {batch_size: 1}\n' }),
    code: 'spec/batch-size',
    at: '3:5',
    message: /more than 1 value per channel/,
  },
  { name: 'LayerNorm trailing axes', text: seed({ model: '  - LayerNorm: {normalized_shape: [2, 5]}' }), code: 'spec/shape-mismatch', at: '2:35', message: /LayerNorm normalises trailing axes \[2, 5\] but the input gives \[10\]/ },
  {
    name: 'Embedding on float inputs',
    text: seed({ model: '  - Embedding: {num_embeddings: 10, embedding_dim: 1}', target: '{shape: [10, 1]}' }),
    code: 'spec/shape-mismatch',
    at: '2:5',
    message: /Embedding takes integer indices but the input gives floats: .*integers: \{low: 0, high: 10\}/,
  },
  {
    name: 'Embedding indices beyond the table',
    text: seed({ model: '  - Embedding: {num_embeddings: 10, embedding_dim: 1}', input: '{shape: [3], distribution: {integers: {low: 0, high: 20}}}', target: '{shape: [3, 1]}' }),
    code: 'spec/shape-mismatch',
    at: '2:33',
    message: /Embedding has 10 rows .* integers in \[0, 20\)/,
  },
  { name: 'Flatten over the batch axis', text: seed({ model: '  - Flatten: {start_dim: 0}' }), code: 'spec/shape-mismatch', at: '2:26', message: /merge the batch axis/ },
  { name: 'Softmax dim out of range', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n  - Softmax: {dim: 2}' }), code: 'spec/shape-mismatch', at: '3:20', message: /Softmax dim 2 is out of range for the batched input \[batch, 1\]/ },

  // ---- recurrent, attention and residual layers
  {
    name: 'LSTM reading the batch axis as time',
    text: seed({ model: '  - LSTM: {input_size: 4, hidden_size: 8}', input: '{shape: [5, 4]}', target: '{shape: [5, 8]}' }),
    code: 'spec/shape-mismatch',
    at: '2:5',
    message: /LSTM with batch_first: false reads axis 0 of the batch as time, but a spec's batch axis comes first: set batch_first: true/,
  },
  {
    name: 'GRU input_size against the features',
    text: seed({ model: '  - GRU: {input_size: 3, hidden_size: 8, batch_first: true}', input: '{shape: [5, 4]}', target: '{shape: [5, 8]}' }),
    code: 'spec/shape-mismatch',
    at: '2:23',
    message: /GRU expects input_size 3 features but the input gives \[5, 4\]/,
  },
  {
    name: 'attention heads that do not divide the width',
    text: seed({ model: '  - MultiheadAttention: {embed_dim: 10, num_heads: 3, batch_first: true}', input: '{shape: [5, 10]}', target: '{shape: [5, 10]}' }),
    code: 'spec/type',
    at: '2:52',
    message: /embed_dim \(10\) must be divisible by the number of heads \(3\)/,
  },
  {
    name: 'Conv2d groups that do not divide in_channels',
    text: seed({ model: '  - Conv2d: {in_channels: 3, out_channels: 6, kernel_size: 3, groups: 2}', input: '{shape: [3, 8, 8]}' }),
    code: 'spec/type',
    at: '2:71',
    message: /in_channels must be divisible by groups \(in_channels 3, groups 2\)/,
  },
  { name: 'Conv1d groups of 0', text: seed({ model: '  - Conv1d: {in_channels: 4, out_channels: 4, kernel_size: 3, groups: 0}', input: '{shape: [4, 8]}' }), code: 'spec/type', at: '2:71', message: /Conv1d groups must be a positive integer \(got 0\)/ },
  {
    name: 'Residual without a body',
    text: seed({ model: '  - Residual: {shortcut: [{Linear: {in_features: 10, out_features: 10}}]}' }),
    code: 'spec/missing',
    at: '2:5',
    message: /Residual needs its body: Residual takes \{body: \[layers…\], shortcut: \[layers…\]\} \(shortcut optional\)/,
  },
  { name: 'Residual with a list', text: seed({ model: '  - Residual: [ReLU]' }), code: 'spec/type', at: '2:15', message: /Residual takes \{body: \[layers…\], shortcut: \[layers…\]\}.*\(got a list\)/ },
  { name: 'Residual with a misspelt branch', text: seed({ model: '  - Residual: {body: [ReLU], shortcat: [ReLU]}' }), code: 'spec/unknown-key', at: '2:30', message: /Residual has no branch 'shortcat'\. Did you mean 'shortcut'\?/ },
  { name: 'Residual with an empty body', text: seed({ model: '  - Residual: {body: []}' }), code: 'spec/type', at: '2:22', message: /Residual body must be a non-empty list of layer entries \(got an empty list\)/ },
  {
    name: 'Residual whose body changes the width',
    text: seed({ model: '  - Residual: {body: [{Linear: {in_features: 10, out_features: 4}}]}', target: '{shape: [4]}' }),
    code: 'spec/shape-mismatch',
    at: '2:5',
    message: /Residual adds its body's output to its input, but the body gives \[4\] and its input is \[10\]: add a shortcut that projects the input/,
  },
  {
    name: 'Residual shortcut of another width',
    text: seed({ model: '  - Residual:\n      body: [{Linear: {in_features: 10, out_features: 4}}]\n      shortcut: [{Linear: {in_features: 10, out_features: 3}}]', target: '{shape: [4]}' }),
    code: 'spec/shape-mismatch',
    at: '2:5',
    message: /the body gives \[4\] and the shortcut gives \[3\]$/,
  },
  { name: 'a layer inside a Residual body against its input', text: seed({ model: '  - Residual: {body: [{Linear: {in_features: 12, out_features: 10}}]}' }), code: 'spec/shape-mismatch', at: '2:46', message: /Linear expects 12 input features but the input gives \[10\]/ },
  { name: 'init on a Residual', text: seed({ model: '  - Residual: {body: [ReLU]}\n    init: {weight: zeros}' }), code: 'spec/unknown-param', at: '3:5', message: /Residual has no parameters of its own: put init on the layers inside its branches/ },

  // ---- loss and target
  { name: 'MSELoss output against a wider target', text: seed({ target: '{shape: [3]}' }), code: 'spec/shape-mismatch', at: '6:17', message: /MSELoss compares the model's output \[1\] with the target \[3\]/ },
  {
    name: 'CrossEntropyLoss output against the class count',
    text: seed({ model: '  - Linear: {in_features: 10, out_features: 5}', target: '{classes: 10}', loss: 'CrossEntropyLoss' }),
    code: 'spec/shape-mismatch',
    at: '4:19',
    message: /CrossEntropyLoss compares the model's output \[5\] with 10 classes/,
  },
  { name: 'CrossEntropyLoss without class targets', text: seed({ loss: 'CrossEntropyLoss' }), code: 'spec/loss-target', at: '6:9', message: /CrossEntropyLoss needs class-index targets: write target: \{classes: 1\}/ },
  { name: 'MSELoss with class targets', text: seed({ target: '{classes: 3}' }), code: 'spec/loss-target', at: '6:19', message: /MSELoss compares the output with a target of the same shape/ },
  { name: 'unknown loss', text: seed({ loss: 'MSE' }), code: 'spec/unknown-loss', at: '7:7', message: /unknown loss 'MSE'\. Did you mean 'MSELoss'\? Losses are MSELoss, L1Loss/ },
  { name: "reduction 'none'", text: seed({ loss: '{MSELoss: {reduction: none}}' }), code: 'spec/type', at: '7:29', message: /MSELoss reduction must be one of 'mean', 'sum'/ },
  { name: 'missing loss', text: 'model:\n  - Linear: {in_features: 10, out_features: 1}\ninput: {shape: [10]}\ntarget: {shape: [1]}\n', code: 'spec/missing', at: '1:1', message: /the spec has no 'loss': add loss: one of MSELoss/ },
  { name: 'missing input shape', text: seed({ input: '{distribution: normal}' }), code: 'spec/missing', at: '5:1', message: /input needs shape, the size of one sample without the batch axis/ },
  { name: 'unknown distribution', text: seed({ input: '{shape: [10], distribution: gaussian}' }), code: 'spec/unknown-distribution', at: '5:36', message: /unknown distribution 'gaussian'\. Distributions are normal, uniform, integers, bernoulli/ },
  { name: 'integers with low ≥ high', text: seed({ input: '{shape: [10], distribution: {integers: {low: 3, high: 3}}}' }), code: 'spec/type', at: '5:62', message: /integers needs low < high/ },
  { name: 'data and distribution together', text: seed({ input: '{shape: [10], data: x.json, distribution: normal}' }), code: 'spec/type', at: '5:36', message: /either data .* or distribution/ },

  // ---- optimizer, trace, top level
  { name: 'unknown top-level key', text: seed({ more: 'optimiser: {SGD: {lr: 0.1}}\n' }), code: 'spec/unknown-key', at: '8:1', message: /unknown key 'optimiser'\. Did you mean 'optimizer'\? A spec's keys are model, input, target, loss, optimizer, trace/ },
  { name: 'unknown optimizer', text: seed({ more: 'optimizer: {Adma: {lr: 0.1}}\n' }), code: 'spec/unknown-optimizer', at: '8:13', message: /Did you mean 'Adam'\?/ },
  { name: 'SGD without lr', text: seed({ more: 'optimizer: SGD\n' }), code: 'spec/missing', at: '8:12', message: /SGD needs lr: write SGD: \{lr: …\}/ },
  { name: 'negative learning rate', text: seed({ more: 'optimizer: {SGD: {lr: -0.1}}\n' }), code: 'spec/type', at: '8:23', message: /SGD lr must be a number ≥ 0 \(got -0\.1\)/ },
  { name: 'Adam betas out of range', text: seed({ more: 'optimizer: {Adam: {betas: [0.9, 1.5]}}\n' }), code: 'spec/type', at: '8:33', message: /Adam betas must be a pair of numbers, each in \[0, 1\)/ },
  { name: 'nesterov without momentum', text: seed({ more: 'optimizer: {SGD: {lr: 0.1, nesterov: true}}\n' }), code: 'spec/type', at: '8:38', message: /nesterov: true needs a momentum > 0/ },
  { name: 'clipping without an optimizer', text: seed({ more: 'optimizer: {clip_grad_norm: 1.0}\n' }), code: 'spec/missing', at: '8:1', message: /the optimizer section needs an optimizer beside clip_grad_norm, e\.g\. \{Adam: \{lr: 0\.001\}, clip_grad_norm: …\}/ },
  { name: 'two clippings', text: seed({ more: 'optimizer: {Adam: {lr: 0.001}, clip_grad_norm: 1.0, clip_grad_value: 0.5}\n' }), code: 'spec/type', at: '8:53', message: /one gradient clipping per optimizer: clip_grad_norm is already given/ },
  { name: 'a zero max_norm', text: seed({ more: 'optimizer: {Adam: {lr: 0.001}, clip_grad_norm: 0}\n' }), code: 'spec/type', at: '8:48', message: /clip_grad_norm max_norm must be a number > 0 \(got 0\)/ },
  { name: 'clip_grad_norm without max_norm', text: seed({ more: 'optimizer: {Adam: {lr: 0.001}, clip_grad_norm: {norm_type: 1}}\n' }), code: 'spec/missing', at: '8:32', message: /clip_grad_norm needs max_norm/ },
  { name: 'a misspelt clipping', text: seed({ more: 'optimizer: {Adam: {lr: 0.001}, clip_grad_nrom: 1.0}\n' }), code: 'spec/unknown-key', at: '8:32', message: /the optimizer section holds one optimizer and at most one of clip_grad_norm, clip_grad_value, not 'clip_grad_nrom'\. Did you mean 'clip_grad_norm'\?/ },
  { name: 'two optimizers', text: seed({ more: 'optimizer: {Adam: {lr: 0.001}, SGD: {lr: 0.1}}\n' }), code: 'spec/unknown-key', at: '8:32', message: /holds one optimizer .*, not 'SGD'\.$/ },
  { name: 'trace batch_size 0', text: seed({ more: 'trace: {batch_size: 0}\n' }), code: 'spec/type', at: '8:21', message: /trace batch_size must be a positive integer \(got 0\)/ },
  { name: 'trace dtype', text: seed({ more: 'trace: {dtype: float16}\n' }), code: 'spec/type', at: '8:16', message: /trace dtype must be one of 'float32', 'float64'/ },
  { name: 'trace misspelt field', text: seed({ more: 'trace: {step: 5}\n' }), code: 'spec/unknown-arg', at: '8:9', message: /trace has no argument 'step'\. Did you mean 'steps'\?/ },

  // ---- init
  { name: 'init of an unknown parameter', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {wieght: zeros}' }), code: 'spec/unknown-param', at: '3:12', message: /Linear has no parameter 'wieght'\. Did you mean 'weight'\? Its parameters are weight, bias/ },
  { name: 'init of a bias switched off', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1, bias: false}\n    init: {bias: zeros}' }), code: 'spec/unknown-param', at: '3:12', message: /no parameter 'bias' because of its arguments \(bias: false\)/ },
  { name: 'unknown init scheme', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {weight: xavier}' }), code: 'spec/unknown-init', at: '3:20', message: /unknown init scheme 'xavier'/ },
  { name: 'xavier on a bias', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {bias: xavier_uniform}' }), code: 'spec/init', at: '3:18', message: /xavier_uniform needs a parameter with at least 2 axes .* bias has shape \[1\]/ },
  { name: 'negative std', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {weight: {normal: {std: -1}}}' }), code: 'spec/type', at: '3:35', message: /normal std must be a number ≥ 0/ },
  { name: 'constant without a value', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {bias: constant}' }), code: 'spec/missing', at: '3:18', message: /constant needs val/ },
  { name: 'kaiming with an unknown nonlinearity', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {weight: {kaiming_normal: {nonlinearity: gelu}}}' }), code: 'spec/type', at: '3:52', message: /kaiming_normal nonlinearity must be one of 'linear'/ },
  { name: 'eye on a bias', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {bias: eye}' }), code: 'spec/init', at: '3:18', message: /eye needs a parameter with 2 axes, but bias has shape \[1\]/ },
  { name: 'dirac on a Linear weight', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {weight: dirac}' }), code: 'spec/init', at: '3:20', message: /dirac needs a parameter with 3 to 5 axes, but weight has shape \[1, 10\]/ },
  { name: 'orthogonal on a bias', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {bias: orthogonal}' }), code: 'spec/init', at: '3:18', message: /orthogonal needs a parameter with at least 2 axes, but bias has shape \[1\]/ },
  { name: 'sparse without sparsity', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1}\n    init: {weight: sparse}' }), code: 'spec/missing', at: '3:20', message: /sparse needs sparsity/ },
  { name: 'init on a Sequential', text: seed({ model: '  - Sequential: [{Linear: {in_features: 10, out_features: 1}}]\n    init: {weight: zeros}' }), code: 'spec/unknown-param', at: '3:5', message: /Sequential has no parameters of its own/ },

  // ---- sizes
  { name: 'huge weight', text: seed({ model: '  - Linear: {in_features: 10, out_features: 100000000}\n  - Linear: {in_features: 100000000, out_features: 1}' }), code: 'spec/too-large', at: '2:5', message: /0: Linear's weight \[100000000, 10\] needs 3\.7 GiB, over the 512 MiB memory limit \(--memory-limit-mb \/ gradientLens\.memoryLimitMB\)/ },
  { name: 'huge batch of inputs', text: seed({ more: 'trace: {batch_size: 100000000}\n' }), code: 'spec/too-large', at: '5:16', message: /the input is \[100000000, 10\] for batch_size 100000000: 3\.7 GiB in float32/ },
  { name: 'huge activation inside the model', text: seed({ model: '  - Linear: {in_features: 10, out_features: 4096}\n  - Linear: {in_features: 4096, out_features: 1}', more: 'trace: {batch_size: 64}\n' }), maxTensorBytes: 500_000, code: 'spec/too-large', at: '2:5', message: /the output of 0: Linear is \[64, 4096\] for batch_size 64: 1\.0 MiB in float32, over the 488 KiB memory limit \(--memory-limit-mb \/ gradientLens\.memoryLimitMB\)/ },
  { name: 'size beyond any allocation', text: seed({ model: '  - Linear: {in_features: 10, out_features: 1e12}' }), code: 'spec/too-large', at: '2:45', message: /out_features is 1000000000000, above the largest supported value/ },
  { name: 'a YAML alias bomb', text: `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n`, code: 'spec/too-large', at: '5:33', message: /expands to more than/ },
];

describe('spec: malformed specs', () => {
  it('has at least 35 cases', () => assert.ok(cases.length >= 35, `${cases.length}`));
  for (const c of cases) {
    it(`${c.name} → ${c.code} at ${c.at}`, () => {
      const { spec, diagnostics } = parseSpec(c.text, c.file ?? 'm.grad.yaml', { maxTensorBytes: c.maxTensorBytes });
      assert.equal(spec, null, 'a spec with errors must not be returned');
      const shown = diagnostics.map((d) => {
        const p = positionAt(c.text, d.range.start);
        return `${d.code} @${p.line + 1}:${p.character + 1} ${d.message}`;
      });
      const d = diagnostics.find((x) => x.code === c.code && x.severity === 'error');
      assert.ok(d, `no ${c.code} among:\n${shown.join('\n')}`);
      const p = positionAt(c.text, d.range.start);
      assert.equal(`${p.line + 1}:${p.character + 1}`, c.at, shown.join('\n'));
      assert.match(d.message, c.message);
      assert.ok(d.range.end >= d.range.start && d.range.end <= c.text.length);
    });
  }

  it('reports independent errors together', () => {
    const text = seed({
      model: '  - Linear: {in_features: 10, out_features: 0}\n  - Sigmod\n  - Linear: {in_features: 10, out_features: 1, bais: true}',
      loss: 'MSE',
      more: 'trace: {steps: 0}\n',
    });
    const { spec, diagnostics } = parseSpec(text, 'm.grad.yaml');
    assert.equal(spec, null);
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['spec/type', 'spec/unknown-layer', 'spec/unknown-arg', 'spec/unknown-loss', 'spec/type'],
    );
    // In document order.
    const starts = diagnostics.map((d) => d.range.start);
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
  });

  it('does not echo a shape error down the rest of the model', () => {
    const text = seed({ model: '  - Linear: {in_features: 3, out_features: 10}\n  - Sigmoid\n  - Linear: {in_features: 10, out_features: 1}' });
    const { diagnostics } = parseSpec(text, 'm.grad.yaml');
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['spec/shape-mismatch'],
    );
  });
});
