/**
 * Chart.js rendering of `chartData(trace)` into canvases the page owns. No DOM lookups and no
 * `vscode`: the report and the VS Code panel each pass their canvases and their theme.
 * Only the controllers, elements, scales and plugins used here are registered, so the bundle
 * carries no more of Chart.js than it draws.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartEvent,
  type ChartOptions,
  type LegendElement,
  type LegendItem,
  type Plugin,
  type PointStyle,
  type ScriptableContext,
  type TooltipItem,
} from 'chart.js';
import { HEALTH_LABEL } from '../shared/param-health';
import { exactNumber, logTick, type ActivationBar, type ChartData, type FlowChartData, type LogChartData, type LogPoint } from './data';
import { paletteColor, type ChartTheme } from './theme';

let registered = false;
function register(): void {
  if (registered) return;
  Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, Legend, Tooltip);
  registered = true;
}

/** The marker of a clamped point: ◆ for an exact zero on the floor, ✕ for NaN/Inf on the ceiling. */
const MARK_STYLE: Record<LogPoint['mark'], PointStyle> = { value: 'circle', zero: 'rectRot', 'non-finite': 'crossRot' };
const FLOOR_LABEL = 'exactly 0';
const CEILING_LABEL = 'NaN / Inf';

function font(theme: ChartTheme, delta = 0) {
  return { family: theme.fontFamily, size: theme.fontSize + delta };
}

/**
 * Dashed lines at the floor and the ceiling, so a point on them reads as "clamped here", not as a
 * tiny or huge measured value (the legend and the "0" / "NaN/Inf" ticks say which).
 */
function clampLines(theme: ChartTheme, data: { floor: number; ceiling: number; hasZero: boolean; hasNonFinite: boolean }): Plugin {
  return {
    id: 'gradientLensClampLines',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const y = chart.scales.y;
      const values: number[] = [];
      if (data.hasZero) values.push(data.floor);
      if (data.hasNonFinite) values.push(data.ceiling);
      ctx.save();
      ctx.strokeStyle = theme.muted;
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 4]);
      for (const value of values) {
        const py = Math.round(y.getPixelForValue(value)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(chartArea.left, py);
        ctx.lineTo(chartArea.right, py);
        ctx.stroke();
      }
      ctx.restore();
    },
  };
}

/** Legend entries for the markers after the parameters' own: they explain the floor and the ceiling and toggle nothing. */
function markerLegend(theme: ChartTheme, data: LogChartData) {
  return {
    generateLabels(chart: Chart): LegendItem[] {
      // A parameter's entry is its colour, whatever marker its first point happens to have.
      const items = Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item): LegendItem => {
        const color = item.datasetIndex === undefined ? item.fillStyle : paletteColor(theme, item.datasetIndex);
        return { ...item, pointStyle: 'circle', fillStyle: color, strokeStyle: color };
      });
      const key = (text: string, pointStyle: PointStyle): LegendItem => ({
        text,
        pointStyle,
        fillStyle: theme.background,
        strokeStyle: theme.foreground,
        fontColor: theme.muted,
        lineWidth: 1.5,
        hidden: false,
      });
      if (data.hasZero) items.push(key(FLOOR_LABEL, 'rectRot'));
      if (data.hasNonFinite) items.push(key(CEILING_LABEL, 'crossRot'));
      return items;
    },
    onClick(this: LegendElement<'line'>, e: ChartEvent, item: LegendItem, legend: LegendElement<'line'>) {
      if (item.datasetIndex === undefined) return;
      Chart.defaults.plugins.legend.onClick.call(this as never, e, item, legend as never);
    },
  };
}

/** y ticks: powers of ten, "0" on the floor and "NaN/Inf" on the ceiling when those are in use. */
function logTicks(data: { floor: number; ceiling: number; hasZero: boolean; hasNonFinite: boolean }) {
  return (value: number | string, _i: number, ticks: { value: number }[]): string => {
    const v = Number(value);
    // Chart.js computes its tick values, so compare decades, not doubles.
    const same = (a: number, b: number) => Math.abs(Math.log10(a) - Math.log10(b)) < 1e-6;
    if (data.hasZero && same(v, data.floor)) return '0';
    if (data.hasNonFinite && same(v, data.ceiling)) return 'NaN/Inf';
    // Within one decade no tick is a power of ten: label them all instead of none.
    if (!ticks.some((t) => logTick(t.value) !== '')) return exactNumber(Number(v.toPrecision(3)));
    return logTick(v);
  };
}

