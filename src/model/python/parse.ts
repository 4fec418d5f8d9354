/**
 * Python source → the interpreter's syntax tree, through tree-sitter's Python grammar (a .wasm
 * module, so no native code and no Python). Syntax errors come back as diagnostics at their
 * range; constructs outside the subset become `unsupported` nodes, reported only if the model
 * needs them.
 */
import type { Node as TsNode } from 'web-tree-sitter';
import type { SpecDiagnostic } from '../graph';
import type { Arg, ClassDef, CompClause, ExceptHandler, Expr, FormatPart, FString, FunctionDef, Literal, ModuleAst, Param, Range, Stmt, Target } from './ast';
import { decodeEscapes, parseFloatLiteral, parseIntLiteral } from './literals';
import { pythonParser } from './tree-sitter';
import { expressionsIn, ownExprs, ownTargets, statementsIn, targetNames } from './walk';

export interface ParseResult {
  ast: ModuleAst;
  diagnostics: SpecDiagnostic[];
}

/**
 * Nesting past this is refused with a diagnostic: CPython's own parser stops at 200 nested
 * parentheses, and the interpreter walks the tree recursively.
 */
export const MAX_NESTING = 200;

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly r: Range,
  ) {
    super(message);
  }
}

const rangeOf = (n: TsNode): Range => ({ start: n.startIndex, end: n.endIndex });

/**
 * The grammar binds a display item's star to the first name only: `[*self.blocks(x)]` comes as
 * `(*self).blocks(x)`. Python unpacks the whole item, so the star is moved out to it.
 */
function starOutside(e: Expr): Expr {
  type Link = Extract<Expr, { k: 'attr' | 'sub' | 'call' }>;
  const chain: Link[] = [];
  let at = e;
  while (at.k === 'attr' || at.k === 'sub' || at.k === 'call') {
    chain.push(at);
    at = at.k === 'call' ? at.fn : at.obj;
  }
  if (at.k !== 'starred' || !chain.length) return e;
  const base = at.value;
  let inner = base;
  for (const link of chain.reverse()) {
    const r = { start: base.r.start, end: link.r.end };
    inner = link.k === 'call' ? { ...link, fn: inner, r } : { ...link, obj: inner, r };
  }
  return { k: 'starred', value: inner, r: e.r };
}

/** Named children without comments (tree-sitter puts comments anywhere). */
function kids(n: TsNode): TsNode[] {
  const out: TsNode[] = [];
  for (const c of n.namedChildren) if (c && c.type !== 'comment' && c.type !== 'line_continuation') out.push(c);
  return out;
}

function field(n: TsNode, name: string): TsNode | null {
  return n.childForFieldName(name);
}

/** Where brackets make a line break inside an expression legal (implicit line joining). */
const BRACKETED = new Set([
  'argument_list',
  'parenthesized_expression',
  'list',
  'tuple',
  'dictionary',
  'set',
  'subscript',
  'list_comprehension',
  'set_comprehension',
  'dictionary_comprehension',
  'generator_expression',
  'parameters',
  'tuple_pattern',
  'list_pattern',
  'interpolation',
]);

const AUG_OPS: Record<string, string> = {
  '+=': '+',
  '-=': '-',
  '*=': '*',
  '/=': '/',
  '//=': '//',
  '%=': '%',
  '**=': '**',
  '@=': '@',
  '&=': '&',
  '|=': '|',
  '^=': '^',
  '<<=': '<<',
  '>>=': '>>',
};

class Converter {
  readonly diagnostics: SpecDiagnostic[] = [];
  private depth = 0;

  constructor(private readonly text: string) {}

  private syntax(message: string, r: Range): never {
    throw new SyntaxProblem(message, r);
  }

  /** A child the grammar requires; tree-sitter's error recovery can leave it out. */
  private req(n: TsNode, name: string): TsNode {
    const c = n.childForFieldName(name);
    if (!c) this.syntax(`incomplete ${n.type.replace(/_/g, ' ')}`, rangeOf(n));
    return c;
  }

  private first(n: TsNode): TsNode {
    const c = kids(n)[0];
    if (!c) this.syntax(`incomplete ${n.type.replace(/_/g, ' ')}`, rangeOf(n));
    return c;
  }

  /** Guards every recursive step: a hostile file cannot nest deeper than CPython allows. */
  private enter(n: TsNode): void {
    if (++this.depth > MAX_NESTING) this.syntax(`this nests more than ${MAX_NESTING} levels deep`, rangeOf(n));
  }

  module(root: TsNode): ModuleAst {
    return { body: this.block(kids(root)), r: rangeOf(root) };
  }

