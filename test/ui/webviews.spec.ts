/**
 * The panel and sidebar pages in Chromium, outside VS Code but with their real shell (CSP, nonce,
 * bundles, codicons) and a real trace of the seed-saturated model: what they draw, what they post
 * back, theme changes, and state that survives the page being rebuilt.
 */
import { expect, test, type Page } from '@playwright/test';
import * as path from 'node:path';
import type { FromWebview, ToWebview } from '../../src/protocol';
import { PANEL_SHELL, SIDEBAR_SHELL } from '../../src/extension/panel/shell';
import { DEEP_104, seedSaturatedMessage, traceMessage, trainingRunMessage } from './support/trace-fixture';
import { cspViolations, LIGHT, openWebview, posted, send, setTheme, shootBothThemes } from './support/webview-page';

type TraceMessage = Extract<ToWebview, { type: 'trace' }>;
const SHOTS = path.resolve(__dirname, '../../test-results');
let msg: TraceMessage;
let deep: TraceMessage;

test.beforeAll(() => {
  msg = seedSaturatedMessage();
  deep = traceMessage(DEEP_104);
});

test.afterEach(async ({ page }) => {
  expect(await cspViolations(page), 'Content-Security-Policy violations').toEqual([]);
});

const lastPosted = async (page: Page): Promise<FromWebview | undefined> => (await posted(page)).at(-1);