function baseOptions(theme: ChartTheme): ChartOptions {
  return {
    // No animation: the first frame is the final one (screenshots, exports and tests read it).
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    color: theme.foreground,
    font: font(theme),
    plugins: {
      legend: {
        position: 'top',
        align: 'start',
        labels: { color: theme.foreground, font: font(theme), boxWidth: 10, boxHeight: 10 },
      },
      tooltip: {
        backgroundColor: theme.foreground,
        titleColor: theme.background,
        bodyColor: theme.background,
        titleFont: font(theme, 0),
        bodyFont: font(theme, 0),
        footerFont: font(theme, -1),
        footerColor: theme.background,
        padding: 8,
        displayColors: true,
      },
    },
  };
}

function axisTitle(theme: ChartTheme, text: string) {
  return { display: true, text, color: theme.muted, font: font(theme) };
}

/** A line chart on a log y axis, one dataset per parameter: the gradient norm and update-ratio charts. */
function renderLogLines(canvas: HTMLCanvasElement, data: LogChartData, theme: ChartTheme, yTitle: string): Chart<'line', LogPoint[]> {
  register();
  const base = baseOptions(theme);
  const manySteps = (data.series[0]?.points.length ?? 0) > 60;
  const at = (c: ScriptableContext<'line'>) => c.raw as LogPoint | undefined;
  const legend = markerLegend(theme, data);
  return new Chart<'line', LogPoint[]>(canvas, {
    type: 'line',
    data: {
      datasets: data.series.map((s, i) => {
        const color = paletteColor(theme, i);
        return {
          label: s.label,
          data: s.points,
          borderColor: color,
          backgroundColor: color,
          borderWidth: 1.75,
          tension: 0,
          pointStyle: (c: ScriptableContext<'line'>) => MARK_STYLE[at(c)?.mark ?? 'value'],
          pointRadius: (c: ScriptableContext<'line'>) => {
            const p = at(c);
            if (!p || p.mark === 'value') return manySteps ? 0 : 2.5;
            // Over many steps a marker on every clamped point is a solid band: mark where a run starts and ends.
            if (!manySteps) return 6;
            const before = s.points[c.dataIndex - 1];
            const after = s.points[c.dataIndex + 1];
            return before?.mark === p.mark && after?.mark === p.mark ? 0 : 5;
          },
          pointHoverRadius: (c: ScriptableContext<'line'>) => (at(c)?.mark === 'value' || !at(c) ? 4 : 7),
          pointBorderWidth: (c: ScriptableContext<'line'>) => (at(c)?.mark === 'value' || !at(c) ? 1 : 2),
          // A hollow diamond on the floor reads as "nothing here", in the parameter's colour.
          pointBackgroundColor: (c: ScriptableContext<'line'>) => (at(c)?.mark === 'zero' ? theme.background : color),
        };
      }),
    },
    options: {
      ...(base as ChartOptions<'line'>),
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          type: 'linear',
          title: axisTitle(theme, 'step'),
          ticks: { color: theme.foreground, font: font(theme), precision: 0 },
          grid: { color: theme.grid },
          border: { color: theme.grid },
        },
        y: {
          type: 'logarithmic',
          title: axisTitle(theme, yTitle),
          min: data.min,
          max: data.max,
          ticks: { color: theme.foreground, font: font(theme), callback: logTicks(data), autoSkip: true },
          grid: { color: theme.grid },
          border: { color: theme.grid },
        },
      },
      plugins: {
        ...base.plugins,
        legend: {
          ...base.plugins?.legend,
          labels: { ...base.plugins?.legend?.labels, usePointStyle: true, generateLabels: legend.generateLabels },
          onClick: legend.onClick,
        },
        tooltip: {
          ...base.plugins?.tooltip,
          itemSort: (a: TooltipItem<'line'>, b: TooltipItem<'line'>) => (b.raw as LogPoint).y - (a.raw as LogPoint).y,
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => (items.length ? `step ${(items[0].raw as LogPoint).x}` : ''),
            labelColor: (item: TooltipItem<'line'>) => {
              const color = paletteColor(theme, item.datasetIndex);
              return { borderColor: color, backgroundColor: color };
            },
            label: (item: TooltipItem<'line'>) => {
              const p = item.raw as LogPoint;
              return `${item.dataset.label}: ${exactNumber(p.value)}${p.note ? ` (${p.note})` : ''}`;
            },
          },
        },
      },
    },
    plugins: [clampLines(theme, data)],
  });
}