  /** Statements of a block; a statement that does not parse is reported and skipped, the rest still read. */
  private block(nodes: TsNode[]): Stmt[] {
    const out: Stmt[] = [];
    for (const n of nodes) {
      try {
        const s = this.stmt(n);
        if (s) out.push(s);
      } catch (e) {
        if (!(e instanceof SyntaxProblem)) throw e;
        this.diagnostics.push({ severity: 'error', code: 'python/syntax', message: e.message, range: e.r });
        out.push({ k: 'unsupported', construct: 'a statement with a syntax error', r: rangeOf(n) });
      }
    }
    return out;
  }

  private body(n: TsNode | null): Stmt[] {
    if (!n) return [];
    return this.block(n.type === 'block' ? kids(n) : [n]);
  }

  private stmt(n: TsNode): Stmt | null {
    this.enter(n);
    try {
      return this.stmtInner(n);
    } finally {
      this.depth--;
    }
  }

  private stmtInner(n: TsNode): Stmt | null {
    const r = rangeOf(n);
    switch (n.type) {
      case 'expression_statement': {
        const parts = kids(n);
        if (parts.length === 1) {
          const c = parts[0];
          if (c.type === 'assignment') return this.assignment(c, r);
          if (c.type === 'augmented_assignment') {
            const op = field(c, 'operator')?.type ?? '';
            if (!AUG_OPS[op]) this.syntax(`unknown operator ${op}`, r);
            return { k: 'augassign', target: this.target(this.req(c, 'left')), op: AUG_OPS[op], value: this.rhs(this.req(c, 'right')), r };
          }
          return { k: 'expr', e: this.expr(c), r };
        }
        // `a, b` as a statement: a tuple.
        return { k: 'expr', e: { k: 'tuple', items: parts.map((p) => this.expr(p)), r }, r };
      }
      case 'return_statement': {
        // A bare `return` has no child: it returns None.
        const v = kids(n)[0];
        return { k: 'return', value: v ? this.rhs(v) : null, r };
      }
      case 'pass_statement':
        return { k: 'pass', r };
      case 'break_statement':
        return { k: 'break', r };
      case 'continue_statement':
        return { k: 'continue', r };
      case 'if_statement':
        return this.ifStatement(n);
      case 'for_statement': {
        if (n.child(0)?.type === 'async') return { k: 'unsupported', construct: 'async for', binds: this.boundNames(n), r };
        const alt = field(n, 'alternative');
        return {
          k: 'for',
          target: this.target(this.req(n, 'left')),
          iter: this.rhs(this.req(n, 'right')),
          body: this.body(field(n, 'body')),
          orelse: alt ? this.body(field(alt, 'body')) : [],
          r,
        };
      }
      case 'while_statement': {
        const alt = field(n, 'alternative');
        return { k: 'while', test: this.expr(this.req(n, 'condition')), body: this.body(field(n, 'body')), orelse: alt ? this.body(field(alt, 'body')) : [], r };
      }
      case 'function_definition':
        return this.functionDef(n, []);
      case 'class_definition':
        return this.classDef(n, []);
      case 'decorated_definition': {
        const decorators = kids(n)
          .filter((c) => c.type === 'decorator')
          .map((d) => this.expr(this.first(d)));
        const def = this.req(n, 'definition');
        const s = def.type === 'class_definition' ? this.classDef(def, decorators) : this.functionDef(def, decorators);
        s.r = r;
        return s;
      }
      case 'import_statement':
        return {
          k: 'import',
          names: kids(n).map((c) => {
            if (c.type === 'aliased_import') return { module: this.req(c, 'name').text, alias: this.req(c, 'alias').text, r: rangeOf(c) };
            return { module: c.text, alias: null, r: rangeOf(c) };
          }),
          r,
        };
      case 'future_import_statement':
        return { k: 'pass', r };
      case 'import_from_statement': {
        const mod = this.req(n, 'module_name');
        let level = 0;
        let module = mod.text;
        if (mod.type === 'relative_import') {
          const prefix = kids(mod).find((c) => c.type === 'import_prefix');
          level = prefix ? prefix.text.length : 0;
          module = kids(mod).find((c) => c.type === 'dotted_name')?.text ?? '';
        }
        if (kids(n).some((c) => c.type === 'wildcard_import')) return { k: 'from', module, level, names: '*', r };
        const names = n.childrenForFieldName('name').flatMap((c): { name: string; alias: string | null; r: Range }[] => {
          if (!c) return [];
          if (c.type === 'aliased_import') return [{ name: this.req(c, 'name').text, alias: this.req(c, 'alias').text, r: rangeOf(c) }];
          return [{ name: c.text, alias: null, r: rangeOf(c) }];
        });
        return { k: 'from', module, level, names, r };
      }
      case 'raise_statement': {
        const cause = field(n, 'cause');
        const exc = kids(n).find((c) => c !== cause && c.startIndex !== cause?.startIndex);
        return { k: 'raise', exc: exc ? this.expr(exc) : null, cause: cause ? this.expr(cause) : null, r };
      }
      case 'try_statement':
        return this.tryStatement(n);
      case 'with_statement': {
        if (n.child(0)?.type === 'async') return { k: 'unsupported', construct: 'async with', binds: this.boundNames(n), r };
        const clause = kids(n).find((c) => c.type === 'with_clause');
        const items = (clause ? kids(clause) : []).map((item) => {
          let v = field(item, 'value') ?? this.first(item);
          // `with (a as b):` is a parenthesised as_pattern.
          while (v.type === 'parenthesized_expression' && kids(v).length === 1) v = this.first(v);
          if (v.type === 'as_pattern') {
            const [ctx, alias] = [this.first(v), kids(v).find((c) => c.type === 'as_pattern_target')];
            return { ctx: this.expr(ctx), target: alias ? this.target(this.first(alias)) : null };
          }
          return { ctx: this.expr(v), target: null };
        });
        return { k: 'with', items, body: this.body(field(n, 'body')), r };
      }
      case 'assert_statement': {
        const [test, msg] = kids(n);
        return { k: 'assert', test: this.expr(test), msg: msg ? this.expr(msg) : null, r };
      }
      case 'global_statement':
        return { k: 'global', names: kids(n).map((c) => c.text), r };
      case 'nonlocal_statement':
        return { k: 'nonlocal', names: kids(n).map((c) => c.text), r };
      case 'delete_statement': {
        const [list] = kids(n);
        const items = list.type === 'expression_list' ? kids(list) : [list];
        return { k: 'del', targets: items.map((t) => this.target(t)), r };
      }
      case 'print_statement':
      case 'exec_statement':
        this.syntax(`Python 2 ${n.type === 'print_statement' ? 'print' : 'exec'} statement: this is Python 3 syntax only (use print(...))`, r);
      // eslint-disable-next-line no-fallthrough
      case 'match_statement':
        return { k: 'unsupported', construct: 'a match statement', binds: this.boundNames(n), r };
      case 'type_alias_statement':
        return { k: 'unsupported', construct: 'a type alias statement', binds: this.boundNames(n), r };
      case 'ERROR':
        this.syntax(this.errorMessage(n), r);
      // eslint-disable-next-line no-fallthrough
      default:
        this.syntax(`unexpected ${n.type.replace(/_/g, ' ')}`, r);
    }
  }

