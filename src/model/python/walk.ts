/**
 * Walks over the syntax tree, shared by the scope analysis (which names a function binds) and
 * the interpreter (what a skipped statement binds and names). None of them enters a nested
 * function, class or lambda: those are scopes of their own.
 */
import type { Expr, Range, Stmt, Target } from './ast';

/** The expressions directly inside an expression. */
export function subExprs(e: Expr): Expr[] {
  switch (e.k) {
    case 'attr':
      return [e.obj];
    case 'sub':
      return [e.obj, e.index];
    case 'slice':
      return [e.lo, e.hi, e.step].filter((x): x is Expr => !!x);
    case 'call':
      return [e.fn, ...e.args.map((a) => a.value)];
    case 'bin':
    case 'bool':
      return [e.a, e.b];
    case 'unary':
      return [e.a];
    case 'cmp':
      return [e.first, ...e.rest];
    case 'ifexp':
      return [e.test, e.body, e.orelse];
    case 'list':
    case 'tuple':
    case 'set':
      return e.items;
    case 'starred':
      return [e.value];
    case 'dict':
      return e.items.flatMap((i) => ('spread' in i ? [i.spread] : [i.key, i.value]));
    case 'comp':
      return [e.elt, ...(e.value ? [e.value] : []), ...e.clauses.flatMap((c) => [c.iter, ...c.ifs])];
    case 'walrus':
      return [e.value];
    case 'yield':
      return e.value ? [e.value] : [];
    case 'fstring':
      return e.parts.flatMap((p) => (typeof p === 'string' ? [] : [p.expr, ...(p.spec ? [p.spec] : [])]));
    default:
      return [];
  }
}

/** The blocks a compound statement holds. */
export function nestedBlocks(s: Stmt): Stmt[][] {
  switch (s.k) {
    case 'if':
    case 'for':
    case 'while':
      return [s.body, s.orelse];
    case 'with':
      return [s.body];
    case 'try':
      return [s.body, ...s.handlers.map((h) => h.body), s.orelse, s.final];
    default:
      return [];
  }
}

/** The expressions a statement evaluates itself (not those of its nested blocks). */
export function ownExprs(s: Stmt): Expr[] {
  switch (s.k) {
    case 'expr':
      return [s.e];
    case 'assign':
      return [s.value];
    case 'annassign':
    case 'augassign':
    case 'return':
      return s.value ? [s.value] : [];
    case 'if':
    case 'while':
      return [s.test];
    case 'for':
      return [s.iter];
    case 'with':
      return s.items.map((i) => i.ctx);
    case 'assert':
      return s.msg ? [s.test, s.msg] : [s.test];
    case 'raise':
      return [s.exc, s.cause].filter((x): x is Expr => !!x);
    default:
      return [];
  }
}

/** What a statement binds itself: assignment targets, loop variables, imported and defined names. */
export function ownTargets(s: Stmt): Target[] {
  const name = (id: string, r: Range): Target => ({ k: 'name', id, r });
  switch (s.k) {
    case 'assign':
      return s.targets;
    case 'annassign':
      return s.value ? [s.target] : [];
    case 'augassign':
      return [s.target];
    case 'for':
      return [s.target];
    case 'with':
      return s.items.flatMap((i) => (i.target ? [i.target] : []));
    case 'def':
    case 'class':
      return [name(s.name, s.nameR)];
    case 'import':
      return s.names.map((n) => name(n.alias ?? n.module.split('.')[0], n.r));
    case 'from':
      return s.names === '*' ? [] : s.names.map((n) => name(n.alias ?? n.name, n.r));
    case 'try':
      return s.handlers.flatMap((h) => (h.name ? [name(h.name, h.r)] : []));
    case 'del':
      return s.targets;
    case 'unsupported':
      return (s.binds ?? []).map((b) => name(b.id, b.r));
    default:
      return [];
  }
}

/** `s` and every statement in its nested blocks, in no particular order. */
export function statementsIn(s: Stmt | readonly Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  const stack: Stmt[] = Array.isArray(s) ? [...s] : [s as Stmt];
  while (stack.length) {
    const x = stack.pop()!;
    out.push(x);
    for (const b of nestedBlocks(x)) stack.push(...b);
  }
  return out;
}

/** `e` and every expression inside it. */
export function expressionsIn(e: Expr): Expr[] {
  const out: Expr[] = [];
  const stack = [e];
  while (stack.length) {
    const x = stack.pop()!;
    out.push(x);
    stack.push(...subExprs(x));
  }
  return out;
}

/** The names a target binds. */
export function targetNames(t: Target): string[] {
  const out: string[] = [];
  const stack = [t];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.k === 'name') out.push(x.id);
    else if (x.k === 'tuple') stack.push(...x.items);
    else if (x.k === 'starred') stack.push(x.target);
  }
  return out;
}

/** The expressions inside a target (`obj` of `obj.attr = …`, `d` and `k` of `d[k] = …`). */
export function targetExprs(t: Target): Expr[] {
  switch (t.k) {
    case 'attr':
      return [t.obj];
    case 'sub':
      return [t.obj, t.index];
    case 'tuple':
      return t.items.flatMap(targetExprs);
    case 'starred':
      return targetExprs(t.target);
    default:
      return [];
  }
}
