import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { escapeHtml, inlineScript, renderReport, reportData, reportScriptPath, type ReportInput } from '../../../src/report/html';
import { jsonForScript, parseWithNonFinite, stringifyWithNonFinite } from '../../../src/report/json';
import { REPORT_CSS } from '../../../src/report/style';
import type { ReportData } from '../../../src/report/types';
import { paramHealth } from '../../../src/rules/health';
import { SATURATED_MESSAGE, seedFindings, seedTrace, SEED_FILE, SEED_TEXT } from './fixture';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'report.js');
const HOSTILE = '</script><script>alert(1)</script><!--';

function input(over: Partial<ReportInput> = {}): ReportInput {
  const base = { trace: seedTrace(), findings: seedFindings(), fileName: SEED_FILE, text: SEED_TEXT, generatedAt: '2026-11-23T09:40:00.000Z', ...over };
  return { ...base, health: over.health ?? paramHealth(base.trace, base.findings) };
}

/** The text of the JSON data element, found the way a browser's parser would: up to the first `</script`. */
function dataElement(html: string): string {
  const open = '<script type="application/json" id="gradient-lens-data">';
  const start = html.indexOf(open);
  assert.ok(start >= 0, 'data element present');
  const from = start + open.length;
  return html.slice(from, html.toLowerCase().indexOf('</script', from));
}

/** Every <script …> element's text, ended at the first `</script` as HTML does. */
function scripts(html: string): { open: string; text: string }[] {
  const out: { open: string; text: string }[] = [];
  const re = /<script\b[^>]*>/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html))) {
    const from = m.index + m[0].length;
    const end = html.toLowerCase().indexOf('</script', from);
    out.push({ open: m[0], text: html.slice(from, end) });
    re.lastIndex = end;
  }
  return out;
}

