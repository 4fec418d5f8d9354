/**
 * Completion in spec files (`*.grad.yaml`, `*.grad.json`), from the catalogue: layer names with
 * their required arguments, each layer's arguments with PyTorch's defaults and docs, argument
 * values (enums, booleans, the default), losses, optimisers, init schemes, distributions, the
 * sections of a spec, and the whole skeleton in an empty file. It works on text being typed (no
 * parse needed): where the cursor is comes from the lines above it (YAML) or jsonc-parser's
 * tolerant scanner (JSON). No `vscode` here; offsets in, offsets out.
 */
import { getLocation, findNodeAtLocation, parseTree, type Node as JsonNode } from 'jsonc-parser';
import {
  DISTRIBUTIONS,
  INITS,
  isRequired,
  layerDef,
  LAYERS,
  LOSSES,
  OPTIMIZERS,
  REQUIRED_TOP_LEVEL_KEYS,
  TOP_LEVEL_KEYS,
  TRACE_ARGS,
  type ArgDef,
  type LayerType,
} from './catalogue';
import type { SourceRange } from './graph';
import { skeletonText } from './skeleton';
import { formatValue, syntaxOf, type Syntax } from './spec-fixes';

export type CompletionKind = 'layer' | 'argument' | 'value' | 'loss' | 'optimizer' | 'init' | 'distribution' | 'section' | 'parameter' | 'skeleton';

export interface SpecCompletion {
  label: string;
  kind: CompletionKind;
  /** One line beside the label: the PyTorch name, or an argument's type and default. */
  detail: string;
  /** Markdown: what it is, its arguments, PyTorch's defaults. */
  documentation: string;
  /** Snippet syntax (`${1:10}`), in the file's syntax. */
  insertText: string;
  /** The text it replaces: the word being typed (with its quotes in JSON). */
  range: SourceRange;
  /** Offered first (required arguments, the skeleton in an empty file). */
  preselect?: boolean;
}

/** A list item in the path to the cursor, with the keys its map has (the layer key of an entry). */
interface Item {
  item: true;
  keys: string[];
}
type Seg = string | Item;

/** Where the cursor is: the keys and items leading to it, and whether a key or a value is being typed. */
interface Where {
  path: Seg[];
  at: 'key' | 'value';
  /** Keys already in the map being typed into (not offered again). */
  siblings: string[];
  range: SourceRange;
  /** A value position inside a flow collection (`[a, b]`, `{a: b}`): YAML's block forms do not fit there. */
  flow: boolean;
}

export function completeSpec(text: string, offset: number, fileName: string): SpecCompletion[] {
  const syntax = syntaxOf(fileName);
  offset = Math.max(0, Math.min(offset, text.length));
  if (!text.trim()) return [skeleton(syntax, { start: 0, end: text.length })];
  const where = syntax === 'json' ? whereJson(text, offset) : whereYaml(text, offset);
  if (!where) return [];
  return offer(where, syntax);
}

export interface SpecHover {
  /** Markdown. */
  contents: string;
  range: SourceRange;
}

/**
 * The docs of the name under the cursor, from the same catalogue entries completion offers there:
 * a layer, an argument (with PyTorch's default), a loss, an optimiser, an init scheme, a section.
 * A name the catalogue does not know at that place gets none (never another name's docs).
 */
export function hoverSpec(text: string, offset: number, fileName: string): SpecHover | null {
  const syntax = syntaxOf(fileName);
  let start = offset;
  while (start > 0 && /[\w.-]/.test(text[start - 1])) start--;
  let end = offset;
  while (end < text.length && /[\w.-]/.test(text[end])) end++;
  const word = text.slice(start, end);
  if (!word || !/^[A-Za-z_]/.test(word)) return null;
  const where = syntax === 'json' ? whereJson(text, end) : whereYaml(text, end);
  if (!where) return null;
  // Hovering, nothing is "already written": the word under the cursor is one of the map's own
  // keys (a JSON item's layer key is in its item's keys), and it must be among the names offered.
  where.siblings = [];
  const last = where.path.at(-1);
  if (last && typeof last === 'object') where.path[where.path.length - 1] = { ...last, keys: [] };
  const hit = offer(where, syntax).find((c) => c.label === word && c.kind !== 'value');
  if (!hit) return null;
  return { contents: `**${hit.label}** · ${hit.detail}\n\n${hit.documentation}`, range: { start, end } };
}

