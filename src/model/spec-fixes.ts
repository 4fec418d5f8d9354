/**
 * The spec front end's fixes: intents rendered as text edits on the user's spec, in the file's own
 * syntax (YAML or JSON). Edits touch the smallest range that expresses the change, so the rest of
 * the file, comments included, stays.
 */
import { formatNumber, type FixIntent, type FixRenderer, type TextEdit } from './fixes';
import { layerAt, type ArgValue, type Distribution, type InitSpec, type LayerNode, type ModelSpec, type SourceRange } from './graph';

export type Syntax = 'yaml' | 'json';

export function syntaxOf(fileName: string): Syntax {
  return /\.json$/i.test(fileName) ? 'json' : 'yaml';
}

/** A value in the file's syntax: YAML flow style without quotes where safe, JSON with them. */
export function formatValue(v: unknown, syntax: Syntax): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? formatNumber(v) : syntax === 'json' ? 'null' : String(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return syntax === 'json' || !/^[A-Za-z_][\w.-]*$/.test(v) ? JSON.stringify(v) : v;
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, syntax)).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  const key = (k: string) => (syntax === 'json' ? JSON.stringify(k) : k);
  return `{${entries.map(([k, x]) => `${key(k)}: ${formatValue(x, syntax)}`).join(', ')}}`;
}

function initValue(spec: InitSpec): unknown {
  return Object.keys(spec.args).length ? { [spec.scheme]: spec.args } : spec.scheme;
}

export interface LayerRewrite {
  type?: string;
  /** Arguments to set (merged over those the user wrote); `undefined` removes one. */
  args?: Record<string, ArgValue | undefined>;
  /** Replaces the args the user wrote instead of merging. */
  replaceArgs?: boolean;
  /** Per-parameter init to set, e.g. {weight: {scheme: 'xavier_uniform', args: {}}}. */
  init?: Record<string, { scheme: InitSpec['scheme']; args: Record<string, number | string> }>;
}

/** Args as the user wrote them (those with a source range), not the defaults filled in by the parser. */
function writtenArgs(layer: LayerNode): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const k of Object.keys(layer.argRanges)) out[k] = layer.args[k];
  return out;
}

/** Line start and indentation of the line holding `offset`. */
function columnOf(text: string, offset: number): number {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return offset - lineStart;
}

/** Rewrites one layer entry (type, args, init), keeping its name. */
export function rewriteLayer(text: string, syntax: Syntax, layer: LayerNode, change: LayerRewrite): TextEdit {
  const type = change.type ?? layer.type;
  const args: Record<string, unknown> = change.replaceArgs ? {} : writtenArgs(layer);
  for (const [k, v] of Object.entries(change.args ?? {})) {
    if (v === undefined) delete args[k];
    else args[k] = v;
  }
  const init: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(layer.init)) init[k] = initValue(v);
  for (const [k, v] of Object.entries(change.init ?? {})) init[k] = initValue({ ...v, range: { start: 0, end: 0 } });
  const named = /^\d+$/.test(layer.name) ? null : layer.name;
  const hasArgs = Object.keys(args).length > 0;
  const hasInit = Object.keys(init).length > 0;
  if (!named && !hasInit && !hasArgs) {
    return { range: layer.range, newText: syntax === 'json' ? JSON.stringify(type) : type };
  }
  const fields: [string, unknown][] = [];
  if (named) fields.push(['name', named]);
  fields.push([type, hasArgs ? args : null]);
  if (hasInit) fields.push(['init', init]);
  if (syntax === 'json') {
    return { range: layer.range, newText: formatValue(Object.fromEntries(fields), 'json') };
  }
  const indent = ' '.repeat(columnOf(text, layer.range.start));
  const lines = fields.map(([k, v]) => (v === null ? `${k}:` : `${k}: ${formatValue(v, 'yaml')}`));
  return { range: trimRange(text, layer.range), newText: lines.join(`\n${indent}`) };
}

/** YAML ranges of block nodes run to the next line; keep the edit off the trailing newline and spaces. */
function trimRange(text: string, r: SourceRange): SourceRange {
  let end = r.end;
  while (end > r.start && /\s/.test(text[end - 1])) end--;
  return { start: r.start, end };
}

