/**
 * Driving the real VS Code (code-server) in the UI tests: the command palette, the webviews nested
 * in their iframes, squiggles where they are now, and screenshots in the dark and the light theme.
 */
import { expect, type Frame, type Locator, type Page } from '@playwright/test';
import * as path from 'node:path';

export const SHOTS = path.resolve(__dirname, '../../../test-results');

export type Box = { x: number; y: number; width: number; height: number };

/** Where a squiggle of one of `classes` sits on `line` right now, if one does. */
export async function squiggleOn(editor: Locator, line: Locator, classes: string): Promise<Box | undefined> {
  const ln = await line.boundingBox();
  if (!ln) return undefined;
  for (const box of await Promise.all((await editor.locator(classes).all()).map((s) => s.boundingBox()))) {
    if (box && Math.abs(box.y - ln.y) < ln.height / 2) return box;
  }
  return undefined;
}

export async function waitForSquiggle(editor: Locator, line: Locator, classes: string, what: string): Promise<void> {
  await expect.poll(async () => !!(await squiggleOn(editor, line, classes)), { timeout: 120_000, message: what }).toBe(true);
}

/**
 * Runs a command from the palette. A window registers its extensions' contributions (the built-in
 * ones too: Terminal: Focus on Terminal View is missing as well) some seconds after the workbench
 * shows, longer on a busy machine; a palette opened before lists only what was registered then,
 * and typing the same title again does not ask it again. So each attempt opens the palette afresh
 * and types the title, waiting longer each time, until the command is the first row.
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  let attempt = 0;
  await expect(async () => {
    attempt++;
    if (await input.isVisible()) {
      await input.press('Escape');
      await expect(input).toBeHidden();
    }
    await page.keyboard.press('F1');
    await expect(input).toBeVisible();
    await input.fill('>' + title);
    await expect(page.locator('.quick-input-list .monaco-list-row').first()).toContainText(title, { timeout: 5_000 * attempt });
  }).toPass({ timeout: 300_000 });
  await input.press('Enter');
}

/**
 * Opens the Gradient Lens view from the activity bar, as a user meets it, and waits for its page.
 * A reloaded window shows the activity bar's icons from its last session before the extensions are
 * registered, and a click then may open nothing: the click is repeated until the page shows.
 */
export async function openGradientsView(page: Page, selector: string): Promise<Frame> {
  const icon = page.locator('.activitybar .action-item a[aria-label^="Gradient Lens"]');
  const view = page.locator('.part.sidebar .composite.title', { hasText: 'Gradient Lens' });
  await expect(async () => {
    if (!(await view.isVisible())) await icon.click();
    await expect(view).toBeVisible({ timeout: 10_000 });
  }).toPass({ timeout: 300_000 });
  return webviewFrame(page, selector);
}

/** The inner frame of the webview whose page has `selector` (webviews nest two iframes deep). */
export async function webviewFrame(page: Page, selector: string): Promise<Frame> {
  let found: Frame | undefined;
  await expect
    .poll(
      async () => {
        for (const f of page.frames()) {
          if (f.name() !== 'active-frame' && !f.url().includes('fake.html')) continue;
          if (await f.locator(selector).count().catch(() => 0)) {
            found = f;
            return true;
          }
        }
        return false;
      },
      { timeout: 120_000, message: `a webview showing ${selector}` },
    )
    .toBe(true);
  return found!;
}

const THEMES = { dark: { workbench: /(^|\s)vs-dark(\s|$)/, webview: /vscode-dark/ }, light: { workbench: /(^|\s)vs(\s|$)/, webview: /vscode-light/ } };

/**
 * Switches the colour theme as the system's light or dark mode would: the profile follows it
 * (window.autoDetectColorScheme, see code-server.ts) and the page is told the system's scheme
 * changed. No command palette, so a suggest widget or a quick-fix menu stays open for the picture,
 * and no settings.json to be watched: the window missed a change of that file now and then on a
 * busy machine (a switch never applied in two minutes).
 */
export async function setWorkbenchTheme(page: Page, theme: keyof typeof THEMES, webviews: Frame[] = []): Promise<void> {
  await page.emulateMedia({ colorScheme: theme });
  await expect(page.locator('.monaco-workbench')).toHaveClass(THEMES[theme].workbench, { timeout: 120_000 });
  for (const f of webviews) await expect(f.locator('body')).toHaveClass(THEMES[theme].webview, { timeout: 120_000 });
}

/** `<name>-dark.png` and `<name>-light.png` of the window as it is now; the theme ends dark again. */
export async function shootWindow(page: Page, name: string, webviews: Frame[] = []): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}-dark.png` });
  await setWorkbenchTheme(page, 'light', webviews);
  await page.screenshot({ path: `${SHOTS}/${name}-light.png` });
  await setWorkbenchTheme(page, 'dark', webviews);
}