  /** The names a statement Gradient Lens does not run would assign (plain names on the left of its assignments, loops, defs). */
  private boundNames(n: TsNode): { id: string; r: Range }[] {
    const out: { id: string; r: Range }[] = [];
    const names = (t: TsNode | null) => {
      if (!t) return;
      if (t.type === 'identifier') out.push({ id: t.text, r: rangeOf(t) });
      else if (['pattern_list', 'tuple_pattern', 'list_pattern', 'expression_list', 'tuple', 'list', 'parenthesized_expression'].includes(t.type)) kids(t).forEach(names);
    };
    const stack = [n];
    while (stack.length) {
      const x = stack.pop()!;
      if (x.type === 'assignment' || x.type === 'augmented_assignment' || x.type === 'for_statement' || x.type === 'for_in_clause') names(field(x, 'left'));
      else if (x.type === 'function_definition' || x.type === 'class_definition') names(field(x, 'name'));
      else if (x.type === 'as_pattern') names(field(x, 'alias')?.namedChildren[0] ?? null);
      stack.push(...kids(x));
    }
    return out.sort((a, b) => a.r.start - b.r.start);
  }

  private errorMessage(n: TsNode): string {
    const t = this.text.slice(n.startIndex, Math.min(n.endIndex, n.startIndex + 40)).split('\n')[0];
    return `syntax error: unexpected ${JSON.stringify(t)}`;
  }

  private ifStatement(n: TsNode): Stmt {
    const alternatives = n.childrenForFieldName('alternative').filter((c): c is TsNode => !!c);
    let orelse: Stmt[] = [];
    // elif chains become nested ifs, built from the last clause backwards.
    for (let i = alternatives.length - 1; i >= 0; i--) {
      const a = alternatives[i];
      if (a.type === 'else_clause') orelse = this.body(field(a, 'body'));
      else orelse = [{ k: 'if', test: this.expr(this.req(a, 'condition')), body: this.body(field(a, 'consequence')), orelse, r: rangeOf(a) }];
    }
    return { k: 'if', test: this.expr(this.req(n, 'condition')), body: this.body(field(n, 'consequence')), orelse, r: rangeOf(n) };
  }