describe('renderReport', function () {
  this.timeout(30_000);

  before(() => {
    // The page script as `npm run build` makes it (esbuild.mjs), so the test checks the current source.
    buildSync({
      entryPoints: [path.join(ROOT, 'webview/report/main.ts')],
      outfile: BUNDLE,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      minify: true,
      sourcemap: false,
      logLevel: 'warning',
    });
  });

  it('is one HTML document with the data, resolved positions and the fixes', () => {
    const html = renderReport(input());
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    const data = parseWithNonFinite<ReportData>(dataElement(html));
    assert.equal(data.fileName, SEED_FILE);
    assert.equal(data.generatedAt, '2026-11-23T09:40:00.000Z');
    assert.deepEqual(data.trace, seedTrace());
    const [saturated, vanishing] = data.findings;
    assert.equal(saturated.message, SATURATED_MESSAGE);
    // "  - Sigmoid" is line 5 of the fixture's text (1-based), the type name at column 5.
    assert.deepEqual(saturated.range.start, { line: 4, character: 4 });
    assert.deepEqual(saturated.range.end, { line: 4, character: 11 });
    assert.equal(saturated.located, true);
    assert.equal(saturated.fixes[1], 'Replace Sigmoid with ReLU');
    assert.equal(saturated.preferredFix, 0);
    assert.deepEqual(vanishing.range.start, { line: 2, character: 4 });
    assert.deepEqual(vanishing.related[0].range.start, { line: 4, character: 4 });
    assert.deepEqual(vanishing.explainedBy, { rule: 'saturated-activation', layer: '1' });
    assert.equal(vanishing.preferredFix, -1);
  });

  it('inlines the page script from dist/report.js', () => {
    const html = renderReport(input());
    const bundle = readFileSync(reportScriptPath(), 'utf8');
    assert.equal(reportScriptPath(), BUNDLE);
    const all = scripts(html);
    assert.equal(all.length, 2, 'the JSON data and the page script, nothing else');
    assert.equal(all[1].open, '<script>');
    assert.equal(all[1].text, inlineScript(bundle));
    assert.ok(bundle.length > 50_000, 'Chart.js is in the bundle');
  });

  it('keeps a hostile file name and message inside their elements', () => {
    const trace = seedTrace();
    trace.params[0] = { ...trace.params[0], name: HOSTILE };
    const findings = seedFindings();
    findings[0].message = `sigmoid layer saturated ${HOSTILE}`;
    findings[0].fixes[0].title = HOSTILE;
    const html = renderReport(input({ trace, findings, fileName: `model${HOSTILE}.yaml` }));
    assert.ok(!html.includes('alert(1)</script>'), 'no hostile closing tag anywhere');
    assert.ok(!html.includes('<script>alert'), 'no hostile script element');
    const all = scripts(html);
    assert.equal(all.length, 2);
    const data = parseWithNonFinite<ReportData>(all[0].text);
    assert.equal(data.fileName, `model${HOSTILE}.yaml`);
    assert.equal(data.findings[0].message, `sigmoid layer saturated ${HOSTILE}`);
    assert.equal(data.findings[0].fixes[0], HOSTILE);
    assert.equal(data.trace.params[0].name, HOSTILE);
    // The title holds the file's base name as text.
    const title = /<title>(.*)<\/title>/.exec(html)![1];
    assert.equal(title, `Gradient Lens report: ${escapeHtml(path.basename(`model${HOSTILE}.yaml`))}`);
    assert.ok(!/[<>]/.test(title));
    const plain = renderReport(input({ fileName: 'a<b>&"c\'.yaml' }));
    assert.equal(/<title>(.*)<\/title>/.exec(plain)![1], 'Gradient Lens report: a&#60;b&#62;&#38;&#34;c&#39;.yaml');
  });

  it('keeps NaN and Infinity through the JSON', () => {
    const trace = seedTrace();
    trace.steps[3].params[0] = { ...trace.steps[3].params[0], gradNorm: NaN, updateRatio: Infinity, weightMean: -Infinity };
    const data = parseWithNonFinite<ReportData>(dataElement(renderReport(input({ trace }))));
    const p = data.trace.steps[3].params[0];
    assert.ok(Number.isNaN(p.gradNorm));
    assert.equal(p.updateRatio, Infinity);
    assert.equal(p.weightMean, -Infinity);
    assert.equal(data.trace.steps[3].params[1].gradNorm, trace.steps[3].params[1].gradNorm);
  });

  it('loads nothing remote: no src/href, a CSP that forbids fetching, URLs only in the bundled license comment', () => {
    const html = renderReport(input());
    assert.ok(!/\s(src|href|srcset|action|poster)\s*=/i.test(html.replace(/<script>[\s\S]*<\/script>/, '')), 'no resource attributes in the markup');
    assert.ok(!/@import|url\(/i.test(REPORT_CSS));
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /https?:|\*|'unsafe-inline'/);
    // The CSP allows exactly the inline style and script.
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
    assert.ok(csp.includes(`script-src ${hash(scripts(html)[1].text)}`));
    assert.ok(csp.includes(`style-src ${hash(REPORT_CSS)}`));
    assert.ok(html.includes(`<style>${REPORT_CSS}</style>`));
    // The only http(s) text is the homepages in the license banners esbuild keeps (comments, never fetched).
    const licence = /\/\*! Bundled license information:[\s\S]*?\*\//.exec(html)?.[0] ?? '';
    const outside = html.replace(licence, '');
    assert.deepEqual(outside.match(/https?:\/\/[^\s"'<>)]*/g), null);
  });

  it('shows the file alone when the source text is not available', () => {
    const data = reportData(input({ text: undefined }));
    assert.equal(data.findings[0].located, false);
    assert.deepEqual(data.findings[0].range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
  });

  it('says to run the build when the page script is missing', () => {
    assert.throws(() => reportScriptPath(['/nonexistent/report.js']), /npm run build/);
  });
});

describe('report JSON and script escaping', () => {
  it('jsonForScript has no <, > or & and parses back to the same value', () => {
    const value = { a: HOSTILE, b: 'x & y > z', c: '\u2028\u2029', n: [1, 0, -0.5, 1e-300] };
    const s = jsonForScript(value);
    assert.ok(!/[<>&\u2028\u2029]/.test(s));
    assert.deepEqual(JSON.parse(s), value);
  });

  it('stringifyWithNonFinite round-trips NaN and ±Infinity and leaves look-alike strings alone', () => {
    const value = { nan: NaN, inf: Infinity, ninf: -Infinity, arr: [NaN, 1], s: 'NaN', o: { $number: 'NaN', other: 1 } };
    const back = parseWithNonFinite<typeof value>(stringifyWithNonFinite(value));
    assert.ok(Number.isNaN(back.nan));
    assert.equal(back.inf, Infinity);
    assert.equal(back.ninf, -Infinity);
    assert.ok(Number.isNaN(back.arr[0]));
    assert.equal(back.s, 'NaN');
    assert.deepEqual(back.o, { $number: 'NaN', other: 1 });
  });

  it('inlineScript removes </script and <!-- without changing what the script does', () => {
    const js = 'var a = "</script><script>x</SCRIPT>", b = "<!-- c -->", r = /<\\/script>/i.source;';
    const safe = inlineScript(js);
    assert.ok(!/<\/script|<!--/i.test(safe));
    const run = (src: string) => new Function(`${src}; return [a, b, r];`)() as string[];
    assert.deepEqual(run(safe), run(js));
  });
});
