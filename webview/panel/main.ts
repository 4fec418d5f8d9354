/**
 * The "Trace Gradients" panel: the four charts of webview/charts drawn in the editor's theme, the
 * findings beside them (click or Enter reveals the range), and PNG/CSV export. The page is torn
 * down when hidden; what the user chose (hidden series) and the last trace live in setState, so a
 * restored panel draws at once and then takes the host's fresh data.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { Chart } from 'chart.js';
import {
  cellAt,
  chartData,
  flowByModule,
  groupLabel,
  heatmapData,
  MAX_GROUP,
  moduleGroups,
  renderActivationChart,
  renderGradientFlowChart,
  renderGradNormChart,
  renderHeatmap,
  renderUpdateRatioChart,
  toCsv,
  type ChartData,
  type HeatmapData,
  type LogChartData,
  type ModuleGroup,
} from '../charts';
import { paramRows } from '../shared/param-health';
import type { ChartTheme } from '../charts/theme';
import { completeTraceMessage, type FindingView, type TraceMessage } from '../../src/protocol';
import { formatNumber, h } from '../shared/dom';
import { runFacts } from '../shared/run-facts';
import { namedLosses } from '../shared/step-losses';
import { onThemeChange, vscodeChartTheme } from '../shared/theme';
import { connect } from '../shared/vscode-api';

type ChartId = 'grad-norm' | 'update-ratio' | 'gradient-flow' | 'activations';

interface PanelState {
  /** The last trace shown, drawn straight away when the page is rebuilt. */
  trace?: TraceMessage;
  /** Per chart, the series the user switched off in the legend. */
  hidden: Partial<Record<ChartId, string[]>>;
  /** The parameter filter (a substring of the name), for models too big to read whole. */
  filter?: string;
  /** Module sections the user opened (big models). */
  open?: string[];
}

/** Past this many parameters the panel leads with the overview and draws the line charts per module. */
const BIG = MAX_GROUP;

const SEVERITY_ICON: Record<FindingView['severity'], string> = { error: 'error', warning: 'warning', info: 'info' };

const CHARTS: { id: ChartId; title: string; note: string }[] = [
  {
    id: 'grad-norm',
    title: 'Gradient L2 norm per parameter',
    note: 'Log scale. Exact zeros sit on the dashed floor (◆), NaN/Inf on the ceiling (✕). Click a legend entry to hide a parameter.',
  },
  { id: 'update-ratio', title: 'Update / weight ratio ‖Δw‖/‖w‖', note: 'Log scale; healthy training usually sits around 1e-3.' },
  { id: 'gradient-flow', title: 'Gradient flow per layer', note: 'Mean |∇| of each layer’s weight at the last step, input to output.' },
  {
    id: 'activations',
    title: 'Saturated entries and dead units per activation layer',
    note: 'Mean over the steps. Saturated: share of (sample, unit) entries whose derivative is below 1% of its peak, the flat region the part below 1e-7 (the hover’s two numbers). Dead: share of units saturated or off on every sample.',
  },
];

const host = connect<PanelState>();
const app = document.getElementById('app') as HTMLElement;
let state: PanelState = host.state() ?? { hidden: {} };
let running: { state: 'idle' | 'running' | 'error'; message: string } = { state: 'idle', message: '' };
let charts: Map<ChartId, Chart> = new Map();

host.listen((msg) => {
  switch (msg.type) {
    case 'trace': {
      // A training run's update brings only its new steps; a page that lacks what they follow asks for everything.
      const trace = completeTraceMessage(state.trace, msg);
      if (!trace) {
        host.post({ type: 'ready' });
        break;
      }
      save({ ...state, trace });
      render();
      break;
    }
    case 'empty':
      save({ hidden: state.hidden });
      render(msg.message);
      break;
    case 'status':
      running = { state: msg.state, message: msg.message };
      renderStatus();
      break;
  }
});

// Canvas colours are fixed when drawn: draw again in the new theme.
onThemeChange(() => {
  if (state.trace) drawCharts(state.trace);
});

function save(next: PanelState): void {
  state = next;
  host.saveState(state);
}

