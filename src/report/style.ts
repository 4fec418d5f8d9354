/** The report's stylesheet, inlined into the page: light, system fonts only (no web fonts), prints cleanly. */
export const REPORT_CSS = `
:root {
  --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --soft: #eef1f4; --page: #f6f8fa; --card: #fff;
  --error: #cf222e; --error-bg: #ffebe9; --warning: #9a6700; --warning-icon: #d4a72c; --warning-bg: #fff8c5;
  --info: #0969da; --info-bg: #ddf4ff; --ok: #1a7f37; --ok-bg: #dafbe1; --accent: #4e79a7;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { background: var(--page); }
body { margin: 0; color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 28px 40px; }
h1, h2, h3 { line-height: 1.25; margin: 0; }
h2 { font-size: 18px; font-weight: 600; margin: 32px 0 12px; display: flex; align-items: center; gap: 8px; }
h2 .n { font-size: 12px; font-weight: 600; color: var(--muted); background: var(--soft); border-radius: 10px; padding: 1px 8px; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.loading, .noscript { color: var(--muted); max-width: 1240px; margin: 28px auto; padding: 0 28px; }

/* Header */
.top { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px; flex-wrap: wrap;
  padding-bottom: 20px; border-bottom: 1px solid var(--border); }
.brand { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; font-weight: 600;
  letter-spacing: .02em; text-transform: uppercase; margin-bottom: 6px; }
.logo { display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 6px;
  background: var(--accent); color: #fff; font-size: 14px; text-transform: none; }
h1 { font-size: 24px; font-weight: 600; word-break: break-all; font-family: var(--mono); }
.meta { color: var(--muted); margin: 6px 0 0; font-size: 13px; }
.meta span + span::before { content: "·"; margin: 0 7px; color: #8c959f; }
.tally { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.pill { display: inline-flex; align-items: center; gap: 6px; border-radius: 999px; padding: 3px 11px;
  font-size: 13px; font-weight: 600; border: 1px solid transparent; white-space: nowrap; }
.pill.error { color: var(--error); background: var(--error-bg); border-color: #ffcecb; }
.pill.warning { color: var(--warning); background: var(--warning-bg); border-color: #f5e0a0; }
.pill.info { color: var(--info); background: var(--info-bg); border-color: #b6e3ff; }
.pill.ok { color: var(--ok); background: var(--ok-bg); border-color: #aceebb; }
.pill.zero { color: var(--muted); background: var(--soft); }
.loss { color: var(--muted); font-size: 13px; margin-top: 8px; text-align: right; }
.loss b { color: var(--fg); font-weight: 600; font-variant-numeric: tabular-nums; }

/* Banners */
.banner { margin-top: 16px; padding: 10px 14px; border-radius: 8px; border: 1px solid; font-size: 13.5px; }
.banner.error { background: var(--error-bg); border-color: #ffcecb; color: #82071e; }
.banner.warning { background: var(--warning-bg); border-color: #f5e0a0; color: #6c4a00; }
.banner.info { background: var(--info-bg); border-color: #b6e3ff; color: #0a3069; }

/* Severity icons: drawn with CSS, no icon font */
.sev { flex: none; display: inline-grid; place-items: center; width: 20px; height: 20px; color: #fff;
  font: 700 13px/1 system-ui, sans-serif; margin-top: 1px; }
.sev.error { background: var(--error); border-radius: 50%; }
.sev.info { background: var(--info); border-radius: 50%; font-family: Georgia, serif; font-style: italic; }
.sev.warning { background: var(--warning-icon); color: #3b2300; clip-path: polygon(50% 2%, 100% 96%, 0 96%); padding-top: 5px; font-size: 12px; }

/* Findings */
.findings { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
.finding { display: flex; gap: 12px; background: var(--card); border: 1px solid var(--border); border-left-width: 4px;
  border-radius: 8px; padding: 12px 16px; }
.finding.error { border-left-color: var(--error); }
.finding.warning { border-left-color: var(--warning-icon); }
.finding.info { border-left-color: var(--info); }
.finding .body { min-width: 0; flex: 1; }
.finding .head { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: baseline; font-size: 12.5px; color: var(--muted); }
.finding .loc { color: var(--fg); }
.rule { font-family: var(--mono); font-size: 12px; background: var(--soft); border-radius: 4px; padding: 0 6px; color: var(--fg); }
.finding .msg { margin: 4px 0 0; font-size: 14.5px; font-weight: 500; }
.finding .why { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
.notes, .fixes { list-style: none; margin: 8px 0 0; padding: 0; display: grid; gap: 3px; font-size: 13px; }
.notes li { color: var(--muted); }
.fixes li { display: flex; gap: 8px; align-items: baseline; }
.fix-tag { flex: none; font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em;
  color: var(--ok); border: 1px solid #aceebb; background: var(--ok-bg); border-radius: 4px; padding: 0 5px; }
.preferred { font-size: 11.5px; color: var(--muted); }
.none { background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 14px 16px; color: var(--ok); font-weight: 500; }

/* Charts */
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 900px) { .charts { grid-template-columns: minmax(0, 1fr); } }
figure.chart { margin: 0; background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 14px 16px 12px; }
figure.chart h3 { font-size: 14.5px; font-weight: 600; }
figure.chart p { margin: 2px 0 10px; color: var(--muted); font-size: 12.5px; }
.canvas-box { position: relative; height: 300px; }
.chart .empty { display: grid; place-items: center; height: 300px; color: var(--muted); background: var(--page); border-radius: 6px; }

/* Parameter table */
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--border); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 8px 12px; text-align: left; border-bottom: 1px solid var(--soft); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: 12px; background: #fafbfc; border-bottom-color: var(--border); }
tbody tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; font-family: var(--mono); font-size: 12.5px; }
td.why { white-space: normal; color: var(--muted); font-size: 12.5px; min-width: 220px; }
.status { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; font-size: 12px; border-radius: 999px; padding: 1px 9px; }
.status::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor; }
.status.healthy { color: var(--ok); background: var(--ok-bg); }
.status.vanishing { color: var(--warning); background: var(--warning-bg); }
.status.exploding, .status.zero, .status.nan { color: var(--error); background: var(--error-bg); }

footer { margin-top: 36px; padding-top: 14px; border-top: 1px solid var(--border); color: var(--muted); font-size: 12px; }

@media print {
  html { background: #fff; }
  main { padding: 0; max-width: none; }
  figure.chart, .finding, .table-wrap { break-inside: avoid; }
}
`;
