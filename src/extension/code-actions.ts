/**
 * Quick fixes from each finding's fixes. A diagnostic is matched back to its finding by the rule id
 * in `diagnostic.code` and its range; fixes are offered only while the text is the traced version,
 * since their edits are positions in that text. Applying one is an edit, so the file is re-traced.
 */
import * as vscode from 'vscode';
import { ruleOf, sameRange, toRange } from './diagnostics';
import type { DocumentController } from './documents';

export class FindingFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly controller: DocumentController) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && !vscode.CodeActionKind.QuickFix.contains(context.only) && !context.only.contains(vscode.CodeActionKind.QuickFix)) return [];
    const result = this.controller.result(doc.uri);
    if (!result || result.version !== doc.version) return [];
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      const rule = ruleOf(diagnostic);
      if (!rule) continue;
      const finding = result.findings.find((f) => f.rule === rule && sameRange(diagnostic.range, f.range));
      if (!finding) continue;
      for (const fix of finding.fixes) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diagnostic];
        action.isPreferred = fix.preferred;
        action.edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) action.edit.replace(doc.uri, toRange(e.range), e.newText);
        actions.push(action);
      }
    }
    return actions;
  }
}