// ---------------------------------------------------------------- what to offer where

function offer(w: Where, syntax: Syntax): SpecCompletion[] {
  const p = w.path;
  const fmt = new Format(syntax, w);
  const top = p[0];
  if (p.length === 0) {
    if (w.at !== 'key') return [];
    const out = TOP_LEVEL_KEYS.filter((k) => !w.siblings.includes(k)).map((k) => fmt.section(k));
    return out;
  }
  if (typeof top !== 'string') return [];
  if (top === 'model') return offerInModel(p.slice(1), w, fmt);
  if (top === 'loss') return offerOneKey(p.slice(1), w, fmt, 'loss', LOSSES);
  if (top === 'optimizer') return offerOneKey(p.slice(1), w, fmt, 'optimizer', OPTIMIZERS);
  if (top === 'trace') {
    if (p.length === 1 && w.at === 'key') return fmt.args(TRACE_ARGS, 'trace', w.siblings);
    if (p.length === 2 && w.at === 'value') return fmt.values(TRACE_ARGS.find((a) => a.name === p[1]));
    return [];
  }
  if (top === 'input' || top === 'target') {
    const fields = top === 'target' ? ['shape', 'distribution', 'data', 'classes'] : ['shape', 'distribution', 'data'];
    if (p.length === 1 && w.at === 'key') return fields.filter((f) => !w.siblings.includes(f)).map((f) => fmt.dataField(f, top));
    if (p[1] === 'distribution') return offerOneKey(p.slice(2), w, fmt, 'distribution', DISTRIBUTIONS);
    return [];
  }
  return [];
}

/** Inside `model:` (and any Sequential): layer entries, their arguments and values, their init. */
function offerInModel(rest: Seg[], w: Where, fmt: Format): SpecCompletion[] {
  // Descend through the list items and Sequentials to the entry being written.
  let i = 0;
  for (;;) {
    const s = rest[i];
    if (s === undefined) return [];
    if (typeof s === 'string') return [];
    // rest[i] is an item of a layer list.
    const next = rest[i + 1];
    if (next === 'Sequential' && typeof rest[i + 2] === 'object') {
      i += 2;
      continue;
    }
    const entry = rest.slice(i + 1);
    const layer = s.keys.find((k) => layerDef(k)) as LayerType | undefined;
    if (entry.length === 0) {
      // `- Sig|` (a list item's value) or a key of the entry's map on a line of its own.
      if (w.at === 'value') return fmt.layers();
      const keys = ['name', 'init'].filter((k) => !w.siblings.includes(k)).map((k) => fmt.entryKey(k));
      return layer ? keys : [...fmt.layers(), ...keys];
    }
    const [key, arg, ...more] = entry as string[];
    if (typeof key !== 'string') return [];
    if (key === 'init') {
      const def = layer && layerDef(layer);
      if (!def) return [];
      if (arg === undefined) return w.at === 'key' ? def.paramNames.filter((n) => !w.siblings.includes(n)).map((n) => fmt.param(n, layer!)) : [];
      if (typeof arg !== 'string') return [];
      return offerOneKey(more, w, fmt, 'init', INITS);
    }
    const def = layerDef(key);
    if (!def || key === 'Sequential') return [];
    if (arg === undefined) {
      if (w.at === 'key') return fmt.args(def.args, key, w.siblings);
      return w.at === 'value' ? fmt.argMap(def.args) : [];
    }
    if (typeof arg === 'string' && more.length === 0 && w.at === 'value') return fmt.values(def.args.find((a) => a.name === arg));
    return [];
  }
}

interface OneKeyDef {
  doc: string;
  args: readonly ArgDef[];
  torch?: string;
}