test.describe('trace panel page', () => {
  test('says ready, then draws four charts with one dataset per parameter', async ({ page }) => {
    await openWebview(page, PANEL_SHELL);
    await expect.poll(() => posted(page)).toEqual([{ type: 'ready' }]);
    await send(page, msg);
    const norm = page.locator('canvas[data-chart="grad-norm"]');
    await expect(norm).toHaveAttribute('data-rendered', 'true');
    await expect(norm).toHaveAttribute('data-datasets', String(msg.trace.params.length));
    expect(JSON.parse((await norm.getAttribute('data-labels'))!)).toEqual(msg.trace.params.map((p) => p.name));
    await expect(page.locator('canvas[data-rendered="true"]')).toHaveCount(4);
    // Chart.js drew pixels, not just a sized canvas.
    const inked = await norm.evaluate((c: any) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(1000);
    await expect(page.locator('header h1')).toHaveText('seed-saturated.grad.yaml');
    await page.screenshot({ path: `${SHOTS}/webview-panel.png`, fullPage: true });
  });

  test('lists the findings first; click and Enter reveal their range; fix buttons ask the host to apply the fix', async ({ page }) => {
    await openWebview(page, PANEL_SHELL);
    await send(page, msg);
    const rows = page.locator('section.findings .finding-row');
    await expect(rows).toHaveCount(msg.findings.length);
    expect(msg.findings.length).toBeGreaterThan(0);
    // Above the charts: what the user acts on comes first.
    const [findingsTop, chartsTop] = await Promise.all([page.locator('section.findings').boundingBox(), page.locator('section.charts').boundingBox()]);
    expect(findingsTop!.y).toBeLessThan(chartsTop!.y);
    const saturated = msg.findings.findIndex((f) => f.rule === 'saturated-activation');
    expect(saturated).toBeGreaterThanOrEqual(0);
    await rows.nth(saturated).locator('button.reveal').click();
    expect(await lastPosted(page)).toEqual({ type: 'reveal', uri: msg.uri, range: msg.findings[saturated].range });
    // Keyboard only: Tab reaches the first finding, Enter reveals it, the arrows move between findings.
    await rows.first().locator('button.reveal').focus();
    await page.keyboard.press('Enter');
    expect(await lastPosted(page)).toEqual({ type: 'reveal', uri: msg.uri, range: msg.findings[0].range });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await lastPosted(page)).toEqual({ type: 'reveal', uri: msg.uri, range: msg.findings[1].range });
    // Every fix is a labelled button; the first is the preferred one.
    const f = msg.findings[saturated];
    const fixes = rows.nth(saturated).locator('vscode-button.fix');
    await expect(fixes).toHaveCount(f.fixes.length);
    await expect(fixes.first()).toHaveText(f.fixes[0]);
    await fixes.first().click();
    expect(await lastPosted(page)).toEqual({ type: 'applyFix', uri: msg.uri, rule: f.rule, layer: f.layer, title: f.fixes[0] });
    await fixes.nth(1).focus();
    await page.keyboard.press('Enter');
    expect(await lastPosted(page)).toEqual({ type: 'applyFix', uri: msg.uri, rule: f.rule, layer: f.layer, title: f.fixes[1] });
    await shootBothThemes(page, `${SHOTS}/webview-panel-findings.png`, { fullPage: true });
  });

  test('a fix title wider than a narrow panel wraps inside its button, none cut off', async ({ page }) => {
    await page.setViewportSize({ width: 420, height: 800 });
    await openWebview(page, PANEL_SHELL);
    await send(page, msg);
    const section = page.locator('section.findings');
    const fixes = section.locator('vscode-button.fix');
    await expect(fixes.first()).toBeVisible();
    const right = (await section.boundingBox())!;
    for (const b of await fixes.all()) {
      const box = (await b.boundingBox())!;
      expect(box.x + box.width, `${await b.textContent()} ends inside the findings`).toBeLessThanOrEqual(right.x + right.width + 0.5);
      // Its whole title is shown: the button's box holds its text, wrapped when it must.
      expect(await b.evaluate((el) => { const base = el.shadowRoot!.querySelector('.base')!; return base.scrollWidth <= base.clientWidth + 1; })).toBe(true);
    }
  });

  test('legend toggles a parameter, and the choice survives the page being rebuilt', async ({ page }) => {
    await openWebview(page, PANEL_SHELL);
    await send(page, msg);
    await expect(page.locator('canvas[data-chart="grad-norm"]')).toHaveAttribute('data-rendered', 'true');
    const box = await page.evaluate(() => {
      const chart = (globalThis as any).gradientLensCharts['grad-norm'];
      const hit = chart.legend.legendHitBoxes[1];
      const r = chart.canvas.getBoundingClientRect();
      return { x: r.left + hit.left + hit.width / 2, y: r.top + hit.top + hit.height / 2 };
    });
    await page.mouse.click(box.x, box.y);
    const visible = () => page.evaluate(() => {
      const chart = (globalThis as any).gradientLensCharts['grad-norm'];
      return chart.data.datasets.map((_: unknown, i: number) => chart.isDatasetVisible(i));
    });
    await expect.poll(visible).toEqual(msg.trace.params.map((_, i) => i !== 1));

    // Hidden without retainContextWhenHidden: the page is rebuilt and draws from its saved state
    // before the host has sent anything.
    await page.reload();
    await expect(page.locator('canvas[data-chart="grad-norm"]')).toHaveAttribute('data-rendered', 'true');
    expect(await posted(page)).toEqual([{ type: 'ready' }]);
    await expect.poll(visible).toEqual(msg.trace.params.map((_, i) => i !== 1));
  });

  test('follows the theme: charts are drawn again in the new colours', async ({ page }) => {
    await openWebview(page, PANEL_SHELL);
    await send(page, msg);
    await expect(page.locator('body')).toHaveAttribute('data-chart-theme', '#cccccc|#1f1f1f');
    const gridColour = () => page.evaluate(() => (globalThis as any).gradientLensCharts['grad-norm'].options.scales.y.grid.color);
    expect(await gridColour()).toBe('rgba(204, 204, 204, 0.5)');
    await setTheme(page, LIGHT);
    await expect(page.locator('body')).toHaveAttribute('data-chart-theme', '#616161|#ffffff');
    expect(await gridColour()).toBe('rgba(97, 97, 97, 0.5)');
    await expect(page.locator('canvas[data-rendered="true"]')).toHaveCount(4);
  });

  test('exports CSV and PNG through the host', async ({ page }) => {
    await openWebview(page, PANEL_SHELL);
    await send(page, msg);
    await expect(page.locator('canvas[data-rendered="true"]')).toHaveCount(4);
    await page.locator('#export-csv').click();
    const csv = (await lastPosted(page)) as Extract<FromWebview, { type: 'export' }>;
    expect(csv).toMatchObject({ type: 'export', format: 'csv', suggestedName: 'seed-saturated-gradients.csv' });
    const lines = csv.data.trim().split(/\r\n/);
    expect(lines[0]).toMatch(/^step,loss,parameter,layer,grad_norm,/);
    expect(lines).toHaveLength(1 + msg.trace.steps.length * msg.trace.params.length);

    await page.locator('#export-png').click();
    const png = (await lastPosted(page)) as Extract<FromWebview, { type: 'export' }>;
    expect(png).toMatchObject({ type: 'export', format: 'png', suggestedName: 'seed-saturated-gradients.png' });
    expect(png.data).toMatch(/^data:image\/png;base64,/);
    const size = await page.evaluate(async (src) => {
      const img = new (globalThis as any).Image();
      img.src = src;
      await img.decode();
      return { w: img.naturalWidth, h: img.naturalHeight };
    }, png.data);
    expect(size.w).toBeGreaterThan(600);
    expect(size.h).toBeGreaterThan(400);
  });

  test('shows the host status and the empty state', async ({ page }) => {
    await openWebview(page, PANEL_SHELL);
    await send(page, msg);
    await send(page, { type: 'status', state: 'running', message: 'Tracing 20 steps…' });
    await expect(page.locator('#status')).toContainText('Tracing 20 steps…');
    await expect(page.locator('#status vscode-progress-ring')).toHaveCount(1);
    await send(page, { type: 'empty', message: 'No model file.' });
    await expect(page.locator('#app')).toHaveText('No model file.');
  });
});

