/**
 * The extension's entry to decorated TypeScript models, bundled apart as dist/ts-host.js and loaded
 * on the first TypeScript model file: the model front end carries the engine, which the extension
 * bundle keeps out of the host. No `vscode` here; offsets become positions here, once per run.
 */
import { modelClassesIn } from '../../model/typescript';
import { traceTypeScriptFile, type RunErrorKind, type TsTraceOptions } from '../../worker/typescript';
import type { LayerNode } from '../../model/graph';
import type { LayerRangeView, RangeView } from '../../protocol';
import type { ParamHealth } from '../../rules/health';
import type { Trace } from '../../trace/types';
import { resolveFinding } from '../../worker/job';
import type { ResolvedFinding } from '../../worker/messages';
import { lineIndex } from '../../worker/positions';

export { hasEsbuild, provideEsbuild } from './esbuild-shim';

export interface DeclaredModelView {
  className: string;
  /** The class name: where its CodeLens and its Restricted Mode notice go. */
  classRange: RangeView;
}

export interface TracedModelView extends DeclaredModelView {
  trace: Trace;
  findings: ResolvedFinding[];
  health: ParamHealth[];
  layers: LayerRangeView[];
}

export interface RunErrorView {
  kind: RunErrorKind;
  message: string;
  className?: string;
  range: RangeView;
}

export interface TsRunView {
  models: TracedModelView[];
  errors: RunErrorView[];
  output: string;
}

/** The @model classes the text declares, found without running anything. */
export function declaredModels(text: string): DeclaredModelView[] {
  const lines = lineIndex(text);
  return modelClassesIn(text).map((m) => ({ className: m.className, classRange: lines.range(m.classRange) }));
}

function layerRanges(root: LayerNode, lines: ReturnType<typeof lineIndex>): LayerRangeView[] {
  const out: LayerRangeView[] = [];
  const stack = [...root.children].reverse();
  while (stack.length) {
    const node = stack.pop()!;
    out.push({ path: node.path, range: lines.range(node.typeRange) });
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return out;
}

/** Runs every @model class of the file in a child process (see traceTypeScriptFile) and resolves its ranges. */
export async function traceModels(file: string, text: string, opts: TsTraceOptions): Promise<TsRunView> {
  const result = await traceTypeScriptFile(file, text, opts);
  const lines = lineIndex(text);
  const declared = modelClassesIn(text);
  const models = result.models.map((m) => ({
    className: m.className,
    classRange: lines.range(m.classRange),
    trace: m.trace,
    findings: m.findings.map((f) => resolveFinding(f, lines)),
    health: m.health,
    layers: layerRanges(m.spec.model, lines),
  }));
  const errors = result.errors.map((e) => {
    // Where the error happened, else the `@model(...)` of the class it concerns (where the child
    // reports a model it started, so the place does not depend on how far the run got), else the
    // first model of the file.
    const owner = declared.find((d) => d.className === e.className) ?? declared[0];
    const at = e.location ?? owner?.decoratorRange ?? { start: 0, end: 0 };
    return { kind: e.kind, message: e.message, ...(e.className ? { className: e.className } : {}), range: lines.range(at) };
  });
  return { models, errors, output: result.output };
}
