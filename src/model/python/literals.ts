/** Python's number and string literals, read as CPython reads them. */

/** An int literal (`1_000`, `0x1F`, `0o17`, `0b101`); 'complex' for `1j`; null when malformed. */
export function parseIntLiteral(text: string): bigint | 'complex' | null {
  if (/[jJ]$/.test(text)) return 'complex';
  const t = text.replace(/_/g, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(t) || /^0[oO][0-7]+$/.test(t) || /^0[bB][01]+$/.test(t)) return BigInt(t.toLowerCase());
  if (/^(?:0+|[1-9][0-9]*)$/.test(t)) return BigInt(t);
  // `0777` is Python 2's octal: a syntax error in Python 3.
  return null;
}

/** A float literal (`1.`, `.5`, `1e-3`, `1_0.5`); 'complex' for `1.5j`; null when malformed. */
export function parseFloatLiteral(text: string): number | 'complex' | null {
  if (/[jJ]$/.test(text)) return 'complex';
  const t = text.replace(/_/g, '');
  if (!/^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}

const SIMPLE: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Decodes the backslash escapes of a (non-raw) string literal's body. */
export function decodeEscapes(text: string, fail: (message: string) => never): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const e = text[++i];
    if (e in SIMPLE) out += SIMPLE[e];
    else if (e === '\n') continue;
    else if (e === '\r') {
      if (text[i + 1] === '\n') i++;
    } else if (e >= '0' && e <= '7') {
      let j = i;
      while (j < i + 3 && j < text.length && text[j] >= '0' && text[j] <= '7') j++;
      out += String.fromCodePoint(parseInt(text.slice(i, j), 8));
      i = j - 1;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = text.slice(i + 1, i + 1 + n);
      if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) fail(`truncated \\${e} escape in a string`);
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) fail(`illegal Unicode character \\${e}${hex}`);
      out += String.fromCodePoint(cp);
      i += n;
    } else if (e === 'N' && text[i + 1] === '{') {
      // Unicode names need a table CPython has and we do not; keep the text as written.
      const close = text.indexOf('}', i);
      if (close < 0) fail('malformed \\N character escape');
      out += text.slice(i - 1, close + 1);
      i = close;
    } else out += '\\' + e;
  }
  return out;
}
