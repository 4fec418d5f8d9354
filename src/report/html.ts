/**
 * The report as one self-contained HTML file: inline CSS, the data as JSON, and the page script
 * (dist/report.js, built from webview/report/main.ts) inlined, so it opens from file://, from a CI
 * artifact or an e-mail, and loads nothing from the network (a Content-Security-Policy says so too).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { positionAt, type SourceRange } from '../model/graph';
import type { RangeView } from '../protocol';
import type { Finding } from '../rules/types';
import type { Trace } from '../trace/types';
import { jsonForScript } from './json';
import { REPORT_CSS } from './style';
import { REPORT_DATA_ID, type ReportData, type ReportFinding } from './types';

export interface ReportInput {
  trace: Trace;
  findings: readonly Finding[];
  /** As the user named it; shown in the title and in every `file:line:col`. */
  fileName: string;
  /** The model file's text, to turn the findings' offsets into lines and columns. */
  text?: string;
  /**
   * For ranges that name their file (a training run's findings on .py files): the file as the
   * page shows it and that file's text. `text` serves the other ranges.
   */
  fileText?: (file: string) => { shown: string; text: string } | undefined;
  /** Where each range is, when neither of those can say (a notebook's cells): takes their place. */
  place?: (range: SourceRange) => { range: RangeView; file?: string };
  /** ISO 8601. */
  generatedAt: string;
}

const NOWHERE: RangeView = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function rangeView(text: string | undefined, r: SourceRange): RangeView {
  if (text === undefined) return NOWHERE;
  return { start: positionAt(text, r.start), end: positionAt(text, r.end) };
}

/** The findings with positions resolved and fixes as titles: what the page shows. */
export function reportData(input: ReportInput): ReportData {
  const place = (r: SourceRange): { range: RangeView; file?: string; located: boolean } => {
    if (input.place) return { ...input.place(r), located: true };
    const other = r.file !== undefined ? input.fileText?.(r.file) : undefined;
    if (other) return { range: rangeView(other.text, r), file: other.shown, located: true };
    return { range: rangeView(input.text, r), located: input.text !== undefined };
  };
  const findings = input.findings.map((f): ReportFinding => {
    const { range, file, located } = place(f.range);
    return {
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      layer: f.layer,
      range,
      located,
      ...(file !== undefined ? { file } : {}),
      fixes: f.fixes.map((x) => x.title),
      preferredFix: f.fixes.findIndex((x) => x.preferred === true),
      related: f.related.map((r) => {
        const p = place(r.range);
        return { range: p.range, message: r.message, ...(p.file !== undefined ? { file: p.file } : {}) };
      }),
      ...(f.explainedBy ? { explainedBy: { ...f.explainedBy } } : {}),
    };
  });
  return { trace: input.trace, findings, fileName: input.fileName, generatedAt: input.generatedAt };
}

/**
 * Where the page script is: next to the running bundle (dist/cli.js, dist/extension.js), or in
 * dist/ of the repository when running from source (tests).
 */
export function reportScriptPath(candidates = [path.join(__dirname, 'report.js'), path.resolve(__dirname, '..', '..', 'dist', 'report.js')]): string {
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`The report's page script is missing (looked for ${candidates.join(' and ')}). Run \`npm run build\` to create dist/report.js.`);
  }
  return found;
}

/**
 * A script's text made safe to sit inside <script>…</script>: `</script` would end the element and
 * `<!--` would switch the HTML parser into its escaped mode. Both only occur inside string or regex
 * literals in bundled code, where `<\/` and `<\!` mean the same characters.
 */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

export function renderReport(input: ReportInput): string {
  const script = inlineScript(readFileSync(reportScriptPath(), 'utf8'));
  const data = jsonForScript(reportData(input));
  const title = `Gradient Lens report: ${path.basename(input.fileName.replace(/\\/g, '/'))}`;
  // Only this style and this script may run, and nothing may be fetched: the report is a document, not an app.
  const csp = ["default-src 'none'", `script-src ${sha256(script)}`, `style-src ${sha256(REPORT_CSS)}`, 'img-src data:'].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Gradient Lens">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main id="app" aria-busy="true"><p class="loading">Drawing the report…</p></main>
<noscript><p class="noscript">This report draws its findings and charts with JavaScript; enable it to see them.</p></noscript>
<script type="application/json" id="${REPORT_DATA_ID}">${data}</script>
<script>${script}</script>
</body>
</html>
`;
}
