#!/usr/bin/env node
/**
 * The same extension-host suites as scripts/run-ext-tests.js, in desktop VS Code downloaded by
 * @vscode/test-electron (needs network access to update.code.visualstudio.com; on machines without
 * it use `npm run test:ext`, which runs them in code-server). Two runs: a trusted window, and one
 * opened in Restricted Mode for the untrusted suite, and one on a folder without model files
 * for lazy activation.
 *
 * env: VSCODE_VERSION (default 'stable'),
 *      KEEP_RUN_DIR=1
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runTests } = require('@vscode/test-electron');

const ROOT = path.resolve(__dirname, '..');

function workspace(dir, empty) {
  const ws = path.join(dir, 'workspace');
  fs.mkdirSync(ws, { recursive: true });
  if (empty) {
    fs.writeFileSync(path.join(ws, 'notes.txt'), 'no model files here\n');
    return ws;
  }
  if (fs.existsSync(path.join(ROOT, 'examples'))) fs.cpSync(path.join(ROOT, 'examples'), ws, { recursive: true });
  fs.cpSync(path.join(ROOT, 'test/extension/fixtures'), path.join(ws, 'fixtures'), { recursive: true });
  return ws;
}

async function run(name, trusted) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gl-electron-${name}-`));
  const userData = path.join(dir, 'ud');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoUpdate': false,
      'chat.disableAIFeatures': true,
      'security.workspace.trust.enabled': !trusted,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'never',
    }),
  );
  const launchArgs = [workspace(dir, name === 'activation'), '--disable-extensions', '--user-data-dir', userData, '--extensions-dir', path.join(dir, 'exts'), '--skip-welcome', '--skip-release-notes'];
  if (trusted) launchArgs.push('--disable-workspace-trust');
  try {
    await runTests({
      version: process.env.VSCODE_VERSION || 'stable',
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, 'out/test/extension', name, 'index.js'),
      launchArgs,
    });
    return 0;
  } catch (e) {
    console.error(`[${name}] ${e instanceof Error ? e.message : e}`);
    return 1;
  } finally {
    if (!process.env.KEEP_RUN_DIR) fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ['suite', 'untrusted', 'activation'];
  let failed = 0;
  for (const name of names) failed += await run(name, name !== 'untrusted');
  process.exit(failed ? 1 : 0);
})();
