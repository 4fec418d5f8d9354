/**
 * The report page: reads the JSON the node side embedded, then draws the findings, the four charts
 * and the parameter table. Everything it needs is in the file; it fetches nothing.
 */
import { parseWithNonFinite } from '../../src/report/json';
import { REPORT_DATA_ID, type ReportData, type ReportFinding } from '../../src/report/types';
import type { Trace } from '../../src/trace/types';
import {
  chartData,
  exactNumber,
  LIGHT_THEME,
  renderActivationChart,
  renderGradientFlowChart,
  renderGradNormChart,
  renderUpdateRatioChart,
  type ChartData,
} from '../charts';
import { formatNumber, h } from '../shared/dom';
import { runFacts } from '../shared/run-facts';
import { lossSeries } from '../shared/step-losses';
import { HEALTH_WORD, paramTable } from './table';

const SEVERITY_GLYPH: Record<ReportFinding['severity'], string> = { error: '×', warning: '!', info: 'i' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function location(data: ReportData, f: { range: ReportFinding['range']; file?: string }, located: boolean): string {
  const file = f.file ?? data.fileName;
  return located ? `${file}:${f.range.start.line + 1}:${f.range.start.character + 1}` : file;
}

/** What the header says about the run: a trace's settings, or a training run's id, ranks and length. */
function metaOf(t: Trace): string[] {
  if (t.run) return runFacts(t);
  return [plural(t.steps.length, 'step'), `batch ${t.batchSize}`, `${t.optimizer.type} lr ${formatNumber(t.optimizer.lr)}`, t.dtype, `seed ${t.seed}`, `traced in ${formatNumber(t.durationMs)} ms`];
}

/** "2026-11-23 09:37 UTC": the same text wherever and whenever the file is opened. */
function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function header(data: ReportData): HTMLElement {
  const t = data.trace;
  const counts = (['error', 'warning', 'info'] as const).map((s) => ({ s, n: data.findings.filter((f) => f.severity === s).length }));
  const first = t.steps[0];
  const last = t.steps[t.steps.length - 1];
  return h(
    'header',
    { class: 'top' },
    h(
      'div',
      {},
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '∇'), 'Gradient Lens report'),
      h('h1', {}, data.fileName),
      h(
        'p',
        { class: 'meta' },
        ...metaOf(t).map((m) => h('span', {}, m)),
        h('span', {}, `generated ${when(data.generatedAt)}`),
      ),
    ),
    h(
      'div',
      {},
      h(
        'div',
        { class: 'tally' },
        ...(data.findings.length
          ? counts.filter((c) => c.n > 0).map((c) => h('span', { class: `pill ${c.s}` }, plural(c.n, c.s)))
          : [h('span', { class: 'pill ok' }, 'no findings')]),
      ),
      // One line per backward's loss when a step makes several (a GAN's d_loss and g_loss).
      ...(first && last ? lossSeries(first, last).map((l) => h('div', { class: 'loss' }, `${l.name} `, h('b', {}, formatNumber(l.from)), ' → ', h('b', {}, formatNumber(l.to)))) : []),
    ),
  );
}

function banners(trace: Trace): HTMLElement[] {
  const out: HTMLElement[] = [];
  const e = trace.firstNonFinite;
  if (e) {
    const what = [e.nan ? `${e.nan} NaN` : '', e.inf ? `${e.inf} Inf` : ''].filter(Boolean).join(' and ') || 'a non-finite value';
    const where = e.layer !== null ? ` (layer ${e.layer})` : '';
    const rank = e.rank !== undefined && (trace.run?.worldSize ?? 1) > 1 ? ` on rank ${e.rank}` : '';
    out.push(h('div', { class: 'banner error', role: 'alert' }, `First non-finite value: ${what} from ${e.op}${where} in the ${e.phase} pass at step ${e.step}${rank}; inputs reached |x| = ${formatNumber(e.inputMaxAbs)}.`));
  }
  if (trace.stoppedEarly) out.push(h('div', { class: 'banner warning' }, `${trace.run ? 'The run' : 'The trace'} stopped early: ${trace.stoppedEarly}`));
  for (const n of trace.run?.notes ?? []) out.push(h('div', { class: 'banner info' }, n));
  return out;
}

