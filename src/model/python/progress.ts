/**
 * tqdm's progress bars, which training scripts wrap their loops in (`for x, y in tqdm(loader)`,
 * `for epoch in trange(n)`, `pbar = tqdm(loader)` with `pbar.set_postfix(loss=…)`, `with
 * tqdm(total=n) as pbar`). A bar only passes its iterable through: it iterates as the iterable
 * does, its length is the iterable's (or `total`), and everything else it does is drawing, which
 * changes nothing the model sees.
 */
import type { Interpreter, ModuleFactory } from './interpreter';
import { native } from './native';
import * as P from './protocol';
import { OBJECT, PyClass, PyInstance, PyModule, PyRange, toBigInt, Value } from './values';

/** What a bar draws; each returns None. */
const DRAWING = ['update', 'set_description', 'set_description_str', 'set_postfix', 'set_postfix_str', 'close', 'refresh', 'clear', 'reset', 'display', 'unpause', 'moveto'];

function progressModule(interp: Interpreter, name: string): PyModule {
  const iterableOf = (self: Value) => (self as PyInstance).dict.get('iterable') ?? null;
  const bar: PyClass = new PyClass(
    'tqdm',
    [OBJECT],
    {
      iter: (self, r) => {
        const it = iterableOf(self);
        if (it === null) return interp.raise('TypeError', "'NoneType' object is not iterable", r);
        return P.iterate(interp, it, r);
      },
      len: (self, r) => {
        const it = iterableOf(self);
        const total = (self as PyInstance).dict.get('total') ?? null;
        if (total !== null) return Number(toBigInt(total as bigint));
        if (it === null) return interp.raise('TypeError', "object of type 'tqdm' has no len()", r);
        return P.len(interp, it, r);
      },
      bool: () => true,
      enter: (self) => self,
      exit: () => undefined,
    },
    name,
  );
  bar.dict.set(
    '__init__',
    native('__init__(self, iterable=None, desc=None, total=None, *args, **kwargs)', (a) => {
      const self = a.self as PyInstance;
      self.dict.set('iterable', a.iterable);
      self.dict.set('desc', a.desc);
      self.dict.set('total', a.total);
      self.dict.set('n', 0n);
      return null;
    }, { method: true }),
  );
  for (const m of DRAWING) bar.dict.set(m, native(`${m}(self, *args, **kwargs)`, () => null, { method: true }));
  // Called on the class as often as on a bar (`tqdm.write(msg)`): not bound to either.
  bar.dict.set('write', native('write(s, file=None, end="\\n", nolock=False)', () => null));
  const trange = native('trange(*args, **kwargs)', (a, r) => {
    const range = interp.call(interp.builtins.get('range')!, a.__varargs ?? [], null, r) as PyRange;
    return interp.call(bar, [range], a.__varkw ?? null, r);
  });
  const m = new PyModule(name);
  m.dict.set('tqdm', bar);
  m.dict.set('trange', trange);
  return m;
}

/** `tqdm` and the submodules scripts import the same bar from. */
export const PROGRESS_MODULES: Record<string, ModuleFactory> = Object.fromEntries(
  ['tqdm', 'tqdm.auto', 'tqdm.notebook', 'tqdm.autonotebook', 'tqdm.std', 'tqdm.rich'].map((n) => [n, progressModule]),
);
