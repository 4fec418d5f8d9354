/**
 * A webview's page outside VS Code, for fast browser tests of the panel and the sidebar: the very
 * same shell (CSP with nonce, codicons, stylesheets, bundle) served from a fake origin, a stand-in
 * for acquireVsCodeApi that records what the page posts and keeps its state across reloads, and
 * the --vscode-* variables and body class VS Code would set. CSP violations are collected.
 */
import { expect, type Page, type PageScreenshotOptions } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FromWebview, ToWebview } from '../../../src/protocol';
import { shellHtml, type ShellOptions } from '../../../src/extension/panel/shell';

const ROOT = path.resolve(__dirname, '../../..');
export const ORIGIN = 'https://webview.test';

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.svg': 'image/svg+xml' };

export const DARK = {
  kind: 'vscode-dark',
  vars: {
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-charts-foreground': '#cccccc',
    '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-editorError-foreground': '#f14c4c',
    '--vscode-editorWarning-foreground': '#cca700',
    '--vscode-list-hoverBackground': '#2a2d2e',
  },
};

export const LIGHT = {
  kind: 'vscode-light',
  vars: {
    ...DARK.vars,
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-editor-background': '#ffffff',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-charts-foreground': '#616161',
    '--vscode-charts-lines': 'rgba(97, 97, 97, 0.5)',
    '--vscode-list-hoverBackground': '#f2f2f2',
  },
};

/** Runs in the page before the bundle: what VS Code's webview host provides. */
function standIn(theme: typeof DARK): string {
  return `
window.__posted = [];
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
  getState: () => { const s = sessionStorage.getItem('state'); return s ? JSON.parse(s) : undefined; },
  setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
});
window.__setTheme = (theme) => {
  for (const [k, v] of Object.entries(theme.vars)) document.documentElement.style.setProperty(k, v);
  const apply = () => { document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast'); document.body.classList.add(theme.kind); };
  document.body ? apply() : document.addEventListener('DOMContentLoaded', apply);
};
window.__setTheme(${JSON.stringify(theme)});
`;
}

export async function openWebview(page: Page, shell: ShellOptions, theme = DARK): Promise<void> {
  const nonce = 'dGVzdC1ub25jZS0xMjM0NTY3';
  const html = shellHtml({ cspSource: ORIGIN, asset: (...p) => `${ORIGIN}/${p.join('/')}`, nonce }, shell).replace(
    '</title>',
    `</title>\n    <script nonce="${nonce}">${standIn(theme)}</script>`,
  );
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/index.html') return route.fulfill({ body: html, contentType: 'text/html' });
    const file = path.join(ROOT, decodeURIComponent(url.pathname));
    if (!file.startsWith(ROOT + path.sep) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ body: fs.readFileSync(file), contentType: TYPES[path.extname(file)] ?? 'application/octet-stream' });
  });
  await page.goto(`${ORIGIN}/index.html`);
}

export function send(page: Page, msg: ToWebview): Promise<void> {
  return page.evaluate((m) => (globalThis as any).postMessage(m, '*'), msg as unknown as Record<string, unknown>);
}

export function posted(page: Page): Promise<FromWebview[]> {
  return page.evaluate(() => (globalThis as any).__posted as FromWebview[]);
}

export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as any).__csp as string[]);
}

export function setTheme(page: Page, theme: typeof DARK): Promise<void> {
  return page.evaluate((t) => (globalThis as any).__setTheme(t), theme);
}

/**
 * A screenshot in each theme: `file` as the page is (dark), `file` with `-light` before `.png` in
 * the light theme once its charts are drawn again in the light colours, then back to dark.
 */
export async function shootBothThemes(page: Page, file: string, options: PageScreenshotOptions = {}): Promise<void> {
  await page.screenshot({ ...options, path: file });
  await setTheme(page, LIGHT);
  if (await page.locator('body[data-chart-theme]').count()) await expect(page.locator('body')).toHaveAttribute('data-chart-theme', /\|#ffffff$/);
  await page.screenshot({ ...options, path: file.replace(/\.png$/, '-light.png') });
  await setTheme(page, DARK);
}
