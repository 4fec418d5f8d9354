/**
 * Completion and hover for spec files, bundled apart as dist/spec-host.js and loaded on the first
 * request: they read the catalogue, which carries the engine, and the extension bundle keeps that
 * out of the host. No `vscode` here.
 */
export { completeSpec, hoverSpec, type SpecCompletion, type SpecHover } from '../../model/completion';
export { skeletonText } from '../../model/skeleton';
