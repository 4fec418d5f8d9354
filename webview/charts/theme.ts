/**
 * Chart colours and type, passed in by the page: the report uses the light theme below, the VS Code
 * panel builds one from its `--vscode-*` variables (webview/shared/theme.ts) so the charts follow the
 * editor's theme.
 */

export interface ChartTheme {
  /** Text: tick labels, legend. */
  foreground: string;
  /** Secondary text: axis titles, the floor and ceiling labels. */
  muted: string;
  grid: string;
  background: string;
  /** One colour per parameter, reused in order when there are more parameters than colours. */
  palette: string[];
  /** Bars whose value is zero or non-finite, so a dead layer stands out from a small one. */
  alert: string;
  /** Saturated and dead shares in the activation chart. */
  saturated: string;
  dead: string;
  fontFamily: string;
  fontSize: number;
}

/** Tableau 10: distinguishable for the common colour-vision deficiencies, readable on white. */
export const LIGHT_THEME: ChartTheme = {
  foreground: '#1f2328',
  muted: '#59636e',
  grid: '#e6e8eb',
  background: '#ffffff',
  palette: ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#e15759', '#bab0ac'],
  alert: '#cf222e',
  saturated: '#e8850c',
  dead: '#6e7781',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontSize: 12,
};

export function paletteColor(theme: ChartTheme, i: number): string {
  return theme.palette[i % theme.palette.length];
}
