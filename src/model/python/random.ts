/**
 * Python's `random` module as CPython computes it: the Mersenne Twister (MT19937) seeded by
 * init_by_array over the seed's 32-bit words, and CPython's own algorithms on top of it (random()
 * from 53 bits, _randbelow by rejection over getrandbits, randrange, choice, shuffle, sample,
 * uniform, gauss with its cached second value). A script that shuffles its data with `random`
 * then gets the batches it gets under CPython; values checked against /usr/bin/python3 (3.11).
 * gauss() goes through sin, cos and log, whose last bit JavaScript's Math and C's libm may round
 * differently: its values agree to about 1e-15, the integer draws exactly.
 */
import type { Range } from './ast';
import { requireInt, toFloat } from './builtins';
import type { Interpreter } from './interpreter';
import { native } from './native';
import * as P from './protocol';
import { isInt, PyList, PyModule, PyOpaque, toBigInt, Value } from './values';

const N = 624;
const M = 397;

/** MT19937 with CPython's seeding and its integer and float draws. */
export class MersenneTwister {
  private mt = new Uint32Array(N);
  private index = N + 1;
  /** gauss() makes two values at a time; the second waits here (seed() forgets it). */
  gaussNext: number | null = null;

  constructor(seed: bigint = 0n) {
    this.seed(seed);
  }

  /** random.seed(n) for an int n: its absolute value's 32-bit words, least significant first. */
  seed(n: bigint): void {
    let a = n < 0n ? -n : n;
    const key: number[] = [];
    do {
      key.push(Number(a & 0xffffffffn));
      a >>= 32n;
    } while (a > 0n);
    this.initByArray(key);
    this.gaussNext = null;
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** The next 32 random bits. */
  genrand(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
        mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random.random(): 53 bits, 27 from one word and 26 from the next. */
  random(): number {
    const a = this.genrand() >>> 5;
    const b = this.genrand() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** random.getrandbits(k): whole words least significant first, the last one's top bits. */
  getrandbits(k: number): bigint {
    if (k <= 32) return BigInt(k === 0 ? 0 : this.genrand() >>> (32 - k));
    let out = 0n;
    for (let shift = 0n; k > 0; k -= 32, shift += 32n) {
      const w = k >= 32 ? this.genrand() : this.genrand() >>> (32 - k);
      out |= BigInt(w) << shift;
    }
    return out;
  }

  /** CPython's _randbelow: bit_length(n) bits at a time until one is below n. */
  below(n: bigint): bigint {
    const k = n.toString(2).length;
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }
}

function randrange(interp: Interpreter, g: MersenneTwister, start: bigint, stop: bigint | null, step: bigint, r: Range): bigint {
  if (stop === null) {
    if (step !== 1n) interp.raise('TypeError', 'Missing a non-None stop argument', r);
    if (start > 0n) return g.below(start);
    return interp.raise('ValueError', 'empty range for randrange()', r);
  }
  const width = stop - start;
  if (step === 1n) {
    if (width > 0n) return start + g.below(width);
    return interp.raise('ValueError', `empty range for randrange() (${start}, ${stop}, ${width})`, r);
  }
  if (step === 0n) return interp.raise('ValueError', 'zero step for randrange()', r);
  const n = floorDiv(step > 0n ? width + step - 1n : width + step + 1n, step);
  if (n <= 0n) return interp.raise('ValueError', 'empty range for randrange()', r);
  return start + step * g.below(n);
}

/** Python's // on ints (BigInt's / truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n) && ((a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function items(interp: Interpreter, v: Value, r: Range): Value[] {
  const it = P.iterate(interp, v, r);
  const out: Value[] = [];
  for (let x = it.next(); x !== undefined; x = it.next()) out.push(x);
  return out;
}

/** The `random` module of one run: its own generator, seeded as CPython's would be by some seed. */
export function randomModule(): PyModule {
  const g = new MersenneTwister(0n);
  const m = new PyModule('random');
  const int = (interp: Interpreter, v: Value, r: Range) => requireInt(interp, v, r);
  const set = (name: string, v: Value) => m.dict.set(name, v);
  set('seed', native('seed(a=None, version=2)', (a, r) => {
    // No seed (the clock, os.urandom) or a str/bytes one (hashed by SHA-512): values no run can match.
    if (!isInt(a.a) || typeof a.a === 'boolean') return new PyOpaque('random.seed() without an int seed', r);
    g.seed(toBigInt(a.a));
    return null;
  }));
  set('random', native('random()', () => g.random()));
  set('getrandbits', native('getrandbits(k, /)', (a, r, interp) => {
    const k = Number(int(interp, a.k, r));
    if (k < 0) interp.raise('ValueError', 'number of bits must be non-negative', r);
    return g.getrandbits(k);
  }));
  set('uniform', native('uniform(a, b)', (a, r, interp) => {
    const lo = toFloat(interp, a.a, r);
    return lo + (toFloat(interp, a.b, r) - lo) * g.random();
  }));
  set('randrange', native('randrange(start, stop=None, step=1)', (a, r, interp) =>
    randrange(interp, g, int(interp, a.start, r), a.stop === null ? null : int(interp, a.stop, r), int(interp, a.step, r), r)));
  set('randint', native('randint(a, b)', (a, r, interp) => randrange(interp, g, int(interp, a.a, r), int(interp, a.b, r) + 1n, 1n, r)));
  set('choice', native('choice(seq)', (a, r, interp) => {
    const n = P.len(interp, a.seq, r);
    if (n === 0) interp.raise('IndexError', 'Cannot choose from an empty sequence', r);
    return P.getItem(interp, a.seq, g.below(BigInt(n)), r);
  }));
  set('shuffle', native('shuffle(x)', (a, r, interp) => {
    if (!(a.x instanceof PyList)) return interp.raise('TypeError', `random.shuffle of a ${P.repr(interp, a.x, r).slice(0, 20)}: only a list is followed`, r);
    const xs = a.x.items;
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Number(g.below(BigInt(i + 1)));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return null;
  }));
  set('sample', native('sample(population, k, *, counts=None)', (a, r, interp) => {
    if (a.counts !== null) return new PyOpaque('random.sample(counts=...)', r);
    const pool = items(interp, a.population, r);
    const n = pool.length;
    const k = Number(int(interp, a.k, r));
    if (k < 0 || k > n) interp.raise('ValueError', 'Sample larger than population or is negative', r);
    const out: Value[] = [];
    let setsize = 21;
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      const left = [...pool];
      for (let i = 0; i < k; i++) {
        const j = Number(g.below(BigInt(n - i)));
        out.push(left[j]);
        left[j] = left[n - i - 1];
      }
    } else {
      const chosen = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = Number(g.below(BigInt(n)));
        while (chosen.has(j)) j = Number(g.below(BigInt(n)));
        chosen.add(j);
        out.push(pool[j]);
      }
    }
    return new PyList(out);
  }));
  set('gauss', native('gauss(mu=0.0, sigma=1.0)', (a, r, interp) => {
    let z = g.gaussNext;
    g.gaussNext = null;
    if (z === null) {
      const angle = g.random() * 2 * Math.PI;
      const radius = Math.sqrt(-2 * Math.log(1 - g.random()));
      z = Math.cos(angle) * radius;
      g.gaussNext = Math.sin(angle) * radius;
    }
    return toFloat(interp, a.mu, r) + z * toFloat(interp, a.sigma, r);
  }));
  return m;
}
