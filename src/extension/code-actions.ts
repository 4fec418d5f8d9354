/**
 * Quick fixes from each finding's fixes, for every kind of model file: the front end wrote them in
 * the file's own syntax (YAML, JSON, TypeScript). A diagnostic is matched back to its finding by the
 * rule id in `diagnostic.code` and its range; fixes are offered only while the text is the version
 * that ran, since their edits are positions in that text. Applying one is an edit, so the file runs again.
 */
import * as vscode from 'vscode';
import { ruleOf, sameRange, toRange } from './diagnostics';
import type { ModelController } from './models/controller';
import type { ResolvedFix } from '../worker/messages';

export class FindingFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly controller: ModelController) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && !vscode.CodeActionKind.QuickFix.contains(context.only) && !context.only.contains(vscode.CodeActionKind.QuickFix)) return [];
    const run = this.controller.result(doc.uri);
    if (!run || run.version !== doc.version) return [];
    const findings = run.models.flatMap((m) => m.findings.filter((f) => !f.uri));
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      const rule = ruleOf(diagnostic);
      if (!rule) continue;
      const finding = findings.find((f) => f.rule === rule && sameRange(diagnostic.range, f.range));
      if (!finding) continue;
      actions.push(...quickFixes(doc.uri, diagnostic, finding.fixes));
    }
    return actions;
  }
}

/** One diagnostic's fixes as quick-fix actions, each an edit of the file at `uri` (positions in the text that was read). */
export function quickFixes(uri: vscode.Uri, diagnostic: vscode.Diagnostic, fixes: readonly ResolvedFix[]): vscode.CodeAction[] {
  return fixes.map((fix) => {
    const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
    action.diagnostics = [diagnostic];
    action.isPreferred = fix.preferred;
    action.edit = new vscode.WorkspaceEdit();
    for (const e of fix.edits) action.edit.replace(uri, toRange(e.range), e.newText);
    return action;
  });
}