/** `loss: Name` or `loss: {Name: {args}}`: the names, then each one's arguments and their values. */
function offerOneKey(rest: Seg[], w: Where, fmt: Format, what: 'loss' | 'optimizer' | 'init' | 'distribution', table: Record<string, OneKeyDef>): SpecCompletion[] {
  const names = Object.keys(table).filter((n) => n !== 'default');
  if (rest.length === 0) return w.at === 'value' || w.at === 'key' ? names.map((n) => fmt.named(what, n, table[n])) : [];
  const [name, arg, ...more] = rest;
  if (typeof name !== 'string' || !Object.hasOwn(table, name)) return [];
  const def = table[name];
  if (arg === undefined) return w.at === 'key' ? fmt.args(def.args, name, w.siblings) : [];
  if (typeof arg === 'string' && more.length === 0 && w.at === 'value') return fmt.values(def.args.find((a) => a.name === arg));
  return [];
}

// ---------------------------------------------------------------- text of the completions

const KIND_OF: Record<'loss' | 'optimizer' | 'init' | 'distribution', CompletionKind> = { loss: 'loss', optimizer: 'optimizer', init: 'init', distribution: 'distribution' };

function argDoc(a: ArgDef): string {
  const d = a.defaultFrom ? `Default: ${a.defaultFrom}.` : a.default === undefined ? 'Required.' : `Default: \`${formatValue(a.default, 'yaml')}\` (PyTorch's).`;
  return `${a.doc}\n\n${d}`;
}

function argDetail(a: ArgDef): string {
  const t = a.type;
  const type =
    t.kind === 'enum' ? t.values.join(' | ') : t.kind === 'bool' ? 'bool' : t.kind === 'number' || t.kind === 'number-pair' ? (t.kind === 'number' ? 'number' : '[number, number]') : t.kind === 'int-or-pair' ? 'int | [int, int]' : t.kind === 'int-or-list' ? 'int | int[]' : t.kind === 'int-or-null' ? 'int | null' : 'int';
  return a.default === undefined && !a.defaultFrom ? `${type}, required` : `${type} = ${a.defaultFrom ?? formatValue(a.default, 'yaml')}`;
}

/** `Linear(in_features, out_features, bias=True)`: the constructor as PyTorch documents it. */
function signature(name: string, args: readonly ArgDef[]): string {
  return `${name}(${args.map((a) => (a.default === undefined ? a.name : `${a.name}=${pyValue(a.default)}`)).join(', ')})`;
}

function pyValue(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null) return 'None';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `(${v.map(pyValue).join(', ')})`;
  return formatValue(v, 'yaml');
}

function listDocs(args: readonly ArgDef[]): string {
  return args.length ? `\n\n${args.map((a) => `- \`${a.name}\`: ${a.doc}${a.default === undefined ? '' : ` Default \`${formatValue(a.default, 'yaml')}\`.`}`).join('\n')}` : '';
}

/** Snippet-safe text: `$`, `}` and `\` are snippet syntax. */
const esc = (s: string) => s.replace(/[$}\\]/g, '\\$&');

class Format {
  constructor(
    private readonly syntax: Syntax,
    private readonly w: Where,
  ) {}

  private key(k: string): string {
    return this.syntax === 'json' ? JSON.stringify(k) : k;
  }

  private item(base: Omit<SpecCompletion, 'range'>): SpecCompletion {
    return { ...base, range: this.w.range };
  }

  /** `{in_features: ${1:in_features}, out_features: ${2:out_features}}`: the required arguments to fill in. */
  private requiredMap(args: readonly ArgDef[]): string | null {
    const req = args.filter(isRequired);
    if (!req.length) return null;
    return `{${req.map((a, i) => `${this.key(a.name)}: \${${i + 1}:${esc(a.name)}}`).join(', ')}}`;
  }

  layers(): SpecCompletion[] {
    return (Object.keys(LAYERS) as LayerType[]).map((name) => {
      const def = LAYERS[name];
      const args = name === 'Sequential' ? '[$1]' : this.requiredMap(def.args);
      const bare = this.syntax === 'json' ? JSON.stringify(name) : name;
      const withArgs = args === null ? bare : this.syntax === 'json' || this.w.flow ? `{${this.key(name)}: ${args}}` : `${name}: ${args}`;
      return this.item({
        label: name,
        kind: 'layer',
        detail: def.torch,
        documentation: `\`${signature(def.torch, def.args)}\`\n\n${def.doc}${listDocs(def.args)}`,
        insertText: withArgs,
      });
    });
  }

