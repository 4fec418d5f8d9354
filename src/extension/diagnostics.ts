/**
 * The thin adapter from findings and spec problems to `vscode.Diagnostic`s. Code actions find a
 * finding again by `diagnostic.code.value` (the rule id) and the range, so both live here.
 */
import * as vscode from 'vscode';
import type { FindingView, RangeView } from '../protocol';
import type { Severity } from '../rules/types';
import type { ResolvedFinding, SpecProblem } from '../worker/messages';

export const DIAGNOSTIC_SOURCE = 'Gradient Lens';
export const COLLECTION_NAME = 'gradient-lens';
/** `code` of spec problems (syntax, unknown layers) and of traces that could not finish. */
export const SPEC_CODE = 'spec';
export const TRACE_CODE = 'trace';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export function toRange(r: RangeView): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

/** The rule's section of the packaged README: no network needed to read it. */
export function ruleDocs(extensionUri: vscode.Uri, rule: string): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'README.md').with({ fragment: `rule-${rule}` });
}

export function findingDiagnostic(f: ResolvedFinding, uri: vscode.Uri, extensionUri: vscode.Uri, traced = uri): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(f.range), f.message, SEVERITY[f.severity]);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = { value: f.rule, target: ruleDocs(extensionUri, f.rule) };
  d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(r.uri ? vscode.Uri.parse(r.uri) : r.file ? vscode.Uri.file(r.file) : traced, toRange(r.range)), r.message));
  return d;
}

/** A problem of the file itself (or of a module it imports, `p.file`); `uri` places its notes (a Python value's use, a call chain) that name no file. */
export function problemDiagnostic(p: SpecProblem, uri?: vscode.Uri): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(p.range), p.message, SEVERITY[p.severity]);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = p.code ?? SPEC_CODE;
  if (uri && p.related?.length) d.relatedInformation = p.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(r.file !== undefined ? vscode.Uri.file(r.file) : uri, toRange(r.range)), r.message));
  return d;
}

/** A trace that could not run or finish (shape error, memory cap, time limit), shown on the model. */
export function traceDiagnostic(message: string, range: RangeView | null, severity: Severity): vscode.Diagnostic {
  const d = new vscode.Diagnostic(range ? toRange(range) : new vscode.Range(0, 0, 0, 0), message, SEVERITY[severity]);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = TRACE_CODE;
  return d;
}

/** The rule id a diagnostic of ours stands for, or undefined for other diagnostics. */
export function ruleOf(d: vscode.Diagnostic): string | undefined {
  if (d.source !== DIAGNOSTIC_SOURCE || typeof d.code !== 'object' || d.code === null) return undefined;
  return String(d.code.value);
}

export function sameRange(a: vscode.Range, b: RangeView): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

export function findingView(f: ResolvedFinding): FindingView {
  return { rule: f.rule, severity: f.severity, message: f.message, layer: f.layer, range: f.range, ...(f.uri ? { uri: f.uri } : f.file ? { uri: vscode.Uri.file(f.file).toString() } : {}), fixes: f.fixes.map((x) => x.title) };
}
