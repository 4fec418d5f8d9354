/** `gradient-lens trace model.ts`: every @model class of a TypeScript file, run in a sandboxed process. */
import { oneLine } from '../escape';
import { limitName, memoryLimitBytes, processMemoryCapBytes } from '../limits';
import { positionAt } from '../model';
import { traceTypeScriptFile } from '../worker/typescript';
import type { RunError } from '../worker/typescript';
import { toJson } from '../report/json';
import type { Finding } from '../rules/types';
import { limitsFromArgs, ParsedArgs, positiveInt, UsageError } from './args';
import { exitCodeFor, FailOn, formatFindings, toSarif } from './findings';
import { errorAt, Inputs, loadRuleConfig } from './input';
import type { Io } from './main';
import { formatNormTable } from './trace';

export function isTypeScriptModel(file: string): boolean {
  return /\.(m|c)?ts$/i.test(file) && !/\.d\.ts$/i.test(file);
}

/** `grads` and `report` on a TypeScript model: said plainly, not as the YAML errors of reading it as a spec. */
export function refuseTypeScript(command: 'grads' | 'report', file: string): void {
  if (isTypeScriptModel(file)) {
    throw errorAt(file, '', 0, `${command} reads a model spec or a PyTorch script or notebook; a TypeScript model's classes are traced with \`gradient-lens trace ${file}\``);
  }
}

function formatRunError(e: RunError, file: string, text: string): string {
  const pos = e.location ? positionAt(text, e.location.start) : { line: 0, character: 0 };
  return `${oneLine(file)}:${pos.line + 1}:${pos.character + 1}: error ${e.kind}: ${e.className ? `${oneLine(e.className)}: ` : ''}${oneLine(e.message)}`;
}

export async function traceTypeScript(file: string, args: ParsedArgs, io: Io, format: 'text' | 'json' | 'sarif', failOn: FailOn): Promise<number> {
  for (const unsupported of ['state', 'batch', 'dtype']) {
    if (args.options.has(unsupported)) throw new UsageError(`--${unsupported} applies to spec files; a TypeScript model sets it in @model/@trace`);
  }
  const inputs = new Inputs(io, limitsFromArgs(args));
  const limits = inputs.limits;
  const steps = positiveInt(args.options.get('steps'), 'steps');
  if (steps !== undefined && steps > limits.maxSteps) throw new UsageError(`--steps ${steps} is over the limit of ${limits.maxSteps} steps per trace (${limitName('maxSteps')})`);
  const text = inputs.read(file, 'spec');
  const configPath = args.options.get('config');
  const config = configPath ? loadRuleConfig(configPath, inputs) : undefined;
  // The same limits as a spec's trace, enforced on the child process each class runs in.
  const result = await traceTypeScriptFile(file, text, {
    steps,
    maxSteps: limits.maxSteps,
    config,
    timeoutMs: limits.timeLimitMs,
    heapMb: Math.max(64, limits.memoryLimitMB),
    memoryLimitBytes: memoryLimitBytes(limits),
    rssLimitBytes: processMemoryCapBytes(limits),
  });
  const findings: Finding[] = result.models.flatMap((m) => m.findings);
  if (format === 'json') {
    io.out(toJson({ models: result.models.map((m) => ({ className: m.className, findings: m.findings, trace: m.trace })), errors: result.errors }));
  } else if (format === 'sarif') {
    io.out(JSON.stringify(toSarif(findings, file, text, require('../../package.json').version), null, 2));
  } else {
    const parts: string[] = [];
    for (const e of result.errors) parts.push(formatRunError(e, file, text));
    for (const m of result.models) {
      parts.push(`model ${oneLine(m.className)}:\n${formatFindings(m.findings, file, text)}\n\n${formatNormTable(m.trace)}`);
    }
    if (!result.models.length && !result.errors.length) parts.push(`${oneLine(file)}: no @model class found (decorate a Module subclass with @model({...}))`);
    io.out(parts.join('\n\n'));
  }
  // A model that could not run is a failure in CI whatever --fail-on says, except "never".
  if (result.errors.length && failOn !== 'never') return 1;
  return exitCodeFor(findings, failOn);
}