function findingItem(data: ReportData, f: ReportFinding): HTMLElement {
  const head = h(
    'div',
    { class: 'head' },
    h('code', { class: 'loc' }, location(data, f, f.located)),
    h('span', { class: 'rule' }, f.rule),
    f.layer ? h('span', {}, `layer ${f.layer}`) : null,
  );
  // Ranking already adds a "likely cause: …" note with the cause's place; say it once.
  const noted = f.related.some((r) => r.message.startsWith('likely cause'));
  const why = f.explainedBy && !noted ? h('p', { class: 'why' }, `Likely a consequence of the ${f.explainedBy.rule} finding${f.explainedBy.layer ? ` on layer ${f.explainedBy.layer}` : ''}.`) : null;
  const notes = f.related.length
    ? h('ul', { class: 'notes' }, ...f.related.map((r) => h('li', {}, h('code', {}, location(data, r, f.located)), ` ${r.message}`)))
    : null;
  const fixes = f.fixes.length
    ? h(
        'ul',
        { class: 'fixes' },
        ...f.fixes.map((title, i) =>
          h('li', {}, h('span', { class: 'fix-tag' }, 'Fix'), h('span', {}, title), i === f.preferredFix ? h('span', { class: 'preferred' }, 'preferred') : null),
        ),
      )
    : null;
  return h(
    'li',
    { class: `finding ${f.severity}` },
    h('span', { class: `sev ${f.severity}`, role: 'img', 'aria-label': f.severity, title: f.severity }, SEVERITY_GLYPH[f.severity]),
    h('div', { class: 'body' }, head, h('p', { class: 'msg' }, f.message), why, notes, fixes),
  );
}

function findingsSection(data: ReportData): HTMLElement {
  return h(
    'section',
    { id: 'findings', 'aria-labelledby': 'findings-title' },
    h('h2', { id: 'findings-title' }, 'Findings', h('span', { class: 'n' }, String(data.findings.length))),
    data.findings.length
      ? h('ol', { class: 'findings' }, ...data.findings.map((f) => findingItem(data, f)))
      : h('p', { class: 'none' }, 'No findings: no rule flagged this trace.'),
  );
}

interface ChartSlot {
  key: 'gradNorm' | 'updateRatio' | 'gradientFlow' | 'activations';
  title: string;
  caption: string;
  /** Text shown instead of the chart when there is nothing to draw. */
  empty: string | null;
}

function chartSlots(data: ChartData): ChartSlot[] {
  const step = data.gradientFlow.step;
  return [
    {
      key: 'gradNorm',
      title: 'Gradient norm per parameter',
      caption: '‖∇‖ at each step, log scale. ◆ on the floor: exactly zero; ✕ on the ceiling: NaN/Inf. Click a legend entry to hide it.',
      empty: data.gradNorm.series.length && data.steps.length ? null : 'No parameters were traced.',
    },
    {
      key: 'updateRatio',
      title: 'Update / weight ratio',
      caption: '‖Δw‖/‖w‖ of each optimiser step, log scale. Below 1e-5 a parameter barely learns; near 1 it is overwritten every step.',
      empty: data.updateRatio.series.length && data.steps.length ? null : 'No parameters were traced.',
    },
    {
      key: 'gradientFlow',
      title: 'Gradient flow by layer',
      caption: `Mean |∇| of each layer's weight${step === null ? '' : ` at step ${step}`}, input side on the left, log scale. Bars shrinking towards the left: the gradient fades on its way back.`,
      empty: data.gradientFlow.bars.length ? null : 'No layer has a weight.',
    },
    {
      key: 'activations',
      title: 'Saturated and dead units',
      caption: 'Per activation layer, mean over the steps: units whose derivative is below 1% of its peak (saturated), and units active on under 1% of samples (dead).',
      empty: data.activations.length ? null : 'No activation layers in this model.',
    },
  ];
}

