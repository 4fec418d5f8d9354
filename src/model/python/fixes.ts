/**
 * The PyTorch front end's fixes: intents written as edits of the user's Python. A layer is
 * replaced where it is built (`nn.Sigmoid()` → `nn.ReLU()`, `F.sigmoid(x)` → `F.relu(x)`), an init
 * is a `nn.init.xavier_uniform_(self.fc1.weight)` line after the statement that built the layer
 * (or the user's own init call for that weight, rewritten), a layer is inserted into or removed
 * from an `nn.Sequential(...)` call, the loss is replaced where it is written, the optimiser's
 * `lr=` changes where its value is written, and gradient clipping is a `clip_grad_norm_` line after
 * the loop's `loss.backward()`. What would mean rewriting a forward is not offered.
 */
import { INITS, LAYERS, layerDef } from '../catalogue';
import { formatNumber, type FixIntent, type FixRenderer, type TextEdit } from '../fixes';
import { layerAt, type ArgValue, type LayerNode, type ModelSpec, type SourceRange } from '../graph';
import type { Arg, Expr, ModuleAst, Stmt } from './ast';
import { statementsIn } from './walk';

/** A value as Python source. */
export function pyValue(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return v !== v ? "float('nan')" : v > 0 ? "float('inf')" : "float('-inf')";
    return formatNumber(v);
  }
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return v.length === 1 ? `(${pyValue(v[0])},)` : `(${v.map(pyValue).join(', ')})`;
  return String(v);
}