test.describe('trace panel page, a 104-tensor model', () => {
  test('leads with the overview heatmap, draws the line charts per module, and filters', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await openWebview(page, PANEL_SHELL);
    await send(page, deep);
    const heatmap = page.locator('canvas[data-heatmap]');
    await expect(heatmap).toHaveAttribute('data-drawn', 'true');
    await expect(heatmap).toHaveAttribute('data-rows', '104');
    // The overview comes before the other charts, the findings before it.
    const boxes = await Promise.all(['section.findings', '#figure-overview', '#figure-grad-norm'].map((s) => page.locator(s).boundingBox()));
    expect(boxes[0]!.y).toBeLessThan(boxes[1]!.y);
    expect(boxes[1]!.y).toBeLessThan(boxes[2]!.y);
    // One chart per module, none with more than 16 lines; the first is open and drawn.
    const modules = page.locator('#figure-grad-norm details.module');
    expect(await modules.count()).toBeGreaterThanOrEqual(7);
    const firstCanvas = modules.first().locator('canvas');
    await expect(firstCanvas).toHaveAttribute('data-rendered', 'true');
    expect(Number(await firstCanvas.getAttribute('data-datasets'))).toBeLessThanOrEqual(16);
    // Keyboard: a module opens with Enter on its summary, and its chart is drawn.
    await modules.nth(2).locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect(modules.nth(2).locator('canvas')).toHaveAttribute('data-rendered', 'true');
    // Pointing at a cell names its parameter and step.
    const box = (await heatmap.boundingBox())!;
    await heatmap.hover({ position: { x: box.width - 20, y: 8 } });
    await expect(page.locator('#overview-under-pointer')).toContainText(/step \d+ · ‖∇‖ = /);
    await page.locator('#figure-overview').scrollIntoViewIfNeeded();
    await shootBothThemes(page, `${SHOTS}/webview-panel-104.png`, { fullPage: false });
    const filter = page.getByRole('searchbox', { name: 'Filter parameters by name' });
    await filter.fill('block3.');
    await expect(heatmap).toHaveAttribute('data-rows', '4');
    await expect(page.locator('#figure-grad-norm details.module:not([hidden])')).toHaveCount(1);
  });
});