function chartsSection(data: ChartData): { section: HTMLElement; canvases: Partial<Record<ChartSlot['key'], HTMLCanvasElement>> } {
  const canvases: Partial<Record<ChartSlot['key'], HTMLCanvasElement>> = {};
  const figures = chartSlots(data).map((slot) => {
    let body: HTMLElement;
    if (slot.empty) {
      body = h('div', { class: 'empty' }, slot.empty);
    } else {
      const canvas = h('canvas', { id: `chart-${slot.key}`, role: 'img', 'aria-label': `${slot.title}. ${slot.caption}` });
      canvases[slot.key] = canvas;
      body = h('div', { class: 'canvas-box' }, canvas);
    }
    return h('figure', { class: 'chart' }, h('h3', {}, slot.title), h('p', {}, slot.caption), body);
  });
  const section = h('section', { id: 'charts', 'aria-labelledby': 'charts-title' }, h('h2', { id: 'charts-title' }, 'Charts'), h('div', { class: 'charts' }, ...figures));
  return { section, canvases };
}

function tableSection(data: ReportData): HTMLElement {
  const rows = paramTable(data.trace, data.health);
  const num = (v: number) => h('td', { class: 'num', title: exactNumber(v) }, formatNumber(v));
  const head = ['Parameter', 'Layer', 'Shape', 'last ‖∇‖', 'min ‖∇‖', 'max ‖∇‖', '‖Δw‖/‖w‖', 'zero ∇', 'Status', 'Why'];
  const numeric = new Set([3, 4, 5, 6, 7]);
  return h(
    'section',
    { id: 'params', 'aria-labelledby': 'params-title' },
    h('h2', { id: 'params-title' }, 'Parameters', h('span', { class: 'n' }, String(rows.length))),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', { scope: 'col', class: numeric.has(i) ? 'num' : null }, t)))),
        h(
          'tbody',
          {},
          ...rows.map((r) =>
            h(
              'tr',
              { 'data-param': r.name },
              h('td', {}, h('code', {}, r.name)),
              h('td', {}, r.layer || '(model)'),
              h('td', { class: 'mono' }, `[${r.shape.join(', ')}]`),
              num(r.lastNorm),
              num(r.minNorm),
              num(r.maxNorm),
              num(r.updateRatio),
              h('td', { class: 'num' }, Number.isNaN(r.zeroFraction) ? '–' : `${Math.round(r.zeroFraction * 100)}%`),
              h('td', {}, h('span', { class: `status ${r.health}` }, HEALTH_WORD[r.health])),
              h('td', { class: 'why' }, r.reason),
            ),
          ),
        ),
      ),
    ),
  );
}

function readData(): ReportData {
  const el = document.getElementById(REPORT_DATA_ID);
  if (!el?.textContent) throw new Error('the report holds no data');
  return parseWithNonFinite<ReportData>(el.textContent);
}

function main(): void {
  const app = document.getElementById('app') as HTMLElement;
  try {
    const data = readData();
    const charts = chartData(data.trace, data.health);
    const { section, canvases } = chartsSection(charts);
    app.replaceChildren(
      header(data),
      ...banners(data.trace),
      findingsSection(data),
      section,
      tableSection(data),
      h('footer', {}, 'Generated by Gradient Lens. Charts drawn with Chart.js (MIT License). This file is self-contained and loads nothing from the network.'),
    );
    // Canvases need their place in the layout before Chart.js measures them, so draw after replaceChildren.
    if (canvases.gradNorm) renderGradNormChart(canvases.gradNorm, charts.gradNorm, LIGHT_THEME);
    if (canvases.updateRatio) renderUpdateRatioChart(canvases.updateRatio, charts.updateRatio, LIGHT_THEME);
    if (canvases.gradientFlow) renderGradientFlowChart(canvases.gradientFlow, charts.gradientFlow, LIGHT_THEME);
    if (canvases.activations) renderActivationChart(canvases.activations, charts.activations, LIGHT_THEME);
    app.setAttribute('aria-busy', 'false');
    document.documentElement.dataset.chartsRendered = 'true';
  } catch (e) {
    app.replaceChildren(h('p', { class: 'banner error' }, `This report could not be drawn: ${(e as Error).message}`));
    document.documentElement.dataset.chartsRendered = 'error';
    throw e;
  }
}

main();