/** ‖∇‖ per parameter per step (log y). */
export function renderGradNormChart(canvas: HTMLCanvasElement, data: LogChartData, theme: ChartTheme): Chart<'line', LogPoint[]> {
  return renderLogLines(canvas, data, theme, 'gradient L2 norm ‖∇‖');
}

/** ‖Δw‖/‖w‖ per parameter per step (log y). */
export function renderUpdateRatioChart(canvas: HTMLCanvasElement, data: LogChartData, theme: ChartTheme): Chart<'line', LogPoint[]> {
  return renderLogLines(canvas, data, theme, 'update ratio ‖Δw‖/‖w‖');
}

/** Mean |∇| of each layer's weight at the last step, in forward order (log y). */
export function renderGradientFlowChart(canvas: HTMLCanvasElement, data: FlowChartData, theme: ChartTheme): Chart<'bar', number[], string> {
  register();
  const base = baseOptions(theme);
  return new Chart<'bar', number[], string>(canvas, {
    type: 'bar',
    data: {
      labels: data.bars.map((b) => b.label),
      datasets: [
        {
          label: data.step === null ? 'mean |∇| of the weight' : `mean |∇| of the weight at step ${data.step}`,
          data: data.bars.map((b) => b.y),
          // A weight in trouble (as the sidebar and the report say) stands out, as do zeros and NaN.
          backgroundColor: data.bars.map((b) => (b.mark === 'value' && b.health === 'healthy' ? paletteColor(theme, 0) : theme.alert)),
          borderColor: data.bars.map((b) => (b.mark === 'value' && b.health === 'healthy' ? paletteColor(theme, 0) : theme.alert)),
          borderWidth: 1,
          maxBarThickness: 56,
        },
      ],
    },
    options: {
      ...(base as ChartOptions<'bar'>),
      scales: {
        x: {
          type: 'category',
          title: axisTitle(theme, 'layer (forward order)'),
          ticks: { color: theme.foreground, font: font(theme) },
          grid: { display: false },
          border: { color: theme.grid },
        },
        y: {
          type: 'logarithmic',
          title: axisTitle(theme, 'mean |∇|'),
          min: data.min,
          max: data.max,
          ticks: { color: theme.foreground, font: font(theme), callback: logTicks({ ...data, hasZero: false }) },
          grid: { color: theme.grid },
          border: { color: theme.grid },
        },
      },
      plugins: {
        ...base.plugins,
        legend: { display: false },
        tooltip: {
          ...base.plugins?.tooltip,
          callbacks: {
            label: (item: TooltipItem<'bar'>) => {
              const b = data.bars[item.dataIndex];
              const line = `${b.param}: mean |∇| ${exactNumber(b.value)}, ‖∇‖ ${exactNumber(b.norm)}${b.note ? ` (${b.note})` : ''}`;
              return b.reason ? [line, `${HEALTH_LABEL[b.health]}: ${b.reason}`] : line;
            },
          },
        },
      },
    },
    plugins: [clampLines(theme, data), barMarks(theme, data)],
  });
}

