/**
 * Python's text forms of numbers: repr of a float, the format-spec mini-language (f-strings,
 * format(), str.format) and printf-style `%` formatting. Module names are often built with these
 * (`f"layer{i}"`), so they must be exact.
 */

/** Python's repr(float): the shortest digits that round-trip, fixed between 1e-4 and 1e16. */
export function floatRepr(x: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace(/^-/, '').replace('.', '');
  let body: string;
  // Fixed notation for 1e-4 <= |x| < 1e16, as CPython's repr: repr(0.0001) is '0.0001', repr(0.00001) '1e-05'.
  if (exp >= -4 && exp < 16) {
    if (exp < 0) body = '0.' + '0'.repeat(-exp - 1) + digits;
    else if (digits.length <= exp + 1) body = digits + '0'.repeat(exp + 1 - digits.length) + '.0';
    else body = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  } else {
    const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return (neg ? '-' : '') + body;
}

export interface FormatSpec {
  fill: string;
  align: '<' | '>' | '^' | '=' | null;
  sign: '+' | '-' | ' ' | null;
  alternate: boolean;
  zero: boolean;
  width: number;
  grouping: ',' | '_' | null;
  precision: number | null;
  type: string | null;
}

export class FormatError extends Error {}

/** Parses `[[fill]align][sign][#][0][width][grouping][.precision][type]`. */
export function parseSpec(spec: string): FormatSpec {
  const m = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su.exec(spec);
  if (!m) throw new FormatError(`Invalid format specifier '${spec}'`);
  const [, fill, align, sign, alt, zero, width, grouping, precision, type] = m;
  return {
    fill: fill ?? (zero && !align ? '0' : ' '),
    align: (align as FormatSpec['align']) ?? (zero && !align ? '=' : null),
    sign: (sign as FormatSpec['sign']) ?? null,
    alternate: !!alt,
    zero: !!zero,
    width: width ? Number(width) : 0,
    grouping: (grouping as FormatSpec['grouping']) ?? null,
    precision: precision !== undefined ? Number(precision) : null,
    type: type ?? null,
  };
}

function pad(body: string, prefix: string, spec: FormatSpec, defaultAlign: '<' | '>'): string {
  const len = [...prefix].length + [...body].length;
  const n = spec.width - len;
  if (n <= 0) return prefix + body;
  const align = spec.align ?? defaultAlign;
  const fill = spec.fill.repeat(n);
  switch (align) {
    case '<':
      return prefix + body + fill;
    case '>':
      return fill + prefix + body;
    case '=':
      return prefix + fill + body;
    case '^': {
      const left = Math.floor(n / 2);
      return spec.fill.repeat(left) + prefix + body + spec.fill.repeat(n - left);
    }
  }
}

function group(intPart: string, sep: string, every = 3): string {
  let out = '';
  for (let i = 0; i < intPart.length; i++) {
    if (i > 0 && (intPart.length - i) % every === 0) out += sep;
    out += intPart[i];
  }
  return out;
}

function signOf(negative: boolean, spec: FormatSpec): string {
  if (negative) return '-';
  return spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
}

/** x = m·2^e exactly, m an integer (|x| finite and nonzero). */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { m: frac, e: -1074 };
  return { m: frac | (1n << 52n), e: biased - 1075 };
}

