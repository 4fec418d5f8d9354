#!/usr/bin/env node
/**
 * Runs the extension's mocha suites INSIDE a real VS Code extension host: code-server (VS Code's
 * server build, from npm) with headless Debian Chromium as the window, the way @vscode/test-electron
 * runs them in desktop VS Code (which cannot be downloaded on these machines).
 *
 * Two runs, each in a fresh code-server with its own profile and a temp copy of the workspace:
 *   suite       trusted workspace (out/test/extension/suite/index.js)
 *   untrusted   Restricted Mode   (out/test/extension/untrusted/index.js)
 *   activation  a folder without model files: lazy activation, and VS Code's own activation time
 *
 * usage: node scripts/run-ext-tests.js [suite|untrusted|activation ...]
 * env:   GL_TOOLCHAIN_DIR (see scripts/toolchain.js; installed by scripts/setup-vscode-test.js),
 *        CHROMIUM (default /usr/bin/chromium), EXT_TEST_TIMEOUT_MS (per run, default 30 minutes),
 *        VERBOSE=1 (every workbench log line), SHOT=dir (a screenshot per run), KEEP_RUN_DIR=1,
 *        GL_EXT_GREP=<regexp> (only the tests whose title matches, while developing)
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..');
const { CODE_SERVER, NODE24, CHROMIUM } = require('./toolchain');
const TIMEOUT = Number(process.env.EXT_TEST_TIMEOUT_MS || 1_800_000); // a safety net for a hung run, not a measure
/** Workbench chatter that says nothing about our tests (no network, no accounts, AI features off). */
const NOISE =
  /^\s*(\[(AgentHost|ChatModelSelection|AccountPolicyGate|AgentHost:remote)[\]:]|Failed to load resource)|ENOTFOUND|Timed out waiting for authentication provider|An unknown error occurred|\[(Extension Host|exthost)\] *$/;

/** Logged by test/extension/suite/zz-activation.test.ts when it wants VS Code's activation time read. */
const ACTIVATION_ASK = '[gradient-lens-test] read activation time';

const RUNS = {
  suite: { trusted: true, tests: 'out/test/extension/suite/index.js' },
  untrusted: { trusted: false, tests: 'out/test/extension/untrusted/index.js' },
  // A folder without model files: activation must wait for one to be opened.
  activation: { trusted: true, tests: 'out/test/extension/activation/index.js', empty: true },
};

function fail(msg) {
  console.error(`run-ext-tests: ${msg}`);
  process.exit(2);
}

/** The workspace the tests open: a throwaway copy of examples/ with the test fixtures in fixtures/ and bench/models in bench/. */
function makeWorkspace(dir, empty) {
  const ws = path.join(dir, 'workspace');
  fs.mkdirSync(ws, { recursive: true });
  if (empty) {
    fs.writeFileSync(path.join(ws, 'notes.txt'), 'no model files here\n');
    return ws;
  }
  const examples = path.join(ROOT, 'examples');
  if (fs.existsSync(examples)) fs.cpSync(examples, ws, { recursive: true });
  fs.cpSync(path.join(ROOT, 'test/extension/fixtures'), path.join(ws, 'fixtures'), { recursive: true });
  // The benchmark's models (the CIFAR-size CNN), for the quick-trace timing the suite prints.
  fs.cpSync(path.join(ROOT, 'bench/models'), path.join(ws, 'bench'), { recursive: true });
  return ws;
}

