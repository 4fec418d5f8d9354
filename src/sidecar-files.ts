/**
 * Which files are a Python file's sidecar spec and which Python file a sidecar names: plain path
 * arithmetic, shared by the CLI, the trace worker and the extension host (which bundles no engine).
 */
import { basename, dirname, join, resolve } from 'node:path';

/** The sidecar files that may belong to a Python file: `model.grad.yaml` (or .yml, .json) beside `model.py`. */
export function sidecarCandidates(pyFile: string): string[] {
  const dir = dirname(pyFile);
  const stem = basename(pyFile).replace(/\.(py|ipynb)$/i, '');
  return ['.grad.yaml', '.grad.yml', '.grad.json'].map((ext) => join(dir, `${stem}${ext}`));
}

/** The Python file a sidecar names, resolved against the sidecar's folder. */
export function sidecarTarget(sidecarFile: string, sidecar: { python: string }): string {
  return resolve(dirname(sidecarFile), sidecar.python);
}

/** What "Trace this model…" asks for: how to build the model and what it is trained on. */
export interface SidecarAnswers {
  /** The Python file, as the sidecar names it (relative to the sidecar's folder). */
  python: string;
  /** A Python expression that builds the model: `Net()`, `GPT(GPTConfig(n_layer=2))`. */
  build: string;
  /** One sample's input shape, without the batch. */
  inputShape: number[];
  /** Token ids below this bound instead of normally distributed values (a model that starts with an embedding). */
  vocabulary?: number;
  /** Class indices (CrossEntropyLoss), or a target of this shape (MSELoss). */
  target: { classes: number } | { shape: number[] };
}

/** A sidecar spec's text for these answers, with comments saying what to change. */
export function sidecarText(a: SidecarAnswers): string {
  const flow = (v: number[]) => `[${v.join(', ')}]`;
  const input = a.vocabulary ? `{shape: ${flow(a.inputShape)}, distribution: {integers: {low: 0, high: ${a.vocabulary}}}}` : `{shape: ${flow(a.inputShape)}, distribution: normal}`;
  const target = 'classes' in a.target ? `{classes: ${a.target.classes}}` : `{shape: ${flow(a.target.shape)}, distribution: normal}`;
  const loss = 'classes' in a.target ? 'CrossEntropyLoss' : 'MSELoss';
  return [
    `# Gradient Lens traces ${a.python} through this sidecar: the model is built by the expression below`,
    '# (Gradient Lens reads the file, never runs it) and trained a few steps on synthetic batches.',
    '# A model that computes its own loss can say so: model: {python: ..., build: ..., loss: "model(x, y)[1]"}',
    `model: {python: ${JSON.stringify(a.python)}, build: ${JSON.stringify(a.build)}}`,
    `input: ${input}`,
    `target: ${target}`,
    `loss: ${loss}`,
    'optimizer: {Adam: {lr: 0.001}}',
    'trace: {steps: 20, batch_size: 8}',
    '',
  ].join('\n');
}
