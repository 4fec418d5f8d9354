/**
 * Quick fixes for a spec's own errors (and the hint on an empty file): the parser's fixes, in the
 * file's syntax (the name meant, the size that fits, the skeleton to start from). The spec back end
 * records each parse's problems here; a fix is offered only on the text version it was made for.
 */
import * as vscode from 'vscode';
import { quickFixes } from './code-actions';
import { DIAGNOSTIC_SOURCE, sameRange } from './diagnostics';
import type { SpecProblem } from '../worker/messages';

interface Parsed {
  version: number;
  problems: SpecProblem[];
}

export class SpecProblemFixes implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };
  private readonly parsed = new Map<string, Parsed>();

  /** The problems of `version` of the file, with their fixes. */
  record(uri: vscode.Uri, version: number, problems: readonly SpecProblem[]): void {
    if (problems.some((p) => p.fixes.length)) this.parsed.set(uri.toString(), { version, problems: [...problems] });
    else this.parsed.delete(uri.toString());
  }

  forget(uri: vscode.Uri): void {
    this.parsed.delete(uri.toString());
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && !vscode.CodeActionKind.QuickFix.contains(context.only) && !context.only.contains(vscode.CodeActionKind.QuickFix)) return [];
    const parsed = this.parsed.get(doc.uri.toString());
    if (!parsed || parsed.version !== doc.version) return [];
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
      const problem = parsed.problems.find((p) => p.message === diagnostic.message && sameRange(diagnostic.range, p.range));
      if (problem) actions.push(...quickFixes(doc.uri, diagnostic, problem.fixes));
    }
    return actions;
  }
}
