/** Findings for the terminal (compiler style) and for code scanning (SARIF 2.1.0). */
import { isAbsolute, relative } from 'node:path';
import { oneLine } from '../escape';
import { positionAt } from '../model';
import type { TextEdit } from '../model/fixes';
import type { SourceRange } from '../model/graph';
import { RULES } from '../rules';
import type { Finding, Severity } from '../rules/types';

/** Where a range is, as the terminal and SARIF print it: the file as the user names it, 1-based lines and columns. */
export interface Place {
  file: string;
  /** A notebook's cell, counted from 1; line and column are then within the cell. */
  cell?: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Turns a finding's range into its place: ranges of one text (a spec), or ranges that name their file (a training run's .py files). */
export type Locate = (range: SourceRange) => Place;

/** Every range in one text, the file named `file`. */
/** As compilers print paths: relative to the working folder when inside it. */
export function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function inText(file: string, text: string): Locate {
  return (range) => {
    const s = positionAt(text, range.start);
    const e = positionAt(text, range.end);
    return { file, line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
  };
}

function where(fileOrLocate: string | Locate, text = ''): Locate {
  return typeof fileOrLocate === 'function' ? fileOrLocate : inText(fileOrLocate, text);
}

/** `file:line:col`, or `file:cell N:line:col` in a notebook (as Ruff and nbQA print them). */
export function placeText(p: Place): string {
  return `${oneLine(p.file)}:${p.cell !== undefined ? `cell ${p.cell}:` : ''}${p.line}:${p.column}`;
}

/** `file:line:col: warning saturated-activation: message`, then its fixes indented. */
export function formatFindings(findings: readonly Finding[], file: string, text: string): string;
export function formatFindings(findings: readonly Finding[], locate: Locate): string;
export function formatFindings(findings: readonly Finding[], fileOrLocate: string | Locate, text?: string): string {
  const locate = where(fileOrLocate, text);
  const lines: string[] = [];
  // One line each whatever the names in them hold (see escape.ts).
  for (const f of findings) {
    lines.push(`${placeText(locate(f.range))}: ${f.severity} ${f.rule}: ${oneLine(f.message)}`);
    for (const r of f.related) lines.push(`    ${placeText(locate(r.range))}: note: ${oneLine(r.message)}`);
    for (const fix of f.fixes) lines.push(`    fix: ${oneLine(fix.title)}${fix.preferred ? ' (preferred)' : ''}`);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  lines.push(findings.length ? `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}` : 'no findings: gradients look healthy');
  return lines.join('\n');
}

export type FailOn = 'error' | 'warning' | 'never';

/** Exit code for CI: 1 when a finding at or above `failOn` is present. */
export function exitCodeFor(findings: readonly Finding[], failOn: FailOn): number {
  if (failOn === 'never') return 0;
  const levels: Severity[] = failOn === 'error' ? ['error'] : ['error', 'warning'];
  return findings.some((f) => levels.includes(f.severity)) ? 1 : 0;
}

const SARIF_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };

function region(p: Place) {
  return { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: p.endColumn };
}

/** A fix's edits by the file each is in (a fix of a layer built in an imported module edits that module; one may edit the script too). */
function changesByFile(edits: readonly TextEdit[], locate: Locate): [string, { place: Place; newText: string }[]][] {
  const byFile = new Map<string, { place: Place; newText: string }[]>();
  for (const e of edits) {
    const place = locate(e.range);
    byFile.set(place.file, [...(byFile.get(place.file) ?? []), { place, newText: e.newText }]);
  }
  return [...byFile];
}

/** SARIF 2.1.0, the format GitHub code scanning and other CI tools read. */
export function toSarif(findings: readonly Finding[], file: string, text: string, version: string): object;
export function toSarif(findings: readonly Finding[], locate: Locate, version: string): object;
export function toSarif(findings: readonly Finding[], fileOrLocate: string | Locate, textOrVersion: string, maybeVersion?: string): object {
  const locate = typeof fileOrLocate === 'function' ? fileOrLocate : inText(fileOrLocate, textOrVersion);
  const version = typeof fileOrLocate === 'function' ? textOrVersion : maybeVersion!;
  const uri = (file: string) => file.replace(/\\/g, '/');
  const location = (range: SourceRange, message?: string) => {
    const p = locate(range);
    return { physicalLocation: { artifactLocation: { uri: uri(p.file) }, region: region(p) }, ...(message ? { message: { text: message } } : {}) };
  };
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Gradient Lens',
            version,
            rules: Object.values(RULES).map((r) => ({
              id: r.id,
              shortDescription: { text: r.title },
              defaultConfiguration: { level: SARIF_LEVEL[r.defaultSeverity] },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          level: SARIF_LEVEL[f.severity],
          message: { text: f.message },
          locations: [location(f.range)],
          relatedLocations: f.related.map((r, i) => ({ id: i, ...location(r.range, r.message) })),
          fixes: f.fixes.map((fix) => ({
            description: { text: fix.title },
            artifactChanges: changesByFile(fix.edits, locate).map(([file, edits]) => ({
              artifactLocation: { uri: uri(file) },
              replacements: edits.map(({ place, newText }) => ({ deletedRegion: region(place), insertedContent: { text: newText } })),
            })),
          })),
        })),
      },
    ],
  };
}
