/**
 * Small scanners over JSON text that never recurse, so they are safe on any input: how deep it
 * nests (checked before a recursive parser sees it), and where a key is (to put an error about a
 * state or batch file on the line that holds the value at fault).
 */

/**
 * The offset of the first `[` or `{` that opens a container deeper than `maxDepth` (the top-level
 * value is depth 1), or -1. Brackets inside strings do not count.
 */
export function jsonNestingPast(text: string, maxDepth: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string, escapes included; an unterminated one runs to the end.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    }
  }
  return -1;
}

/**
 * The same for YAML's flow collections (`[`, `{`): quoted strings and comments do not count. Block
 * collections nest by indentation, which this does not see; the parser's tree walk counts those.
 */
export function yamlFlowNestingPast(text: string, maxDepth: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === "'") {
      // '' is an escaped quote inside a single-quoted scalar.
      for (i++; i < text.length; i++) if (text[i] === "'" && text[++i] !== "'") break;
      i--;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > maxDepth) return i;
    } else if (c === ']' || c === '}') {
      if (depth > 0) depth--;
    }
  }
  return -1;
}

/**
 * The offset of the key at `path` (`["0.weight"]`: that key of the top-level object; `["input",
 * "shape"]`: the `shape` key of the object under `input`), or of the deepest key of the path that
 * exists; -1 when not even the first does.
 */
export function jsonKeyOffset(text: string, path: readonly string[]): number {
  let depth = 0;
  let want = 0;
  let found = -1;
  const skipSpace = (j: number) => {
    while (j < text.length && /\s/.test(text[j])) j++;
    return j;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      // Keys of the object being searched sit one level below the key found last.
      if (depth !== want + 1) continue;
      const colon = skipSpace(i + 1);
      if (text[colon] !== ':') continue;
      let key: string;
      try {
        key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
      } catch {
        continue;
      }
      if (key !== path[want]) continue;
      found = start;
      if (++want === path.length) return found;
      // The rest of the path is inside this key's value, which must be an object.
      if (text[skipSpace(colon + 1)] !== '{') return found;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
    } else if (c === 0x5d || c === 0x7d) {
      // Closing the object the next key was looked for in: it is not there.
      if (--depth <= want) return found;
    }
  }
  return found;
}