function render(emptyMessage?: string): void {
  destroyCharts();
  const msg = state.trace;
  if (!msg) {
    app.replaceChildren(h('p', { class: 'placeholder' }, emptyMessage ?? 'Run “Gradient Lens: Trace Gradients” on a model file.'));
    app.setAttribute('aria-busy', 'false');
    return;
  }
  const big = msg.trace.params.length > BIG;
  const figures = CHARTS.map((c) =>
    big && PER_MODULE.includes(c.id)
      ? moduleFigure(c, msg)
      : h(
          'figure',
          { class: 'chart', id: `figure-${c.id}` },
          h('figcaption', { id: `caption-${c.id}` }, c.title),
          h('div', { class: 'note' }, c.note),
          h('div', { class: 'canvas-box' }, h('canvas', { 'data-chart': c.id, role: 'img', 'aria-labelledby': `caption-${c.id}` })),
        ),
  );
  if (big) figures.unshift(overviewFigure(msg));
  // Findings first: they are what the user acts on; the charts below are the evidence.
  app.replaceChildren(toolbar(msg), h('div', { id: 'status', role: 'status', 'aria-live': 'polite' }), ...banners(msg), findingsList(msg), h('section', { class: 'charts', 'aria-label': 'Charts' }, ...figures));
  app.setAttribute('aria-busy', 'false');
  renderStatus();
  drawCharts(msg);
}

function toolbar(msg: TraceMessage): HTMLElement {
  const t = msg.trace;
  const last = t.steps[t.steps.length - 1];
  const facts = t.run
    ? runFacts(t)
    : [
        `${msg.quick ? 'quick trace' : 'full trace'}: ${t.steps.length} step${t.steps.length === 1 ? '' : 's'}`,
        `batch ${t.batchSize}`,
        `${t.optimizer.type} lr ${t.optimizer.lr}`,
        last ? `final ${namedLosses(last).map((l) => `${l.name} ${formatNumber(l.value)}`).join(', ')}` : null,
        `${Math.round(t.durationMs)} ms`,
      ].filter((f): f is string => f !== null);
  const png = h('vscode-button', { id: 'export-png', icon: 'file-media', secondary: true, title: 'Save the charts as a PNG image' }, 'Export PNG');
  png.addEventListener('click', () => exportPng(msg));
  const csv = h('vscode-button', { id: 'export-csv', icon: 'table', secondary: true, title: 'Save every step of every parameter as CSV' }, 'Export CSV');
  csv.addEventListener('click', () => host.post({ type: 'export', format: 'csv', suggestedName: exportName(msg.fileName, 'gradients', 'csv'), data: toCsv(msg.trace) }));
  // A training run is read from its log as it grows: there is nothing to run again.
  const retrace = t.run ? null : h('vscode-button', { id: 'retrace', icon: 'refresh', title: 'Run the full trace again' }, 'Re-trace');
  retrace?.addEventListener('click', () => host.post({ type: 'retrace' }));
  const filter = h('input', {
    id: 'filter',
    type: 'search',
    placeholder: 'Filter parameters',
    'aria-label': 'Filter parameters by name',
    title: 'Show only the parameters whose name contains this text',
    value: state.filter ?? '',
  });
  filter.addEventListener('input', () => {
    save({ ...state, filter: filter.value });
    applyFilter();
  });
  return h(
    'header',
    { class: 'toolbar' },
    h('div', {}, h('h1', { title: msg.fileName }, baseName(msg.fileName)), h('div', { class: 'facts' }, facts.join(' · '))),
    h('div', { class: 'buttons' }, filter, retrace, png, csv),
  );
}

function banners(msg: TraceMessage): HTMLElement[] {
  const out: HTMLElement[] = [];
  const nf = msg.trace.firstNonFinite;
  if (nf) {
    out.push(
      h('p', { class: 'banner' }, `First non-finite value: ${nf.op} in the ${nf.phase} pass at step ${nf.step}${nf.layer !== null ? `, layer ${nf.layer}` : ''} (${nf.nan} NaN, ${nf.inf} Inf).`),
    );
  }
  if (msg.trace.stoppedEarly) out.push(h('p', { class: 'banner' }, `Stopped early: ${msg.trace.stoppedEarly}`));
  for (const n of msg.trace.run?.notes ?? []) out.push(h('p', { class: 'banner info' }, n));
  return out;
}

