/**
 * Where the extension and UI tests find their toolchain: Node 24 and code-server (VS Code's server
 * build), both from the npm registry, and Debian's Chromium. The one place for these paths; read by
 * scripts/setup-vscode-test.js, scripts/run-ext-tests.js and test/ui/support/code-server.ts.
 *
 * The toolchain lives inside the clone (`.vscode-test/toolchain`, git-ignored) so that a clean
 * clone's CI run always installs it from scratch: a copy left in the home folder by an earlier run
 * once hid a broken install step. Developers who keep several clones can share one install with
 * GL_TOOLCHAIN_DIR; .ci/run unsets it.
 */
'use strict';
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const NODE_MAJOR = 24;
const CODE_SERVER_VERSION = '4.139.1';
const DIR = process.env.GL_TOOLCHAIN_DIR ? path.resolve(process.env.GL_TOOLCHAIN_DIR) : path.join(ROOT, '.vscode-test', 'toolchain');
const ARCH = { x64: 'x64', arm64: 'arm64' }[process.arch] ?? process.arch;

module.exports = {
  ROOT,
  DIR,
  NODE_MAJOR,
  CODE_SERVER_VERSION,
  /** The `node` package from npm, which fetches the platform's Node binary as a dependency. */
  NODE24_PREFIX: path.join(DIR, 'node24'),
  NODE24: path.join(DIR, 'node24/node_modules/node/bin/node'),
  /** Node 24's headers, for node-gyp when code-server's native modules compile. */
  NODE24_HEADERS: path.join(DIR, `node24/node_modules/node/node_modules/node-linux-${ARCH}`),
  CODE_SERVER_PREFIX: path.join(DIR, 'cs'),
  CODE_SERVER: path.join(DIR, 'cs/node_modules/code-server/out/node/entry.js'),
  /** Written only after the installed code-server answered `--version` under Node 24. */
  CODE_SERVER_OK: path.join(DIR, `cs/.ok-${CODE_SERVER_VERSION}`),
  CHROMIUM: process.env.CHROMIUM || '/usr/bin/chromium',
};