/** Inserts a new layer entry just before `layer` in the same list. */
export function insertLayerBefore(text: string, syntax: Syntax, layer: LayerNode, type: string, args: Record<string, ArgValue>): TextEdit {
  const entry = Object.keys(args).length ? { [type]: args } : type;
  const at = { start: layer.range.start, end: layer.range.start };
  if (syntax === 'json') return { range: at, newText: `${formatValue(entry, 'json')}, ` };
  // In a block list the entry starts after "- "; in a flow list after "[" or ", ".
  const lineStart = text.lastIndexOf('\n', layer.range.start - 1) + 1;
  const before = text.slice(lineStart, layer.range.start);
  const dash = /^(\s*)-\s+$/.exec(before);
  if (dash) return { range: at, newText: `${formatValue(entry, 'yaml')}\n${dash[1]}- ` };
  return { range: at, newText: `${formatValue(entry, 'yaml')}, ` };
}

/** Removes `layer` from its list, with its dash (YAML block) or its comma (flow, JSON). */
export function removeLayer(text: string, syntax: Syntax, layer: LayerNode): TextEdit {
  const r = trimRange(text, layer.range);
  if (syntax === 'yaml') {
    const lineStart = text.lastIndexOf('\n', r.start - 1) + 1;
    if (/^\s*-\s+$/.test(text.slice(lineStart, r.start))) {
      const lineEnd = text.indexOf('\n', r.end);
      return { range: { start: lineStart, end: lineEnd < 0 ? text.length : lineEnd + 1 }, newText: '' };
    }
  }
  const after = /^\s*,\s*/.exec(text.slice(r.end));
  if (after) return { range: { start: r.start, end: r.end + after[0].length }, newText: '' };
  const before = /,\s*$/.exec(text.slice(0, r.start));
  if (before) return { range: { start: r.start - before[0].length, end: r.end }, newText: '' };
  return { range: r, newText: '' };
}

/** Replaces a whole value (the loss, the optimiser) with `value` in the file's syntax. */
export function replaceValue(text: string, syntax: Syntax, range: SourceRange, value: unknown): TextEdit {
  return { range: trimRange(text, range), newText: formatValue(value, syntax) };
}

/**
 * Sets the optimiser section. A spec without one (the SGD lr 0.01 default applies) has an empty
 * range at the end of the text: add a whole `optimizer:` entry there instead of a bare value.
 */
export function replaceOptimizer(text: string, syntax: Syntax, range: SourceRange, value: unknown): TextEdit {
  if (range.end > range.start) return replaceValue(text, syntax, range, value);
  if (syntax === 'json') {
    const close = text.lastIndexOf('}');
    let before = close;
    while (before > 0 && /\s/.test(text[before - 1])) before--;
    return { range: { start: before, end: before }, newText: `,\n  "optimizer": ${formatValue(value, 'json')}` };
  }
  const end = text.length;
  return { range: { start: end, end }, newText: `${text.endsWith('\n') || !text ? '' : '\n'}optimizer: ${formatValue(value, 'yaml')}\n` };
}

/** An `input:`/`target:` value as a spec writes it: `{classes: N}`, or the shape with the distribution in its shortest form. */
function dataValue(shape: number[], d: Distribution): unknown {
  switch (d.kind) {
    case 'classes':
      return { classes: d.count };
    case 'normal':
      return { shape, distribution: d.mean === 0 && d.std === 1 ? 'normal' : { normal: { mean: d.mean, std: d.std } } };
    case 'bernoulli':
      return { shape, distribution: d.p === 0.5 ? 'bernoulli' : { bernoulli: { p: d.p } } };
    case 'uniform':
      return { shape, distribution: { uniform: { low: d.low, high: d.high } } };
    case 'integers':
      return { shape, distribution: { integers: { low: d.low, high: d.high } } };
  }
}

/** Arguments as the user wrote them, then `change` over them (a key set to undefined goes). */
function writtenWith(written: Record<string, SourceRange>, values: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(written)) out[k] = values[k];
  return { ...out, ...change };
}