function findingsList(msg: TraceMessage): HTMLElement {
  const list = msg.findings.length
    ? h(
        'ul',
        { class: 'finding-list', 'aria-label': 'Findings' },
        ...msg.findings.map((f, i) => {
          const reveal = h(
            'button',
            { class: 'reveal', type: 'button', title: 'Show it in the editor', 'aria-label': `${f.severity}: ${f.message}. Show it in the editor.` },
            h('vscode-icon', { name: SEVERITY_ICON[f.severity], class: `severity-${f.severity}`, 'aria-hidden': 'true' }),
            h('span', { class: 'message' }, f.message),
          );
          reveal.addEventListener('click', () => host.post({ type: 'reveal', uri: f.uri ?? msg.uri, range: f.range }));
          // The fixes apply the same edit as the editor's quick fix; the file then traces again.
          const fixes = f.fixes.map((title, k) => {
            const b = h('vscode-button', { class: 'fix', 'data-fix': k, secondary: k > 0, icon: k === 0 ? 'lightbulb-autofix' : 'lightbulb', title: `Apply this fix to ${baseName(msg.fileName)}` }, title);
            b.addEventListener('click', () => host.post({ type: 'applyFix', uri: msg.uri, rule: f.rule, layer: f.layer, title }));
            return b;
          });
          const row = h(
            'li',
            { class: `finding-row severity-${f.severity}`, 'data-rule': f.rule, 'data-index': i },
            reveal,
            h('span', { class: 'rule muted' }, f.layer ? `${f.rule} · layer ${f.layer}` : f.rule),
            fixes.length ? h('div', { class: 'fixes', role: 'group', 'aria-label': `Fixes for ${f.rule}` }, ...fixes) : null,
          );
          // Up and down move between findings, as in a list.
          row.addEventListener('keydown', (e) => {
            if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
            e.preventDefault();
            const next = (e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
            next?.querySelector<HTMLElement>('button.reveal')?.focus();
          });
          return row;
        }),
      )
    : h('p', { class: 'placeholder' }, 'No findings: every gradient is within the thresholds.');
  return h(
    'section',
    { class: 'findings', 'aria-labelledby': 'findings-heading' },
    h('h2', { id: 'findings-heading' }, 'Findings ', h('vscode-badge', { variant: 'counter' }, String(msg.findings.length))),
    list,
  );
}

function renderStatus(): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.className = `status status-${running.state}`;
  el.replaceChildren(
    ...(running.state === 'running' ? [h('vscode-progress-ring', { class: 'ring' })] : []),
    ...(running.state !== 'idle' && running.message ? [h('span', {}, running.message)] : []),
  );
}

function drawCharts(msg: TraceMessage): void {
  destroyCharts();
  const data = chartData(msg.trace, msg.health);
  const theme: ChartTheme = vscodeChartTheme();
  const canvas = (id: ChartId) => app.querySelector(`canvas[data-chart="${id}"]`) as HTMLCanvasElement | null;
  const draw: [ChartId, (c: HTMLCanvasElement) => Chart, boolean][] = [
    ['grad-norm', (c) => renderGradNormChart(c, data.gradNorm, theme) as unknown as Chart, data.gradNorm.series.length > 0],
    ['update-ratio', (c) => renderUpdateRatioChart(c, data.updateRatio, theme) as unknown as Chart, data.updateRatio.series.length > 0],
    ['gradient-flow', (c) => renderGradientFlowChart(c, flowData(msg, data), theme) as unknown as Chart, data.gradientFlow.bars.length > 0],
    ['activations', (c) => renderActivationChart(c, data.activations, theme) as unknown as Chart, data.activations.length > 0],
  ];
  for (const [id, make, hasData] of draw) {
    const c = canvas(id);
    if (!c) continue;
    const figure = c.closest('figure');
    figure?.classList.toggle('empty', !hasData);
    if (!hasData) {
      figure?.querySelector('.note')?.replaceChildren(id === 'activations' ? 'No sigmoid, tanh or ReLU layers in this model.' : 'Nothing to draw yet.');
      continue;
    }
    const chart = make(c);
    restoreHidden(id, chart);
    keepHiddenInState(id, chart);
    charts.set(id, chart);
    c.dataset.datasets = String(chart.data.datasets.length);
    c.dataset.labels = JSON.stringify(chart.data.datasets.map((d) => d.label ?? ''));
    c.dataset.rendered = 'true';
  }
  if (msg.trace.params.length > BIG) {
    drawOverview(msg, theme);
    for (const d of app.querySelectorAll<HTMLDetailsElement>('details.module')) if (d.open) drawModule(d, data, theme);
  }
  applyFilter();
  document.body.dataset.chartTheme = `${theme.foreground}|${theme.background}`;
  // The live Chart.js instances, for the UI tests (legend hit boxes, dataset visibility) and for
  // anyone poking at the panel with the webview developer tools.
  (window as unknown as { gradientLensCharts: Record<string, Chart> }).gradientLensCharts = Object.fromEntries(charts);
}

