/**
 * JSON that keeps NaN and ±Infinity: a trace of a broken model is full of them, and plain
 * JSON.stringify turns them into null, which would read as "no value" instead of "NaN".
 *
 * What users read (`gradient-lens grads`, `trace --format json`, state and batch files) has one
 * convention, documented in the README: a non-finite number is the string "NaN", "Infinity" or
 * "-Infinity", wherever it is (loss, gradients, norms, statistics); files read back accept those and
 * PyTorch exporters' "nan", "inf", "-inf". Inside the HTML report, where the page must revive
 * numbers exactly without guessing which strings were numbers, it is {"$number": "NaN"}.
 */

/** JSON for users: non-finite numbers as "NaN", "Infinity", "-Infinity". */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), indent);
}

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