/** round(|x|·10^s) with ties to even on the exact binary value, as CPython's float formatting rounds. */
function scaledRound(x: number, s: number): bigint {
  if (x === 0) return 0n;
  const { m, e } = decompose(Math.abs(x));
  let num = m;
  let den = 1n;
  if (e > 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (s > 0) num *= 10n ** BigInt(s);
  else if (s < 0) den *= 10n ** BigInt(-s);
  const q = num / den;
  const twice = 2n * (num - q * den);
  return twice > den || (twice === den && q % 2n === 1n) ? q + 1n : q;
}

/** Fixed notation with `p` decimals, correctly rounded (also past 1e21 where toFixed switches to exponents). */
function fixed(x: number, p: number): string {
  const digits = scaledRound(x, p).toString().padStart(p + 1, '0');
  const body = p > 0 ? `${digits.slice(0, digits.length - p)}.${digits.slice(digits.length - p)}` : digits;
  return x < 0 && /[1-9]/.test(digits) ? '-' + body : body;
}

/** |x| as d.ddd with `p` decimals and its decimal exponent, correctly rounded. */
function scientific(x: number, p: number): { digits: string; exp: number } {
  if (x === 0) return { digits: '0'.repeat(p + 1), exp: 0 };
  let exp = Number(Math.abs(x).toExponential().split('e')[1]);
  for (;;) {
    const q = scaledRound(x, p - exp).toString();
    if (q.length > p + 1) exp++;
    else if (q.length < p + 1) exp--;
    else return { digits: q, exp };
  }
}

function exponent(x: number, p: number, upper: boolean): string {
  const { digits, exp } = scientific(x, p);
  const m = p > 0 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const s = `${x < 0 ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return upper ? s.toUpperCase() : s;
}

/** Python's 'g': significant digits, fixed or exponent by the exponent, trailing zeros dropped unless '#'. */
function general(x: number, p: number, alternate: boolean, upper: boolean, minOneDecimal: boolean): string {
  if (p === 0) p = 1;
  if (x === 0) return alternate ? '0.' + '0'.repeat(p - 1) : minOneDecimal ? '0.0' : '0';
  const { exp } = scientific(x, p - 1);
  let s: string;
  if (exp >= -4 && exp < p) {
    s = fixed(x, p - 1 - exp);
    if (!alternate && s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, minOneDecimal ? '.0' : '');
  } else {
    s = exponent(x, p - 1, upper);
    if (!alternate) s = s.replace(/\.?0+(?=[eE])/, '');
  }
  return s;
}

/** format(x, spec) for a float. */
export function formatFloat(x: number, spec: FormatSpec): string {
  const type = spec.type;
  if (type && !'eEfFgGn%'.includes(type)) throw new FormatError(`Unknown format code '${type}' for object of type 'float'`);
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let body: string;
  if (a !== a || a === Infinity) {
    body = a !== a ? 'nan' : 'inf';
    if (type && type === type.toUpperCase() && type !== '%') body = body.toUpperCase();
    if (type === '%') body += '%';
  } else {
    switch (type) {
      case 'f':
      case 'F':
        body = fixed(a, spec.precision ?? 6);
        if (spec.alternate && !body.includes('.')) body += '.';
        break;
      case 'e':
      case 'E':
        body = exponent(a, spec.precision ?? 6, type === 'E');
        break;
      case 'g':
      case 'G':
      case 'n':
        body = general(a, spec.precision ?? 6, spec.alternate, type === 'G', false);
        break;
      case '%':
        body = fixed(a * 100, spec.precision ?? 6) + '%';
        break;
      default:
        body = spec.precision === null ? floatRepr(a) : general(a, spec.precision, spec.alternate, false, true);
    }
  }
  if (spec.grouping) {
    const [i, rest] = splitNumber(body);
    body = group(i, spec.grouping) + rest;
  }
  return pad(body, signOf(negative && a === a, spec), spec, '>');
}

function splitNumber(s: string): [string, string] {
  const m = /^(\d*)(.*)$/s.exec(s)!;
  return [m[1], m[2]];
}

/** format(x, spec) for an int (types with a float meaning convert). */
export function formatInt(x: bigint, spec: FormatSpec): string {
  const type = spec.type;
  if (type && 'eEfFgG%'.includes(type)) return formatFloat(Number(x), spec);
  if (spec.precision !== null) throw new FormatError('Precision not allowed in integer format specifier');
  const negative = x < 0n;
  const a = negative ? -x : x;
  let body: string;
  let prefix = '';
  switch (type) {
    case 'b':
      body = a.toString(2);
      if (spec.alternate) prefix = '0b';
      break;
    case 'o':
      body = a.toString(8);
      if (spec.alternate) prefix = '0o';
      break;
    case 'x':
    case 'X':
      body = a.toString(16);
      if (type === 'X') body = body.toUpperCase();
      if (spec.alternate) prefix = type === 'X' ? '0X' : '0x';
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(x)), '', spec, '<');
    case 'd':
    case 'n':
    case null:
      body = a.toString();
      break;
    default:
      throw new FormatError(`Unknown format code '${type}' for object of type 'int'`);
  }
  if (spec.grouping) body = group(body, spec.grouping, type === 'b' || type === 'o' || type === 'x' || type === 'X' ? 4 : 3);
  return pad(body, signOf(negative, spec) + prefix, spec, '>');
}

export function formatStr(s: string, spec: FormatSpec): string {
  if (spec.type && spec.type !== 's') throw new FormatError(`Unknown format code '${spec.type}' for object of type 'str'`);
  if (spec.sign) throw new FormatError('Sign not allowed in string format specifier');
  const body = spec.precision !== null ? [...s].slice(0, spec.precision).join('') : s;
  return pad(body, '', spec, '<');
}

/** How printf-style formatting reads its arguments: the interpreter supplies str/repr and number conversion. */
export interface PercentArgs {
  /** The next positional argument; throws when they run out. */
  next(): unknown;
  /** The value for `%(key)s`. */
  byKey(key: string): unknown;
  str(v: unknown): string;
  repr(v: unknown): string;
  /** An int for %d/%x/%c (floats truncate), or a float for %f/%e/%g; throws TypeError. */
  toNumber(v: unknown, kind: 'int' | 'float', code: string): bigint | number;
  toInt(v: unknown): number;
}

/** `fmt % args` (C printf style), as str.__mod__. */
export function percentFormat(fmt: string, a: PercentArgs): string {
  let out = '';
  const re = /%(?:\(([^)]*)\))?([#0\- +]*)(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)?/gs;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    out += fmt.slice(last, m.index);
    last = re.lastIndex;
    const [, key, flags, w, p, type] = m;
    if (type === undefined) throw new FormatError('incomplete format');
    if (type === '%') {
      out += '%';
      continue;
    }
    const width = w === '*' ? a.toInt(a.next()) : w ? Number(w) : 0;
    const precision = p === '*' ? a.toInt(a.next()) : p !== undefined ? Number(p || 0) : null;
    const v = key !== undefined ? a.byKey(key) : a.next();
    const spec: FormatSpec = {
      fill: flags.includes('0') && !flags.includes('-') ? '0' : ' ',
      align: flags.includes('-') ? '<' : flags.includes('0') ? '=' : '>',
      sign: flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : null,
      alternate: flags.includes('#'),
      zero: flags.includes('0'),
      width,
      grouping: null,
      precision,
      type: null,
    };
    switch (type) {
      case 's':
      case 'r':
      case 'a': {
        const s = type === 's' ? a.str(v) : a.repr(v);
        out += pad(precision !== null ? s.slice(0, precision) : s, '', { ...spec, fill: ' ', align: flags.includes('-') ? '<' : '>' }, '>');
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        const n = a.toNumber(v, 'int', type) as bigint;
        out += formatInt(n, { ...spec, precision: null, type: type === 'i' || type === 'u' ? 'd' : type });
        break;
      }
      case 'c':
        out += pad(typeof v === 'string' ? v : String.fromCodePoint(Number(a.toNumber(v, 'int', type))), '', { ...spec, fill: ' ' }, '>');
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
        out += formatFloat(a.toNumber(v, 'float', type) as number, { ...spec, precision: precision ?? 6, type });
        break;
      default:
        throw new FormatError(`unsupported format character '${type}' (0x${type.charCodeAt(0).toString(16)})`);
    }
  }
  return out + fmt.slice(last);
}

/** Python's repr of a str: single quotes unless the text has one and no double quote. */
export function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}