// ── big models: the overview heatmap, line charts per module, the filter ────

/** The charts with one line per parameter: drawn per module when there are too many lines for one. */
const PER_MODULE: ChartId[] = ['grad-norm', 'update-ratio'];
let overview: { data: HeatmapData; all: HeatmapData; layout: ReturnType<typeof renderHeatmap> } | null = null;
const moduleCharts = new Map<string, Chart>();

/** The flow chart of a deep model: one bar per module group, input to output, instead of one per layer. */
function flowData(msg: TraceMessage, data: ChartData): ChartData['gradientFlow'] {
  const flow = data.gradientFlow;
  if (msg.trace.params.length <= BIG) return flow;
  return { ...flow, bars: flowByModule(flow.bars, moduleGroups(msg.trace.params.map((p) => p.name))) };
}

/** Worst first (the sidebar's order): what needs attention is at the top of the overview. */
function worstFirst(msg: TraceMessage): string[] {
  return paramRows(msg.trace, msg.findings, msg.health, msg.layers).map((r) => r.name);
}

function overviewFigure(msg: TraceMessage): HTMLElement {
  const n = msg.trace.params.length;
  const canvas = h('canvas', { 'data-heatmap': 'grad-norm', role: 'img', 'aria-labelledby': 'caption-overview', 'aria-describedby': 'overview-under-pointer' });
  const under = h('div', { class: 'note', id: 'overview-under-pointer', 'aria-live': 'polite' }, 'Point at a cell for its parameter, step and norm.');
  canvas.addEventListener('mousemove', (e) => {
    if (!overview) return;
    const r = canvas.getBoundingClientRect();
    const cell = cellAt(overview.layout, overview.data, e.clientX - r.left, e.clientY - r.top);
    if (!cell) return;
    const row = overview.data.rows[cell.row];
    const v = row.values[cell.step];
    const norm = v === null ? '0 (no gradient)' : Number.isNaN(v) ? 'NaN/Inf' : formatNumber(10 ** v);
    under.textContent = `${row.name} · step ${overview.data.steps[cell.step]} · ‖∇‖ = ${norm}`;
  });
  return h(
    'figure',
    { class: 'chart overview', id: 'figure-overview' },
    h('figcaption', { id: 'caption-overview' }, `Overview: gradient norm of all ${n} parameters per step`),
    h('div', { class: 'note' }, 'log10 ‖∇‖, dark (small) to bright (large); grey is an exact zero, red NaN/Inf. Worst parameters first.'),
    h('div', { class: 'heatmap-box' }, canvas),
    under,
  );
}

function drawOverview(msg: TraceMessage, theme: ChartTheme): void {
  const canvas = app.querySelector<HTMLCanvasElement>('canvas[data-heatmap]');
  if (!canvas) return;
  const all = heatmapData(msg.trace, worstFirst(msg));
  const data = filtered(all);
  const width = Math.max(320, canvas.parentElement!.clientWidth || 640);
  overview = { data, all, layout: renderHeatmap(canvas, data, theme, width) };
  canvas.dataset.rows = String(data.rows.length);
  canvas.dataset.drawn = 'true';
  canvas.setAttribute('aria-label', `Heatmap of ${data.rows.length} parameters over ${data.steps.length} steps; first rows: ${data.rows.slice(0, 3).map((r) => r.name).join(', ')}`);
}