/** Ends a detached process group we started: SIGTERM, then SIGKILL after 5 s. */
async function endGroup(child) {
  const alive = () => {
    try {
      process.kill(-child.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive())
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
}

let current; // the run in progress, ended on SIGINT/SIGTERM

/**
 * VS Code's own measure of our activation, read where users read it: the Running Extensions
 * editor ("Developer: Show Running Extensions"), which shows the extension host's activation
 * times. Printed only; a failure to read it does not fail the run.
 */
async function readActivation(page, name) {
  try {
    await page.keyboard.press('F1');
    await page.keyboard.type('Developer: Show Running Extensions');
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    // One row per running extension, labelled with its name; ours is "gradient-lens".
    const row = page.locator('.monaco-list-row[aria-label="gradient-lens"]').filter({ has: page.locator('.activation-time') }).first();
    const list = page.locator('.monaco-list-row:has(.activation-time)').first();
    await list.waitFor({ timeout: 15000 });
    // Rows are sorted slowest first and the list is virtual: scroll until ours is rendered.
    const box = await list.boundingBox();
    const seen = new Set();
    for (let i = 0; i < 30 && !(await row.count()); i++) {
      for (const r of await page.locator('.monaco-list-row:has(.activation-time)').evaluateAll((rows) =>
        rows.map((x) => `${x.getAttribute('aria-label')} ${x.querySelector('.activation-time')?.textContent?.replace(/^.*Activation: /, '')}`),
      )) seen.add(r);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, 300);
      await page.waitForTimeout(100);
    }
    await row.waitFor({ timeout: 2000 });
    const shown = (await row.locator('.activation-time').innerText()).trim();
    // Its hover breaks the number down (code loading, activate call, resolved).
    for (const r of await page.locator('.monaco-list-row:has(.activation-time)').evaluateAll((rows) =>
      rows.map((x) => `${x.getAttribute('aria-label')} ${x.querySelector('.activation-time')?.textContent?.replace(/^.*Activation: /, '')}`),
    )) seen.add(r);
    await row.locator('.activation-time').hover();
    await page.waitForTimeout(1500);
    const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: /Activated|ms/ }).first();
    const detail = await hover.innerText({ timeout: 3000 }).then((t) => t.replace(/\s+/g, ' ').trim()).catch(() => '');
    await page.keyboard.press('Escape');
    // Built-in extensions activated in the same window, for scale.
    return `${shown}${detail ? ` (${detail})` : ''}; all running: ${[...seen].join(', ')}`;
  } catch (e) {
    if (process.env.DEBUG_ACTIVATION) await page.screenshot({ path: path.join(os.tmpdir(), 'gl-running-extensions.png') }).catch(() => {});
    return `could not read it: ${e.message.split('\n')[0]}`;
  }
}

