/**
 * UI tests in Debian's Chromium (no browser download): the webviews on their own against the real
 * page shell and bundles (fast), and the extension in a real VS Code (code-server, started once per
 * worker by the fixture in vscode.ts). Screenshots go to test-results/.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: __dirname,
  testMatch: /.*\.spec\.ts$/,
  outputDir: '../../test-results/ui',
  // Upper bounds for a failure to show, not measures: CI machines are shared and may be busy.
  timeout: 600_000,
  expect: { timeout: 60_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    viewport: { width: 1280, height: 800 },
    navigationTimeout: 300_000,
    actionTimeout: 120_000,
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
  },
});
