/**
 * Writing a spec: completion and hover from the layer catalogue in `*.grad.yaml` and `*.grad.json`,
 * with no other extension needed (the YAML extension is not; the JSON Schema is not registered, so
 * nothing is reported or documented twice). The work is in dist/spec-host.js, loaded on the first
 * request so activation stays cheap.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SpecCompletion } from './spec-host';

type SpecHost = typeof import('./spec-host');

const KINDS: Record<SpecCompletion['kind'], vscode.CompletionItemKind> = {
  layer: vscode.CompletionItemKind.Class,
  argument: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.Value,
  loss: vscode.CompletionItemKind.Function,
  optimizer: vscode.CompletionItemKind.Function,
  init: vscode.CompletionItemKind.Function,
  distribution: vscode.CompletionItemKind.EnumMember,
  section: vscode.CompletionItemKind.Module,
  parameter: vscode.CompletionItemKind.Field,
  skeleton: vscode.CompletionItemKind.Snippet,
};

/** Typing these opens the list: after `- `, `key: `, `{`, `[`, `,` and a JSON key's quote. */
export const SPEC_TRIGGERS = [' ', ':', '-', '{', '[', ',', '"'];

export class SpecEditing implements vscode.CompletionItemProvider, vscode.HoverProvider {
  private host: SpecHost | undefined;

  constructor(private readonly extensionPath: string) {}

  load(): SpecHost {
    this.host ??= require(path.join(this.extensionPath, 'dist', 'spec-host.js')) as SpecHost;
    return this.host;
  }

  provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
    const items = this.load().completeSpec(doc.getText(), doc.offsetAt(position), doc.fileName);
    return items.map((c, i) => {
      const item = new vscode.CompletionItem({ label: c.label, description: c.detail }, KINDS[c.kind]);
      item.insertText = new vscode.SnippetString(c.insertText);
      item.range = new vscode.Range(doc.positionAt(c.range.start), doc.positionAt(c.range.end));
      item.documentation = new vscode.MarkdownString(c.documentation);
      item.detail = c.detail;
      item.preselect = c.preselect;
      // The catalogue's order (PyTorch's argument order, required ones first) rather than the alphabet.
      item.sortText = `${c.preselect ? 0 : 1}${String(i).padStart(4, '0')}`;
      // The typed word may include a JSON key's opening quote: filter on the label with it.
      item.filterText = doc.getText(item.range).startsWith('"') ? `"${c.label}"` : c.label;
      return item;
    });
  }

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const h = this.load().hoverSpec(doc.getText(), doc.offsetAt(position), doc.fileName);
    if (!h) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(h.contents), new vscode.Range(doc.positionAt(h.range.start), doc.positionAt(h.range.end)));
  }
}