  private tryStatement(n: TsNode): Stmt {
    const handlers: ExceptHandler[] = [];
    let orelse: Stmt[] = [];
    let final: Stmt[] = [];
    for (const c of kids(n)) {
      if (c.type === 'except_clause' || c.type === 'except_group_clause') {
        if (c.type === 'except_group_clause' || c.children.some((x) => x?.type === '*')) {
          return { k: 'unsupported', construct: 'except* (exception groups)', r: rangeOf(c) };
        }
        const parts = kids(c).filter((x) => x.type !== 'block');
        const block = kids(c).find((x) => x.type === 'block') ?? null;
        let type: Expr | null = null;
        let name: string | null = null;
        const value = field(c, 'value') ?? parts[0];
        const alias = field(c, 'alias');
        if (value && value.type === 'as_pattern') {
          type = this.expr(this.first(value));
          const t = kids(value).find((x) => x.type === 'as_pattern_target');
          name = t ? t.text : null;
        } else if (value) {
          type = this.expr(value);
          if (alias) name = alias.text;
        }
        handlers.push({ type, name, body: this.body(block), r: rangeOf(c) });
      } else if (c.type === 'else_clause') orelse = this.body(field(c, 'body'));
      else if (c.type === 'finally_clause') final = this.body(kids(c).find((x) => x.type === 'block') ?? null);
    }
    return { k: 'try', body: this.body(field(n, 'body')), handlers, orelse, final, r: rangeOf(n) };
  }

  private assignment(c: TsNode, r: Range): Stmt {
    const left = this.req(c, 'left');
    const right = field(c, 'right');
    const type = field(c, 'type');
    if (type) {
      return { k: 'annassign', target: this.target(left), annotation: this.exprOrUnsupported(type), value: right ? this.rhs(right) : null, r };
    }
    if (!right) this.syntax('an assignment needs a value after =', r);
    // a = b = c: targets a and b, value c.
    const targets: Target[] = [this.target(left)];
    let value: TsNode = right;
    while (value.type === 'assignment' && !field(value, 'type')) {
      targets.push(this.target(this.req(value, 'left')));
      const next = field(value, 'right');
      if (!next) this.syntax('an assignment needs a value after =', rangeOf(value));
      value = next;
    }
    if (value.type === 'augmented_assignment' || value.type === 'assignment') this.syntax('invalid assignment', rangeOf(value));
    return { k: 'assign', targets, value: this.rhs(value), r };
  }

  /** The right side of an assignment or return: a bare `a, b` is a tuple. */
  private rhs(n: TsNode): Expr {
    if (n.type === 'expression_list' || n.type === 'pattern_list') return { k: 'tuple', items: kids(n).map((c) => this.expr(c)), r: rangeOf(n) };
    return this.expr(n);
  }

  private target(n: TsNode): Target {
    this.enter(n);
    try {
      const r = rangeOf(n);
      switch (n.type) {
        case 'identifier':
          return { k: 'name', id: n.text, r };
        case 'attribute':
        case 'subscript':
          // The same node as the expression `a.b` / `a[i]`, in the store position.
          return this.expr(n) as Extract<Target, { k: 'attr' | 'sub' }>;
        case 'pattern_list':
        case 'tuple_pattern':
        case 'list_pattern':
        case 'expression_list':
        case 'tuple':
        case 'list':
          return { k: 'tuple', items: kids(n).map((c) => this.target(c)), r };
        case 'parenthesized_expression': {
          const inner = kids(n);
          if (inner.length === 1) return this.target(inner[0]);
          break;
        }
        case 'list_splat_pattern':
        case 'list_splat':
          return { k: 'starred', target: this.target(this.first(n)), r };
      }
      this.syntax(`cannot assign to ${n.type.replace(/_/g, ' ')}`, r);
    } finally {
      this.depth--;
    }
  }

  private params(n: TsNode | null): Param[] {
    const out: Param[] = [];
    if (!n) return out;
    let kwOnly = false;
    for (const p of kids(n)) {
      const r = rangeOf(p);
      switch (p.type) {
        case 'identifier':
          out.push({ name: p.text, kind: kwOnly ? 'kwonly' : 'pos', default: null, r });
          break;
        case 'typed_parameter': {
          const inner = this.first(p);
          if (inner.type === 'list_splat_pattern') {
            out.push({ name: this.first(inner).text, kind: 'varargs', default: null, r });
            kwOnly = true;
          } else if (inner.type === 'dictionary_splat_pattern') out.push({ name: this.first(inner).text, kind: 'varkw', default: null, r });
          else out.push({ name: inner.text, kind: kwOnly ? 'kwonly' : 'pos', default: null, r });
          break;
        }
        case 'default_parameter':
        case 'typed_default_parameter': {
          const name = this.req(p, 'name');
          if (name.type !== 'identifier') this.syntax('a tuple parameter is Python 2 syntax', r);
          out.push({ name: name.text, kind: kwOnly ? 'kwonly' : 'pos', default: this.expr(this.req(p, 'value')), r });
          break;
        }
        case 'list_splat_pattern':
          out.push({ name: this.first(p).text, kind: 'varargs', default: null, r });
          kwOnly = true;
          break;
        case 'dictionary_splat_pattern':
          out.push({ name: this.first(p).text, kind: 'varkw', default: null, r });
          break;
        case 'keyword_separator':
          kwOnly = true;
          break;
        case 'positional_separator':
          for (const q of out) if (q.kind === 'pos') q.kind = 'posonly';
          break;
        default:
          this.syntax(`unexpected ${p.type.replace(/_/g, ' ')} in parameters`, r);
      }
    }
    const seen = new Set<string>();
    for (const p of out) {
      if (seen.has(p.name)) this.syntax(`duplicate argument '${p.name}' in function definition`, p.r);
      seen.add(p.name);
    }
    return out;
  }

