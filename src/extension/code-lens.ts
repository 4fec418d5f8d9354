/** "▶ Trace gradients · 2 findings" above the `model:` key of a spec. */
import * as vscode from 'vscode';
import { CommandId } from './commands';
import type { DocumentController } from './documents';

/** The `model` key of a YAML or JSON spec: where the lens goes. */
const MODEL_KEY = /^[ \t]*"?model"?[ \t]*:/m;

export class TraceCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly controller: DocumentController,
    private readonly enabled: (uri: vscode.Uri) => boolean,
  ) {
    this.sub = controller.onDidChange(() => this.changed.fire());
  }

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.enabled(doc.uri)) return [];
    const text = doc.getText();
    const m = MODEL_KEY.exec(text);
    const line = m ? doc.positionAt(m.index).line : 0;
    const status = this.controller.status(doc.uri);
    const result = this.controller.result(doc.uri);
    let suffix = '';
    if (status?.state === 'running') suffix = ' · tracing…';
    else if (status?.state === 'error') suffix = ` · ${status.message}`;
    else if (result) suffix = ` · ${result.findings.length ? `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}` : 'healthy'}`;
    return [
      new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
        title: `▶ Trace gradients${suffix}`,
        tooltip: 'Run the full trace and open the gradient charts',
        command: CommandId.TraceGradients,
        arguments: [doc.uri],
      }),
    ];
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
