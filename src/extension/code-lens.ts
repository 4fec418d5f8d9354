/**
 * "▶ Trace gradients · 2 findings" above each model a file declares: a spec's `model:` key, each
 * @model class of a TypeScript file. Where the file's code may not run (Restricted Mode), the lens
 * offers Manage Workspace Trust instead.
 */
import * as vscode from 'vscode';
import { CommandId } from './commands';
import { toRange } from './diagnostics';
import { Disposable } from './disposable';
import type { ModelController } from './models/controller';
import { plural, type DeclaredModel, type FileRun } from './models/types';

export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';

/** What a failed run is called in a lens; other failures of a whole file say their own message. */
const FAILED: Partial<Record<string, string>> = { timeout: 'timed out', oom: 'out of memory' };

/** What the lens says after "Trace gradients" for one model of the file. */
function suffix(model: DeclaredModel, run: FileRun | undefined, busy: boolean): string {
  if (busy) return ' · tracing…';
  const traced = run?.models.find((m) => m.name === model.name);
  if (traced) return ` · ${traced.findings.length ? plural(traced.findings.length, 'finding') : 'healthy'}`;
  const failure = run?.failures.find((f) => f.name === model.name) ?? run?.failures.find((f) => !f.name);
  if (!failure) return '';
  return ` · ${FAILED[failure.kind] ?? (failure.name ? 'failed' : failure.message)}`;
}

export class TraceCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this.own(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly controller: ModelController,
    private readonly enabled: (uri: vscode.Uri) => boolean,
  ) {
    super();
    this.own(controller.onDidChange(() => this.changed.fire()));
    this.own(vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()));
  }

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.enabled(doc.uri)) return [];
    const backend = this.controller.backendFor(doc);
    if (!backend) return [];
    const declared = backend.declared(doc);
    const run = this.controller.result(doc.uri);
    const busy = this.controller.busy(doc.uri);
    const trusted = backend.gate().allowed;
    const single = backend.kind !== 'typescript';
    return declared.map((m) => {
      const at = toRange(m.anchor).start.line;
      const line = new vscode.Range(at, 0, at, 0);
      if (!trusted) {
        return new vscode.CodeLens(line, {
          title: 'Gradient Lens runs no code in Restricted Mode · Manage Workspace Trust',
          tooltip: 'Gradient Lens does not run code in Restricted Mode; trust this workspace to trace the model',
          command: MANAGE_TRUST_COMMAND,
        });
      }
      return new vscode.CodeLens(line, {
        title: `▶ Trace gradients${suffix(m, run, busy)}`,
        tooltip: `Run the full trace of ${m.name} and open the gradient charts`,
        // A spec or a Python file is one model; a TypeScript file's lens traces its own class.
        command: single ? CommandId.TraceGradients : CommandId.TraceModel,
        arguments: single ? [doc.uri] : [doc.uri, m.name],
      });
    });
  }
}
