/**
 * Decorated TypeScript models: a `.ts` file that imports "gradient-lens" and declares @model classes.
 * In a trusted workspace each run forks a child process for the file's models (dist/ts-host.js →
 * the TypeScript runner: time, heap and tensor-memory limits); aborting kills it. In Restricted Mode
 * nothing runs: each model gets a notice instead. esbuild, which transpiles the file, is the
 * extension's own in development or the user's project's.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { memoryLimitBytes } from '../../limits';
import { DIAGNOSTIC_SOURCE, toRange, traceDiagnostic } from '../diagnostics';
import { Disposable } from '../disposable';
import type { DeclaredModelView } from '../ts-host';
import { executionGate } from '../trust';
import { findingsStatus, plural, type DeclaredModel, type FileRun, type ModelBackend, type RunRequest, type RunStats } from './types';

type TsHost = typeof import('../ts-host');

/** `code` of the Restricted Mode notice and of the missing-esbuild notice. */
export const RESTRICTED_CODE = 'restricted';
export const ESBUILD_CODE = 'esbuild';

const IMPORTS_LIBRARY = /(?:from\s*|require\s*\(\s*|import\s*\(\s*|import\s+)['"]gradient-lens(?:\/[^'"]*)?['"]/;
const TS_FILE = /\.(m|c)?tsx?$/i;

/** A TypeScript file that imports the authoring module: the only kind worth scanning for @model. */
export function mayBeTsModel(doc: vscode.TextDocument): boolean {
  return !doc.isClosed && TS_FILE.test(doc.uri.path) && !/\.d\.(m|c)?ts$/i.test(doc.uri.path) && IMPORTS_LIBRARY.test(doc.getText());
}

function notice(range: vscode.Range, message: string, code: string): vscode.Diagnostic {
  const d = new vscode.Diagnostic(range, message, vscode.DiagnosticSeverity.Information);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = code;
  return d;
}

export class TypeScriptBackend extends Disposable implements ModelBackend {
  readonly kind = 'typescript';
  readonly stats: RunStats = { runs: 0, quickRuns: 0, superseded: 0, aborted: 0 };
  private host: TsHost | undefined;
  /** Why esbuild could not be loaded, once tried and failed. */
  private esbuildMissing: string | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  /** The child process reads the user's imports from disk, next to the file: only files on disk. */
  accepts(doc: vscode.TextDocument): boolean {
    return doc.uri.scheme === 'file' && mayBeTsModel(doc);
  }

  gate() {
    return executionGate('user-code');
  }

  declared(doc: vscode.TextDocument): DeclaredModel[] {
    if (!mayBeTsModel(doc)) return [];
    return this.loadHost()
      .declaredModels(doc.getText())
      .map((m) => ({ name: m.className, anchor: m.classRange }));
  }

  async run(doc: vscode.TextDocument, req: RunRequest): Promise<FileRun | undefined> {
    const version = doc.version;
    const started = performance.now();
    const declared = this.loadHost().declaredModels(doc.getText());
    const run: FileRun = { version, quick: req.quick, models: [], failures: [], diagnostics: [], status: { state: 'idle', message: '' }, durationMs: 0, publishedAt: 0 };
    if (declared.length === 0) return run;
    if (!this.gate().allowed) {
      run.failures.push({ kind: 'restricted', message: 'Gradient Lens does not run code in Restricted Mode; trust the workspace to trace this model.' });
      run.diagnostics.push(...declared.map(restrictedNotice));
      return run;
    }
    if (!this.ensureEsbuild(doc)) {
      run.failures.push({ kind: 'unavailable', message: this.esbuildMissing! });
      run.diagnostics.push(notice(toRange(declared[0].classRange), this.esbuildMissing!, ESBUILD_CODE));
      return run;
    }
    const { config, quick } = req;
    const name = `${path.basename(doc.uri.path)} v${version}`;
    this.stats.runs++;
    if (quick) this.stats.quickRuns++;
    try {
      const result = await this.loadHost().traceModels(doc.uri.fsPath, doc.getText(), {
        ...(quick ? { steps: config.quickTraceSteps } : {}),
        timeoutMs: quick ? config.quickTraceTimeLimitMs : config.limits.timeLimitMs,
        maxSteps: config.limits.maxSteps,
        heapMb: Math.max(64, config.limits.memoryLimitMB),
        memoryLimitBytes: memoryLimitBytes(config.limits),
        config: config.rules,
        signal: req.signal,
      });
      run.durationMs = performance.now() - started;
      for (const m of result.models) run.models.push({ name: m.className, anchor: m.classRange, trace: m.trace, findings: m.findings, health: m.health, layers: m.layers });
      for (const e of result.errors) {
        // A class's error names it. The file's own (a throw at its top level) is a failure of every
        // class it kept from running (each lens says failed); its message names them already.
        const names = e.className ? [e.className] : declared.map((d) => d.className).filter((n) => !result.models.some((m) => m.className === n) && !result.errors.some((x) => x.className === n));
        for (const n of names) run.failures.push({ kind: e.kind, name: n, message: e.message });
        if (!names.length) run.failures.push({ kind: e.kind, message: e.message });
        run.diagnostics.push(traceDiagnostic(`${e.className ? `${e.className}: ` : ''}${e.message}`, e.range, 'error'));
      }
      const findings = run.models.reduce((n, m) => n + m.findings.length, 0);
      this.log.info(
        `${quick ? 'quick' : 'full'} run ${name}: ${plural(run.models.length, 'model')}, ${plural(findings, 'finding')}` +
          (result.errors.length ? `, ${result.errors.map((e) => `${e.kind}: ${e.message}`).join('; ')}` : '') +
          ` (${Math.round(run.durationMs)} ms)`,
      );
      if (result.output) this.log.debug(`${name} printed:\n${result.output}`);
    } catch (e) {
      if (req.signal.aborted) {
        this.stats.aborted++;
        if (req.signal.reason === 'superseded') this.stats.superseded++;
        this.log.info(`${quick ? 'quick' : 'full'} run ${name}: aborted (${String(req.signal.reason)}) after ${Math.round(performance.now() - started)} ms`);
        return undefined;
      }
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(`${name}: ${message}`);
      run.durationMs = performance.now() - started;
      run.failures.push({ kind: 'error', message });
      run.diagnostics.push(traceDiagnostic(message, null, 'error'));
    }
    run.status = run.models.length || !run.failures.length ? findingsStatus(run.models) : { state: 'error', message: run.failures[0].message };
    return run;
  }

  forget(): void {
    // Nothing is kept per file: each run is a child process of its own.
  }

  private loadHost(): TsHost {
    // A separate bundle, loaded on the first TypeScript model: the engine it carries stays out of activation.
    this.host ??= require(path.join(this.extensionPath, 'dist', 'ts-host.js')) as TsHost;
    return this.host;
  }

  /**
   * esbuild transpiles the user's file. The extension's own copy exists in development; the VSIX
   * ships without node_modules, so next comes the one in the user's project (the file's folder
   * upwards, then the workspace folders). Found once per window.
   */
  private ensureEsbuild(doc: vscode.TextDocument): boolean {
    const host = this.loadHost();
    if (host.hasEsbuild()) return true;
    const tried: string[] = [];
    // Resolved at run time, never bundled: the extension's own node_modules (development), then the project's.
    const candidates: (() => unknown)[] = [() => createRequire(__filename)('esbuild')];
    const dirs = [path.dirname(doc.uri.fsPath), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)];
    for (const dir of dirs) candidates.push(() => createRequire(path.join(dir, 'package.json'))('esbuild'));
    for (const load of candidates) {
      try {
        host.provideEsbuild(load() as Parameters<TsHost['provideEsbuild']>[0]);
        this.esbuildMissing = undefined;
        return true;
      } catch (e) {
        tried.push(e instanceof Error ? e.message.split('\n')[0] : String(e));
      }
    }
    // Last, the WebAssembly build shipped in the VSIX: no native binary, so it works in any project.
    try {
      host.provideEsbuild(require(path.join(this.extensionPath, 'dist', 'esbuild-wasm')) as Parameters<TsHost['provideEsbuild']>[0], { wasm: true });
      this.esbuildMissing = undefined;
      this.log.info(`transpiling TypeScript models with the bundled esbuild-wasm (no esbuild in the project: ${tried.join('; ')})`);
      return true;
    } catch (e) {
      tried.push(e instanceof Error ? e.message.split('\n')[0] : String(e));
    }
    this.esbuildMissing =
      'TypeScript models need esbuild to be transpiled, and none was found beside the extension or in this project. Install it in the project (npm install --save-dev esbuild) and reopen the file.';
    this.log.warn(`esbuild not found: ${tried.join('; ')}`);
    return false;
  }
}

function restrictedNotice(m: DeclaredModelView): vscode.Diagnostic {
  return notice(
    toRange(m.classRange),
    `Gradient Lens does not run code in Restricted Mode: ${m.className} is not traced. Trust this workspace (Manage Workspace Trust) to trace it.`,
    RESTRICTED_CODE,
  );
}
