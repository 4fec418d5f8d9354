/**
 * A fix button in the panel: the same edit as the editor's quick fix, applied to the file, which
 * then traces again. The fix is looked up in the file's latest run by its finding (rule and layer)
 * and title, and applied only to the text versions that run read: positions in an older text would
 * land in the wrong place. A fix of a layer built in a module the script imports edits that module.
 */
import * as vscode from 'vscode';
import { textDigest } from '../text-digest';
import { toRange } from './diagnostics';
import { openDocument } from './document-watch';
import type { ReadFile, ResolvedFinding, ResolvedFix } from '../worker/messages';

export interface LatestRun {
  version: number;
  findings: readonly ResolvedFinding[];
  /** The imported modules the run read, with the digest of each text read. */
  reads?: readonly ReadFile[];
}

export type FixOutcome = 'applied' | 'stale' | 'gone';

/**
 * Whether every file the fix edits still has the text the run read: the script at the version
 * that ran, an imported module open in an editor with the text read (one not open is as on disk,
 * whose change traces the script again).
 */
export function fixIsCurrent(fix: ResolvedFix, run: Pick<LatestRun, 'version' | 'reads'>, script: vscode.Uri): boolean {
  return fix.edits.every((e) => {
    if (e.file === undefined) return openDocument(script)?.version === run.version;
    const open = openDocument(vscode.Uri.file(e.file));
    const read = run.reads?.find((r) => r.path === e.file);
    return !!read && (!open || textDigest(open.getText()) === read.digest);
  });
}

/** The fix's edits, each in its file: the script's at `script`, an imported module's at its path. */
export function fixEdit(fix: ResolvedFix, script: vscode.Uri): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const e of fix.edits) edit.replace(e.file !== undefined ? vscode.Uri.file(e.file) : script, toRange(e.range), e.newText);
  return edit;
}

export async function applyFindingFix(doc: vscode.TextDocument, run: LatestRun | undefined, rule: string, layer: string, title: string): Promise<FixOutcome> {
  if (!run) return 'stale';
  const fix = run.findings.find((f) => f.rule === rule && f.layer === layer)?.fixes.find((x) => x.title === title);
  if (!fix) return run.version !== doc.version ? 'stale' : 'gone';
  if (!fixIsCurrent(fix, run, doc.uri)) return 'stale';
  return (await vscode.workspace.applyEdit(fixEdit(fix, doc.uri))) ? 'applied' : 'stale';
}

/** What the user is told when a fix could not be applied. */
export const FIX_NOT_APPLIED: Record<Exclude<FixOutcome, 'applied'>, string> = {
  stale: 'Gradient Lens: the file changed since this trace; its findings are being brought up to date. Try the fix again in a moment.',
  gone: 'Gradient Lens: that finding is no longer there: the file changed since the panel was drawn.',
};
