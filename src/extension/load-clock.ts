/**
 * Imported first by extension.ts, so this runs before the rest of the bundle is evaluated: the
 * start of the time the extension's code takes to load, reported with activation.
 */
export const loadStarted = performance.now();
