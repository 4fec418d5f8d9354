/**
 * What `esbuild` means inside dist/ts-host.js. The packaged extension ships without node_modules
 * (esbuild is a native binary per platform), so the host hands over whichever esbuild it found:
 * its own in development, the one in the user's project, else the WebAssembly build shipped in
 * the VSIX (dist/esbuild-wasm: no native binary, so a TypeScript model works in a fresh project).
 */
import type * as childProcess from 'node:child_process';
import type * as real from 'esbuild';

let impl: typeof real | undefined;
let wasm = false;

export function provideEsbuild(e: typeof real, options: { wasm?: boolean } = {}): void {
  impl = e;
  wasm = !!options.wasm;
}

export function hasEsbuild(): boolean {
  return impl !== undefined;
}

/** Which esbuild transpiles: for the log and the tests. */
export function esbuildKind(): 'native' | 'wasm' | 'none' {
  return impl ? (wasm ? 'wasm' : 'native') : 'none';
}

export const build = ((options: real.BuildOptions) => {
  if (!impl) throw new Error('esbuild was not provided to the TypeScript model host');
  if (!wasm) return impl.build(options);
  // esbuild-wasm starts its service (once, synchronously inside the first call) as `node` from the
  // PATH, which a VS Code user need not have: start it with the runtime this host runs on instead.
  // The swap lasts only for this synchronous call, so nothing else sees it.
  // The module object itself (an `import *` would be a copy): the one esbuild-wasm's API calls.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cp = require('node:child_process') as { spawn: typeof childProcess.spawn };
  const spawn = cp.spawn;
  cp.spawn = ((command: string, args: readonly string[], opts: childProcess.SpawnOptions) =>
    command === 'node' ? spawn(process.execPath, args, { ...opts, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }) : spawn(command, args, opts)) as typeof childProcess.spawn;
  try {
    return impl.build(options);
  } finally {
    cp.spawn = spawn;
  }
}) as typeof real.build;