/** "0" / "NaN" over the bars that are clamped, so a red stub is not read as a small value. */
function barMarks(theme: ChartTheme, data: FlowChartData): Plugin<'bar'> {
  return {
    id: 'gradientLensBarMarks',
    afterDatasetsDraw(chart) {
      const meta = chart.getDatasetMeta(0);
      const { ctx } = chart;
      ctx.save();
      ctx.fillStyle = theme.alert;
      ctx.font = `600 ${theme.fontSize}px ${theme.fontFamily}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      data.bars.forEach((b, i) => {
        if (b.mark === 'value') return;
        const el = meta.data[i];
        if (!el) return;
        ctx.fillText(b.mark === 'zero' ? '0' : exactNumber(b.value), el.x, el.y - 3);
      });
      ctx.restore();
    },
  };
}

/** Saturated and dead shares per activation layer, mean over the steps, 0–100%. */
/**
 * The activation chart's three numbers per layer and how they relate, in the words the hover and
 * the rules use: saturated entries, the flat part of them, and units that are dead on every sample.
 */
export const ACTIVATION_SERIES: { key: 'saturated' | 'flat' | 'dead'; label: string; explain: string }[] = [
  { key: 'saturated', label: 'saturated entries', explain: 'derivative below 1% of its peak (what saturated-activation reports)' },
  { key: 'flat', label: 'in the flat region', explain: 'part of the saturated: derivative below 1e-7, float32 cannot move them back' },
  { key: 'dead', label: 'dead units', explain: 'units saturated or off on every sample of the batch (what dead-relu reports)' },
];

export function renderActivationChart(canvas: HTMLCanvasElement, bars: ActivationBar[], theme: ChartTheme): Chart<'bar', number[], string> {
  register();
  const base = baseOptions(theme);
  return new Chart<'bar', number[], string>(canvas, {
    type: 'bar',
    data: {
      labels: bars.map((b) => b.label),
      datasets: ACTIVATION_SERIES.map((s) => ({
        label: s.label,
        data: bars.map((b) => b[s.key]),
        backgroundColor: s.key === 'dead' ? theme.dead : theme.saturated,
        // The flat region is part of the saturated share: the same colour, hatched lighter.
        ...(s.key === 'flat' ? { borderColor: theme.saturated, borderWidth: 2, backgroundColor: `${theme.saturated}55` } : {}),
        maxBarThickness: 44,
        categoryPercentage: 0.6,
      })),
    },
    options: {
      ...(base as ChartOptions<'bar'>),
      scales: {
        x: {
          type: 'category',
          title: axisTitle(theme, 'activation layer'),
          ticks: { color: theme.foreground, font: font(theme) },
          grid: { display: false },
          border: { color: theme.grid },
        },
        y: {
          type: 'linear',
          min: 0,
          max: 100,
          title: axisTitle(theme, 'share of units'),
          ticks: { color: theme.foreground, font: font(theme), stepSize: 25, callback: (v: number | string) => `${v}%` },
          grid: { color: theme.grid },
          border: { color: theme.grid },
        },
      },
      plugins: {
        ...base.plugins,
        tooltip: {
          ...base.plugins?.tooltip,
          callbacks: {
            label: (item: TooltipItem<'bar'>) => {
              const b = bars[item.dataIndex];
              const s = ACTIVATION_SERIES[item.datasetIndex];
              return `${s.label}: ${b[s.key].toFixed(1)}% (mean over ${b.steps} step${b.steps === 1 ? '' : 's'})`;
            },
            afterLabel: (item: TooltipItem<'bar'>) => ACTIVATION_SERIES[item.datasetIndex].explain,
          },
        },
      },
    },
  });
}

export interface ChartCanvases {
  gradNorm: HTMLCanvasElement;
  updateRatio: HTMLCanvasElement;
  gradientFlow: HTMLCanvasElement;
  activations: HTMLCanvasElement;
}

export interface ChartSet {
  charts: Chart[];
  destroy(): void;
}

/** All four charts; `destroy()` before drawing a new trace or theme into the same canvases. */
export function renderCharts(canvases: ChartCanvases, data: ChartData, theme: ChartTheme): ChartSet {
  const charts: Chart[] = [
    renderGradNormChart(canvases.gradNorm, data.gradNorm, theme) as unknown as Chart,
    renderUpdateRatioChart(canvases.updateRatio, data.updateRatio, theme) as unknown as Chart,
    renderGradientFlowChart(canvases.gradientFlow, data.gradientFlow, theme) as unknown as Chart,
    renderActivationChart(canvases.activations, data.activations, theme) as unknown as Chart,
  ];
  return { charts, destroy: () => charts.forEach((c) => c.destroy()) };
}
