/**
 * JSON that keeps NaN and ±Infinity: a trace of a broken model is full of them, and plain
 * JSON.stringify turns them into null, which would read as "no value" instead of "NaN".
 * A non-finite number is written as {"$number": "NaN" | "Infinity" | "-Infinity"}.
 */

const KEY = '$number';

export function stringifyWithNonFinite(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [KEY]: String(v) } : v));
}

export function parseWithNonFinite<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const n = (v as Record<string, unknown>)[KEY];
      if (keys.length === 1 && (n === 'NaN' || n === 'Infinity' || n === '-Infinity')) return Number(n);
    }
    return v;
  }) as T;
}

/**
 * JSON safe inside an HTML <script> element: `<`, `>` and `&` as \u escapes, so neither
 * `</script` nor `<!--` can end or alter the element, and U+2028/9 for old JavaScript parsers.
 */
export function jsonForScript(value: unknown): string {
  return stringifyWithNonFinite(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
