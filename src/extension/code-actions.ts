/**
 * Quick fixes from each finding's fixes, for every kind of model file: the front end wrote them in
 * the file's own syntax (YAML, JSON, TypeScript, Python). A diagnostic is matched back to its finding by the
 * rule id in `diagnostic.code` and its range; fixes are offered only while the texts they edit are
 * the ones that ran, since their edits are positions in those texts. Applying one is an edit, so the
 * file runs again. A finding on a layer built in a module a script imports is shown on the module's
 * document: its fixes are offered there and edit the module (the script's run re-traces on that edit).
 */
import * as vscode from 'vscode';
import { fixEdit, fixIsCurrent } from './apply-fix';
import { ruleOf, sameRange } from './diagnostics';
import type { ModelController } from './models/controller';
import type { ResolvedFix } from '../worker/messages';

export class FindingFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly controller: ModelController) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && !vscode.CodeActionKind.QuickFix.contains(context.only) && !context.only.contains(vscode.CodeActionKind.QuickFix)) return [];
    const shown = this.controller.findingsShownIn(doc);
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      const rule = ruleOf(diagnostic);
      if (!rule) continue;
      const at = shown.find(({ finding: f }) => f.rule === rule && sameRange(diagnostic.range, f.range));
      if (!at) continue;
      const current = at.finding.fixes.filter((fix) => fixIsCurrent(fix, at.run, at.script));
      actions.push(...quickFixes(at.script, diagnostic, current));
    }
    return actions;
  }
}

/** One diagnostic's fixes as quick-fix actions, each an edit of the file at `uri` (positions in the text that was read), or of the imported module an edit names. */
export function quickFixes(uri: vscode.Uri, diagnostic: vscode.Diagnostic, fixes: readonly ResolvedFix[]): vscode.CodeAction[] {
  return fixes.map((fix) => {
    const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
    action.diagnostics = [diagnostic];
    action.isPreferred = fix.preferred;
    action.edit = fixEdit(fix, uri);
    return action;
  });
}