/** What the renderer knows of the file besides the graph: the calls that built each layer and the loss, the optimiser's call. */
export interface PythonFixContext {
  /** The text and tree the edits are written in: the script's, or (rendering one file's edits) an imported module's. */
  text: string;
  ast: ModuleAst;
  /** The imported module `text` and `ast` are of, while rendering its edits; undefined for the script. */
  file?: string;
  /** An imported module's text and tree, by path (null: not read, or it did not parse). */
  otherFile(path: string): { text: string; ast: ModuleAst } | null;
  /** The call expression that built the layer at a path (its created range's call). */
  callOf(path: string): Extract<Expr, { k: 'call' }> | null;
  /** The statement around a range (an init goes after it). */
  loss: { call: Extract<Expr, { k: 'call' }> | null; functional: boolean } | null;
  optimizer: { call: Extract<Expr, { k: 'call' }> | null; argExprs: Record<string, Expr> } | null;
  /** Layer paths that are functional activation sites (`F.relu(x)`), not modules. */
  functional(path: string): boolean;
  /** The training loop's `loss.backward()` statement, where a clip_grad_norm_ line goes after; null without a loop (a sidecar's build). */
  backward: Stmt | null;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `nn.ReLU()`, `nn.Linear(16, 32, bias=False)`: a catalogue layer's construction with `args`, PyTorch's positional arguments first. */
export function pyConstruction(type: string, args: Record<string, ArgValue>, write: (name: string) => boolean, qualifier: string): string {
  const def = layerDef(type);
  if (!def) return `${qualifier}${type}()`;
  const positional = def.args.slice(0, def.positional ?? 0);
  let last = -1;
  positional.forEach((a, i) => {
    if (write(a.name) || a.default === undefined) last = i;
  });
  const values = positional.slice(0, last + 1).map((a) => pyValue(Object.hasOwn(args, a.name) ? args[a.name] : a.default));
  for (const a of def.args.slice(positional.length)) if (write(a.name)) values.push(`${a.name}=${pyValue(args[a.name])}`);
  return `${qualifier}${type}(${values.join(', ')})`;
}

/** The functional name of a catalogue activation (`ReLU` → `relu`), where torch.nn.functional has one. */
const FUNCTIONAL: Record<string, string> = {
  ReLU: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  LeakyReLU: 'leaky_relu',
  ELU: 'elu',
  GELU: 'gelu',
  Softplus: 'softplus',
  Softmax: 'softmax',
  LogSoftmax: 'log_softmax',
};

/** The statement of `ast` whose range holds `r` most tightly (not a compound one holding it in its body). */
function statementAround(ast: ModuleAst, r: SourceRange): Stmt | null {
  let best: Stmt | null = null;
  const visit = (stmts: readonly Stmt[]) => {
    for (const s of stmts) {
      if (s.r.start <= r.start && r.end <= s.r.end) {
        best = s;
        if (s.k === 'def' || s.k === 'class') visit(s.body);
        else for (const x of statementsIn(s)) if (x !== s && x.r.start <= r.start && r.end <= x.r.end && (!best || x.r.end - x.r.start < best.r.end - best.r.start)) best = x;
      }
    }
  };
  visit(ast.body);
  return best;
}

function exprText(text: string, e: Expr): string {
  return text.slice(e.r.start, e.r.end);
}

/** The indentation of the line a position is on. */
function indentAt(text: string, at: number): string {
  const start = text.lastIndexOf('\n', at - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** `self.fc1`, `model[0]`: how the user's code reaches the layer at `path` right after the statement that built it. */
function layerExpression(ctx: PythonFixContext, graph: ModelSpec, layer: LayerNode, stmt: Stmt): string | null {
  if (stmt.k !== 'assign' || stmt.targets.length !== 1) return null;
  const target = stmt.targets[0];
  if (target.k !== 'name' && target.k !== 'attr' && target.k !== 'sub') return null;
  const targetText = ctx.text.slice(target.r.start, target.r.end);
  // The statement built the layer itself, or a container the layer sits in.
  if (stmt.value.r.start === layer.typeRange.start && stmt.value.r.end === layer.typeRange.end) return targetText;
  const assigned = [graph.model, ...allBelow(graph.model)].find((l) => l.range.start === stmt.value.r.start && l.range.end === stmt.value.r.end);
  if (!assigned || !layer.path.startsWith(assigned.path)) return null;
  const rest = layer.path.slice(assigned.path ? assigned.path.length + 1 : 0).split('.').filter(Boolean);
  return targetText + rest.map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`)).join('');
}

function allBelow(root: LayerNode): LayerNode[] {
  const out: LayerNode[] = [];
  const stack = [...root.children];
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    stack.push(...n.children);
  }
  return out;
}

/** torch.nn.init's call for a scheme: `nn.init.xavier_uniform_(self.fc1.weight, gain=1.5)`. */
function initCall(prefix: string, scheme: string, tensor: string, args: Record<string, number | string>): string {
  const def = INITS[scheme as keyof typeof INITS];
  const written = (def?.args ?? []).filter((a) => Object.hasOwn(args, a.name) && !same(args[a.name], a.default)).map((a) => `${a.name}=${pyValue(args[a.name])}`);
  return `${prefix}${scheme}_(${[tensor, ...written].join(', ')})`;
}

/** How the file reaches torch.nn (`nn.`, `torch.nn.`), from what the layer's own call was written with. */
function nnPrefix(ctx: PythonFixContext, call: Extract<Expr, { k: 'call' }> | null): string | null {
  if (call && call.fn.k === 'attr') {
    const obj = exprText(ctx.text, call.fn.obj);
    if (/^(?:torch\.)?nn$/.test(obj) || /^[A-Za-z_]\w*$/.test(obj)) return `${obj}.`;
  }
  if (/^\s*import\s+torch\.nn\s+as\s+nn\b/m.test(ctx.text) || /^\s*from\s+torch\s+import\s+nn\b/m.test(ctx.text)) return 'nn.';
  if (/^\s*import\s+torch\b/m.test(ctx.text)) return 'torch.nn.';
  return null;
}

/** Element ranges of a call's arguments including the separating comma, for inserting and removing. */
function elementAt(call: Extract<Expr, { k: 'call' }>, r: SourceRange): { index: number; arg: Arg } | null {
  const i = call.args.findIndex((a) => a.r.start <= r.start && r.end <= a.r.end);
  return i < 0 ? null : { index: i, arg: call.args[i] };
}

/**
 * The file an intent's edits go in: undefined for the script, else the path of the imported module
 * where the layer (or the loss, the optimiser, the loop) is written; null when it cannot be told.
 */
function intentFile(ctx: PythonFixContext, graph: ModelSpec, intent: FixIntent): string | undefined | null {
  switch (intent.kind) {
    case 'set-loss':
      return ctx.loss?.call?.r.file;
    case 'set-optimizer-args':
      return ctx.optimizer?.call?.r.file ?? Object.values(ctx.optimizer?.argExprs ?? {})[0]?.r.file;
    case 'set-gradient-clip':
      return ctx.backward?.r.file;
    case 'set-data':
      return undefined;
    case 'set-init': {
      // The user's own init call is rewritten where it is written, which need not be where the layer is built.
      const layer = layerAt(graph, intent.layer);
      const existing = Object.keys(intent.init).map((p) => layer?.init[p]).find((i) => i !== undefined);
      if (existing) return existing.range.file;
      break;
    }
  }
  const name = intent.kind === 'insert-layer' ? intent.before : intent.layer;
  const call = ctx.callOf(name);
  if (call) return call.r.file;
  return layerAt(graph, name)?.typeRange.file ?? null;
}

/**
 * Fixes as edits of the files where the cause is written: a layer built in an imported module is
 * fixed in that module (each edit's range names it), the loss or the optimiser in the script. The
 * intents are grouped by file and each group rendered over that file's text and tree.
 */
export function pythonFixes(ctx: PythonFixContext, graph: ModelSpec): FixRenderer {
  return (intents) => {
    const groups = new Map<string | undefined, FixIntent[]>();
    for (const intent of intents) {
      const file = intentFile(ctx, graph, intent);
      if (file === null) return null;
      groups.set(file, [...(groups.get(file) ?? []), intent]);
    }
    const edits: TextEdit[] = [];
    for (const [file, group] of groups) {
      const source = file === undefined ? ctx : ctx.otherFile(file);
      if (!source) return null;
      const rendered = thisFileFixes({ ...ctx, text: source.text, ast: source.ast, file }, graph)(group);
      // An edit at offsets of a third file (an init call written elsewhere than its intent's file) is not offered.
      if (!rendered || rendered.some((e) => e.range.file !== undefined && e.range.file !== file)) return null;
      edits.push(...rendered.map((e) => ({ range: file === undefined ? { start: e.range.start, end: e.range.end } : { start: e.range.start, end: e.range.end, file }, newText: e.newText })));
    }
    return edits;
  };
}

function thisFileFixes(ctx: PythonFixContext, graph: ModelSpec): FixRenderer {
  const { text } = ctx;
  return (intents: readonly FixIntent[]): TextEdit[] | null => {
    const edits: TextEdit[] = [];
    const afterStatement = new Map<number, string[]>();
    for (const intent of intents) {
      switch (intent.kind) {
        case 'replace-layer':
        case 'set-layer-args': {
          const layer = layerAt(graph, intent.layer);
          if (!layer) return null;
          const call = ctx.callOf(layer.path);
          const type = intent.kind === 'replace-layer' ? intent.with : layer.type;
          if (!call || !Object.hasOwn(LAYERS, type)) return null;
          if (ctx.functional(layer.path)) {
            // `F.sigmoid(x)` → `F.relu(x)`: the function's name; its extra arguments cannot carry over.
            const fn = FUNCTIONAL[type];
            if (!fn || call.fn.k !== 'attr' || intent.kind !== 'replace-layer' || call.args.length !== 1 || Object.keys(intent.args).length) return null;
            edits.push({ range: call.fn.nameR, newText: fn });
            break;
          }
          const prefix = nnPrefix(ctx, call);
          if (!prefix) return null;
          const args = intent.kind === 'replace-layer' ? intent.args : { ...layer.args, ...intent.args };
          const def = layerDef(type)!;
          const write = intent.kind === 'replace-layer' ? (k: string) => Object.hasOwn(intent.args, k) : (k: string) => Object.hasOwn(intent.args, k) || !same(args[k], def.args.find((a) => a.name === k)?.default);
          edits.push({ range: call.r, newText: pyConstruction(type, args, write, prefix) });
          break;
        }
        case 'set-init': {
          const layer = layerAt(graph, intent.layer);
          if (!layer || ctx.functional(layer.path)) return null;
          const call = ctx.callOf(layer.path);
          const prefix = nnPrefix(ctx, call);
          if (!prefix) return null;
          for (const [param, { scheme, args }] of Object.entries(intent.init)) {
            const existing = layer.init[param];
            // Each edit at offsets of the file being written (intentFile chose it).
            if ((existing ? existing.range.file : layer.typeRange.file) !== ctx.file) return null;
            if (scheme === 'default') {
              // PyTorch's default is what the layer's constructor already did: the user's own init line goes.
              const line = existing && wholeLineOf(ctx, existing.range);
              if (!line) return null;
              edits.push({ range: line, newText: '' });
              continue;
            }
            if (existing) {
              // The user's own init call for this weight is rewritten: its tensor expression stays.
              const written = text.slice(existing.range.start, existing.range.end);
              const open = written.indexOf('(');
              const m = /^([\w.]*?)(\w+_?)\s*\(/.exec(written);
              if (!m || open < 0) return null;
              const inner = written.slice(open + 1, written.lastIndexOf(')'));
              const tensor = splitTopLevel(inner)[0]?.trim();
              if (!tensor) return null;
              edits.push({ range: existing.range, newText: initCall(m[1], scheme, tensor, args) });
              continue;
            }
            const stmt = statementAround(ctx.ast, layer.typeRange);
            if (!stmt) return null;
            const expr = layerExpression(ctx, graph, layer, stmt);
            if (!expr) return null;
            const lines = afterStatement.get(stmt.r.end) ?? [];
            lines.push(`${indentAt(text, stmt.r.start)}${initCall(`${prefix}init.`, scheme, `${expr}.${param}`, args)}`);
            afterStatement.set(stmt.r.end, lines);
          }
          break;
        }
        case 'insert-layer':
        case 'remove-layer': {
          const anchorPath = intent.kind === 'insert-layer' ? intent.before : intent.layer;
          const layer = layerAt(graph, anchorPath);
          if (!layer || ctx.functional(anchorPath)) return null;
          const parentPath = anchorPath.includes('.') ? anchorPath.slice(0, anchorPath.lastIndexOf('.')) : '';
          const parent = layerAt(graph, parentPath);
          const parentCall = parent && parent.type === 'Sequential' ? ctx.callOf(parent.path) : null;
          const el = parentCall ? elementAt(parentCall, layer.typeRange) : null;
          if (!parentCall || !el || el.arg.kind !== 'pos' || parentCall.r.file !== ctx.file) return null;
          if (intent.kind === 'insert-layer') {
            const prefix = nnPrefix(ctx, ctx.callOf(anchorPath));
            if (!prefix) return null;
            const def = layerDef(intent.type);
            if (!def) return null;
            const built = pyConstruction(intent.type, intent.args, (k) => Object.hasOwn(intent.args, k), prefix);
            const sameLine = !text.slice(parentCall.r.start, el.arg.r.start).includes('\n');
            edits.push({ range: { start: el.arg.r.start, end: el.arg.r.start }, newText: sameLine ? `${built}, ` : `${built},\n${indentAt(text, el.arg.r.start)}` });
          } else {
            const next = parentCall.args[el.index + 1];
            const prev = parentCall.args[el.index - 1];
            const range = next ? { start: el.arg.r.start, end: next.r.start } : prev ? { start: prev.r.end, end: el.arg.r.end } : el.arg.r;
            edits.push({ range, newText: '' });
          }
          break;
        }
        case 'set-loss': {
          const loss = ctx.loss;
          if (!loss?.call || loss.call.fn.k !== 'attr') return null;
          const args = Object.entries(intent.args).map(([k, v]) => `${k}=${pyValue(v)}`);
          if (loss.functional) {
            const fn = FUNCTIONAL_LOSS[intent.type];
            if (!fn || args.length) return null;
            edits.push({ range: loss.call.fn.nameR, newText: fn });
            // The keywords the intent leaves out go (`reduction='sum'`, or the deprecated `size_average=False`, which would still win).
            const callArgs = loss.call.args;
            callArgs.forEach((a, i) => {
              if (i > 0 && a.kind === 'kw' && a.name && REDUCTION_KEYWORDS.has(a.name) && !(a.name in intent.args)) edits.push({ range: { start: callArgs[i - 1].r.end, end: a.r.end }, newText: '' });
            });
          } else {
            edits.push({ range: loss.call.r, newText: `${exprText(text, loss.call.fn.obj)}.${intent.type}(${args.join(', ')})` });
          }
          break;
        }
        case 'set-data':
          // the batch comes from the script's own code
          return null;
        case 'set-gradient-clip': {
          // `torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)` after backward(), on
          // the parameters the optimiser was given; parameter groups (a list of dicts) are not rewritten.
          const stmt = ctx.backward;
          const params = ctx.optimizer?.call?.args[0];
          const prefix = nnPrefix(ctx, null);
          if (!stmt || stmt.k !== 'expr' || !params || params.kind !== 'pos' || params.value.r.file !== ctx.file || !prefix) return null;
          const given = exprText(text, params.value);
          if (!/\.parameters\(\s*\)$/.test(given)) return null;
          const max = Number.isInteger(intent.maxNorm) ? intent.maxNorm.toFixed(1) : pyValue(intent.maxNorm);
          const lines = afterStatement.get(stmt.r.end) ?? [];
          lines.push(`${indentAt(text, stmt.r.start)}${prefix}utils.clip_grad_norm_(${given}, max_norm=${max})`);
          afterStatement.set(stmt.r.end, lines);
          break;
        }
        case 'set-optimizer-args': {
          const opt = ctx.optimizer;
          if (!opt) return null;
          const missing: string[] = [];
          for (const [k, v] of Object.entries(intent.args)) {
            const e = opt.argExprs[k];
            if (!e) {
              missing.push(`${k}=${pyValue(v)}`);
              continue;
            }
            const literal = e.k === 'const' ? e : e.k === 'unary' && e.a.k === 'const' ? e : null;
            const named = e.k === 'name' ? moduleLiteral(ctx.ast, e.id) : null;
            edits.push({ range: literal ? e.r : named ?? e.r, newText: pyValue(v) });
          }
          if (missing.length) {
            // A hand-written update has no call to add an argument to.
            if (!opt.call) return null;
            const close = opt.call.r.end - 1;
            edits.push({ range: { start: close, end: close }, newText: `${opt.call.args.length ? ', ' : ''}${missing.join(', ')}` });
          }
          break;
        }
      }
    }
    for (const [end, lines] of afterStatement) edits.push({ range: { start: end, end }, newText: `\n${lines.join('\n')}` });
    return edits;
  };
}

/** A functional loss's keywords that set its reduction (the deprecated two win over reduction=). */
const REDUCTION_KEYWORDS = new Set(['reduction', 'size_average', 'reduce']);

const FUNCTIONAL_LOSS: Record<string, string> = {
  MSELoss: 'mse_loss',
  L1Loss: 'l1_loss',
  HuberLoss: 'huber_loss',
  CrossEntropyLoss: 'cross_entropy',
  NLLLoss: 'nll_loss',
  BCELoss: 'binary_cross_entropy',
  BCEWithLogitsLoss: 'binary_cross_entropy_with_logits',
};

/** `lr = 0.01` at module level: the literal a name is bound to, where the edit of its value goes. */
function moduleLiteral(ast: ModuleAst, name: string): SourceRange | null {
  let found: SourceRange | null = null;
  for (const s of ast.body) {
    if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name' && s.targets[0].id === name) {
      found = s.value.k === 'const' && typeof s.value.v !== 'string' ? s.value.r : null;
    }
  }
  return found;
}

/**
 * The line holding only the statement that is the call at `r` (`nn.init.normal_(w, std=1.5)`),
 * newline included, or null when the call is part of something larger (a loop over modules, an
 * assignment) that removing it would break.
 */
function wholeLineOf(ctx: PythonFixContext, r: SourceRange): SourceRange | null {
  const stmt = statementAround(ctx.ast, r);
  if (!stmt || stmt.k !== 'expr' || stmt.e.r.start !== r.start || stmt.e.r.end !== r.end) return null;
  const start = ctx.text.lastIndexOf('\n', r.start - 1) + 1;
  const nl = ctx.text.indexOf('\n', r.end);
  const end = nl < 0 ? ctx.text.length : nl + 1;
  if (ctx.text.slice(start, r.start).trim() || ctx.text.slice(r.end, end).replace(/#.*/, '').trim()) return null;
  return { start, end };
}

/** Splits an argument list at its top-level commas. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}
