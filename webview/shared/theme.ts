/**
 * The editor's colours as the charts need them: VS Code sets `--vscode-*` variables on the page and
 * a theme class on <body> (vscode-light, vscode-dark, vscode-high-contrast[-light]); a canvas cannot
 * use CSS variables, so the values are read at render and read again on every theme change.
 */
import type { ChartTheme } from '../charts/theme';

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function themeKind(body: HTMLElement = document.body): ThemeKind {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

/**
 * The colour without its alpha: some themes give charts.* colours transparency (meant for fills),
 * which makes thin lines on a dark canvas hard to tell apart.
 */
export function opaque(colour: string): string {
  const c = colour.trim();
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(c);
  if (hex) {
    const d = hex[1];
    return d.length === 4 ? `#${d.slice(0, 3)}` : d.length === 8 ? `#${d.slice(0, 6)}` : c;
  }
  const rgba = /^rgba\(\s*([^,]+),\s*([^,]+),\s*([^,]+),[^)]*\)$/i.exec(c);
  return rgba ? `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})` : c;
}

/** The chart theme of the current editor theme: its foreground, background, border and charts.* colours. */
export function vscodeChartTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const light = themeKind().endsWith('light');
  const v = (name: string, fallback: string) => cssVar(style, name, fallback);
  const fg = v('--vscode-foreground', light ? '#3b3b3b' : '#cccccc');
  const red = opaque(v('--vscode-charts-red', '#f14c4c'));
  const orange = opaque(v('--vscode-charts-orange', '#d18616'));
  return {
    foreground: v('--vscode-charts-foreground', fg),
    muted: v('--vscode-descriptionForeground', fg),
    grid: v('--vscode-charts-lines', v('--vscode-panel-border', light ? 'rgba(0,0,0,0.12)' : 'rgba(255,255,255,0.12)')),
    background: v('--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    palette: [
      opaque(v('--vscode-charts-blue', '#3794ff')),
      orange,
      opaque(v('--vscode-charts-green', '#89d185')),
      opaque(v('--vscode-charts-purple', '#b180d7')),
      opaque(v('--vscode-charts-yellow', '#cca700')),
      red,
    ],
    alert: v('--vscode-editorError-foreground', red),
    saturated: orange,
    dead: v('--vscode-disabledForeground', v('--vscode-descriptionForeground', fg)),
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(v('--vscode-font-size', '13')) || 13,
  };
}

/**
 * Calls `changed` once per frame after the theme changes: the body's theme class or id, or the
 * variables VS Code writes on <html>.
 */
export function onThemeChange(changed: () => void): () => void {
  let pending = 0;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = 0;
      changed();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  return () => observer.disconnect();
}
