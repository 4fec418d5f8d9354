/**
 * Runs a synchronous trace under the wall-clock limit and the process-memory cap, in this thread:
 * the time limit interrupts even a step that never returns (V8 terminates the script from a
 * watchdog thread, as `vm`'s `timeout` does), and the memory cap is checked as tensors are
 * allocated. Either ends the run with a TraceError on the model, never a native crash.
 */
import * as vm from 'node:vm';
import { resetEngineState, setMemoryWatch } from '../engine/context';
import { limitName, Limits, memoryLimitMBFor, processMemoryCapBytes, timeLimitMessage, timeLimitStopMessage } from '../limits';
import { formatBytes } from '../numbers';
import { TraceError } from './errors';
import type { StepRecord } from './types';

let calls = 0;

/** What ended a bounded run early. */
export class LimitError extends TraceError {
  override name = 'LimitError';
  constructor(
    message: string,
    readonly limit: 'timeLimitMs' | 'memoryLimitMB',
  ) {
    super(message, { kind: 'model' });
  }
}

/** Throws when the process has grown past the cap since `startRss`. */
export function checkProcessMemory(limits: Pick<Limits, 'memoryLimitMB'>, startRss: number): void {
  const cap = processMemoryCapBytes(limits);
  const grown = process.memoryUsage.rss() - startRss;
  if (grown > cap) {
    throw new LimitError(
      `the trace stopped after the process grew by ${formatBytes(grown)}, over the ${formatBytes(cap)} it may take (twice ${limitName('memoryLimitMB')} plus 256 MiB): ` +
        `the script's tensors need more than that; set ${limitName('memoryLimitMB')} above ${memoryLimitMBFor(grown)} MB, or give it a smaller batch`,
      'memoryLimitMB',
    );
  }
}

/**
 * `fn()`, or a LimitError once it runs past `limits.timeLimitMs` or the process-memory cap.
 * `reading()` says what `fn` is reading at the moment, or null once it traces: the time limit's
 * advice follows it.
 */
export function withinLimits<T>(fn: () => T, limits: Pick<Limits, 'timeLimitMs' | 'memoryLimitMB'>, reading: () => string | null = () => null): T {
  const slot = globalThis as unknown as Record<string, unknown>;
  const key = `__gradientLensBounded${calls++}`;
  let result: T | undefined;
  slot[key] = () => {
    result = fn();
  };
  resetEngineState();
  const startRss = process.memoryUsage.rss();
  setMemoryWatch(() => checkProcessMemory(limits, startRss));
  try {
    new vm.Script(`globalThis[${JSON.stringify(key)}]()`, { filename: 'gradient-lens-trace' }).runInThisContext({
      timeout: Math.max(1, Math.ceil(limits.timeLimitMs)),
    });
  } catch (e) {
    if ((e as { code?: string } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new LimitError(timeLimitMessage(limits.timeLimitMs, reading()), 'timeLimitMs');
    throw e;
  } finally {
    delete slot[key];
    resetEngineState();
  }
  return result as T;
}

/** The share of the time limit the steps may take: the rules, the report and the reply come after them. */
const STEPS_SHARE = 0.9;

/**
 * Ends a trace between steps when one more step, as long as the longest so far, would pass the
 * time limit counted from `started` (a shorter trace beats none: the limit would otherwise stop the
 * whole run mid-step and keep nothing). `traceStarts()` marks the end of reading the file, so the
 * first step's time does not include it.
 */
export function stepTimeBudget(limitMs: number, limit = limitName('timeLimitMs'), started = performance.now(), clock: () => number = () => performance.now()) {
  let last = started;
  let longest = 0;
  return {
    traceStarts(): void {
      last = clock();
    },
    /** An onStep: true to go on, else the reason the trace stopped. */
    onStep(record: Pick<StepRecord, 'step'>): true | string {
      const now = clock();
      longest = Math.max(longest, now - last);
      last = now;
      return now - started + longest <= limitMs * STEPS_SHARE ? true : timeLimitStopMessage(record.step + 1, longest, limitMs, limit);
    },
  };
}
