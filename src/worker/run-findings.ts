/**
 * A training run's findings and module sites with positions in the .py files they point into (one
 * line index per file), for the editor: diagnostics on those files, and views that reveal a layer.
 * Plain node, so the unit tests hold it against the CLI's placement of the same findings.
 */
import type { RunAnalysis } from '../analyse';
import type { SourceRange } from '../model/graph';
import type { ParamHealth } from '../rules/health';
import type { RangeView } from '../protocol';
import { resolveFinding } from './job';
import type { ResolvedFinding } from './messages';
import { lineIndex, type LineIndex } from './positions';

/** Where a module of the run was built. `file` is absent when no site was recorded for the run at all. */
export interface RunLayer {
  path: string;
  range: RangeView;
  file?: string;
}

export interface ResolvedRun {
  /** Ranked as the rules ranked them; each names its file (none when the run recorded no site at all). */
  findings: ResolvedFinding[];
  /** Each parameter's health, judged with the settings the rules ran under. */
  health: ParamHealth[];
  layers: RunLayer[];
  /** The .py files the findings and layers point into. */
  files: string[];
}

export function resolveRun(analysis: RunAnalysis): ResolvedRun {
  const { trace, sources } = analysis;
  const indexes = new Map<string, LineIndex>();
  const linesOf = (r: SourceRange): LineIndex => {
    const file = r.file ?? trace.file;
    let index = indexes.get(file);
    if (!index) {
      // Without a file the range points at no source: positions in an empty text (line 0).
      index = lineIndex(r.file === undefined ? '' : sources.text(file));
      indexes.set(file, index);
    }
    return index;
  };
  const findings = analysis.findings.map((f) => resolveFinding(f, linesOf));
  const layers: RunLayer[] = trace.layers.flatMap((l) => {
    if (!l.site) return [];
    const r = sources.rangeOf(l.site);
    return [{ path: l.path, range: linesOf(r).range(r), ...(r.file !== undefined ? { file: r.file } : {}) }];
  });
  const files = [...new Set([...findings.flatMap((f) => [f.file, ...f.related.map((r) => r.file)]), ...layers.map((l) => l.file)].filter((f): f is string => !!f))];
  return { findings, health: analysis.health, layers, files };
}
