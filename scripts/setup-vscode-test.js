#!/usr/bin/env node
/**
 * Installs what the extension-host and UI tests need on a machine that reaches only the npm
 * registry and Debian: Debian's chromium and libkrb5-dev (when run as root), Node 24 and
 * code-server from npm, into the toolchain folder named by scripts/toolchain.js (inside the clone
 * by default). Idempotent: a second run only re-checks that the installed code-server starts.
 *
 * code-server's postinstall refuses any Node but 24, and it reads the version from
 * npm_config_user_agent, which names the Node that runs npm: so npm itself runs under Node 24 here
 * (Node 24 first on PATH is not enough), with node-gyp pointed at Node 24's headers.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const tc = require('./toolchain');

const t0 = Date.now();
const log = (msg) => console.log(`setup-vscode-test: ${msg} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
function fail(msg) {
  console.error(`setup-vscode-test: ${msg}`);
  process.exit(1);
}
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
const output = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }).trim();

function debianPackages() {
  const missing = [];
  if (!fs.existsSync(tc.CHROMIUM)) missing.push('chromium');
  try {
    output('dpkg', ['-s', 'libkrb5-dev']); // code-server's kerberos module compiles against it
  } catch {
    missing.push('libkrb5-dev');
  }
  if (!missing.length) return;
  if (process.getuid?.() !== 0) fail(`missing Debian packages ${missing.join(', ')}; as root: apt-get install ${missing.join(' ')}`);
  log(`installing Debian packages: ${missing.join(', ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function nodeVersion() {
  try {
    return output(tc.NODE24, ['-v']);
  } catch {
    return '';
  }
}

function node24() {
  if (nodeVersion().startsWith(`v${tc.NODE_MAJOR}.`)) return;
  log(`installing Node ${tc.NODE_MAJOR} from npm into ${tc.NODE24_PREFIX}`);
  fs.mkdirSync(tc.NODE24_PREFIX, { recursive: true });
  fs.writeFileSync(path.join(tc.NODE24_PREFIX, 'package.json'), '{"private":true}\n');
  run('npm', ['i', '--no-audit', '--no-fund', '--loglevel=error', `node@${tc.NODE_MAJOR}`], { cwd: tc.NODE24_PREFIX });
  if (!nodeVersion().startsWith(`v${tc.NODE_MAJOR}.`)) fail(`Node ${tc.NODE_MAJOR} did not install: ${tc.NODE24} -v gave "${nodeVersion()}"`);
}

/** npm's own entry script, to run under Node 24: the one running this script, else the one on PATH. */
function npmCli() {
  const candidates = [process.env.npm_execpath];
  try {
    const bin = fs.realpathSync(output('sh', ['-c', 'command -v npm']));
    candidates.push(path.join(path.dirname(bin), 'npm-cli.js'), path.join(path.dirname(bin), '../lib/node_modules/npm/bin/npm-cli.js'));
  } catch {}
  const found = candidates.find((c) => c && /npm-cli\.js$/.test(c) && fs.existsSync(c));
  if (!found) fail('cannot find npm-cli.js (run this through npm, or put npm on PATH)');
  return found;
}

/** The installed code-server's version, started under Node 24; '' when it does not start. */
function codeServerVersion() {
  try {
    // The first start after an install may log a line of its own before the version line.
    const out = output(tc.NODE24, [tc.CODE_SERVER, '--version'], { timeout: 60_000 });
    return /^(\d+\.\d+\.\d+) [0-9a-f]{40}/m.exec(out)?.[1] ?? out.split('\n')[0];
  } catch {
    return '';
  }
}

function codeServer() {
  if (fs.existsSync(tc.CODE_SERVER_OK) && codeServerVersion() === tc.CODE_SERVER_VERSION) return;
  log(`installing code-server ${tc.CODE_SERVER_VERSION} into ${tc.CODE_SERVER_PREFIX} (about 7 minutes on 2 cores)`);
  fs.rmSync(tc.CODE_SERVER_PREFIX, { recursive: true, force: true });
  fs.mkdirSync(tc.CODE_SERVER_PREFIX, { recursive: true });
  fs.writeFileSync(path.join(tc.CODE_SERVER_PREFIX, 'package.json'), JSON.stringify({ private: true, allowScripts: { 'code-server': true } }) + '\n');
  const env = {
    ...process.env,
    PATH: `${path.dirname(tc.NODE24)}${path.delimiter}${process.env.PATH}`,
    npm_config_nodedir: tc.NODE24_HEADERS,
  };
  delete env.npm_config_user_agent; // npm under Node 24 sets its own
  run(tc.NODE24, [npmCli(), 'i', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${tc.CODE_SERVER_VERSION}`], { cwd: tc.CODE_SERVER_PREFIX, env });
  const v = codeServerVersion();
  if (v !== tc.CODE_SERVER_VERSION) fail(`code-server did not install: \`node24 ${tc.CODE_SERVER} --version\` gave "${v}"`);
  fs.writeFileSync(tc.CODE_SERVER_OK, `${new Date().toISOString()}\n`);
}

debianPackages();
node24();
codeServer();
log(`ready: Node ${nodeVersion()}, code-server ${tc.CODE_SERVER_VERSION} in ${tc.DIR}`);