  private functionDef(n: TsNode, decorators: Expr[]): FunctionDef {
    const name = this.req(n, 'name');
    const isAsync = n.child(0)?.type === 'async';
    const params = this.params(field(n, 'parameters'));
    const body = this.body(field(n, 'body'));
    const scope = scopeOf(body, params.map((p) => p.name));
    let unsupported: FunctionDef['unsupported'] = null;
    if (isAsync) unsupported = { construct: 'an async function', r: rangeOf(name) };
    return {
      k: 'def',
      name: name.text,
      nameR: rangeOf(name),
      params,
      body,
      decorators,
      locals: scope.locals,
      globals: scope.globals,
      nonlocals: scope.nonlocals,
      unsupported,
      generator: !!scope.yieldAt,
      r: rangeOf(n),
    };
  }

  private classDef(n: TsNode, decorators: Expr[]): ClassDef {
    const name = this.req(n, 'name');
    if (field(n, 'type_parameters')) this.syntax('generic class syntax (class A[T]) is outside what Gradient Lens reads', rangeOf(this.req(n, 'type_parameters')));
    const sup = field(n, 'superclasses');
    return { k: 'class', name: name.text, nameR: rangeOf(name), bases: sup ? this.args(sup) : [], body: this.body(field(n, 'body')), decorators, r: rangeOf(n) };
  }

  private args(n: TsNode): Arg[] {
    if (n.type === 'generator_expression') return [{ kind: 'pos', name: null, value: this.expr(n), r: rangeOf(n) }];
    return kids(n).map((a): Arg => {
      const r = rangeOf(a);
      if (a.type === 'keyword_argument') return { kind: 'kw', name: this.req(a, 'name').text, value: this.expr(this.req(a, 'value')), r };
      if (a.type === 'list_splat') return { kind: 'star', name: null, value: this.expr(this.first(a)), r };
      if (a.type === 'dictionary_splat') return { kind: 'dstar', name: null, value: this.expr(this.first(a)), r };
      return { kind: 'pos', name: null, value: this.expr(a), r };
    });
  }

  private exprOrUnsupported(n: TsNode): Expr {
    try {
      return this.expr(n.type === 'type' && kids(n).length === 1 ? this.first(n) : n);
    } catch (e) {
      if (e instanceof SyntaxProblem) return { k: 'unsupported', construct: 'this annotation', r: rangeOf(n) };
      throw e;
    }
  }

  expr(n: TsNode): Expr {
    this.enter(n);
    try {
      return this.exprInner(n);
    } finally {
      this.depth--;
    }
  }

