/**
 * The HTML shell of both webviews, free of `vscode` so the browser tests load the very same page:
 * a strict Content-Security-Policy with a nonce, the codicon font, our stylesheets, one script, in
 * the skeleton the report shares (src/report/page.ts).
 */
import { escapeHtml, htmlPage } from '../../report/page';

export interface ShellOptions {
  title: string;
  /** Bundle under dist/webview/, e.g. "panel.js". */
  script: string;
  /** Stylesheets under media/, e.g. ["panel.css"]. */
  styles: string[];
  /** Static markup; the script fills it in. */
  body: string;
}

export interface ShellSite {
  /** The webview's `cspSource`: where its own files come from. */
  cspSource: string;
  /** A URL the webview may load for a file of the extension, e.g. asset("dist", "webview", "panel.js"). */
  asset(...path: string[]): string;
  nonce: string;
}

export function shellHtml(site: ShellSite, opts: ShellOptions): string {
  const { cspSource, asset, nonce } = site;
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
  return htmlPage({
    csp,
    title: opts.title,
    head: [
      `<link rel="stylesheet" id="vscode-codicon-stylesheet" nonce="${nonce}" href="${escapeHtml(asset('dist', 'webview', 'codicon.css'))}">`,
      ...opts.styles.map((s) => `<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(asset('media', s))}">`),
    ],
    body: [opts.body, `<script nonce="${nonce}" src="${escapeHtml(asset('dist', 'webview', opts.script))}"></script>`],
  });
}

/** What each view's page is made of; the host and the browser tests both build from these. */
export const PANEL_SHELL: ShellOptions = {
  title: 'Gradient Lens',
  script: 'panel.js',
  styles: ['webview.css', 'panel.css'],
  body: '<main id="app" aria-busy="true"><p class="placeholder">Loading the trace…</p></main>',
};

export const SIDEBAR_SHELL: ShellOptions = {
  title: 'Gradients',
  script: 'sidebar.js',
  styles: ['webview.css', 'sidebar.css'],
  body: '<main id="app" aria-busy="true"></main>',
};
