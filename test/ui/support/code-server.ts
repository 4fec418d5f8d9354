/**
 * A throwaway real VS Code for the UI tests: code-server (installed by scripts/setup-vscode-test.js
 * into the toolchain folder of scripts/toolchain.js) on 127.0.0.1 with its own user-data, extensions and
 * temp folders, the extension installed from its packaged VSIX, and a copy of the fixture workspace.
 * Ended by its own process group, never by name.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const { CODE_SERVER, NODE24 } = require('../../../scripts/toolchain') as { CODE_SERVER: string; NODE24: string };

export interface CodeServer {
  url: string;
  /** The opened folder (a copy of test/ui/fixtures, or an empty folder). */
  workspace: string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** An empty folder of the user's own instead of the fixtures: what a newcomer opens. */
  emptyWorkspace?: boolean;
}

let packaged: string | undefined;

/** The VSIX to install: $VSIX, else the one `npm run package` builds now from the sources. */
function vsix(): string {
  if (process.env.VSIX) return path.resolve(process.env.VSIX);
  if (packaged) return packaged;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  packaged = path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
  return packaged;
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  for (const [what, file] of [['code-server', CODE_SERVER], ['Node 24', NODE24]]) {
    if (!fs.existsSync(file)) throw new Error(`${what} not found at ${file}: run node scripts/setup-vscode-test.js`);
  }
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-ui-'));
  const env = { ...process.env, XDG_CONFIG_HOME: `${run}/xdg`, XDG_DATA_HOME: `${run}/xdg`, XDG_CACHE_HOME: `${run}/xdg`, TMPDIR: `${run}/tmp` };
  for (const d of ['ud/User', 'exts', 'xdg', 'tmp']) fs.mkdirSync(path.join(run, d), { recursive: true });
  fs.writeFileSync(`${run}/config.yaml`, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  fs.writeFileSync(
    `${run}/ud/User/settings.json`,
    JSON.stringify({
      'chat.disableAIFeatures': true,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      // The theme follows the system's light or dark mode, which a test sets (page.emulateMedia):
      // dark unless a test asks for light.
      'window.autoDetectColorScheme': true,
      'workbench.preferredDarkColorTheme': 'Default Dark Modern',
      'workbench.preferredLightColorTheme': 'Default Light Modern',
      'workbench.colorTheme': 'Default Dark Modern',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'security.workspace.trust.enabled': false,
      'editor.minimap.enabled': false,
      'window.zoomLevel': 0,
      // These tests show what a trace finds, not how fast it is: on a busy shared machine the
      // quick trace's 2 s default budget (worker start included) can run out and show "timed out".
      'gradientLens.quickTraceTimeLimitMs': 600_000,
    }),
  );
  const workspace = path.join(run, 'workspace');
  if (options.emptyWorkspace) fs.mkdirSync(workspace);
  else fs.cpSync(path.join(__dirname, '../fixtures'), workspace, { recursive: true });

  const base = ['--config', `${run}/config.yaml`, '--user-data-dir', `${run}/ud`, '--extensions-dir', `${run}/exts`];
  execFileSync(NODE24, [CODE_SERVER, ...base, '--install-extension', vsix()], { env, stdio: 'ignore' });

  const serverLog = fs.openSync(`${run}/server.log`, 'w');
  const server: ChildProcess = spawn(
    NODE24,
    [
      CODE_SERVER,
      ...base,
      '--bind-addr',
      '127.0.0.1:0',
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', serverLog] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    // A hang's way out, not a measure: code-server's start on a busy shared machine may take minutes.
    const timer = setTimeout(() => reject(new Error(`code-server did not start; log in ${run}/server.log`)), 300_000);
    server.on('exit', (code) => reject(new Error(`code-server exited ${code}; log in ${run}/server.log`)));
    server.stdout!.on('data', (d: Buffer) => {
      out += d;
      fs.appendFileSync(`${run}/server.log`, d);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });

  const alive = () => {
    try {
      process.kill(-server.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    workspace,
    async stop() {
      try {
        process.kill(-server.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive()) process.kill(-server.pid!, 'SIGKILL');
      if (!process.env.KEEP_RUN_DIR) fs.rmSync(run, { recursive: true, force: true });
    },
  };
}
