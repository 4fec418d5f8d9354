/**
 * One training step written at the module's top level, outside any loop (pytorch/tutorials'
 * neural_networks_tutorial: `output = net(input); loss = criterion(output, target);
 * loss.backward(); optimizer.step()`). The script takes that step once; the trace takes it as often
 * as a loop would, as PyTorch does if the user runs the step again. The step's statements are
 * wrapped in a loop that only the trace runs, so the loop machinery (model, optimiser, batch,
 * fixes after backward) serves it unchanged.
 */
import type { ModuleAst, Stmt } from './ast';
import { backwardIn, stepsIn } from './loop';
import { targetNames } from './walk';

/** The module's body with its top-level step wrapped in a loop, and that loop; null when it has none. */
export interface TopLevelStep {
  ast: ModuleAst;
  loop: Extract<Stmt, { k: 'while' }>;
}

/** `X.backward(...)` as a statement of its own. */
function isBackwardStatement(s: Stmt): boolean {
  return s.k === 'expr' && s.e.k === 'call' && s.e.fn.k === 'attr' && s.e.fn.name === 'backward';
}

/** The object a `X.step()` statement steps (`optimizer`), when it is a plain name. */
function steppedName(s: Stmt): string | null {
  if (s.k !== 'expr' || s.e.k !== 'call' || s.e.fn.k !== 'attr' || s.e.fn.name !== 'step' || s.e.args.length > 1) return null;
  const obj = s.e.args.length === 1 ? s.e.args[0].value : s.e.fn.obj;
  return obj.k === 'name' ? obj.id : null;
}

/** Where a step's statements stop going back: what is made once (the optimiser, a def, an import) or an earlier backward. */
function startsBefore(s: Stmt, stepped: string | null): boolean {
  if (s.k !== 'expr' && s.k !== 'assign' && s.k !== 'augassign' && s.k !== 'annassign') return true;
  if (backwardIn(s)) return true;
  const targets = s.k === 'assign' ? s.targets : s.k === 'expr' ? [] : [s.target];
  return stepped !== null && targets.some((t) => targetNames(t).includes(stepped));
}

/**
 * The last top-level `loss.backward()` followed, before any other backward, by a top-level
 * `optimizer.step()`: the statements from the one after the optimiser is made (or the previous
 * backward) through that step are the training step. The file must have no loop that trains.
 */
export function topLevelStep(ast: ModuleAst): TopLevelStep | null {
  const body = ast.body;
  for (let b = body.length - 1; b >= 0; b--) {
    if (!isBackwardStatement(body[b])) continue;
    let end = -1;
    for (let k = b + 1; k < body.length && end < 0; k++) {
      if (backwardIn(body[k])) break;
      if (stepsIn([body[k]])) end = k;
    }
    if (end < 0) return null;
    const stepped = steppedName(body[end]);
    let start = b;
    while (start > 0 && !startsBefore(body[start - 1], stepped)) start--;
    const stmts = body.slice(start, end + 1);
    const r = { start: stmts[0].r.start, end: stmts[stmts.length - 1].r.end };
    const loop: Extract<Stmt, { k: 'while' }> = { k: 'while', test: { k: 'const', v: true, r }, body: stmts, orelse: [], r };
    return { ast: { ...ast, body: [...body.slice(0, start), loop, ...body.slice(end + 1)] }, loop };
  }
  return null;
}
