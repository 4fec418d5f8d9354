/**
 * Opens the HTML report of a made-up seed-model trace in headless Chromium (Debian's, through
 * playwright-core) from file://, checks that the findings and the four charts are drawn and that the
 * page asked for nothing outside the file, and saves a full-page screenshot.
 *
 *   npm run build && node -r esbuild-register test/ui/report-screenshot.ts
 *
 * Writes test-results/report.html and test-results/report.png; exits 1 on the first failed check.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderReport } from '../../src/report/html';
import { paramHealth } from '../../src/rules/health';
import { SATURATED_MESSAGE, seedFindings, seedTrace, SEED_FILE, SEED_TEXT } from '../unit/report/fixture';

/**
 * The page globals the checks below touch, inside `page.evaluate` (they run in the browser). The
 * root tsconfig has no DOM lib on purpose, so node code cannot use it by accident.
 */
interface PageCanvas {
  id: string;
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: {
  documentElement: { dataset: Record<string, string | undefined> };
  querySelectorAll(selector: 'canvas'): Iterable<PageCanvas>;
};
declare function requestAnimationFrame(callback: () => void): number;

const OUT = path.resolve(__dirname, '..', '..', 'test-results');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const htmlPath = path.join(OUT, 'report.html');
  const trace = seedTrace();
  const findings = seedFindings();
  writeFileSync(htmlPath, renderReport({ trace, findings, health: paramHealth(trace, findings), fileName: SEED_FILE, text: SEED_TEXT, generatedAt: '2026-11-23T09:40:00.000Z' }));

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 }, deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    // The report must work from the file alone: anything else it asks for is a failure.
    const remote: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      remote.push(url);
      return route.abort();
    });

    await page.goto(pathToFileURL(htmlPath).href, { timeout: 300_000 });
    await page.waitForFunction(() => document.documentElement.dataset.chartsRendered !== undefined, undefined, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.chartsRendered), 'true', 'the page script finished drawing');
    // Chart.js draws again when its ResizeObserver fires; let that settle before reading pixels.
    await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

    const canvases = await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].map((c) => {
        const { width, height } = c;
        const pixels = c.getContext('2d')!.getImageData(0, 0, width, height).data;
        let painted = 0;
        const colours = new Set<number>();
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3] === 0) continue;
          painted++;
          colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
        }
        return { id: c.id, width, height, painted, colours: colours.size };
      }),
    );
    assert.deepEqual(
      canvases.map((c) => c.id),
      ['chart-gradNorm', 'chart-updateRatio', 'chart-gradientFlow', 'chart-activations'],
      'four charts',
    );
    for (const c of canvases) {
      assert.ok(c.width > 200 && c.height > 200, `${c.id} has a size (${c.width}×${c.height})`);
      assert.ok(c.painted > 0.02 * c.width * c.height, `${c.id} has drawn pixels (${c.painted})`);
      assert.ok(c.colours > 8, `${c.id} draws in colour (${c.colours} colours)`);
    }

    const messages = await page.locator('.finding .msg').allTextContents();
    assert.equal(messages[0], SATURATED_MESSAGE, 'the findings list shows the saturated sigmoid first');
    assert.equal(messages.length, 2);
    const location = await page.locator('.finding .loc').first().textContent();
    assert.equal(location, `${SEED_FILE}:5:5`);
    assert.ok((await page.locator('.finding .fixes li').count()) >= 4, 'the fixes are listed');
    const statuses = await page.locator('#params tbody .status').allTextContents();
    assert.deepEqual(statuses, ['vanishing', 'zero', 'healthy', 'healthy']);

    await page.screenshot({ path: path.join(OUT, 'report.png'), fullPage: true });
    assert.deepEqual(remote, [], 'no request left the file');
    assert.deepEqual(problems, [], 'no errors or warnings in the console');
    console.log(`report screenshot: ${path.join(OUT, 'report.png')} (${canvases.map((c) => `${c.id} ${c.painted}px`).join(', ')})`);
  } finally {
    await browser.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
