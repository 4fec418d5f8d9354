/**
 * "∇ 2 findings" for the model file in the active editor, whatever its kind; a click opens the
 * chart panel. Whether the active editor is a model file is also the menus' context key.
 */
import * as vscode from 'vscode';
import { ACTIVE_MODEL_CONTEXT, CommandId } from './commands';
import { Disposable } from './disposable';
import type { ModelController } from './models/controller';
import { plural } from './models/types';

export class FindingsStatusItem extends Disposable {
  private readonly item = this.own(vscode.window.createStatusBarItem('gradientLens.findings', vscode.StatusBarAlignment.Left, 50));

  constructor(private readonly controller: ModelController) {
    super();
    this.item.name = 'Gradient Lens findings';
    this.item.command = CommandId.ShowPanel;
    this.own(
      controller.onDidChange((uri) => {
        if (uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) this.render();
      }),
    );
    this.own(vscode.window.onDidChangeActiveTextEditor(() => this.render()));
    this.render();
  }

  /** What the item says now (hidden when the active editor is no model file). */
  shown(): { text: string; tooltip: string; visible: boolean } {
    return { text: this.item.text, tooltip: String(this.item.tooltip ?? ''), visible: !!this.visible };
  }

  private visible: boolean | undefined;

  render(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const visible = !!doc && this.controller.isModel(doc);
    if (visible !== this.visible) void vscode.commands.executeCommand('setContext', ACTIVE_MODEL_CONTEXT, visible);
    this.visible = visible;
    if (!doc || !visible) return this.item.hide();
    const status = this.controller.status(doc.uri);
    const run = this.controller.result(doc.uri);
    this.item.backgroundColor = undefined;
    if (status?.state === 'running') {
      this.item.text = '$(sync~spin) ∇ tracing';
      this.item.tooltip = status.message;
    } else if (status?.state === 'error') {
      this.item.text = '$(error) ∇ no trace';
      this.item.tooltip = status.message;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (run?.models.length) {
      const findings = run.models.flatMap((m) => m.findings);
      const n = findings.length;
      const errors = findings.filter((f) => f.severity === 'error').length;
      const steps = run.models[0].trace.steps.length;
      const models = run.models.length > 1 ? `${run.models.length} models, ` : '';
      this.item.text = `∇ ${plural(n, 'finding')}`;
      this.item.tooltip = `Gradient Lens: ${n ? `${plural(n, 'finding')}${errors ? `, ${plural(errors, 'error')}` : ''}` : 'gradients look healthy'} (${models}${steps} steps traced). Click to open the gradient charts.`;
      if (errors) this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else if (status?.message) {
      // Nothing traced yet, and nothing wrong (an empty file): say what to do, in no alarming colour.
      this.item.text = '$(info) ∇ empty model';
      this.item.tooltip = status.message;
    } else {
      this.item.text = '∇';
      this.item.tooltip = 'Gradient Lens';
    }
    this.item.show();
  }
}
