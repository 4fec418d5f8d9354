/**
 * The `os` module as far as a training script's model depends on it: `os.environ`, holding what a
 * launcher of one process sets (torchrun's LOCAL_RANK, RANK, WORLD_SIZE, ...: rank 0 of 1, as the
 * trace of a distributed script is; torch/distributed.ts) and what the script itself sets. Any other
 * variable is the user's environment, not known here: an opaque value, followed until the model
 * needs it. Every other name of `os` (os.path, os.makedirs, ...) is as opaque as before.
 */
import type { Range } from './ast';
import { CantFollow } from './errors';
import type { Interpreter } from './interpreter';
import { moduleMember, opaqueModule } from './interpreter';
import { native } from './native';
import { NativeObj } from './torch/runtime';
import { RANK, WORLD_SIZE } from './torch/distributed';
import { OBJECT, PyClass, PyModule, PyOpaque, type Value } from './values';

/** What torchrun sets for one process on one machine: the run the trace is of. */
const LAUNCHED: Record<string, string> = {
  LOCAL_RANK: String(RANK),
  RANK: String(RANK),
  GROUP_RANK: '0',
  LOCAL_WORLD_SIZE: String(WORLD_SIZE),
  WORLD_SIZE: String(WORLD_SIZE),
  MASTER_ADDR: '127.0.0.1',
  MASTER_PORT: '29500',
};

type Env = Map<string, string>;

const unknown = (name: Value, r: Range) => new PyOpaque(`the environment variable ${typeof name === 'string' ? name : '?'} (the user's environment is not known; only a launcher's rank variables are)`, r);

function environClass(interp: Interpreter): PyClass {
  const env = (v: Value) => (v as NativeObj<Env>).state;
  const cls = new PyClass(
    '_Environ',
    [OBJECT],
    {
      getitem: (self, key, r) => env(self).get(String(key)) ?? unknown(key, r),
      setitem: (self, key, value, r) => {
        if (typeof key !== 'string' || typeof value !== 'string') interp.raise('TypeError', `str expected, not ${typeof value === 'string' ? typeof key : typeof value}`, r);
        env(self).set(key as string, value as string);
      },
      delitem: (self, key) => {
        env(self).delete(String(key));
      },
      // Whether the user's environment has another variable is not known: can't follow, never a guess.
      contains: (self, key, r) => {
        if (env(self).has(String(key))) return true;
        throw new CantFollow(unknown(key, r), r);
      },
      iter: (self, r) => {
        throw new CantFollow(new PyOpaque('the whole environment (os.environ)', r), r);
      },
      repr: () => 'environ({...})',
    },
    'os',
  );
  cls.dict.set('get', native('get(self, key, default=None)', (a, r) => env(a.self).get(String(a.key)) ?? unknown(a.key, r), { method: true }));
  // As if unset (the trace's assumption for the launcher's variables too): the script's default is set and read.
  cls.dict.set('setdefault', native('setdefault(self, key, default=None)', (a) => {
    const e = env(a.self);
    const key = String(a.key);
    if (!e.has(key) && typeof a.default === 'string') e.set(key, a.default);
    return e.get(key) ?? a.default;
  }, { method: true }));
  cls.dict.set('keys', native('keys(self)', (_a, r) => new PyOpaque('the names in the environment (os.environ.keys())', r), { method: true }));
  cls.dict.set('items', native('items(self)', (_a, r) => new PyOpaque('the whole environment (os.environ.items())', r), { method: true }));
  cls.dict.set('copy', native('copy(self)', (a) => new NativeObj<Env>(cls, new Map(env(a.self))), { method: true }));
  return cls;
}

/** `os` for a run: its own environment, begun from the launcher's variables. */
export function osModule(interp: Interpreter): PyModule {
  const m = new PyModule('os');
  m.partial = true;
  m.missing = (name, at) => moduleMember(opaqueModule('os', at), name, at);
  const variables: Env = new Map(Object.entries(LAUNCHED));
  m.dict.set('environ', new NativeObj<Env>(environClass(interp), variables));
  m.dict.set('getenv', native('getenv(key, default=None)', (a, at) => variables.get(String(a.key)) ?? unknown(a.key, at)));
  return m;
}
