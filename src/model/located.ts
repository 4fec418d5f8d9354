/**
 * YAML and JSON read into one tree of values that remember where they are in the text, so the
 * spec is validated once whatever its syntax.
 */
import * as jsonc from 'jsonc-parser';
import * as YAML from 'yaml';
import { oneLine } from '../escape';
import { jsonNestingPast, yamlFlowNestingPast } from '../json-text';
import { DEFAULT_LIMITS, limitName } from '../limits';
import type { SourceRange, SpecDiagnostic } from './graph';

export interface LScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  range: SourceRange;
}

export interface LList {
  kind: 'list';
  items: LValue[];
  range: SourceRange;
}

export interface LEntry {
  key: string;
  keyRange: SourceRange;
  value: LValue;
}

export interface LMap {
  kind: 'map';
  entries: LEntry[];
  range: SourceRange;
}

export type LValue = LScalar | LList | LMap;

export interface LocateOptions {
  /** Deepest nesting of lists and maps; deeper documents are refused at the first value past it. */
  maxDepth?: number;
  /** What the document is, in messages: "the spec", "the rule config". */
  what?: string;
}

export interface Located {
  /** null when the text holds no value at all, or does not parse. */
  root: LValue | null;
  diagnostics: SpecDiagnostic[];
}

/** A spec has a few hundred values; a YAML alias bomb would have billions. */
const MAX_VALUES = 100_000;

/** YAML block nodes run on to the next line; a range should cover only the text of the value. */
function trimmed(text: string, start: number, end: number): SourceRange {
  let e = Math.max(start, Math.min(end, text.length));
  while (e > start && /\s/.test(text[e - 1])) e--;
  return { start, end: e };
}

/**
 * Where a value's own text ends. A block collection's range runs over a comment after its last
 * value; a fix that rewrites the entry must not eat that comment.
 */
function contentEnd(text: string, node: YAML.Node): number {
  let n: YAML.Node = node;
  for (;;) {
    if ((YAML.isMap(n) || YAML.isSeq(n)) && !n.flow && n.items.length) {
      const last = n.items[n.items.length - 1];
      if (YAML.isSeq(n)) {
        if (YAML.isNode(last) && last.range) {
          n = last;
          continue;
        }
        return n.range![1];
      }
      const pair = last as YAML.Pair;
      const v = pair.value;
      const empty = !YAML.isNode(v) || !v.range || (YAML.isScalar(v) && v.value === null && v.range[0] === v.range[1]);
      if (!empty) {
        n = v as YAML.Node;
        continue;
      }
      const k = pair.key;
      if (!YAML.isNode(k) || !k.range) return n.range![1];
      return text[k.range[1]] === ':' ? k.range[1] + 1 : k.range[1];
    }
    return n.range![1];
  }
}

function err(code: string, message: string, range: SourceRange): SpecDiagnostic {
  return { severity: 'error', code, message: oneLine(message), range };
}

function tooDeep(options: LocateOptions, range: SourceRange): SpecDiagnostic {
  const maxDepth = options.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  return err('spec/too-deep', `${options.what ?? 'the document'} nests lists and maps deeper than ${maxDepth} levels here (limit: ${limitName('maxDepth')})`, range);
}

/** The first line of a YAML error message (the rest is an excerpt the editor already shows). */
function yamlMessage(e: { message: string }): string {
  return e.message.replace(/ at line \d+, column \d+[\s\S]*$/, '').trim();
}

/**
 * The YAML text with each lone CR (old Mac line endings) read as LF, as VS Code and `positionAt`
 * count lines; one character for one, so every offset still points into the user's text.
 */
function yamlLineBreaks(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}