  entryKey(k: string): SpecCompletion {
    const doc = k === 'name' ? "The layer's name in parameter names (`fc1.weight`) instead of its index." : 'How its parameters start, by torch.nn.init scheme: `{weight: xavier_uniform, bias: zeros}`. Without it, PyTorch\'s default.';
    const value = k === 'name' ? (this.syntax === 'json' ? '"${1:fc1}"' : '${1:fc1}') : `{${this.key('weight')}: \${1:${this.syntax === 'json' ? '"xavier_uniform"' : 'xavier_uniform'}}}`;
    return this.item({ label: k, kind: 'argument', detail: k === 'name' ? 'layer name' : 'init schemes', documentation: doc, insertText: `${this.key(k)}: ${value}` });
  }

  param(name: string, layer: string): SpecCompletion {
    // Fan-based schemes need two axes: a weight of units or filters has them, a bias or a norm's scale does not.
    const scheme = name === 'weight' && (layerDef(layer)?.traits.weight || layer === 'Embedding') ? 'xavier_uniform' : 'zeros';
    const value = this.syntax === 'json' ? `"\${1:${scheme}}"` : `\${1:${scheme}}`;
    return this.item({ label: name, kind: 'parameter', detail: `${layer}.${name}`, documentation: `The init scheme of ${layer}'s ${name}.`, insertText: `${this.key(name)}: ${value}` });
  }

  args(defs: readonly ArgDef[], owner: string, siblings: readonly string[]): SpecCompletion[] {
    return defs
      .filter((a) => !siblings.includes(a.name))
      .map((a) => {
        const placeholder = a.default === undefined || a.default === null ? (a.defaultFrom ? 'null' : a.name) : formatValue(a.default, this.syntax);
        return this.item({
          label: a.name,
          kind: 'argument',
          detail: argDetail(a),
          documentation: `**${owner}** \`${a.name}\`: ${argDoc(a)}`,
          insertText: `${this.key(a.name)}: \${1:${esc(placeholder)}}`,
          preselect: isRequired(a),
        });
      });
  }

  /** The map of required arguments after `Linear: `. */
  argMap(defs: readonly ArgDef[]): SpecCompletion[] {
    const map = this.requiredMap(defs);
    if (!map) return [];
    return [this.item({ label: `{${defs.filter(isRequired).map((a) => a.name).join(', ')}}`, kind: 'argument', detail: 'the required arguments', documentation: listDocs(defs.filter(isRequired)).trim(), insertText: map })];
  }

  values(a: ArgDef | undefined): SpecCompletion[] {
    if (!a) return [];
    const t = a.type;
    const vals: unknown[] = t.kind === 'enum' ? [...t.values] : t.kind === 'bool' ? [true, false] : a.default !== undefined ? [a.default] : [];
    return vals.map((v) =>
      this.item({
        label: formatValue(v, 'yaml'),
        kind: 'value',
        detail: v === a.default ? "PyTorch's default" : argDetail(a),
        documentation: argDoc(a),
        insertText: esc(formatValue(v, this.syntax)),
        preselect: v === a.default,
      }),
    );
  }

  named(what: 'loss' | 'optimizer' | 'init' | 'distribution', name: string, def: OneKeyDef): SpecCompletion {
    const args = this.requiredMap(def.args);
    const bare = this.syntax === 'json' ? JSON.stringify(name) : name;
    const insertText = args === null ? (this.w.at === 'key' ? `${this.key(name)}: $1` : bare) : this.w.at === 'key' ? `${this.key(name)}: ${args}` : `{${this.key(name)}: ${args}}`;
    const torch = def.torch ?? (what === 'init' ? `torch.nn.init.${name}_` : name);
    return this.item({
      label: name,
      kind: KIND_OF[what],
      detail: torch,
      documentation: `\`${signature(torch, def.args)}\`\n\n${def.doc}${listDocs(def.args)}`,
      insertText,
    });
  }

