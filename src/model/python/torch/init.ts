/**
 * torch.nn.init for the interpreter: every function of PyTorch 1.13's module, over the engine's
 * init, with its signatures, checks and error messages. Each call is recorded on the parameter it
 * initialised (scheme, arguments, the call's range, and the part it covered when it was a slice such
 * as one gate's rows), so the rules know the weight was initialised on purpose and a fix can change
 * that line. The random streams are our seeded Rng's, not torch's: values differ from a torch run,
 * the distributions do not, and parity compares gradients from the same state.json of the weights.
 */
import * as init from '../../../engine/init';
import { Tensor } from '../../../engine/tensor';
import type { InitScheme } from '../../graph';
import type { Range } from '../ast';
import { Bound, native } from '../native';
import { isNumber, PyTuple, Value } from '../values';
import type { Torch } from './runtime';

/** An nn.init call that set a tensor's values. */
export interface InitUse {
  scheme: InitScheme;
  args: Record<string, number | string>;
  /** The call (`nn.init.xavier_uniform_(m.weight)`). */
  r: Range;
  /** The shape it filled when that was only part of the parameter (`w[:H]`, one gate's rows). */
  span?: number[];
}

type Fill = (t: Tensor, a: Bound, r: Range) => Record<string, number | string>;

/** The names PyTorch 1.13 still exports without the underscore (they warn, then do the same). */
const DEPRECATED = ['uniform_', 'normal_', 'constant_', 'eye_', 'dirac_', 'xavier_uniform_', 'xavier_normal_', 'kaiming_uniform_', 'kaiming_normal_', 'orthogonal_', 'sparse_'];

const FAN_DIMS = 'Fan in and fan out can not be computed for tensor with fewer than 2 dimensions';