export function locateYaml(source: string, options: LocateOptions = {}): Located {
  const maxDepth = options.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const text = yamlLineBreaks(source);
  const diagnostics: SpecDiagnostic[] = [];
  // The YAML library recurses per level too: deep flow collections are refused before it runs.
  const deep = yamlFlowNestingPast(text, maxDepth);
  if (deep >= 0) return { root: null, diagnostics: [tooDeep(options, { start: deep, end: deep + 1 })] };
  let doc: YAML.Document.Parsed;
  try {
    doc = YAML.parseDocument(text, { keepSourceTokens: true, uniqueKeys: false, prettyErrors: false });
  } catch (e) {
    // The library reports its own stack overflows as errors; anything it throws is reported too.
    return { root: null, diagnostics: [err('spec/syntax', `YAML syntax error: ${yamlMessage(e as Error)}`, { start: 0, end: 0 })] };
  }
  for (const e of doc.errors) {
    const start = Math.min(e.pos[0], text.length);
    const range = { start, end: Math.max(start, Math.min(e.pos[1], text.length)) };
    // Block collections nested past what the library's recursion takes (about 900 levels): where
    // it gave up is far below the level past the limit, which its syntax tree still finds.
    if (/Maximum call stack/.test(e.message)) {
      const at = yamlBlockNestingPast(text, maxDepth);
      return { root: null, diagnostics: [tooDeep(options, at < 0 ? range : firstLine(text, { start: at, end: text.length }))] };
    }
    diagnostics.push(err('spec/syntax', `YAML syntax error: ${yamlMessage(e)}`, range));
  }
  if (diagnostics.length) return { root: null, diagnostics };
  if (doc.contents === null) return { root: null, diagnostics };

  let count = 0;
  let root: LValue | null = null;
  // `via` is the outermost alias being expanded: where an alias bomb is reported. `depth` counts
  // the lists and maps around the node.
  const tasks: { node: unknown; put: (v: LValue) => void; at: SourceRange; via: SourceRange | null; depth: number }[] = [
    { node: doc.contents, put: (v) => (root = v), at: { start: 0, end: text.length }, via: null, depth: 0 },
  ];
  while (tasks.length) {
    const { node: raw, put, at, via: outer, depth } = tasks.pop()!;
    if (++count > MAX_VALUES) {
      diagnostics.push(err('spec/too-large', `the document expands to more than ${MAX_VALUES} values (through YAML aliases?)`, outer ?? at));
      return { root: null, diagnostics };
    }
    const via = outer ?? (YAML.isAlias(raw) && raw.range ? trimmed(text, raw.range[0], raw.range[1]) : null);
    let node = raw;
    // An alias stands for its anchor's value; the ranges inside are the anchor's text.
    if (YAML.isAlias(node)) node = node.resolve(doc) ?? null;
    const range = node && (node as YAML.Node).range ? trimmed(text, (node as YAML.Node).range![0], contentEnd(text, node as YAML.Node)) : at;
    const here = YAML.isAlias(raw) && raw.range ? trimmed(text, raw.range[0], raw.range[1]) : range;
    if (node === null || node === undefined) {
      put({ kind: 'scalar', value: null, range: { start: at.end, end: at.end } });
    } else if (YAML.isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        put({ kind: 'scalar', value: v, range: here });
      } else {
        diagnostics.push(err('spec/type', `unsupported YAML value ${JSON.stringify(text.slice(here.start, here.end))}: use a number, string, true/false, a list or a map`, here));
        put({ kind: 'scalar', value: null, range: here });
      }
    } else if ((YAML.isSeq(node) || YAML.isMap(node)) && depth >= maxDepth) {
      diagnostics.push(tooDeep(options, firstLine(text, here)));
      return { root: null, diagnostics };
    } else if (YAML.isSeq(node)) {
      const list: LList = { kind: 'list', items: new Array(node.items.length), range: here };
      put(list);
      for (let i = node.items.length - 1; i >= 0; i--) {
        tasks.push({ node: node.items[i], put: (v) => (list.items[i] = v), at: { start: here.end, end: here.end }, via, depth: depth + 1 });
      }
    } else if (YAML.isMap(node)) {
      const map: LMap = { kind: 'map', entries: [], range: here };
      put(map);
      const pending: { key: string; keyRange: SourceRange; value: unknown }[] = [];
      for (const pair of node.items) {
        const k = pair.key;
        const kr = YAML.isNode(k) && k.range ? trimmed(text, k.range[0], k.range[1]) : here;
        if (YAML.isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number' || typeof k.value === 'boolean')) {
          pending.push({ key: String(k.value), keyRange: kr, value: pair.value });
        } else {
          diagnostics.push(err('spec/syntax', 'a map key must be a plain name', kr));
        }
      }
      map.entries = pending.map((p) => ({ key: p.key, keyRange: p.keyRange, value: null as unknown as LValue }));
      for (let i = pending.length - 1; i >= 0; i--) {
        const kr = pending[i].keyRange;
        tasks.push({ node: pending[i].value, put: (v) => (map.entries[i].value = v), at: kr, via, depth: depth + 1 });
      }
    } else {
      diagnostics.push(err('spec/syntax', 'unsupported YAML node', here));
      put({ kind: 'scalar', value: null, range: here });
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { root: null, diagnostics };
  return { root, diagnostics: [...diagnostics, ...duplicateKeys(root)] };
}

const JSON_ERRORS: Record<string, string> = {
  InvalidSymbol: 'unexpected text here',
  InvalidNumberFormat: 'this is not a valid number',
  PropertyNameExpected: 'a property name in double quotes was expected (no trailing commas in JSON)',
  ValueExpected: 'a value was expected (no trailing commas in JSON)',
  ColonExpected: 'a colon was expected after the property name',
  CommaExpected: 'a comma was expected',
  CloseBraceExpected: "a closing '}' was expected",
  CloseBracketExpected: "a closing ']' was expected",
  EndOfFileExpected: 'the file should end after the top-level value',
  InvalidCommentToken: 'comments are not allowed in JSON (use a .grad.yaml file for comments)',
  UnexpectedEndOfComment: 'this comment does not end',
  UnexpectedEndOfString: 'this string does not end',
  UnexpectedEndOfNumber: 'this number does not end',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

/** The first line of a range: a deep value's whole text would underline the rest of the file. */
/**
 * The offset of the first list or map nested deeper than `maxDepth` in YAML text (flow or block),
 * or -1. It walks the library's concrete syntax tree, which is built without recursion, with a
 * stack of its own: safe at any depth, where composing the document is not.
 */
function yamlBlockNestingPast(text: string, maxDepth: number): number {
  const pending: { token: YAML.CST.Token | null | undefined; depth: number }[] = [];
  for (const token of new YAML.Parser().parse(text)) if (token.type === 'document') pending.push({ token: token.value, depth: 0 });
  while (pending.length) {
    const { token, depth } = pending.pop()!;
    if (!token || (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection')) continue;
    if (depth >= maxDepth) return token.offset;
    for (const item of token.items) {
      const key = 'key' in item ? item.key : null;
      pending.push({ token: item.value, depth: depth + 1 }, { token: key, depth: depth + 1 });
    }
  }
  return -1;
}

function firstLine(text: string, r: SourceRange): SourceRange {
  const nl = text.indexOf('\n', r.start);
  return { start: r.start, end: nl < 0 || nl > r.end ? r.end : nl };
}

/** A byte-order mark, which editors hide and JSON.parse refuses; a space keeps every offset. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
}

export function locateJson(source: string, options: LocateOptions = {}): Located {
  const maxDepth = options.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const text = withoutBom(source);
  const diagnostics: SpecDiagnostic[] = [];
  // jsonc-parser recurses per level: refuse deep text before it can overflow the stack.
  const deep = jsonNestingPast(text, maxDepth);
  if (deep >= 0) return { root: null, diagnostics: [tooDeep(options, { start: deep, end: deep + 1 })] };
  const errors: jsonc.ParseError[] = [];
  const tree = jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  for (const e of errors) {
    const code = jsonc.printParseErrorCode(e.error);
    const start = Math.min(e.offset, text.length);
    diagnostics.push(err('spec/syntax', `JSON syntax error: ${JSON_ERRORS[code] ?? code}`, { start, end: Math.min(start + e.length, text.length) }));
  }
  if (diagnostics.length || !tree) return { root: null, diagnostics };

  let root: LValue | null = null;
  const tasks: { node: jsonc.Node; put: (v: LValue) => void }[] = [{ node: tree, put: (v) => (root = v) }];
  while (tasks.length) {
    const { node, put } = tasks.pop()!;
    const range = { start: node.offset, end: node.offset + node.length };
    const kids = node.children ?? [];
    if (node.type === 'array') {
      const list: LList = { kind: 'list', items: new Array(kids.length), range };
      put(list);
      for (let i = kids.length - 1; i >= 0; i--) tasks.push({ node: kids[i], put: (v) => (list.items[i] = v) });
    } else if (node.type === 'object') {
      const props = kids.filter((p) => p.type === 'property' && p.children && p.children.length === 2);
      const map: LMap = {
        kind: 'map',
        entries: props.map((p) => {
          const k = p.children![0];
          return { key: String(k.value), keyRange: { start: k.offset, end: k.offset + k.length }, value: null as unknown as LValue };
        }),
        range,
      };
      put(map);
      for (let i = props.length - 1; i >= 0; i--) tasks.push({ node: props[i].children![1], put: (v) => (map.entries[i].value = v) });
    } else {
      const v = node.value as unknown;
      put({ kind: 'scalar', value: typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null, range });
    }
  }
  return { root, diagnostics: duplicateKeys(root) };
}

/** Both parsers would keep the last of two equal keys; the user almost surely meant something else. */
function duplicateKeys(root: LValue | null): SpecDiagnostic[] {
  const out: SpecDiagnostic[] = [];
  const stack: LValue[] = root ? [root] : [];
  while (stack.length) {
    const v = stack.pop()!;
    if (v.kind === 'list') stack.push(...v.items);
    else if (v.kind === 'map') {
      const seen = new Set<string>();
      for (const e of v.entries) {
        if (seen.has(e.key)) out.push(err('spec/duplicate-key', `duplicate key '${e.key}': each key may appear once in a map`, e.keyRange));
        seen.add(e.key);
        stack.push(e.value);
      }
    }
  }
  return out.sort((a, b) => a.range.start - b.range.start);
}

/** JSON for *.json files, YAML for everything else. */
export function locate(text: string, fileName: string, options: LocateOptions = {}): Located {
  return /\.json$/i.test(fileName) ? locateJson(text, options) : locateYaml(text, options);
}