  section(k: string): SpecCompletion {
    const value: Record<string, string> = {
      model:
        this.syntax === 'json'
          ? '[\n\t{"Linear": {"in_features": ${1:10}, "out_features": ${2:1}}}$0\n]'
          : '\n  - Linear: {in_features: ${1:10}, out_features: ${2:1}}$0',
      input: `{${this.key('shape')}: [\${1:10}], ${this.key('distribution')}: ${this.syntax === 'json' ? '"normal"' : 'normal'}}`,
      target: `{${this.key('shape')}: [\${1:1}], ${this.key('distribution')}: ${this.syntax === 'json' ? '"normal"' : 'normal'}}`,
      loss: this.syntax === 'json' ? '"${1:MSELoss}"' : '${1:MSELoss}',
      optimizer: `{${this.key('SGD')}: {${this.key('lr')}: \${1:0.01}}}`,
      trace: `{${this.key('steps')}: \${1:20}, ${this.key('batch_size')}: \${2:8}, ${this.key('seed')}: \${3:0}}`,
    };
    const docs: Record<string, string> = {
      model: 'The layers, in order, as torch.nn names them: a list of `Name` or `Name: {arguments}` entries, with optional `name` and `init`.',
      input: 'One sample of input: its `shape` without the batch axis and a synthetic `distribution` (or a `data` file).',
      target: 'One sample of target: its `shape` and `distribution`, or `{classes: N}` for CrossEntropyLoss and NLLLoss.',
      loss: `The loss, as torch.nn names it: ${Object.keys(LOSSES).join(', ')}.`,
      optimizer: `The optimiser, as torch.optim names it: ${Object.keys(OPTIMIZERS).join(', ')}. Default: SGD with lr 0.01.`,
      trace: 'How many training steps to trace, the batch size, the seed and the dtype.',
    };
    const required = REQUIRED_TOP_LEVEL_KEYS.includes(k);
    return this.item({ label: k, kind: 'section', detail: required ? 'required' : 'optional', documentation: docs[k], insertText: `${this.key(k)}: ${value[k]}`, preselect: required });
  }

  dataField(f: string, which: string): SpecCompletion {
    const str = (s: string) => (this.syntax === 'json' ? `"${s}"` : s);
    const value: Record<string, string> = {
      shape: '[${1:10}]',
      distribution: `\${1:${str('normal')}}`,
      data: `\${1:${str(`${which}.npy`)}}`,
      classes: '${1:10}',
    };
    const docs: Record<string, string> = {
      shape: 'The shape of one sample, without the batch axis.',
      distribution: `Synthetic samples: ${Object.keys(DISTRIBUTIONS).join(', ')}.`,
      data: 'A file of samples (JSON `{shape, data}` or `.npy`), relative to the spec.',
      classes: 'Class-index targets in [0, classes), for CrossEntropyLoss and NLLLoss.',
    };
    return this.item({ label: f, kind: 'argument', detail: which, documentation: docs[f], insertText: `${this.key(f)}: ${value[f]}` });
  }
}

function skeleton(syntax: Syntax, range: SourceRange): SpecCompletion {
  return {
    label: 'Gradient Lens model',
    kind: 'skeleton',
    detail: 'Linear → ReLU → Linear, MSELoss, SGD',
    documentation: 'A small model that trains, to change into yours.\n\n```\n' + skeletonText(syntax) + '```',
    insertText: esc(skeletonText(syntax)),
    range,
    preselect: true,
  };
}

// ---------------------------------------------------------------- where the cursor is: JSON

function whereJson(text: string, offset: number): Where | null {
  const loc = getLocation(text, offset);
  const raw = [...loc.path];
  const prev = loc.previousNode;
  let range: SourceRange = { start: offset, end: offset };
  if (prev && (prev.type === 'string' || prev.type === 'property' || prev.type === 'number' || prev.type === 'boolean' || prev.type === 'null') && prev.offset <= offset && offset <= prev.offset + prev.length) {
    range = { start: prev.offset, end: prev.offset + prev.length };
  }
  let at: Where['at'] = loc.isAtPropertyKey ? 'key' : 'value';
  // The key being typed is the last path segment; the map it goes in is the path before it.
  if (at === 'key') raw.pop();
  const tree = parseTree(text);
  const path: Seg[] = raw.map((s, i) => {
    if (typeof s === 'string') return s;
    const node = tree && findNodeAtLocation(tree, raw.slice(0, i + 1));
    return { item: true, keys: keysOf(node) };
  });
  // In `[` … `]` with nothing typed, jsonc reports the list's path: the item is the one being typed.
  if (at === 'value' && tree) {
    const here = findNodeAtLocation(tree, raw);
    if (here?.type === 'array') path.push({ item: true, keys: [] });
    else if (here?.type === 'object') at = 'key';
  }
  const map = at === 'key' && tree ? findNodeAtLocation(tree, raw) : undefined;
  return { path, at, siblings: keysOf(map), range, flow: true };
}

