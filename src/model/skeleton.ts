/**
 * The model a new spec starts from, in one place: the empty file's quick fix, the "New Model File"
 * command, the completion's skeleton and the missing-keys fix all write it, in the file's syntax.
 * A small healthy MLP (PyTorch defaults, ReLU) that traces clean, so the first thing a user sees
 * after starting is a model with no findings, ready to change.
 */
import type { TextEdit } from './fixes';
import type { SourceRange } from './graph';
import { formatValue, type Syntax } from './spec-fixes';

export const SKELETON = {
  model: [{ Linear: { in_features: 10, out_features: 32 } }, 'ReLU', { Linear: { in_features: 32, out_features: 1 } }],
  input: { shape: [10], distribution: 'normal' },
  target: { shape: [1], distribution: 'normal' },
  loss: 'MSELoss',
  optimizer: { SGD: { lr: 0.01 } },
  trace: { steps: 20, batch_size: 8, seed: 0 },
} as const;

export type SkeletonKey = keyof typeof SKELETON;

/** A list item as people write it in YAML: `Linear: {in_features: 10}` rather than `{Linear: {...}}`. */
function yamlItem(v: unknown): string {
  const entries = v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v) : [];
  return entries.length === 1 ? `${entries[0][0]}: ${formatValue(entries[0][1], 'yaml')}` : formatValue(v, 'yaml');
}

/** One top-level entry in the file's syntax: `model` as a block list in YAML, every other key on one line. */
function entry(key: SkeletonKey, syntax: Syntax, value: unknown = SKELETON[key]): string {
  if (syntax === 'json') {
    if (Array.isArray(value)) return `  "${key}": [\n${value.map((v) => `    ${formatValue(v, 'json')}`).join(',\n')}\n  ]`;
    return `  "${key}": ${formatValue(value, 'json')}`;
  }
  if (Array.isArray(value)) return `${key}:\n${value.map((v) => `  - ${yamlItem(v)}`).join('\n')}`;
  return `${key}: ${formatValue(value, 'yaml')}`;
}

/** The whole skeleton spec, a complete file. */
export function skeletonText(syntax: Syntax): string {
  const keys = Object.keys(SKELETON) as SkeletonKey[];
  if (syntax === 'json') return `{\n${keys.map((k) => entry(k, 'json')).join(',\n')}\n}\n`;
  return `# Layers as in torch.nn; Gradient Lens traces a few training steps on synthetic data.\n${keys.map((k) => entry(k, 'yaml')).join('\n')}\n`;
}

/**
 * The edit that starts an empty file: the skeleton after whatever comments are there (YAML), or
 * in place of the empty value (`{}`, `null`) at `range`.
 */
export function startEdit(text: string, syntax: Syntax, range: SourceRange | null): TextEdit {
  const body = skeletonText(syntax);
  if (range && range.end > range.start) return { range, newText: body.trimEnd() };
  if (syntax === 'json' || !text.trim()) return { range: { start: 0, end: text.length }, newText: body };
  const sep = text.endsWith('\n') ? '' : '\n';
  return { range: { start: text.length, end: text.length }, newText: sep + body };
}

/** Adds the missing top-level keys at the end of the spec's map (`root`: its range). */
export function missingKeysEdit(text: string, syntax: Syntax, missing: readonly SkeletonKey[], root: SourceRange): TextEdit {
  const flow = text[root.start] === '{';
  if (syntax === 'json' || flow) {
    // Before the closing brace, after the last entry: `, "input": ...` (one per line in JSON).
    let at = text.lastIndexOf('}', root.end - 1);
    while (at > root.start && /\s/.test(text[at - 1])) at--;
    const comma = text[at - 1] === '{' ? '' : ',';
    if (syntax === 'json') return { range: { start: at, end: at }, newText: `${comma}\n${missing.map((k) => entry(k, 'json')).join(',\n')}` };
    return { range: { start: at, end: at }, newText: `${comma} ${missing.map((k) => `${k}: ${formatValue(SKELETON[k], 'yaml')}`).join(', ')}` };
  }
  let end = root.end;
  while (end > root.start && /\s/.test(text[end - 1])) end--;
  return { range: { start: end, end }, newText: `\n${missing.map((k) => entry(k, 'yaml')).join('\n')}` };
}
