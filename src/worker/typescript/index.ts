/**
 * Traces a decorated TypeScript model file: transpile in memory, run in a child process under a
 * wall-clock limit, a V8 heap limit, a resident-memory limit and the engine's tensor cap, and
 * collect each @model class's trace and findings. Whatever the user's code does (loop forever,
 * exhaust memory, call process.exit, throw) ends that run with a RunError, never the caller.
 */
import { ChildProcess, fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import * as esbuild from 'esbuild';
import type { SourceRange } from '../../model/graph';
import type { RuleConfig } from '../../rules/config';
import { LIMITS } from '../../limits';
import { modelClassesIn } from '../../model/typescript';
import { DEFAULT_MEMORY_LIMIT } from '../../trace/run';
import { formatDuration } from '../../numbers';
import type { RunError, RunRequest, TsRunResult } from './protocol';
import { transpileModel } from './transpile';
import { checkRunnerMessage } from './validate';

export type { RunError, RunErrorKind, TracedModel, TsRunResult } from './protocol';
export { transpileModel } from './transpile';
export { modelClassesIn, type DeclaredModel } from '../../model/typescript';

export interface TsTraceOptions {
  /** Wall-clock limit of each @model class (each runs in a process of its own), in ms (default: the time limit, 30 s). */
  timeoutMs?: number;
  /** V8's old-space limit for the run, in MiB (default 512). */
  heapMb?: number;
  /** The engine's cap on tensor bytes per step (typed arrays live outside V8's heap). */
  memoryLimitBytes?: number;
  /** Cap on the process's resident memory, polled where the OS tells it (Linux); default heap + tensor cap + 512 MiB. */
  rssLimitBytes?: number;
  /** Overrides every model's @trace steps. */
  steps?: number;
  /** The most steps a model's @trace may ask for (default: the step limit's, 10,000). */
  maxSteps?: number;
  config?: RuleConfig;
  /** Aborting kills the run; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
  /** The runner script; by default dist/ts-runner.js beside this bundle, or one built from source. */
  runnerPath?: string;
  /** Characters of the user's console output kept (default 64 KiB). */
  outputLimit?: number;
}

const MiB = 1024 * 1024;

let builtRunner: Promise<string> | null = null;

/** dist/ts-runner.js when running from the bundles; from source (tests), bundled once per process. */
export function runnerScript(): Promise<string> {
  const beside = join(__dirname, 'ts-runner.js');
  if (existsSync(beside)) return Promise.resolve(beside);
  const source = join(__dirname, 'runner.ts');
  if (!existsSync(source)) return Promise.reject(new Error(`the TypeScript model runner is missing (looked for ${beside})`));
  builtRunner ??= (async () => {
    const outfile = join(tmpdir(), `gradient-lens-ts-runner-${process.pid}.js`);
    // The bundle lives in the temp directory: point it at the WebAssembly kernels built in dist/.
    const kernels = `process.env.GRADIENT_LENS_KERNELS_DIR ??= ${JSON.stringify(join(__dirname, '..', '..', '..', 'dist'))};`;
    await esbuild.build({ entryPoints: [source], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'silent', banner: { js: kernels } });
    return outfile;
  })();
  return builtRunner;
}

/** Resident set size of a process in bytes, where /proc has it; null elsewhere. */
function residentBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function killGroup(child: ChildProcess, grouped: boolean): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    // The runner leads its own process group: anything the user's code spawned goes with it.
    if (grouped) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Traces every @model class of a TypeScript file. `text` is the file's (possibly unsaved) content. */
export async function traceTypeScriptFile(file: string, text: string, opts: TsTraceOptions = {}): Promise<TsRunResult> {
  const fileName = resolvePath(file);
  opts.signal?.throwIfAborted();
  const compiled = await transpileModel(fileName, text);
  if (!compiled.ok) return { models: [], errors: [compiled.error], output: '' };
  const script = opts.runnerPath ?? (await runnerScript());
  opts.signal?.throwIfAborted();

  // Each class in a process of its own, with its own limits: an exit or an endless loop in one
  // cannot hide the next. The classes the text declares go first; any other that registers when
  // the file runs gets its turn too.
  const result: TsRunResult = { models: [], errors: [], output: '' };
  const queue: (string | undefined)[] = modelClassesIn(text).map((d) => d.className);
  if (!queue.length) queue.push(undefined);
  const queued = new Set(queue);
  const outputLimit = opts.outputLimit ?? 64 * 1024;
  /** The error that ended a run before the file loaded: no class after it ran. */
  let stoppedBy: RunError | undefined;
  for (let i = 0; i < queue.length; i++) {
    const run = await runChild(script, { compiled, fileName, text, only: queue[i] }, opts);
    result.models.push(...run.models);
    for (const e of run.errors) {
      // The file's own errors (a throw at the top level) come from every process: keep one.
      if (!e.className && result.errors.some((x) => !x.className && x.message === e.message && x.location?.start === e.location?.start)) continue;
      result.errors.push(e);
    }
    result.output = (result.output + run.output).slice(0, outputLimit);
    if (!run.loaded) {
      // The file could not even load: every other class would fail the same way. What ended the
      // run (the file's own error when it has one) says which classes it kept from running.
      stoppedBy = run.errors.find((e) => !e.className) ?? run.errors[run.errors.length - 1];
      break;
    }
    for (const name of run.registered) {
      if (!queued.has(name)) {
        queued.add(name);
        queue.push(name);
      }
    }
  }
  // A file that did not load traced none of the classes after it: name them, so no class is
  // skipped in silence.
  const notRun = queue.filter((c): c is string => c !== undefined && !result.models.some((m) => m.className === c) && !result.errors.some((e) => e.className === c));
  const by = stoppedBy;
  const at = by ? result.errors.findIndex((e) => e === by || (!e.className && !by.className && e.message === by.message)) : -1;
  if (notRun.length && at >= 0) {
    const e = result.errors[at];
    result.errors[at] = { ...e, message: `${e.message} (so ${notRun.join(', ')} ${notRun.length === 1 ? 'was' : 'were'} not traced)` };
  }
  return result;
}

interface ChildRun extends TsRunResult {
  /** The file ran to the end of its top level (the runner said `loaded`). */
  loaded: boolean;
  /** The @model classes that registered. */
  registered: string[];
}

/** One runner process for one class (or all of them, when `only` is undefined). */
function runChild(
  script: string,
  job: { compiled: { code: string; bundleFile: string }; fileName: string; text: string; only: string | undefined },
  opts: TsTraceOptions,
): Promise<ChildRun> {
  const { fileName, text, only } = job;
  const timeoutMs = opts.timeoutMs ?? LIMITS.timeLimitMs.default;
  const heapMb = opts.heapMb ?? LIMITS.memoryLimitMB.default;
  const memoryLimitBytes = opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT;
  const rssLimit = opts.rssLimitBytes ?? heapMb * MiB + memoryLimitBytes + 512 * MiB;
  const outputLimit = opts.outputLimit ?? 64 * 1024;
  opts.signal?.throwIfAborted();

  const grouped = process.platform !== 'win32';
  const child = fork(script, [], {
    execArgv: ['--enable-source-maps', `--max-old-space-size=${heapMb}`],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: grouped,
  });

  const result: ChildRun = { models: [], errors: [], output: '', loaded: false, registered: [] };
  let stderr = '';
  const keep = (chunk: Buffer) => {
    if (result.output.length < outputLimit) result.output += chunk.toString('utf8').slice(0, outputLimit - result.output.length);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', (chunk: Buffer) => {
    keep(chunk);
    stderr = (stderr + chunk.toString('utf8')).slice(-8192);
  });

  /**
   * The model being traced when the run ended: the errors of ours name it. Once the file has loaded,
   * the class this process is for; before, the file (what it did while loading, such as an exit or a
   * malformed message, is the file's) except for the time limit: a busy machine may still be loading
   * the file when it passes, and where the run ended must not depend on how far it got.
   */
  const on = only === undefined ? undefined : modelClassesIn(text).find((d) => d.className === only);
  let current: { className: string; location?: SourceRange } | null = null;
  const about = (timing = false): Partial<RunError> => {
    if (current) return { className: current.className, ...(current.location ? { location: current.location } : {}) };
    if (only !== undefined && (result.loaded || timing)) return { className: only, ...(on ? { location: on.decoratorRange } : {}) };
    return {};
  };

  return new Promise<ChildRun>((resolve, reject) => {
    let settled = false;
    let ending: RunError | null = null;
    const timers: NodeJS.Timeout[] = [];
    const finish = (extra: RunError | null, abort?: unknown) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t), clearInterval(t);
      opts.signal?.removeEventListener('abort', onAbort);
      killGroup(child, grouped);
      if (abort) return reject(abort);
      if (extra) result.errors.push(extra);
      resolve(result);
    };
    /** Ends the run for a reason of ours; the result is settled once the process is gone. */
    const stop = (why: RunError) => {
      ending ??= why;
      killGroup(child, grouped);
    };
    const onAbort = () => finish(null, opts.signal?.reason ?? Object.assign(new Error('the run was cancelled'), { name: 'AbortError' }));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    timers.push(
      setTimeout(() => {
        stop({
          kind: 'timeout',
          message: `the model did not finish within ${formatDuration(timeoutMs)} (an endless loop, or too much work for a quick trace: lower @trace steps or batchSize)`,
          ...about(true),
        });
      }, timeoutMs),
    );
    timers.push(
      setInterval(() => {
        const rss = child.pid === undefined ? null : residentBytes(child.pid);
        if (rss !== null && rss > rssLimit) {
          stop({ kind: 'oom', message: `the model used more than ${Math.round(rssLimit / MiB)} MiB of memory (${Math.round(rss / MiB)} MiB resident)`, ...about() });
        }
      }, 200),
    );

    child.on('message', (raw: unknown) => {
      if (settled || ending) return;
      const checked = checkRunnerMessage(raw, text.length);
      if (!checked.ok) {
        // The user's code shares the process and may have sent it: stop trusting the process.
        stop({ kind: 'error', message: `the model's process sent a malformed message (${checked.problem}): does the model call process.send?`, ...about() });
        return;
      }
      const msg = checked.message;
      switch (msg.type) {
        case 'loaded':
          result.loaded = true;
          result.registered = msg.models;
          break;
        case 'model-start':
          current = { className: msg.className, location: msg.location };
          break;
        case 'model':
          result.models.push(msg.model);
          current = null;
          break;
        case 'error':
          // An error of this process's class without a place of its own (it never registered, or
          // failed before it started) sits on the class's @model(...).
          result.errors.push(!msg.error.location && on && msg.error.className === only ? { ...msg.error, location: on.decoratorRange } : msg.error);
          current = null;
          break;
        case 'done':
          finish(null);
          break;
      }
    });
    child.on('error', (e) => finish({ kind: 'error', message: `could not run the model: ${e.message}`, ...about() }));
    // 'close', not 'exit': it comes after stderr is drained, and V8's "heap out of memory" is often
    // the last thing written before its SIGABRT.
    child.on('close', (code, signal) => {
      if (settled) return;
      if (ending) return finish(ending);
      if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderr)) {
        return finish({ kind: 'oom', message: `the model ran out of memory: V8's heap limit of ${heapMb} MiB was reached`, ...about() });
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      finish({ kind: 'exit', message: `the model's process ${how} before it finished`, ...about() });
    });

    const request: RunRequest = {
      type: 'run',
      code: job.compiled.code,
      bundleFile: job.compiled.bundleFile,
      fileName,
      text,
      steps: opts.steps,
      maxSteps: opts.maxSteps ?? LIMITS.maxSteps.default,
      memoryLimitBytes,
      // A margin past our own timer: the watchdog is for when this process cannot kill it.
      deadlineMs: timeoutMs + 5000,
      config: opts.config,
      ...(only === undefined ? {} : { only }),
    };
    child.send(request);
  });
}
