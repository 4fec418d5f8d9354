/**
 * torch.nn.init for the interpreter: the engine's init functions with PyTorch's signatures, each
 * recorded on the tensor it initialised (scheme, arguments and the call's range), so the rules
 * know the weight was initialised on purpose and a fix can change that line.
 */
import * as init from '../../../engine/init';
import { Tensor } from '../../../engine/tensor';
import type { InitScheme } from '../../graph';
import type { Range } from '../ast';
import { Bound, native } from '../native';
import { PyOpaque, Value } from '../values';
import { CantFollow } from '../errors';
import type { Torch } from './runtime';

/** An nn.init call that set a tensor's values. */
export interface InitUse {
  scheme: InitScheme;
  args: Record<string, number | string>;
  /** The call (`nn.init.xavier_uniform_(m.weight)`). */
  r: Range;
}

type Fill = (t: Tensor, a: Bound, r: Range) => Record<string, number | string>;

export function makeInit(torch: Torch): Record<string, Value> {
  const out: Record<string, Value> = {};
  const nonlinearity = (v: Value, r: Range): init.Nonlinearity => {
    const s = String(v);
    try {
      init.calculateGain(s);
    } catch (e) {
      return torch.interp.raise('ValueError', (e as Error).message, r);
    }
    return s as init.Nonlinearity;
  };
  const mode = (v: Value, r: Range): init.FanMode => (v === 'fan_in' || v === 'fan_out' ? v : torch.interp.raise('ValueError', `Mode ${String(v)} not supported, please use one of fan_in, fan_out`, r));
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
        if (e instanceof Error && e.constructor === Error) return torch.interp.raise('ValueError', e.message, r);
        throw e;
      }
      torch.inits.set(t, { scheme, args, r });
      return a.tensor;
    });
    out[b.name] = b;
    // PyTorch's deprecated names without the underscore still work.
    out[b.name.replace(/_$/, '')] ??= b;
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
  def('trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None)', 'normal', (t, a, r) => {
    const [mean, std, lo, hi] = [torch.number(a.mean, r), torch.number(a.std, r), torch.number(a.a, r), torch.number(a.b, r)];
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      let v = mean + std * torch.rng.normal();
      for (let k = 0; k < 1000 && (v < lo || v > hi); k++) v = mean + std * torch.rng.normal();
      d[i] = Math.min(hi, Math.max(lo, v));
    }
    return { mean, std };
  });
  def('constant_(tensor, val)', 'constant', (t, a, r) => {
    const val = torch.number(a.val, r);
    init.constant(t, val);
    return { val };
  });
  def('ones_(tensor)', 'ones', (t) => (init.ones(t), {}));
  def('zeros_(tensor)', 'zeros', (t) => (init.zeros(t), {}));
  def('xavier_uniform_(tensor, gain=1.0, generator=None)', 'xavier_uniform', (t, a, r) => {
    const gain = torch.number(a.gain, r);
    init.xavierUniform(t, torch.rng, gain);
    return { gain };
  });
  def('xavier_normal_(tensor, gain=1.0, generator=None)', 'xavier_normal', (t, a, r) => {
    const gain = torch.number(a.gain, r);
    init.xavierNormal(t, torch.rng, gain);
    return { gain };
  });
  def("kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None)", 'kaiming_uniform', (t, a, r) => {
    const [slope, m, nl] = [torch.number(a.a, r), mode(a.mode, r), nonlinearity(a.nonlinearity, r)];
    init.kaimingUniform(t, torch.rng, slope, m, nl);
    return { a: slope, mode: m, nonlinearity: nl };
  });
  def("kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None)", 'kaiming_normal', (t, a, r) => {
    const [slope, m, nl] = [torch.number(a.a, r), mode(a.mode, r), nonlinearity(a.nonlinearity, r)];
    init.kaimingNormal(t, torch.rng, slope, m, nl);
    return { a: slope, mode: m, nonlinearity: nl };
  });
  for (const name of ['orthogonal_', 'sparse_', 'eye_', 'dirac_']) {
    out[name] = native(`${name}(tensor, *args, **kwargs)`, (_a, r) => {
      throw new CantFollow(new PyOpaque(`nn.init.${name}`, r), r);
    });
  }
  out.calculate_gain = native('calculate_gain(nonlinearity, param=None)', (a, r) => init.calculateGain(nonlinearity(a.nonlinearity, r), a.param === null ? undefined : torch.number(a.param, r)));
  return out;
}