function filtered(all: HeatmapData): HeatmapData {
  const f = (state.filter ?? '').trim().toLowerCase();
  return f ? { ...all, rows: all.rows.filter((r) => r.name.toLowerCase().includes(f)) } : all;
}

/** One collapsible section per module, each with its own chart of at most MAX_GROUP lines. */
function moduleFigure(c: (typeof CHARTS)[number], msg: TraceMessage): HTMLElement {
  const groups = moduleGroups(msg.trace.params.map((p) => p.name));
  const opened = new Set(state.open ?? []);
  const sections = groups.map((g, i) => {
    const key = `${c.id}:${g.key}`;
    const d = h(
      'details',
      { class: 'module', 'data-chart': c.id, 'data-module': g.key, open: opened.has(key) || (i === 0 && !state.open) },
      h('summary', {}, `${groupLabel(g)} `, h('span', { class: 'muted' }, `${g.params.length} parameter${g.params.length === 1 ? '' : 's'}`)),
      h('div', { class: 'canvas-box' }, h('canvas', { 'data-chart': `${c.id}:${g.key}`, role: 'img', 'aria-label': `${c.title}: ${groupLabel(g)}` })),
    );
    (d as HTMLElement & { group?: ModuleGroup }).group = g;
    d.addEventListener('toggle', () => {
      const now = new Set(state.open ?? []);
      if ((d as HTMLDetailsElement).open) now.add(key);
      else now.delete(key);
      save({ ...state, open: [...now] });
      if ((d as HTMLDetailsElement).open && state.trace) drawModule(d as HTMLDetailsElement, chartData(state.trace.trace), vscodeChartTheme());
    });
    return d;
  });
  return h(
    'figure',
    { class: 'chart modules', id: `figure-${c.id}` },
    h('figcaption', { id: `caption-${c.id}` }, `${c.title}, by module`),
    h('div', { class: 'note' }, `${c.note} One chart per module, on one shared scale.`),
    ...sections,
  );
}

/** Draws the chart of one opened module section (once; the filter then only hides lines). */
function drawModule(d: HTMLDetailsElement, data: ChartData, theme: ChartTheme): void {
  const id = d.dataset.chart as ChartId;
  const g = (d as HTMLElement & { group?: ModuleGroup }).group;
  const canvas = d.querySelector('canvas');
  if (!g || !canvas || moduleCharts.has(canvas.dataset.chart!)) return;
  const names = new Set(g.params);
  const all: LogChartData = id === 'grad-norm' ? data.gradNorm : data.updateRatio;
  const part: LogChartData = { ...all, series: all.series.filter((s) => names.has(s.label)) };
  const chart = (id === 'grad-norm' ? renderGradNormChart(canvas, part, theme) : renderUpdateRatioChart(canvas, part, theme)) as unknown as Chart;
  moduleCharts.get(canvas.dataset.chart!)?.destroy();
  moduleCharts.set(canvas.dataset.chart!, chart);
  canvas.dataset.datasets = String(chart.data.datasets.length);
  canvas.dataset.rendered = 'true';
  applyFilter();
}

