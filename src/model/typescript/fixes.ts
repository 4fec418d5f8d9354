/**
 * The decorated TypeScript front end's fixes: intents rendered as edits of the user's own source.
 * A layer is replaced where it is built (`new Sigmoid()` → `new ReLU()`), an init is one
 * `init.xavierUniform(this.fc1.weight)` call in the model's constructor (replacing one the user
 * wrote for that tensor), the loss and the optimiser's arguments are edited in `@model({...})`.
 * Inserting or removing a layer would mean rewriting the user's `forward`: not offered.
 */
import { INITS, LAYERS, layerDef, type LayerDef } from '../catalogue';
import { formatNumber, type FixIntent, type FixRenderer, type TextEdit } from '../fixes';
import { layerAt, type ArgValue, type LayerNode, type ModelSpec, type SourceRange } from '../graph';
import { matchingClose, memberNamed, skipTrivia } from './text';

/** A value as TypeScript source: numbers as a person writes them, strings in single quotes. */
export function tsValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? formatNumber(v) : v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(tsValue).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return entries.length ? `{ ${entries.map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : tsValue(k)}: ${tsValue(x)}`).join(', ')} }` : '{}';
}

const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * `new ReLU()`, `new LogSoftmax(-1)`, `new Linear(16, 32, { bias: false })`: the construction of a
 * catalogue layer with `args` (those given by `write`), positional arguments first, as its
 * constructor takes them.
 */
export function construction(def: LayerDef, type: string, args: Record<string, ArgValue>, write: (name: string) => boolean, qualifier = ''): string {
  const positional = def.args.slice(0, def.positional ?? def.args.length);
  const rest = def.args.slice(positional.length);
  let last = -1;
  positional.forEach((a, i) => {
    if (write(a.name)) last = i;
  });
  const values = positional.slice(0, last + 1).map((a) => tsValue(Object.hasOwn(args, a.name) ? args[a.name] : a.default));
  const options = Object.fromEntries(rest.filter((a) => write(a.name)).map((a) => [camel(a.name), args[a.name]]));
  if (Object.keys(options).length) values.push(tsValue(options));
  return `new ${qualifier}${type}(${values.join(', ')})`;
}

/** The imports from 'gradient-lens' a file has: the local name of each imported name, and where to add one. */
function libraryImports(text: string): { names: Map<string, string>; addAt: number; trailingComma: boolean } | null {
  const m = /import\s*\{([^}]*)\}\s*from\s*['"]gradient-lens['"]/.exec(text);
  if (!m) return null;
  const names = new Map<string, string>();
  for (const part of m[1].split(',')) {
    const p = /^\s*(?:type\s+)?([\w$]+)(?:\s+as\s+([\w$]+))?\s*$/.exec(part);
    if (p) names.set(p[1], p[2] ?? p[1]);
  }
  const close = m.index + m[0].indexOf('}');
  let at = close;
  while (at > 0 && /\s/.test(text[at - 1])) at--;
  return { names, addAt: at, trailingComma: text[at - 1] === ',' };
}

/** `this.fc1.weight`, `this.blocks[0].inner.weight`: a parameter as the model's own code reaches it. */
function tensorExpression(path: string, param: string): string {
  return `this${path
    .split('.')
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join('')}.${param}`;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Renders fixes on a decorated TypeScript model. `graph` is the model's graph (layer ranges are the
 * user's `new Layer(...)` expressions; the root's range is the class), `text` the file.
 */
export function typescriptFixes(text: string, graph: ModelSpec): FixRenderer {
  return (intents: readonly FixIntent[]): TextEdit[] | null => {
    const imports = libraryImports(text);
    const edits: TextEdit[] = [];
    const needed = new Set<string>();
    /** The local name of a library export, importing it when the file does not. */
    const imported = (name: string): string | null => {
      const local = imports?.names.get(name);
      if (local) return local;
      if (!imports) return null;
      needed.add(name);
      return name;
    };
    const initCalls: string[] = [];
    for (const intent of intents) {
      switch (intent.kind) {
        case 'replace-layer':
        case 'set-layer-args': {
          const layer = layerAt(graph, intent.layer);
          const built = layer && constructedAt(text, layer);
          if (!layer || !built) return null;
          const type = intent.kind === 'replace-layer' ? intent.with : layer.type;
          const def = layerDef(type);
          if (!def) return null;
          let expr: string;
          if (intent.kind === 'replace-layer') {
            const name = built.qualifier ? type : imported(type);
            if (!name) return null;
            expr = construction(def, name, intent.args, (k) => Object.hasOwn(intent.args, k), built.qualifier);
          } else {
            const args = { ...layer.args, ...intent.args };
            expr = construction(def, built.name, args, (k) => Object.hasOwn(intent.args, k) || !same(args[k], def.args.find((a) => a.name === k)?.default), built.qualifier);
          }
          edits.push({ range: built.range, newText: expr });
          break;
        }
        case 'set-init': {
          const init = imported('init');
          if (!init) return null;
          for (const [param, { scheme, args }] of Object.entries(intent.init)) {
            const idef = INITS[scheme];
            const call = `${init}.${camel(scheme)}(${[tensorExpression(intent.layer, param), ...positionalInitArgs(idef.args, args)].join(', ')})`;
            const existing = initCallFor(text, graph.model.range, init, tensorExpression(intent.layer, param));
            if (existing) edits.push({ range: existing, newText: call });
            else initCalls.push(call);
          }
          break;
        }
        case 'set-loss': {
          const value = Object.keys(intent.args).length ? { [intent.type]: intent.args } : intent.type;
          edits.push({ range: graph.loss.range, newText: tsValue(value) });
          break;
        }
        case 'set-optimizer-args': {
          const optimizer = optimizerEdits(text, graph, intent.args);
          if (!optimizer) return null;
          edits.push(...optimizer);
          break;
        }
        case 'insert-layer':
        case 'remove-layer':
          // The layer's place is the user's forward: no edit of ours can be sure to keep it right.
          return null;
        case 'set-data':
          // The data a decorated model trains on comes from the user's own code.
          return null;
        case 'set-gradient-clip':
          // A decorated model's options have no clipping: the training loop is not ours to edit.
          return null;
      }
    }
    if (initCalls.length) {
      const added = addToConstructor(text, graph.model.range, initCalls);
      if (!added) return null;
      edits.push(added);
    }
    if (needed.size && imports) {
      const names = [...needed].sort();
      edits.push({ range: { start: imports.addAt, end: imports.addAt }, newText: `${imports.trailingComma ? ' ' : ', '}${names.join(', ')}${imports.trailingComma ? ',' : ''}` });
    }
    return edits;
  };
}

/** Where a layer is built, as `new [qualifier.]Type(…)`: the range, the name as written and its qualifier. */
function constructedAt(text: string, layer: LayerNode): { range: SourceRange; name: string; qualifier: string } | null {
  const written = text.slice(layer.typeRange.start, layer.typeRange.end);
  const m = /^new\s+((?:[\w$]+\.)*)([\w$]+)\s*(?:<[^>]*>)?\s*\(/.exec(written);
  if (!m || !Object.hasOwn(LAYERS, layer.type)) return null;
  return { range: layer.typeRange, name: m[2], qualifier: m[1] };
}

/** An init's arguments in torch.nn.init's order, up to the last one given (earlier ones at their defaults). */
function positionalInitArgs(defs: readonly { name: string; default?: unknown }[], args: Record<string, number | string>): string[] {
  let last = -1;
  defs.forEach((d, i) => {
    if (Object.hasOwn(args, d.name)) last = i;
  });
  return defs.slice(0, last + 1).map((d) => tsValue(Object.hasOwn(args, d.name) ? args[d.name] : d.default));
}

/** An `init.<scheme>(this.fc1.weight, …)` call for this tensor inside the class, if the user wrote one. */
function initCallFor(text: string, cls: SourceRange, init: string, tensor: string): SourceRange | null {
  const re = new RegExp(`\\b${escapeRe(init)}\\s*\\.\\s*[\\w$]+\\s*\\(\\s*${escapeRe(tensor).replace(/\\\./g, '\\s*\\.\\s*')}\\s*[,)]`, 'g');
  re.lastIndex = cls.start;
  const m = re.exec(text);
  if (!m || m.index >= cls.end) return null;
  const open = text.indexOf('(', m.index);
  const close = matchingClose(text, open);
  return close < 0 ? null : { start: m.index, end: close + 1 };
}

/** The model class's body `{`, from its declaration's range. */
function bodyOpen(text: string, cls: SourceRange): number {
  const close = cls.end - 1;
  if (text[close] !== '}') return -1;
  for (let i = close - 1; i >= cls.start; i--) if (text[i] === '{' && matchingClose(text, i) === close) return i;
  return -1;
}

/** Adds calls at the end of the model's constructor, or a constructor with them before `forward`. */
function addToConstructor(text: string, cls: SourceRange, calls: string[]): TextEdit | null {
  const open = bodyOpen(text, cls);
  if (open < 0) return null;
  const ctor = memberNamed(text, open, 'constructor');
  const indentOf = (at: number) => /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', at - 1) + 1))![0];
  if (ctor) {
    const paren = text.indexOf('(', ctor.end);
    const brace = skipTrivia(text, matchingClose(text, paren) + 1);
    const close = text[brace] === '{' ? matchingClose(text, brace) : -1;
    if (close < 0) return null;
    const member = indentOf(ctor.start);
    let at = close;
    while (at > brace + 1 && /[ \t]/.test(text[at - 1])) at--;
    const lead = text[at - 1] === '\n' ? '' : '\n';
    return { range: { start: at, end: at }, newText: `${lead}${calls.map((c) => `${member}  ${c};\n`).join('')}` };
  }
  const forward = memberNamed(text, open, 'forward');
  if (!forward) return null;
  const member = indentOf(forward.start);
  const at = text.lastIndexOf('\n', forward.start - 1) + 1;
  const body = ['super();', ...calls.map((c) => `${c};`)].map((l) => `${member}  ${l}\n`).join('');
  return { range: { start: at, end: at }, newText: `${member}constructor() {\n${body}${member}}\n\n` };
}

/** Edits of the optimiser's arguments in `@model({ optimizer: { Adam: { … } } })`: a written value replaced, a missing one added. */
function optimizerEdits(text: string, graph: ModelSpec, args: Record<string, ArgValue>): TextEdit[] | null {
  const { optimizer } = graph;
  const edits: TextEdit[] = [];
  const missing: [string, ArgValue][] = [];
  for (const [k, v] of Object.entries(args)) {
    const at = optimizer.argRanges[k];
    if (at) edits.push({ range: at, newText: tsValue(v) });
    else missing.push([k, v]);
  }
  if (!missing.length) return edits;
  // `{ Adam: {} }` or `{ Adam: { betas: … } }`: the object after the optimiser's name.
  const colon = skipTrivia(text, optimizer.typeRange.end);
  if (text[colon] !== ':') return null;
  const open = skipTrivia(text, colon + 1);
  const close = text[open] === '{' ? matchingClose(text, open) : -1;
  if (close < 0) return null;
  const added = missing.map(([k, v]) => `${k}: ${tsValue(v)}`).join(', ');
  const first = skipTrivia(text, open + 1);
  if (first === close) edits.push({ range: { start: open, end: close + 1 }, newText: `{ ${added} }` });
  else edits.push({ range: { start: first, end: first }, newText: `${added}, ` });
  return edits;
}
