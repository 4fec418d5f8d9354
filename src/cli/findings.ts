/** Findings for the terminal (compiler style) and for code scanning (SARIF 2.1.0). */
import { oneLine } from '../escape';
import { positionAt } from '../model';
import type { SourceRange } from '../model/graph';
import { RULES } from '../rules';
import type { Finding, Severity } from '../rules/types';

function lineCol(text: string, range: SourceRange): string {
  const p = positionAt(text, range.start);
  return `${p.line + 1}:${p.character + 1}`;
}

/** `file:line:col: warning saturated-activation: message`, then its fixes indented. */
export function formatFindings(findings: readonly Finding[], file: string, text: string): string {
  const lines: string[] = [];
  // One line each whatever the names in them hold (see escape.ts).
  file = oneLine(file);
  for (const f of findings) {
    lines.push(`${file}:${lineCol(text, f.range)}: ${f.severity} ${f.rule}: ${oneLine(f.message)}`);
    for (const r of f.related) lines.push(`    ${file}:${lineCol(text, r.range)}: note: ${oneLine(r.message)}`);
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

function region(text: string, range: SourceRange) {
  const s = positionAt(text, range.start);
  const e = positionAt(text, range.end);
  return { startLine: s.line + 1, startColumn: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
}

/** SARIF 2.1.0, the format GitHub code scanning and other CI tools read. */
export function toSarif(findings: readonly Finding[], file: string, text: string, version: string): object {
  const uri = file.replace(/\\/g, '/');
  const location = (range: SourceRange, message?: string) => ({
    physicalLocation: { artifactLocation: { uri }, region: region(text, range) },
    ...(message ? { message: { text: message } } : {}),
  });
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
            artifactChanges: [
              {
                artifactLocation: { uri },
                replacements: fix.edits.map((e) => ({ deletedRegion: region(text, e.range), insertedContent: { text: e.newText } })),
              },
            ],
          })),
        })),
      },
    ],
  };
}