function keysOf(node: JsonNode | undefined): string[] {
  if (!node || node.type !== 'object') return [];
  return (node.children ?? []).map((p) => p.children?.[0]?.value).filter((k): k is string => typeof k === 'string');
}

// ---------------------------------------------------------------- where the cursor is: YAML

interface LineTok {
  indent: number;
  /** Columns of the `- ` item markers. */
  dashes: number[];
  key?: { name: string; col: number; inline: boolean };
}

const KEY = /^("([^"]*)"|'([^']*)'|[^\s:#{}[\],'"][^:#{}[\],]*?)\s*:(?=\s|$)(.*)$/;

/** A line's block structure: its item markers and its leading key; null for a blank or comment line. */
function tokLine(line: string): LineTok | null {
  const indent = line.length - line.trimStart().length;
  let pos = indent;
  if (pos >= line.length || line[pos] === '#') return null;
  const dashes: number[] = [];
  while (line[pos] === '-' && (pos + 1 === line.length || line[pos + 1] === ' ')) {
    dashes.push(pos);
    pos++;
    while (line[pos] === ' ') pos++;
  }
  const m = KEY.exec(line.slice(pos));
  if (!m) return { indent, dashes };
  const name = m[2] ?? m[3] ?? m[1];
  const after = m[4].trim();
  return { indent, dashes, key: { name, col: pos, inline: after !== '' && !after.startsWith('#') } };
}

/** Keys at column `col` from line `from` down, until the block ends (a line less indented). */
function keysAt(lines: string[], from: number, col: number): string[] {
  const out: string[] = [];
  for (let i = from; i < lines.length; i++) {
    const t = tokLine(lines[i]);
    if (!t) continue;
    if (i > from && t.indent < col && !(t.dashes.length === 0 && t.indent === col)) {
      // A line starting left of the block ends it (its first token at < col).
      const first = t.dashes[0] ?? t.key?.col ?? t.indent;
      if (first < col) break;
    }
    if (t.key && t.key.col === col) out.push(t.key.name);
  }
  return out;
}

function whereYaml(text: string, offset: number): Where | null {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lines = text.split('\n');
  const lineNo = text.slice(0, lineStart).split('\n').length - 1;
  const prefix = text.slice(lineStart, offset);
  if (/(^|\s)#/.test(prefix)) return null;
  // The word under the cursor runs on to its end, so a completion replaces all of it.
  let end = offset;
  while (end < text.length && /[\w.$-]/.test(text[end])) end++;

  const indent = prefix.length - prefix.trimStart().length;
  let pos = indent;
  const here: Seg[] = [];
  let dashed = false;
  while (prefix[pos] === '-' && (pos + 1 === prefix.length || prefix[pos + 1] === ' ')) {
    here.push({ item: true, keys: [] });
    dashed = true;
    pos++;
    while (prefix[pos] === ' ') pos++;
  }
  const contentCol = pos;
  const path = ancestors(lines, lineNo, indent);
  // An item marker on this line: the map it starts has the keys written at its content column.
  if (dashed) (here[here.length - 1] as Item).keys = keysAt(lines, lineNo, contentCol);
  path.push(...here);

  const rest = prefix.slice(contentCol);
  const m = KEY.exec(rest);
  if (m) {
    const key = m[2] ?? m[3] ?? m[1];
    const value = m[4];
    const valueStart = lineStart + contentCol + (rest.length - value.length);
    path.push(key);
    const trimmed = value.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) return flowWhere(path, trimmed, offset, end, undefined);
    const wordStart = valueStart + (value.length - trimmed.length);
    return { path, at: 'value', siblings: [], range: { start: wordStart, end }, flow: false };
  }
  // `- {Linear: {…}, init: …}`: the flow map is the item's own map.
  if (rest.startsWith('{') || rest.startsWith('[')) return flowWhere(path, rest, offset, end, dashed ? (here[here.length - 1] as Item) : undefined);
  const range = { start: lineStart + contentCol, end };
  if (dashed) return { path, at: 'value', siblings: [], range, flow: false };
  // A key of the map at this column: its siblings are the keys beside it.
  const siblings = siblingKeys(lines, lineNo, contentCol);
  return { path, at: 'key', siblings, range, flow: false };
}

/** The keys and items above line `lineNo` that hold a token at column `col`: walk up to less indented lines. */
function ancestors(lines: string[], lineNo: number, col: number): Seg[] {
  const segs: Seg[] = [];
  for (let li = lineNo - 1; li >= 0 && col > 0; li--) {
    const t = tokLine(lines[li]);
    if (!t) continue;
    const toks: { col: number; key?: string }[] = [...t.dashes.map((d) => ({ col: d })), ...(t.key ? [{ col: t.key.col, key: t.key.name }] : [])];
    if (!toks.length || toks[0].col >= col) continue;
    for (let k = toks.length - 1; k >= 0; k--) {
      const tk = toks[k];
      if (tk.col >= col) continue;
      segs.unshift(tk.key !== undefined ? tk.key : { item: true, keys: keysAt(lines, li, tk.col + 2) });
      col = tk.col;
    }
  }
  return segs;
}

/** Keys at column `col` in the same block as line `lineNo`, above and below it. */
function siblingKeys(lines: string[], lineNo: number, col: number): string[] {
  const out: string[] = [];
  for (let li = lineNo - 1; li >= 0; li--) {
    const t = tokLine(lines[li]);
    if (!t) continue;
    const first = t.dashes[0] ?? t.key?.col ?? t.indent;
    if (t.key && t.key.col === col) out.push(t.key.name);
    if (first < col) break;
  }
  for (let li = lineNo + 1; li < lines.length; li++) {
    const t = tokLine(lines[li]);
    if (!t) continue;
    const first = t.dashes[0] ?? t.key?.col ?? t.indent;
    if (first < col) break;
    if (t.key && t.key.col === col && t.dashes.length === 0) out.push(t.key.name);
  }
  return out;
}

interface FlowFrame {
  type: 'map' | 'list';
  keys: string[];
  /** The key whose value is being written (after its colon). */
  key: string | null;
}

/** Inside `{…}` / `[…]` on the cursor's line: the frames still open at the cursor. */
function flowWhere(path: Seg[], flowText: string, offset: number, end: number, owner: Item | undefined): Where | null {
  const stack: FlowFrame[] = [];
  let word = '';
  let quote: string | null = null;
  for (const ch of flowText) {
    if (quote) {
      if (ch === quote) quote = null;
      word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      word += ch;
    } else if (ch === '{' || ch === '[') {
      stack.push({ type: ch === '{' ? 'map' : 'list', keys: [], key: null });
      word = '';
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      word = '';
    } else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top?.type === 'map') top.key = null;
      word = '';
    } else if (ch === ':') {
      const top = stack[stack.length - 1];
      const k = word.trim().replace(/^["']|["']$/g, '');
      if (top?.type === 'map' && k) {
        top.key = k;
        top.keys.push(k);
      }
      word = '';
    } else word += ch;
  }
  if (!stack.length) return null;
  const segs = [...path];
  let itemOwner = owner;
  for (let i = 0; i < stack.length; i++) {
    const f = stack[i];
    if (f.type === 'list') {
      const item: Item = { item: true, keys: stack[i + 1]?.type === 'map' ? stack[i + 1].keys : [] };
      segs.push(item);
      itemOwner = item;
    } else {
      // The flow map that is a list item's own map tells the item its keys (its layer key).
      if (i === 0 && itemOwner && !itemOwner.keys.length) itemOwner.keys = f.keys;
      if (f.key !== null) segs.push(f.key);
    }
  }
  const top = stack[stack.length - 1];
  const typed = word.trimStart();
  const range = { start: offset - typed.length, end };
  if (top.type === 'map' && top.key === null) return { path: segs, at: 'key', siblings: top.keys, range, flow: true };
  return { path: segs, at: 'value', siblings: [], range, flow: true };
}
