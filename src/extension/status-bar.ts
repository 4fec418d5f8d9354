/** "∇ 2 findings" for the model file in the active editor; a click opens the chart panel. */
import * as vscode from 'vscode';
import { CommandId } from './commands';
import { isModelDocument, type DocumentController } from './documents';

export class FindingsStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('gradientLens.findings', vscode.StatusBarAlignment.Left, 50);
  private readonly subs: vscode.Disposable[];

  constructor(private readonly controller: DocumentController) {
    this.item.name = 'Gradient Lens findings';
    this.item.command = CommandId.ShowPanel;
    this.subs = [
      controller.onDidChange((uri) => {
        if (uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) this.render();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
    ];
    this.render();
  }

  render(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !isModelDocument(doc)) return this.item.hide();
    const status = this.controller.status(doc.uri);
    const result = this.controller.result(doc.uri);
    this.item.backgroundColor = undefined;
    if (status?.state === 'running') {
      this.item.text = '$(sync~spin) ∇ tracing';
      this.item.tooltip = status.message;
    } else if (status?.state === 'error') {
      this.item.text = '$(error) ∇ no trace';
      this.item.tooltip = status.message;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (result) {
      const n = result.findings.length;
      const errors = result.findings.filter((f) => f.severity === 'error').length;
      this.item.text = `∇ ${n} finding${n === 1 ? '' : 's'}`;
      this.item.tooltip = `Gradient Lens: ${n ? `${n} finding${n === 1 ? '' : 's'}${errors ? `, ${errors} error${errors === 1 ? '' : 's'}` : ''}` : 'gradients look healthy'} (${result.trace.steps.length} steps traced). Click to open the gradient charts.`;
      if (errors) this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else {
      this.item.text = '∇';
      this.item.tooltip = 'Gradient Lens';
    }
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