  /** `x = nn.` followed by a new line parses as an attribute of the next line's name; Python says it is a syntax error. */
  private checkAttributeLine(n: TsNode): void {
    const obj = field(n, 'object');
    const attr = field(n, 'attribute');
    if (!obj || !attr) return;
    const between = this.text.slice(obj.endIndex, attr.startIndex);
    if (!/\n/.test(between.replace(/\\\r?\n/g, '').replace(/#[^\n]*/g, ''))) return;
    for (let p = n.parent; p; p = p.parent) {
      if (BRACKETED.has(p.type)) return;
      if (p.type === 'expression_statement' || p.type === 'block' || p.type === 'module') break;
    }
    const dot = obj.endIndex + between.indexOf('.');
    const lineEnd = this.text.indexOf('\n', dot);
    this.syntax(`incomplete attribute: a name must follow "${this.text.slice(obj.startIndex, dot + 1).trim()}" on the same line`, {
      start: obj.startIndex,
      end: lineEnd < 0 ? this.text.length : lineEnd,
    });
  }

  private subscriptIndex(n: TsNode): Expr {
    const subs = n.childrenForFieldName('subscript').filter((c): c is TsNode => !!c && c.type !== 'comment');
    const one = (c: TsNode): Expr => {
      if (c.type === 'slice') {
        // A slice's parts are separated by ':' tokens; an absent part is null.
        const parts: (Expr | null)[] = [null, null, null];
        let i = 0;
        for (const ch of c.children) {
          if (!ch) continue;
          if (ch.type === ':') i++;
          else if (ch.isNamed && ch.type !== 'comment') parts[i] = this.expr(ch);
        }
        return { k: 'slice', lo: parts[0], hi: parts[1], step: parts[2], r: rangeOf(c) };
      }
      return this.expr(c);
    };
    if (subs.length === 1) {
      // `x[a, b]` with a trailing comma is still a tuple.
      const afterComma = n.children.some((c) => c?.type === ',');
      if (!afterComma) return one(subs[0]);
    }
    const r = { start: subs[0]?.startIndex ?? n.startIndex, end: subs[subs.length - 1]?.endIndex ?? n.endIndex };
    return { k: 'tuple', items: subs.map(one), r };
  }

  private exprInner(n: TsNode): Expr {
    const r = rangeOf(n);
    switch (n.type) {
      case 'identifier':
        return { k: 'name', id: n.text, r };
      case 'integer': {
        const v = parseIntLiteral(n.text);
        if (v === 'complex') return { k: 'unsupported', construct: 'complex numbers', r };
        if (v === null) this.syntax(`invalid number ${JSON.stringify(n.text)}`, r);
        return { k: 'const', v, r };
      }
      case 'float': {
        const v = parseFloatLiteral(n.text);
        if (v === 'complex') return { k: 'unsupported', construct: 'complex numbers', r };
        if (v === null) this.syntax(`invalid number ${JSON.stringify(n.text)}`, r);
        return { k: 'const', v, r };
      }
      case 'true':
        return { k: 'const', v: true, r };
      case 'false':
        return { k: 'const', v: false, r };
      case 'none':
        return { k: 'const', v: null, r };
      case 'ellipsis':
        return { k: 'ellipsis', r };
      case 'string':
        return this.string(n);
      case 'concatenated_string':
        return this.concatenated(kids(n), r);
      case 'attribute': {
        this.checkAttributeLine(n);
        const name = this.req(n, 'attribute');
        return { k: 'attr', obj: this.expr(this.req(n, 'object')), name: name.text, nameR: rangeOf(name), r };
      }
      case 'subscript':
        return { k: 'sub', obj: this.expr(this.req(n, 'value')), index: this.subscriptIndex(n), r };
      case 'call':
        return { k: 'call', fn: this.expr(this.req(n, 'function')), args: this.args(this.req(n, 'arguments')), r };
      case 'binary_operator':
        return { k: 'bin', op: this.req(n, 'operator').type, a: this.expr(this.req(n, 'left')), b: this.expr(this.req(n, 'right')), r };
      case 'unary_operator':
        return { k: 'unary', op: this.req(n, 'operator').type as '-' | '+' | '~', a: this.expr(this.req(n, 'argument')), r };
      case 'not_operator':
        return { k: 'unary', op: 'not', a: this.expr(this.req(n, 'argument')), r };
      case 'boolean_operator':
        return { k: 'bool', op: this.req(n, 'operator').type as 'and' | 'or', a: this.expr(this.req(n, 'left')), b: this.expr(this.req(n, 'right')), r };
      case 'comparison_operator': {
        const operands = kids(n);
        const ops = n.childrenForFieldName('operators').map((o) => (o ? o.text.replace(/\s+/g, ' ') : ''));
        if (ops.includes('<>')) this.syntax('<> is Python 2 syntax (use !=)', r);
        return { k: 'cmp', first: this.expr(operands[0]), ops, rest: operands.slice(1).map((o) => this.expr(o)), r };
      }
      case 'conditional_expression': {
        const [body, test, orelse] = kids(n);
        return { k: 'ifexp', test: this.expr(test), body: this.expr(body), orelse: this.expr(orelse), r };
      }
      case 'lambda': {
        const params = this.params(field(n, 'parameters'));
        const body = this.expr(this.req(n, 'body'));
        return { k: 'lambda', params, body, r, locals: new Set([...params.map((p) => p.name), ...expressionsIn(body).flatMap((x) => (x.k === 'walrus' ? [x.name] : []))]) };
      }
      case 'parenthesized_expression': {
        const inner = kids(n);
        if (inner.length !== 1) this.syntax('unexpected parentheses', r);
        const e = this.expr(inner[0]);
        return e;
      }
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list':
        return { k: n.type === 'expression_list' ? 'tuple' : n.type, items: kids(n).map((c) => starOutside(this.expr(c))), r };
      case 'list_splat':
        return { k: 'starred', value: this.expr(this.first(n)), r };
      case 'parenthesized_list_splat':
        return this.expr(this.first(n));
      case 'dictionary':
        return {
          k: 'dict',
          items: kids(n).map((c) => (c.type === 'dictionary_splat' ? { spread: this.expr(this.first(c)) } : { key: this.expr(this.req(c, 'key')), value: this.expr(this.req(c, 'value')) })),
          r,
        };
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension':
        return this.comprehension(n);
      case 'named_expression':
        return { k: 'walrus', name: this.req(n, 'name').text, value: this.expr(this.req(n, 'value')), r };
      case 'await':
        return { k: 'unsupported', construct: 'await', r };
      case 'yield': {
        const value = kids(n)[0];
        return { k: 'yield', value: value ? this.rhs(value) : null, from: n.children.some((c) => c?.type === 'from'), r };
      }
      case 'as_pattern':
        this.syntax('unexpected "as"', r);
      // eslint-disable-next-line no-fallthrough
      case 'ERROR':
        this.syntax(this.errorMessage(n), r);
      // eslint-disable-next-line no-fallthrough
      default:
        this.syntax(`unexpected ${n.type.replace(/_/g, ' ')}`, r);
    }
  }

  private comprehension(n: TsNode): Expr {
    const kind = n.type === 'list_comprehension' ? 'list' : n.type === 'set_comprehension' ? 'set' : n.type === 'generator_expression' ? 'gen' : 'dict';
    const body = this.req(n, 'body');
    const clauses: CompClause[] = [];
    for (const c of kids(n)) {
      if (c.type === 'for_in_clause') {
        if (c.child(0)?.type === 'async') return { k: 'unsupported', construct: 'async comprehension', r: rangeOf(c) };
        const rights = c.childrenForFieldName('right').filter((x): x is TsNode => !!x && x.isNamed);
        const iter: Expr = rights.length === 1 ? this.expr(rights[0]) : { k: 'tuple', items: rights.map((x) => this.expr(x)), r: rangeOf(c) };
        clauses.push({ target: this.target(this.req(c, 'left')), iter, ifs: [] });
      } else if (c.type === 'if_clause') clauses[clauses.length - 1]?.ifs.push(this.expr(this.first(c)));
    }
    if (kind === 'dict') {
      return { k: 'comp', kind, elt: this.expr(this.req(body, 'key')), value: this.expr(this.req(body, 'value')), clauses, r: rangeOf(n) };
    }
    return { k: 'comp', kind, elt: this.expr(body), value: null, clauses, r: rangeOf(n) };
  }

  private concatenated(strings: TsNode[], r: Range): Expr {
    const parts = strings.map((s) => this.string(s));
    if (parts.some((p) => p.k === 'unsupported')) return parts.find((p) => p.k === 'unsupported')!;
    if (parts.every((p) => p.k === 'const')) return { k: 'const', v: parts.map((p) => (p as { v: string }).v).join(''), r };
    const joined: FString = { k: 'fstring', parts: [], r };
    for (const p of parts) {
      if (p.k === 'const') joined.parts.push(p.v as string);
      else joined.parts.push(...(p as FString).parts);
    }
    return joined;
  }

  private string(n: TsNode): Expr {
    const r = rangeOf(n);
    const start = kids(n).find((c) => c.type === 'string_start');
    const prefix = (start?.text ?? '').replace(/['"]+$/, '').toLowerCase();
    if (prefix.includes('b')) return { k: 'unsupported', construct: 'bytes literals', r };
    const raw = prefix.includes('r');
    const isF = prefix.includes('f');
    const parts: (string | FormatPart)[] = [];
    for (const c of kids(n)) {
      if (c.type === 'string_content') {
        let t = raw ? c.text : decodeEscapes(c.text, (msg) => this.syntax(msg, rangeOf(c)));
        if (isF) t = t.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
        parts.push(t);
      } else if (c.type === 'interpolation') parts.push(this.interpolation(c));
      else if (c.type === 'ERROR') this.syntax(this.errorMessage(c), rangeOf(c));
    }
    if (!isF) return { k: 'const', v: parts.join(''), r };
    return { k: 'fstring', parts, r };
  }

  private interpolation(c: TsNode): FormatPart {
    const e = field(c, 'expression');
    if (!e) this.syntax('f-string: empty expression not allowed', rangeOf(c));
    const conv = field(c, 'type_conversion')?.text.slice(1) ?? null;
    if (conv !== null && conv !== 'r' && conv !== 's' && conv !== 'a') this.syntax(`f-string: invalid conversion character ${conv}`, rangeOf(c));
    const specNode = field(c, 'format_specifier');
    let spec: FString | null = null;
    if (specNode) {
      // The spec's literal text is not a node: take the text between its nested {…} fields.
      spec = { k: 'fstring', parts: [], r: rangeOf(specNode) };
      let at = specNode.startIndex + 1;
      for (const f of kids(specNode)) {
        if (f.type !== 'format_expression') continue;
        if (f.startIndex > at) spec.parts.push(this.text.slice(at, f.startIndex));
        spec.parts.push(this.interpolation(f));
        at = f.endIndex;
      }
      if (specNode.endIndex > at) spec.parts.push(this.text.slice(at, specNode.endIndex));
    }
    // `{x = !r:>5}` prints the text up to the conversion or spec, spaces included.
    const eq = c.children.find((x) => x?.type === '=');
    const docEnd = field(c, 'type_conversion')?.startIndex ?? specNode?.startIndex ?? c.endIndex - 1;
    const selfDoc = eq ? this.text.slice(c.startIndex + 1, docEnd) : null;
    return { expr: this.rhs(e), conversion: conv as FormatPart['conversion'], spec, selfDoc, r: rangeOf(c) };
  }
}

/** Names a function body binds (its locals), its global/nonlocal declarations, and its first yield. */
export function scopeOf(body: Stmt[], params: string[]): { locals: Set<string>; globals: Set<string>; nonlocals: Set<string>; yieldAt: Range | null } {
  const locals = new Set<string>(params);
  const globals = new Set<string>();
  const nonlocals = new Set<string>();
  let yieldAt: Range | null = null;
  for (const s of statementsIn(body)) {
    for (const t of ownTargets(s)) for (const n of targetNames(t)) locals.add(n);
    if (s.k === 'global') s.names.forEach((n) => globals.add(n));
    if (s.k === 'nonlocal') s.names.forEach((n) => nonlocals.add(n));
    for (const e of ownExprs(s)) {
      for (const x of expressionsIn(e)) {
        // `(n := …)` binds n in the function, even inside a comprehension.
        if (x.k === 'walrus') locals.add(x.name);
        if (x.k === 'yield') yieldAt ??= x.r;
      }
    }
  }
  for (const g of globals) locals.delete(g);
  for (const g of nonlocals) locals.delete(g);
  return { locals, globals, nonlocals, yieldAt };
}

/** Syntax errors tree-sitter recovered from: ERROR nodes and missing tokens, in document order. */
function treeErrors(root: TsNode, text: string): SpecDiagnostic[] {
  const out: SpecDiagnostic[] = [];
  if (!root.hasError) return out;
  const cursor = root.walk();
  let more = true;
  while (more) {
    const n = cursor.currentNode;
    let descend = n.hasError;
    if (n.isMissing) {
      out.push({ severity: 'error', code: 'python/syntax', message: `syntax error: expected ${JSON.stringify(n.type)}`, range: { start: n.startIndex, end: n.endIndex } });
      descend = false;
    } else if (n.type === 'ERROR') {
      const t = text.slice(n.startIndex, Math.min(n.endIndex, n.startIndex + 40)).split('\n')[0].trim();
      out.push({ severity: 'error', code: 'python/syntax', message: t ? `syntax error near ${JSON.stringify(t)}` : 'syntax error', range: { start: n.startIndex, end: n.endIndex } });
      descend = false;
    }
    if (descend && cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        more = false;
        break;
      }
    }
  }
  cursor.delete();
  return out;
}

export type { Literal };

/**
 * Parses Python source (the parser must be loaded: `await loadPythonParser()`). Syntax errors are
 * diagnostics; the tree still holds every statement that parsed.
 */
export function parsePython(source: string): ParseResult {
  if (lastParsed?.source === source) return lastParsed.result;
  const result = parseAnew(source);
  lastParsed = { source, result };
  return result;
}

/**
 * The last text parsed and its tree, read again by the next parse of the same text. A caller with a
 * time limit parses first, outside it: the limit stops JavaScript wherever it is, and a parse
 * stopped inside tree-sitter's WebAssembly leaves the parser broken for every later file of the
 * process (the CLI's tests and fuzzing run many in one).
 */
let lastParsed: { source: string; result: ParseResult } | null = null;

/** A tree of its own, never the cached one: an imported file's tree is marked with its path (two files may have the same text). */
export function parsePythonAnew(source: string): ParseResult {
  return parseAnew(source);
}

function parseAnew(source: string): ParseResult {
  // Python reads a lone CR (old Mac line endings) as a line break; tree-sitter's grammar does not.
  // Same length, so every offset still points into the user's text.
  const text = source.replace(/\r(?!\n)/g, '\n');
  const parser = pythonParser();
  // A parse stopped halfway is resumed by the next call unless the parser is reset.
  parser.reset();
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    const conv = new Converter(text);
    const errors = treeErrors(tree.rootNode, text);
    let ast: ModuleAst;
    try {
      ast = conv.module(tree.rootNode);
    } catch (e) {
      if (!(e instanceof SyntaxProblem)) throw e;
      conv.diagnostics.push({ severity: 'error', code: 'python/syntax', message: e.message, range: e.r });
      ast = { body: [], r: { start: 0, end: text.length } };
    }
    // One diagnostic per place: tree-sitter's ERROR and the converter's view of the same statement.
    const all = [...errors];
    for (const d of conv.diagnostics) {
      if (!all.some((x) => x.range.start < d.range.end && d.range.start < x.range.end)) all.push(d);
    }
    all.sort((a, b) => a.range.start - b.range.start);
    return { ast, diagnostics: all };
  } finally {
    tree.delete();
  }
}
