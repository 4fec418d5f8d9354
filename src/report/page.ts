/**
 * The one HTML skeleton of every page Gradient Lens makes: the report file (src/report/html.ts)
 * and the two webviews (src/extension/panel/shell.ts). Each brings its Content-Security-Policy,
 * what goes in its head (styles, a script's data) and its body.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageParts {
  /** The Content-Security-Policy: every page says what it may load and run. */
  csp: string;
  /** Text, escaped here. */
  title: string;
  /** Markup after the title: stylesheets, meta tags. */
  head: string[];
  /** The body's markup, scripts last. */
  body: string[];
}

export function htmlPage(page: PageParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${page.csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
${page.head.join('\n')}
</head>
<body>
${page.body.join('\n')}
</body>
</html>
`;
}
