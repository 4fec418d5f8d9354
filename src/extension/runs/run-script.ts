/**
 * "Run Training Script with Gradient Lens": the .py file through `python -m gradient_lens run`,
 * with the user's interpreter, in a terminal (a VS Code task: no shell quoting involved, and the
 * exit code is known). The gradient_lens package shipped in the extension goes first on
 * PYTHONPATH. The caller checks workspace trust: this runs the user's code.
 */
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionConfig } from '../config';
import { chosenInterpreter, type Interpreter } from './python-env';

export const RUN_TASK_SOURCE = 'Gradient Lens';
/** Declared in package.json's taskDefinitions. */
export const RUN_TASK_TYPE = 'gradient-lens-run';

export interface TrainingRun {
  script: vscode.Uri;
  /** Where the run writes its log. */
  logDir: vscode.Uri;
  interpreter: Interpreter;
  /** The command line run: executable first. */
  command: string[];
  execution: vscode.TaskExecution;
}

/** The command line and environment of the run; the package folder goes before any PYTHONPATH the user has. */
export function trainingCommand(
  interpreter: Interpreter,
  packageDir: string,
  script: string,
  logDir: string,
  pythonPath = process.env.PYTHONPATH,
): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: interpreter.command,
    args: [...interpreter.args, '-m', 'gradient_lens', 'run', '--log-dir', logDir, script],
    env: { PYTHONPATH: [packageDir, pythonPath].filter(Boolean).join(delimiter) },
  };
}

/** Where the log goes: the setting, relative to the script's workspace folder (or the script's own folder outside any). */
export function logDirFor(script: vscode.Uri, setting: string): { cwd: string; logDir: string } {
  const folder = vscode.workspace.getWorkspaceFolder(script);
  const cwd = folder?.uri.fsPath ?? dirname(script.fsPath);
  return { cwd, logDir: isAbsolute(setting) ? setting : join(cwd, setting) };
}

/** Starts the script in a terminal; resolves once the task has started. */
export async function runTrainingScript(extensionUri: vscode.Uri, script: vscode.Uri, config: ExtensionConfig, log: vscode.LogOutputChannel): Promise<TrainingRun> {
  const { cwd, logDir } = logDirFor(script, config.runLogDir);
  const interpreter = await chosenInterpreter(script, config.pythonInterpreter, log);
  const packageDir = vscode.Uri.joinPath(extensionUri, 'python').fsPath;
  const { command, args, env } = trainingCommand(interpreter, packageDir, script.fsPath, logDir);
  const name = `${vscode.workspace.asRelativePath(script, false)} with Gradient Lens`;
  const folder = vscode.workspace.getWorkspaceFolder(script);
  const task = new vscode.Task({ type: RUN_TASK_TYPE, script: script.fsPath }, folder ?? vscode.TaskScope.Workspace, name, RUN_TASK_SOURCE, new vscode.ProcessExecution(command, args, { cwd, env }));
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, focus: false };
  log.info(`running ${[command, ...args].join(' ')} (Python from ${interpreter.source}) in ${cwd}`);
  const execution = await vscode.tasks.executeTask(task);
  return { script, logDir: vscode.Uri.file(logDir), interpreter, command: [command, ...args], execution };
}
