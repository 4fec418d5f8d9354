/**
 * A fix button in the panel: the same edit as the editor's quick fix, applied to the file, which
 * then traces again. The fix is looked up in the file's latest run by its finding (rule and layer)
 * and title, and applied only to the text version that run read: positions in an older text would
 * land in the wrong place.
 */
import * as vscode from 'vscode';
import { toRange } from './diagnostics';
import type { ResolvedFinding } from '../worker/messages';

export interface LatestRun {
  version: number;
  findings: readonly ResolvedFinding[];
}

export type FixOutcome = 'applied' | 'stale' | 'gone';

export async function applyFindingFix(doc: vscode.TextDocument, run: LatestRun | undefined, rule: string, layer: string, title: string): Promise<FixOutcome> {
  if (!run || run.version !== doc.version) return 'stale';
  const fix = run.findings.find((f) => f.rule === rule && f.layer === layer)?.fixes.find((x) => x.title === title);
  if (!fix) return 'gone';
  const edit = new vscode.WorkspaceEdit();
  for (const e of fix.edits) edit.replace(doc.uri, toRange(e.range), e.newText);
  return (await vscode.workspace.applyEdit(edit)) ? 'applied' : 'stale';
}

/** What the user is told when a fix could not be applied. */
export const FIX_NOT_APPLIED: Record<Exclude<FixOutcome, 'applied'>, string> = {
  stale: 'Gradient Lens: the file changed since this trace; its findings are being brought up to date. Try the fix again in a moment.',
  gone: 'Gradient Lens: that finding is no longer there: the file changed since the panel was drawn.',
};