async function runOne(name, { trusted, tests, empty }) {
  const testsPath = path.join(ROOT, tests);
  if (!fs.existsSync(testsPath)) fail(`${tests} is missing; run node scripts/build-ext-tests.mjs first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gl-ext-${name}-`));
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  for (const d of ['ud/User', 'exts', 'xdg', 'tmp']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const ws = makeWorkspace(dir, empty);
  const settings = {
    'chat.disableAIFeatures': true,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'security.workspace.trust.enabled': !trusted,
    // Restricted Mode without the modal prompt: the folder simply opens untrusted.
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'never',
    'security.workspace.trust.emptyWindow': false,
    // These suites check what a trace finds, not how fast it is: on a busy shared machine a first
    // quick trace (worker start and JIT included) can outrun the 2 s default and show "timed out".
    // The tests about the limits set their own, in the workspace, which overrides these.
    'gradientLens.quickTraceTimeLimitMs': 600_000,
    'gradientLens.timeLimitMs': 600_000,
  };
  fs.writeFileSync(path.join(dir, 'ud/User/settings.json'), JSON.stringify(settings, null, 2));
  fs.writeFileSync(path.join(dir, 'config.yaml'), 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');

  const args = [CODE_SERVER, '--config', path.join(dir, 'config.yaml'), '--bind-addr', '127.0.0.1:0', '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    '--user-data-dir', path.join(dir, 'ud'), '--extensions-dir', path.join(dir, 'exts'),
    // Without it the built workbench ignores extensionTestsPath; with it, it reports the run's end.
    '--vscode-option', 'enable-smoke-test-driver'];
  if (trusted) args.push('--disable-workspace-trust');
  const xdg = path.join(dir, 'xdg');
  const handshake = path.join(dir, 'handshake');
  fs.mkdirSync(handshake);
  const server = spawn(NODE24, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: xdg, XDG_CACHE_HOME: xdg, TMPDIR: path.join(dir, 'tmp'), GL_TEST_HANDSHAKE: handshake },
  });
  const log = fs.createWriteStream(path.join(dir, 'server.log'));
  server.stdout.pipe(log);
  server.stderr.pipe(log);

  let browser;
  let page;
  let settled = false;
  const result = await new Promise((resolve) => {
    const finish = (code, why) => {
      if (settled) return;
      settled = true;
      resolve({ code, why });
    };
    current = finish;
    const timer = setTimeout(() => finish(1, `timed out after ${TIMEOUT} ms`), TIMEOUT);
    timer.unref();
    (async () => {
      const port = await new Promise((res, rej) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) res(m[1]);
        });
        server.on('exit', (c) => rej(new Error(`code-server exited with ${c} before listening (see ${dir}/server.log)`)));
      });
      console.log(`[${name}] code-server on 127.0.0.1:${port} after ${elapsed()}`);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
      });
      page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
      // Playwright's 30 s defaults are too short for a workbench loading on a busy machine; the
      // run's own TIMEOUT is the bound.
      page.setDefaultTimeout(TIMEOUT);
      page.setDefaultNavigationTimeout(TIMEOUT);
      // The smoke-test driver hands the workbench's log (the extension host's console included) and
      // the end of the run (run()'s promise) to these two.
      await page.exposeFunction('codeAutomationLog', (_type, args) => {
        const line = util.format(...args);
        if (process.env.VERBOSE || !NOISE.test(line)) console.log(line);
        // The activation test asks for VS Code's own numbers while the extension host still runs.
        if (line.includes(ACTIVATION_ASK) && page) void readActivation(page, name).then((r) => fs.writeFileSync(path.join(handshake, 'activation.txt'), r));
      });
      await page.exposeFunction('codeAutomationExit', (code) => finish(code, 'tests finished'));
      page.on('pageerror', (e) => console.error(`[${name}] page error: ${e.message}`));
      page.on('crash', () => finish(1, 'page crashed'));
      const host = `127.0.0.1:${port}`;
      const payload = [
        ['extensionDevelopmentPath', `vscode-remote://${host}${ROOT}`],
        ['extensionTestsPath', `vscode-remote://${host}${testsPath}`],
        ['skipWelcome', 'true'],
      ];
      await page.goto(`http://${host}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
      console.log(`[${name}] workbench loaded after ${elapsed()}`);
    })().catch((e) => {
      console.error(e);
      finish(1, 'harness error');
    });
  });
  current = undefined;
  console.log(`[${name}] exit ${result.code} (${result.why}) after ${elapsed()}`);
  if (process.env.SHOT && page) {
    fs.mkdirSync(process.env.SHOT, { recursive: true });
    await page.screenshot({ path: path.join(process.env.SHOT, `ext-${name}.png`) }).catch(() => {});
  }
  await browser?.close().catch(() => {});
  await endGroup(server);
  if (result.code && !process.env.KEEP_RUN_DIR) console.log(`[${name}] code-server log kept: ${dir}/server.log`);
  else if (!process.env.KEEP_RUN_DIR) fs.rmSync(dir, { recursive: true, force: true });
  return result.code;
}

process.on('SIGINT', () => current?.(130, 'SIGINT'));
process.on('SIGTERM', () => current?.(143, 'SIGTERM'));

(async () => {
  for (const [what, p] of [['code-server', CODE_SERVER], ['Node 24', NODE24], ['chromium', CHROMIUM]]) {
    if (!fs.existsSync(p)) fail(`${what} not found at ${p}; run node scripts/setup-vscode-test.js`);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist/extension.js'))) fail('dist/extension.js is missing; run npm run build');
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RUNS);
  const codes = {};
  for (const name of names) {
    if (!RUNS[name]) fail(`unknown run "${name}" (known: ${Object.keys(RUNS).join(', ')})`);
    codes[name] = await runOne(name, RUNS[name]);
  }
  const failed = Object.entries(codes).filter(([, c]) => c);
  console.log(`run-ext-tests: ${names.map((n) => `${n} ${codes[n] ? 'FAILED' : 'passed'}`).join(', ')}`);
  process.exit(failed.length ? 1 : 0);
})();