export function makeInit(torch: Torch): Record<string, Value> {
  const out: Record<string, Value> = {};
  const raise = (r: Range, message: string, kind = 'ValueError'): never => torch.interp.raise(kind, message, r);
  const repr = (v: Value): string => (typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : v === null ? 'None' : String(v));

  /** calculate_gain's slope check: an int or float, never a bool (PyTorch's isinstance test). */
  const gain = (nonlinearity: Value, param: Value, r: Range): number => {
    const name = typeof nonlinearity === 'string' ? nonlinearity : repr(nonlinearity);
    let slope: number | undefined;
    if (name === 'leaky_relu' && param !== null) {
      if (typeof param === 'boolean' || !isNumber(param)) raise(r, `negative_slope ${repr(param)} not a valid number`);
      slope = torch.number(param, r);
    }
    try {
      return init.calculateGain(name, slope);
    } catch (e) {
      return raise(r, (e as Error).message);
    }
  };
  const fans = (t: Tensor, r: Range): { fanIn: number; fanOut: number } => (t.rank < 2 ? raise(r, FAN_DIMS) : init.fanInAndFanOut(t.shape));
  const mode = (t: Tensor, v: Value, r: Range): init.FanMode => {
    const m = (typeof v === 'string' ? v : repr(v)).toLowerCase();
    if (m !== 'fan_in' && m !== 'fan_out') raise(r, `Mode ${m} not supported, please use one of ['fan_in', 'fan_out']`);
    fans(t, r);
    return m as init.FanMode;
  };

  const def = (sig: string, scheme: InitScheme, fill: Fill) => {
    const b = native(sig, (a, r) => {
      const t = torch.tensorOf(a.tensor, r, 'tensor');
      let args: Record<string, number | string> = {};
      try {
        // The engine's init writes a tensor's array; a same-shaped stand-in carries the values to views too.
        torch.fill(t, (values) => {
          const stand = new Tensor(values, t.shape, false, t.dtype);
          args = fill(stand, a, r);
        });
      } catch (e) {
        if (e instanceof Error && e.constructor === Error) return raise(r, e.message);
        throw e;
      }
      // A slice or `.data` writes through to the parameter: the record goes there, with the part it covered.
      const viewed = t.view?.base ?? t;
      const base = torch.dataAliases.get(viewed) ?? viewed;
      torch.inits.set(base, base === t || t.size === base.size ? { scheme, args, r } : { scheme, args, r, span: [...t.shape] });
      return a.tensor;
    });
    out[b.name] = b;
    if (DEPRECATED.includes(b.name)) out[b.name.replace(/_$/, '')] = b;
  };

  def('uniform_(tensor, a=0.0, b=1.0, generator=None)', 'uniform', (t, a, r) => {
    const [lo, hi] = [torch.number(a.a, r), torch.number(a.b, r)];
    init.uniform(t, torch.rng, lo, hi);
    return { a: lo, b: hi };
  });
  def('normal_(tensor, mean=0.0, std=1.0, generator=None)', 'normal', (t, a, r) => {
    const [mean, std] = [torch.number(a.mean, r), torch.number(a.std, r)];
    init.normal(t, torch.rng, mean, std);
    return { mean, std };
  });
  def('trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None)', 'trunc_normal', (t, a, r) => {
    const [mean, std, lo, hi] = [torch.number(a.mean, r), torch.number(a.std, r), torch.number(a.a, r), torch.number(a.b, r)];
    init.truncNormal(t, torch.rng, mean, std, lo, hi);
    return { mean, std, a: lo, b: hi };
  });
  def('constant_(tensor, val)', 'constant', (t, a, r) => {
    const val = torch.number(a.val, r);
    init.constant(t, val);
    return { val };
  });
  def('ones_(tensor)', 'ones', (t) => (init.ones(t), {}));
  def('zeros_(tensor)', 'zeros', (t) => (init.zeros(t), {}));
  def('eye_(tensor)', 'eye', (t) => (init.eye(t), {}));
  def('dirac_(tensor, groups=1)', 'dirac', (t, a, r) => {
    const groups = torch.int(a.groups, r, 'groups');
    // PyTorch's `sizes[0] % groups` with groups 0 divides by zero before any other check.
    if (groups === 0 && t.rank >= 3 && t.rank <= 5) raise(r, 'integer division or modulo by zero', 'ZeroDivisionError');
    init.dirac(t, groups);
    return { groups };
  });
  const xavier = (t: Tensor, a: Bound, r: Range): number => {
    const g = torch.number(a.gain, r);
    const { fanIn, fanOut } = fans(t, r);
    if (fanIn + fanOut === 0) raise(r, 'float division by zero', 'ZeroDivisionError');
    return g;
  };
  def('xavier_uniform_(tensor, gain=1.0, generator=None)', 'xavier_uniform', (t, a, r) => {
    const g = xavier(t, a, r);
    init.xavierUniform(t, torch.rng, g);
    return { gain: g };
  });
  def('xavier_normal_(tensor, gain=1.0, generator=None)', 'xavier_normal', (t, a, r) => {
    const g = xavier(t, a, r);
    init.xavierNormal(t, torch.rng, g);
    return { gain: g };
  });
  const kaiming = (t: Tensor, a: Bound, r: Range) => {
    // PyTorch returns early on a zero-element tensor, before checking the mode or the gain.
    if (t.shape.includes(0)) return null;
    const m = mode(t, a.mode, r);
    gain(a.nonlinearity, a.a, r);
    return { a: a.a === null ? 0 : torch.number(a.a, r), mode: m, nonlinearity: String(a.nonlinearity) as init.Nonlinearity };
  };
  def("kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None)", 'kaiming_uniform', (t, a, r) => {
    const k = kaiming(t, a, r);
    if (k) init.kaimingUniform(t, torch.rng, k.a, k.mode, k.nonlinearity);
    return k ?? {};
  });
  def("kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None)", 'kaiming_normal', (t, a, r) => {
    const k = kaiming(t, a, r);
    if (k) init.kaimingNormal(t, torch.rng, k.a, k.mode, k.nonlinearity);
    return k ?? {};
  });
  def('orthogonal_(tensor, gain=1, generator=None)', 'orthogonal', (t, a, r) => {
    const g = torch.number(a.gain, r);
    init.orthogonal(t, torch.rng, g);
    return { gain: g };
  });
  def('sparse_(tensor, sparsity, std=0.01, generator=None)', 'sparse', (t, a, r) => {
    const [sparsity, std] = [torch.number(a.sparsity, r), torch.number(a.std, r)];
    init.sparse(t, torch.rng, sparsity, std);
    return { sparsity, std };
  });
  out.calculate_gain = native('calculate_gain(nonlinearity, param=None)', (a, r) => {
    const g = gain(a.nonlinearity, a.param, r);
    // PyTorch returns the int 1 for the linear ones and sigmoid, a float for the rest.
    return g === 1 && a.nonlinearity !== 'leaky_relu' ? 1n : g;
  });
  // Private in PyTorch but called by real code (reset_parameters overrides compute their bias bound with it).
  out._calculate_fan_in_and_fan_out = native('_calculate_fan_in_and_fan_out(tensor)', (a, r) => {
    const { fanIn, fanOut } = fans(torch.tensorOf(a.tensor, r, 'tensor'), r);
    return new PyTuple([BigInt(fanIn), BigInt(fanOut)]);
  });
  out._calculate_correct_fan = native('_calculate_correct_fan(tensor, mode)', (a, r) => {
    const t = torch.tensorOf(a.tensor, r, 'tensor');
    const { fanIn, fanOut } = fans(t, r);
    return BigInt(mode(t, a.mode, r) === 'fan_in' ? fanIn : fanOut);
  });
  return out;
}
