/**
 * Which files are a Python file's sidecar spec and which Python file a sidecar names: plain path
 * arithmetic, shared by the CLI, the trace worker and the extension host (which bundles no engine).
 */
import { basename, dirname, join, resolve } from 'node:path';

/** The sidecar files that may belong to a Python file: `model.grad.yaml` (or .yml, .json) beside `model.py`. */
export function sidecarCandidates(pyFile: string): string[] {
  const dir = dirname(pyFile);
  const stem = basename(pyFile).replace(/\.(py|ipynb)$/i, '');
  return ['.grad.yaml', '.grad.yml', '.grad.json'].map((ext) => join(dir, `${stem}${ext}`));
}

/** The Python file a sidecar names, resolved against the sidecar's folder. */
export function sidecarTarget(sidecarFile: string, sidecar: { python: string }): string {
  return resolve(dirname(sidecarFile), sidecar.python);
}