/** The filter: overview rows, module sections without a match, and lines of the charts. */
function applyFilter(): void {
  const f = (state.filter ?? '').trim().toLowerCase();
  const match = (name: string) => !f || name.toLowerCase().includes(f);
  for (const d of app.querySelectorAll<HTMLElement>('details.module')) {
    const g = (d as HTMLElement & { group?: ModuleGroup }).group;
    d.hidden = !!g && !g.params.some(match);
  }
  for (const chart of [...charts.values(), ...moduleCharts.values()]) {
    if (!chart.canvas.dataset.chart?.match(/^(grad-norm|update-ratio)/)) continue;
    let changed = false;
    chart.data.datasets.forEach((ds, i) => {
      const want = match(ds.label ?? '');
      const hiddenByUser = (state.hidden[chart.canvas.dataset.chart as ChartId] ?? []).includes(ds.label ?? '');
      if (chart.isDatasetVisible(i) !== (want && !hiddenByUser)) {
        chart.setDatasetVisibility(i, want && !hiddenByUser);
        changed = true;
      }
    });
    if (changed) chart.update('none');
  }
  if (overview) {
    const canvas = app.querySelector<HTMLCanvasElement>('canvas[data-heatmap]');
    if (canvas) {
      const data = filtered(overview.all);
      overview = { ...overview, data, layout: renderHeatmap(canvas, data, vscodeChartTheme(), Math.max(320, canvas.parentElement!.clientWidth || 640)) };
      canvas.dataset.rows = String(data.rows.length);
    }
  }
}

function restoreHidden(id: ChartId, chart: Chart): void {
  const hidden = new Set(state.hidden[id] ?? []);
  if (!hidden.size) return;
  chart.data.datasets.forEach((d, i) => {
    if (hidden.has(d.label ?? '')) chart.setDatasetVisibility(i, false);
  });
  chart.update('none');
}

/** The legend toggles a series as Chart.js does, and the choice is saved for the rebuilt page. */
function keepHiddenInState(id: ChartId, chart: Chart): void {
  const legend = chart.options.plugins?.legend;
  if (!legend) return;
  const toggle = Chart.defaults.plugins.legend.onClick;
  legend.onClick = function (this: unknown, e, item, l) {
    toggle.call(this as never, e, item, l);
    const hidden = chart.data.datasets.filter((_, i) => !chart.isDatasetVisible(i)).map((d) => d.label ?? '');
    save({ ...state, hidden: { ...state.hidden, [id]: hidden } });
  };
}

function destroyCharts(): void {
  for (const c of charts.values()) c.destroy();
  for (const c of moduleCharts.values()) c.destroy();
  charts = new Map();
  moduleCharts.clear();
  overview = null;
}

/** One PNG of every drawn chart, two per row, on the theme's background with each chart's title. */
function exportPng(msg: TraceMessage): void {
  const theme = vscodeChartTheme();
  const drawn = CHARTS.map((c) => ({ c, chart: charts.get(c.id) })).filter((x): x is { c: (typeof CHARTS)[number]; chart: Chart } => !!x.chart);
  if (!drawn.length) return;
  const ratio = window.devicePixelRatio || 1;
  const cellW = Math.max(...drawn.map((d) => d.chart.canvas.width));
  const cellH = Math.max(...drawn.map((d) => d.chart.canvas.height));
  const titleH = Math.round(28 * ratio);
  const pad = Math.round(12 * ratio);
  const cols = Math.min(2, drawn.length);
  const rows = Math.ceil(drawn.length / cols);
  const out = document.createElement('canvas');
  out.width = cols * (cellW + pad) + pad;
  out.height = rows * (cellH + titleH + pad) + pad;
  const ctx = out.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = theme.foreground;
  ctx.font = `600 ${Math.round(theme.fontSize * ratio)}px ${theme.fontFamily}`;
  ctx.textBaseline = 'middle';
  drawn.forEach(({ c, chart }, i) => {
    const x = pad + (i % cols) * (cellW + pad);
    const y = pad + Math.floor(i / cols) * (cellH + titleH + pad);
    ctx.fillText(c.title, x, y + titleH / 2);
    ctx.drawImage(chart.canvas, x, y + titleH);
  });
  host.post({ type: 'export', format: 'png', suggestedName: exportName(msg.fileName, 'gradients', 'png'), data: out.toDataURL('image/png') });
}

/** "seed.grad.yaml" → "seed-gradients.png": only characters the host accepts in a suggested name. */
export function exportName(fileName: string, what: string, ext: string): string {
  const stem = baseName(fileName).replace(/\.grad\.(ya?ml|json)$/i, '').replace(/[^\w.-]+/g, '_') || 'model';
  return `${stem}-${what}.${ext}`.slice(0, 200);
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

render();
