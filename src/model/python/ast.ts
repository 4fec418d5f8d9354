/**
 * The syntax tree the interpreter walks: a small, typed subset of Python's, built from the
 * tree-sitter parse. Every node keeps its UTF-16 range in the user's text, so a finding, an error
 * or a "can't follow" notice lands on the text the user wrote. Anything outside the subset is an
 * `unsupported` node naming its construct; it is not an error until the model depends on it.
 */
import type { SourceRange } from '../graph';

export type Range = SourceRange;

/** A literal's value: None, bool, int (bigint), float (number) or str. */
export type Literal = null | boolean | bigint | number | string;

export interface FormatPart {
  expr: Expr;
  /** `!r`, `!s`, `!a`. */
  conversion: 'r' | 's' | 'a' | null;
  /** The format spec after `:`, itself an f-string (`{x:>{w}}`); null without one. */
  spec: FString | null;
  /** `{x=}`: the text before the value, as Python prints it. */
  selfDoc: string | null;
  r: Range;
}

export interface FString {
  k: 'fstring';
  /** Literal text and interpolations in order. */
  parts: (string | FormatPart)[];
  r: Range;
}

export interface Arg {
  kind: 'pos' | 'star' | 'kw' | 'dstar';
  /** Keyword arguments only. */
  name: string | null;
  value: Expr;
  r: Range;
}

export interface Param {
  name: string;
  kind: 'posonly' | 'pos' | 'varargs' | 'kwonly' | 'varkw';
  default: Expr | null;
  r: Range;
}

export interface CompClause {
  target: Target;
  iter: Expr;
  ifs: Expr[];
}

export type Expr =
  | { k: 'name'; id: string; r: Range }
  | { k: 'const'; v: Literal; r: Range }
  | FString
  | { k: 'attr'; obj: Expr; name: string; nameR: Range; r: Range }
  | { k: 'sub'; obj: Expr; index: Expr; r: Range }
  | { k: 'slice'; lo: Expr | null; hi: Expr | null; step: Expr | null; r: Range }
  | { k: 'call'; fn: Expr; args: Arg[]; r: Range }
  | { k: 'bin'; op: string; a: Expr; b: Expr; r: Range }
  | { k: 'unary'; op: '-' | '+' | '~' | 'not'; a: Expr; r: Range }
  | { k: 'bool'; op: 'and' | 'or'; a: Expr; b: Expr; r: Range }
  | { k: 'cmp'; first: Expr; ops: string[]; rest: Expr[]; r: Range }
  | { k: 'ifexp'; test: Expr; body: Expr; orelse: Expr; r: Range }
  | { k: 'lambda'; params: Param[]; body: Expr; r: Range; locals: Set<string> }
  | { k: 'list' | 'tuple' | 'set'; items: Expr[]; r: Range }
  | { k: 'starred'; value: Expr; r: Range }
  | { k: 'dict'; items: ({ key: Expr; value: Expr } | { spread: Expr })[]; r: Range }
  | { k: 'comp'; kind: 'list' | 'set' | 'gen' | 'dict'; elt: Expr; value: Expr | null; clauses: CompClause[]; r: Range }
  | { k: 'walrus'; name: string; value: Expr; r: Range }
  | { k: 'ellipsis'; r: Range }
  /** `yield v` / `yield from it` in a generator function's body (its value, what next() sends, is None). */
  | { k: 'yield'; value: Expr | null; from: boolean; r: Range }
  | { k: 'unsupported'; construct: string; r: Range };

/** What an assignment can bind: a name, an attribute, an item, or a (starred) tuple of those. */
export type Target =
  | { k: 'name'; id: string; r: Range }
  | { k: 'attr'; obj: Expr; name: string; nameR: Range; r: Range }
  | { k: 'sub'; obj: Expr; index: Expr; r: Range }
  | { k: 'tuple'; items: Target[]; r: Range }
  | { k: 'starred'; target: Target; r: Range };

export interface ExceptHandler {
  type: Expr | null;
  name: string | null;
  body: Stmt[];
  r: Range;
}

export interface FunctionDef {
  k: 'def';
  name: string;
  nameR: Range;
  params: Param[];
  body: Stmt[];
  decorators: Expr[];
  /** Names bound in the body (Python's local variables), minus global/nonlocal ones. */
  locals: Set<string>;
  globals: Set<string>;
  nonlocals: Set<string>;
  /** A coroutine: outside the subset. */
  unsupported: { construct: string; r: Range } | null;
  /** Has `yield`: a call makes a generator, its body run at the first next(). */
  generator: boolean;
  /** The first line of a docstring-less body statement, for "the forward line" lookups. */
  r: Range;
}

export interface ClassDef {
  k: 'class';
  name: string;
  nameR: Range;
  bases: Arg[];
  body: Stmt[];
  decorators: Expr[];
  r: Range;
}

export type Stmt =
  | { k: 'expr'; e: Expr; r: Range }
  | { k: 'assign'; targets: Target[]; value: Expr; r: Range }
  /** `x: int = 3` (value null without `= …`); annotations are not evaluated. */
  | { k: 'annassign'; target: Target; annotation: Expr; value: Expr | null; r: Range }
  | { k: 'augassign'; target: Target; op: string; value: Expr; r: Range }
  | { k: 'return'; value: Expr | null; r: Range }
  | { k: 'pass' | 'break' | 'continue'; r: Range }
  | { k: 'if'; test: Expr; body: Stmt[]; orelse: Stmt[]; r: Range }
  | { k: 'for'; target: Target; iter: Expr; body: Stmt[]; orelse: Stmt[]; r: Range }
  | { k: 'while'; test: Expr; body: Stmt[]; orelse: Stmt[]; r: Range }
  | FunctionDef
  | ClassDef
  | { k: 'import'; names: { module: string; alias: string | null; r: Range }[]; r: Range }
  | { k: 'from'; module: string; level: number; names: { name: string; alias: string | null; r: Range }[] | '*'; r: Range }
  | { k: 'raise'; exc: Expr | null; cause: Expr | null; r: Range }
  | { k: 'try'; body: Stmt[]; handlers: ExceptHandler[]; orelse: Stmt[]; final: Stmt[]; r: Range }
  | { k: 'with'; items: { ctx: Expr; target: Target | null }[]; body: Stmt[]; r: Range }
  | { k: 'assert'; test: Expr; msg: Expr | null; r: Range }
  | { k: 'global' | 'nonlocal'; names: string[]; r: Range }
  | { k: 'del'; targets: Target[]; r: Range }
  /** `binds`: the names it would assign (a match's `w = 4`): they hold what cannot be followed. */
  | { k: 'unsupported'; construct: string; binds?: { id: string; r: Range }[]; r: Range };

export interface ModuleAst {
  body: Stmt[];
  /** Names bound at module level (for notebooks: across all cells). */
  r: Range;
}
