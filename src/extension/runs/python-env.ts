/**
 * The Python interpreter the user chose: the gradientLens.pythonInterpreter setting when set, else
 * the Python extension's active environment for the script when that extension is installed, else
 * `python3` (`python` on Windows) from the PATH.
 */
import * as vscode from 'vscode';

const PYTHON_EXTENSION = 'ms-python.python';

/** The parts of the Python extension's API read here (both its current and its older surface). */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand?: string[] } | undefined };
}

export interface Interpreter {
  /** The executable, and arguments that come before the script's (e.g. a conda run prefix). */
  command: string;
  args: string[];
  /** Where it came from, for the log. */
  source: 'the gradientLens.pythonInterpreter setting' | 'the Python extension' | 'the PATH';
}

export function fallbackInterpreter(platform = process.platform): Interpreter {
  return { command: platform === 'win32' ? 'python' : 'python3', args: [], source: 'the PATH' };
}

export async function chosenInterpreter(resource: vscode.Uri, setting: string, log?: vscode.LogOutputChannel): Promise<Interpreter> {
  if (setting) return { command: setting, args: [], source: 'the gradientLens.pythonInterpreter setting' };
  const ext = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
  if (!ext) return fallbackInterpreter();
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const env = api?.environments;
    if (env) {
      const active = env.getActiveEnvironmentPath(resource);
      const resolved = active ? await env.resolveEnvironment(active) : undefined;
      const exe = resolved?.executable?.uri?.fsPath ?? active?.path;
      if (exe) return { command: exe, args: [], source: 'the Python extension' };
    }
    const exec = api?.settings?.getExecutionDetails(resource)?.execCommand;
    if (exec && exec.length) return { command: exec[0], args: exec.slice(1), source: 'the Python extension' };
  } catch (e) {
    log?.warn(`the Python extension did not name an interpreter (${(e as Error).message}); using ${fallbackInterpreter().command}`);
  }
  return fallbackInterpreter();
}
