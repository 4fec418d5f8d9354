/**
 * The extension's settings, read in one place: `readConfig()` is re-run whenever
 * `affectsConfiguration('gradientLens')` says so. The shape, defaults and validation live in
 * settings.ts (no `vscode` there), which a unit test holds against package.json.
 */
import * as vscode from 'vscode';
import { SECTION, settingsFrom, type ReadSettings } from './settings';

export { DEFAULT_SETTINGS, SECTION, type ExtensionConfig } from './settings';

/** Settings for a file (folder settings apply), or the window's when no file is given. */
export function readConfig(scope?: vscode.Uri): ReadSettings {
  const cfg = vscode.workspace.getConfiguration(SECTION, scope);
  return settingsFrom((key) => cfg.get<unknown>(key));
}
