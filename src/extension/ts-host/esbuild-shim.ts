/**
 * What `esbuild` means inside dist/ts-host.js. The packaged extension ships without node_modules
 * (esbuild is a native binary per platform), so the host hands over whichever esbuild it found,
 * its own in development or the one in the user's project, before any model is transpiled.
 */
import type * as real from 'esbuild';

let impl: typeof real | undefined;

export function provideEsbuild(e: typeof real): void {
  impl = e;
}

export function hasEsbuild(): boolean {
  return impl !== undefined;
}

export const build = ((options: real.BuildOptions) => {
  if (!impl) throw new Error('esbuild was not provided to the TypeScript model host');
  return impl.build(options);
}) as typeof real.build;
