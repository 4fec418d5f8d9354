/**
 * The part of NumPy training scripts lean on beside torch (PyTorch-GAN's `np.prod(img_shape)` and
 * `Tensor(np.random.normal(0, 1, (batch, latent_dim)))`): `prod` and numpy.random's draws. An
 * array is a float64 (or int64) tensor, which is what torch.Tensor/from_numpy read it as; every
 * other name of numpy is opaque as before (a partial mirror), followed until the model needs it.
 */
import * as F from '../../../engine/functional';
import type { TensorDType } from '../../../engine/dtype';
import type { Tensor } from '../../../engine/tensor';
import type { Range } from '../ast';
import { moduleMember, opaqueModule } from '../interpreter';
import { native } from '../native';
import { isInt, PyList, PyModule, PyTuple, toBigInt, Value } from '../values';
import { given } from './draws';
import { TensorObj, type Torch } from './runtime';

/** numpy's default float and integer types. */
const FLOAT: TensorDType = 'float64';
const INT: TensorDType = 'int64';

export function numpyModule(torch: Torch): PyModule {
  const np = new PyModule('numpy');
  const random = new PyModule('numpy.random');
  // The rest of numpy is as opaque as an unmirrored module's members (can't follow at the call).
  for (const m of [np, random]) {
    m.partial = true;
    m.missing = (name, r) => moduleMember(opaqueModule(m.name, r), name, r);
  }
  const set = (m: PyModule, sig: string, fn: Parameters<typeof native>[1]) => m.dict.set(sig.slice(0, sig.indexOf('(')), native(sig, fn));
  // size=None draws one Python float; else an array of that shape (an int or a tuple).
  const shapeOf = (size: Value, r: Range): number[] | null => (size === null ? null : torch.ints(size, r));
  const draw = (size: Value, r: Range, d: TensorDType, make: (shape: number[]) => Tensor): Value => {
    const shape = shapeOf(size, r) ?? [];
    const t = given(torch, shape, d) ?? make(shape);
    return size === null ? (d === INT ? BigInt(t.item()) : t.item()) : torch.wrap(t);
  };
  const scaled = (t: Tensor, scale: number, shift: number) => F.add(F.mul(t, scale), shift);
  set(random, 'normal(loc=0.0, scale=1.0, size=None)', (a, r) =>
    draw(a.size, r, FLOAT, (s) => scaled(F.randn(s, torch.rng, FLOAT), torch.number(a.scale, r), torch.number(a.loc, r))),
  );
  set(random, 'uniform(low=0.0, high=1.0, size=None)', (a, r) => {
    const low = torch.number(a.low, r);
    return draw(a.size, r, FLOAT, (s) => scaled(F.rand(s, torch.rng, FLOAT), torch.number(a.high, r) - low, low));
  });
  set(random, 'random(size=None)', (a, r) => draw(a.size, r, FLOAT, (s) => F.rand(s, torch.rng, FLOAT)));
  set(random, 'randint(low, high=None, size=None, dtype=None)', (a, r) => {
    const [low, high] = a.high === null ? [0, torch.int(a.low, r)] : [torch.int(a.low, r), torch.int(a.high, r)];
    if (!(high > low)) return torch.interp.raise('ValueError', 'low >= high', r);
    return draw(a.size, r, INT, (s) => F.randint(low, high, s, torch.rng, INT));
  });
  // The script's own seeding: the trace draws from its run's generator (or PyTorch's given draws) either way.
  set(random, 'seed(seed=None)', () => null);
  np.dict.set('random', random);
  set(np, 'prod(a, axis=None, dtype=None)', (a, r) => {
    if (a.a instanceof TensorObj) return Array.from(a.a.t.toArray()).reduce((p, x) => p * x, 1);
    const items = a.a instanceof PyTuple || a.a instanceof PyList ? a.a.items : [a.a];
    if (items.every((x) => isInt(x))) return items.reduce<bigint>((p, x) => p * toBigInt(x as bigint), 1n);
    return items.reduce<number>((p, x) => p * torch.number(x, r), 1);
  });
  return np;
}
