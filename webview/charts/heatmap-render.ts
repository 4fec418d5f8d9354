/** Draws the overview heatmap (webview/charts/heatmap.ts has its data) on a canvas. */
import { cellColor, type HeatmapData } from './heatmap';
import type { ChartTheme } from './theme';

export interface HeatmapLayout {
  labelWidth: number;
  cellW: number;
  cellH: number;
  top: number;
}

/**
 * Draws the heatmap with parameter names on the left and the steps below; returns where each cell
 * is, so the page can say what is under the pointer.
 */
export function renderHeatmap(canvas: HTMLCanvasElement, data: HeatmapData, theme: ChartTheme, width: number): HeatmapLayout {
  const ratio = window.devicePixelRatio || 1;
  const font = `${theme.fontSize - 1}px ${theme.fontFamily}`;
  const ctx = canvas.getContext('2d')!;
  ctx.font = font;
  const labelWidth = Math.min(260, Math.max(60, ...data.rows.map((r) => ctx.measureText(r.name).width))) + 8;
  const cellH = data.rows.length > 60 ? 8 : data.rows.length > 30 ? 11 : 14;
  const top = 4;
  const axis = theme.fontSize + 10;
  const cols = Math.max(1, data.steps.length);
  const cellW = Math.max(2, (width - labelWidth - 8) / cols);
  const height = top + data.rows.length * cellH + axis;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  ctx.scale(ratio, ratio);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  ctx.font = font;
  ctx.textBaseline = 'middle';
  // Label every row when they fit, else every k-th one (the pointer names the others).
  const every = Math.max(1, Math.ceil((theme.fontSize + 1) / cellH));
  data.rows.forEach((r, y) => {
    const py = top + y * cellH;
    r.values.forEach((v, x) => {
      ctx.fillStyle = cellColor(v, data, theme);
      ctx.fillRect(labelWidth + x * cellW, py, Math.ceil(cellW), cellH);
    });
    if (y % every === 0) {
      ctx.fillStyle = theme.foreground;
      ctx.textAlign = 'right';
      ctx.fillText(r.name, labelWidth - 6, py + cellH / 2, labelWidth - 8);
    }
  });
  ctx.fillStyle = theme.muted;
  ctx.textAlign = 'center';
  const tickEvery = Math.max(1, Math.ceil(40 / cellW));
  data.steps.forEach((s, x) => {
    if (x % tickEvery === 0) ctx.fillText(String(s), labelWidth + (x + 0.5) * cellW, top + data.rows.length * cellH + axis / 2);
  });
  return { labelWidth, cellW, cellH, top };
}

/** The row and step under a point of the canvas (CSS pixels), or null. */
export function cellAt(layout: HeatmapLayout, data: HeatmapData, x: number, y: number): { row: number; step: number } | null {
  const col = Math.floor((x - layout.labelWidth) / layout.cellW);
  const row = Math.floor((y - layout.top) / layout.cellH);
  if (col < 0 || col >= data.steps.length || row < 0 || row >= data.rows.length) return null;
  return { row, step: col };
}