test.describe('sidebar page', () => {
  test('one row per parameter, trouble first, with shape, norm, sparkline and status icon', async ({ page }) => {
    await openWebview(page, SIDEBAR_SHELL);
    await expect.poll(() => posted(page)).toEqual([{ type: 'ready' }]);
    await send(page, msg);
    const rows = page.locator('.param-row');
    await expect(rows).toHaveCount(msg.trace.params.length);
    const order = ['nan', 'zero', 'exploding', 'vanishing', 'healthy'];
    const health = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-health')!));
    const ranks = health.map((h) => order.indexOf(h));
    expect(ranks.every((r) => r >= 0)).toBe(true);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    const names = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-param')));
    expect([...names].sort()).toEqual(msg.trace.params.map((p) => p.name).sort());
    const first = rows.first();
    const param = msg.trace.params.find((p) => p.name === names[0])!;
    await expect(first.locator('.shape')).toHaveText(`[${param.shape.join(', ')}]`);
    await expect(first.locator('.norm')).not.toBeEmpty();
    await expect(first.locator('vscode-icon[class^="health-"]')).toHaveAttribute('name', /^(error|circle-slash|flame|arrow-down|pass|warning|info)$/);
    // The norm says what it is.
    await expect(first.locator('.norm')).toHaveAttribute('title', /Gradient L2 norm ‖∇‖ of .* at the last step/);
    await expect(first.locator('.norm')).toContainText('‖∇‖');
    const points = await first.locator('svg.spark polyline').getAttribute('points');
    expect(points!.trim().split(/\s+/)).toHaveLength(msg.trace.steps.length);
    await expect(page.locator('.finding-row')).toHaveCount(msg.findings.length);
    await page.setViewportSize({ width: 320, height: 560 });
    await page.screenshot({ path: `${SHOTS}/webview-sidebar.png` });
  });

  test('keyboard: rows are focusable, arrows move, Enter reveals the layer', async ({ page }) => {
    await openWebview(page, SIDEBAR_SHELL);
    await send(page, msg);
    const rows = page.locator('.param-row');
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    await expect(rows.nth(1)).toBeFocused();
    await page.keyboard.press('Enter');
    const name = await rows.nth(1).getAttribute('data-param');
    const layer = msg.trace.params.find((p) => p.name === name)!.layer;
    const range = msg.layers!.find((l) => l.path === layer)!.range;
    expect(await lastPosted(page)).toEqual({ type: 'reveal', uri: msg.uri, range });
    // Re-rendering (a re-trace) keeps the keyboard on the same parameter.
    await send(page, msg);
    await expect(page.locator(`.param-row[data-param="${name}"]`)).toBeFocused();
  });

  test('buttons ask the host to re-trace and to open the chart panel', async ({ page }) => {
    await openWebview(page, SIDEBAR_SHELL);
    await send(page, msg);
    await page.locator('#retrace').click();
    expect(await lastPosted(page)).toEqual({ type: 'retrace' });
    await page.locator('#open-panel').click();
    expect(await lastPosted(page)).toEqual({ type: 'openPanel' });
  });

  test('one status per row: never a green check beside a finding', async ({ page }) => {
    await openWebview(page, SIDEBAR_SHELL);
    await send(page, msg);
    const rows = page.locator('.param-row');
    await expect(rows).toHaveCount(msg.trace.params.length);
    const contradictory = await rows.evaluateAll((els) => els.filter((e) => e.querySelector('vscode-icon[name="pass"]') && e.querySelector('.finding-mark')).length);
    expect(contradictory).toBe(0);
    // The parameter of the badly initialised Linear (healthy gradient or not) shows the finding.
    const first = page.locator('.param-row[data-param="0.weight"] vscode-icon').first();
    await expect(first).not.toHaveAttribute('name', 'pass');
  });

  test('a 104-tensor model: grouped by module, worst module first, and a filter', async ({ page }) => {
    await openWebview(page, SIDEBAR_SHELL);
    await send(page, deep);
    await expect(page.locator('.param-row')).toHaveCount(104);
    const sections = page.locator('vscode-collapsible[data-module]');
    expect(await sections.count()).toBeGreaterThanOrEqual(7);
    // The blocks the tiny init starves hold the worst rows: their module comes first.
    await expect(sections.first()).toHaveAttribute('data-module', /block[0-9]/);
    const filter = page.getByRole('searchbox', { name: 'Filter parameters by name' });
    await filter.fill('block17.');
    await expect(page.locator('.param-row:not([hidden])')).toHaveCount(4);
    await expect(page.locator('vscode-collapsible[data-module]:not([hidden])')).toHaveCount(1);
    await filter.fill('');
    await expect(page.locator('.param-row:not([hidden])')).toHaveCount(104);
    await page.setViewportSize({ width: 320, height: 720 });
    await shootBothThemes(page, `${SHOTS}/webview-sidebar-104.png`);
  });

  test('no model: the welcome view offers a new model file, the example and the walkthrough', async ({ page }) => {
    await openWebview(page, SIDEBAR_SHELL);
    await send(page, { type: 'empty', message: 'The active editor (train.py) is not a model file.' });
    await expect(page.locator('.welcome')).toContainText('train.py');
    for (const [name, command] of [
      ['New model file', 'newModelFile'],
      ['Open example', 'openExample'],
      ['Start walkthrough', 'startWalkthrough'],
    ] as const) {
      await page.getByRole('button', { name }).click();
      expect(await lastPosted(page)).toEqual({ type: 'run', command });
    }
    // Keyboard only: Tab reaches each one, Enter runs it.
    await page.getByRole('button', { name: 'New model file' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await lastPosted(page)).toEqual({ type: 'run', command: 'openExample' });
    await page.setViewportSize({ width: 320, height: 400 });
    await shootBothThemes(page, `${SHOTS}/webview-sidebar-welcome.png`);
  });

  test('a model file without a trace is named, with where its problems are, and no welcome', async ({ page }) => {
    await openWebview(page, SIDEBAR_SHELL);
    await send(page, { type: 'empty', message: 'Its parameters show here once it traces.', file: '/ws/mymodel.grad.yaml' });
    await expect(page.locator('.untraced .file')).toHaveText('mymodel.grad.yaml');
    await expect(page.locator('.untraced p')).toHaveText('Its parameters show here once it traces.');
    await expect(page.locator('.welcome')).toHaveCount(0);
    await send(page, { type: 'empty', message: 'Open a model file.' });
    await expect(page.locator('.untraced')).toHaveCount(0);
    await expect(page.locator('.welcome')).toHaveCount(1);
  });

  test('empty state and running status', async ({ page }) => {
    await openWebview(page, SIDEBAR_SHELL);
    await send(page, { type: 'empty', message: 'Open a model file.' });
    await expect(page.locator('.welcome p').first()).toHaveText('Open a model file.');
    await send(page, { type: 'status', state: 'running', message: 'Tracing…' });
    await expect(page.locator('.status vscode-progress-ring')).toHaveCount(1);
    await send(page, { type: 'status', state: 'error', message: 'Trace failed: out of memory' });
    await expect(page.locator('.status-error')).toContainText('out of memory');
  });
});

test.describe('a watched training run', () => {
  test('the panel: the run\'s facts and notes, its real steps on the x axis, no Re-trace, findings revealed in train.py', async ({ page }) => {
    const run = trainingRunMessage();
    await openWebview(page, PANEL_SHELL);
    await send(page, run);
    await expect(page.locator('canvas[data-chart="grad-norm"]')).toHaveAttribute('data-rendered', 'true');
    const facts = page.locator('.toolbar .facts');
    await expect(facts).toContainText('training run run-1');
    await expect(facts).toContainText('steps 0–20 (3 recorded)');
    await expect(facts).toContainText('still running');
    await expect(page.locator('#retrace')).toHaveCount(0);
    await expect(page.locator('.banner.info', { hasText: 'recording every 10 steps' })).toHaveCount(1);
    const xs = await page.evaluate(() => (globalThis as any).gradientLensCharts['grad-norm'].data.datasets[0].data.map((p: { x: number }) => p.x));
    expect(xs).toEqual([0, 10, 20]);
    const i = run.findings.findIndex((f) => f.rule === 'saturated-activation');
    expect(run.findings[i].uri).toMatch(/\/proj\/train\.py$/);
    await page.locator('section.findings .finding-row button.reveal').nth(i).click();
    expect(await lastPosted(page)).toEqual({ type: 'reveal', uri: run.findings[i].uri, range: run.findings[i].range });
  });

  test('the sidebar: live, no Re-trace, a row reveals its module in train.py', async ({ page }) => {
    const run = trainingRunMessage();
    await openWebview(page, SIDEBAR_SHELL);
    await send(page, run);
    await expect(page.locator('header.model')).toContainText('training run · steps 0–20 (3 recorded) · live');
    await expect(page.locator('#retrace')).toHaveCount(0);
    await page.locator('.param-row[data-param="2.weight"]').click();
    const layer = run.layers!.find((l) => l.path === '2')!;
    expect(await lastPosted(page)).toEqual({ type: 'reveal', uri: layer.uri, range: layer.range });
  });
});