/** The gradient clipping beside the optimiser as written back: its shorthand when norm_type is 2. */
function writtenClip(clip: ModelSpec['optimizer']['clip']): Record<string, unknown> {
  if (!clip) return {};
  if (clip.kind === 'value') return { clip_grad_value: clip.clipValue };
  return { clip_grad_norm: clip.normType === 2 ? clip.maxNorm : { max_norm: clip.maxNorm, norm_type: clip.normType } };
}

/**
 * Renders fixes on a spec: each intent as the edit of the entry or section it changes. Intents on
 * one layer become one rewrite of its entry (two edits of one range would clash), where the first
 * of them stood.
 */
export function specFixes(text: string, fileName: string, graph: ModelSpec): FixRenderer {
  const syntax = syntaxOf(fileName);
  return (intents: readonly FixIntent[]): TextEdit[] | null => {
    const slots: ({ layer: LayerNode; change: LayerRewrite } | (() => TextEdit))[] = [];
    let optimizerChange: { args: Record<string, unknown>; clip: Record<string, unknown> | null } | null = null;
    const rewrites = new Map<string, { layer: LayerNode; change: LayerRewrite }>();
    const rewrite = (path: string): LayerRewrite | null => {
      const known = rewrites.get(path);
      if (known) return known.change;
      const layer = layerAt(graph, path);
      if (!layer || path === '') return null;
      const slot = { layer, change: {} as LayerRewrite };
      rewrites.set(path, slot);
      slots.push(slot);
      return slot.change;
    };
    for (const intent of intents) {
      switch (intent.kind) {
        case 'replace-layer': {
          const change = rewrite(intent.layer);
          if (!change) return null;
          Object.assign(change, { type: intent.with, args: { ...intent.args }, replaceArgs: true });
          break;
        }
        case 'set-layer-args': {
          const change = rewrite(intent.layer);
          if (!change) return null;
          change.args = { ...change.args, ...intent.args };
          break;
        }
        case 'set-init': {
          const change = rewrite(intent.layer);
          if (!change) return null;
          change.init = { ...change.init, ...intent.init };
          break;
        }
        case 'insert-layer': {
          const before = layerAt(graph, intent.before);
          if (!before || intent.before === '') return null;
          slots.push(() => insertLayerBefore(text, syntax, before, intent.type, intent.args));
          break;
        }
        case 'remove-layer': {
          const layer = layerAt(graph, intent.layer);
          if (!layer || intent.layer === '') return null;
          slots.push(() => removeLayer(text, syntax, layer));
          break;
        }
        case 'set-loss':
          slots.push(() => replaceValue(text, syntax, graph.loss.range, Object.keys(intent.args).length ? { [intent.type]: intent.args } : intent.type));
          break;
        case 'set-optimizer-args':
        case 'set-gradient-clip': {
          // one rewrite of the optimizer section for all its changes (two edits of one range would clash)
          if (!optimizerChange) {
            const change: { args: Record<string, unknown>; clip: Record<string, unknown> | null } = { args: {}, clip: null };
            optimizerChange = change;
            const { optimizer } = graph;
            slots.push(() => replaceOptimizer(text, syntax, optimizer.range, { [optimizer.type]: writtenWith(optimizer.argRanges, optimizer.args, change.args), ...(change.clip ?? writtenClip(optimizer.clip)) }));
          }
          if (intent.kind === 'set-optimizer-args') Object.assign(optimizerChange.args, intent.args);
          else optimizerChange.clip = { clip_grad_norm: intent.maxNorm };
          break;
        }
        case 'set-data': {
          const data = graph[intent.which];
          // Data read from a file is the user's to change, not the spec's.
          if (data.file) return null;
          slots.push(() => replaceValue(text, syntax, data.range, dataValue(intent.shape, intent.distribution)));
          break;
        }
      }
    }
    return slots.map((s) => (typeof s === 'function' ? s() : rewriteLayer(text, syntax, s.layer, s.change)));
  };
}

export { applyEdits } from './fixes';
