/**
 * The editor's own path for a PyTorch file's quick trace: the extension host posts the text to a
 * trace worker thread (dist/trace-worker.js, through the same TraceRunner, one thread kept per file
 * between runs) and waits for its reply with the findings. Beside the in-process numbers this
 * adds the thread's round trip: structured cloning of the request and of the trace and findings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../src/extension/settings';
import { TraceRunner } from '../src/extension/trace-runner';
import { DEFAULT_LIMITS, memoryLimitBytes } from '../src/limits';
import { DEFAULT_CONFIG } from '../src/rules/config';
import { ROOT } from './engine';
import { measureAsync, type Timing } from './workloads';

/** TraceRunner logs only what fails; the bench prints that and stops. */
const log = {
  error: (m: string) => console.error(m),
  warn: (m: string) => console.error(m),
  info: () => undefined,
  debug: () => undefined,
} as unknown as ConstructorParameters<typeof TraceRunner>[1];

/**
 * `cold` is a new thread's first run (the thread starts, loads the parser and compiles); `warm`
 * each run after, timed from posting the request to the `traced` reply. The CPU time is the whole
 * process's, so it counts the worker thread's work.
 */
export async function workerQuickTrace(file: string, budgetMs: number): Promise<{ cold: number; warm: Timing }> {
  const text = readFileSync(file, 'utf8');
  const runner = new TraceRunner(join(ROOT, 'dist', 'trace-worker.js'), log);
  let edits = 0;
  const once = async () => {
    const outcome = await runner.run({
      // A text of its own each time, as after an edit.
      text: `${text}\n# edit ${edits++}\n`,
      fileName: file,
      steps: DEFAULT_SETTINGS.quickTraceSteps,
      memoryLimitBytes: memoryLimitBytes(DEFAULT_LIMITS),
      timeLimitMs: DEFAULT_SETTINGS.quickTraceTimeLimitMs,
      config: DEFAULT_CONFIG,
      progress: false,
      limits: DEFAULT_LIMITS,
      python: {},
    });
    if (outcome.kind !== 'traced') throw new Error(`${file} was not traced in the worker: ${outcome.kind}${'message' in outcome ? ` (${outcome.message})` : ''}`);
  };
  try {
    const t = performance.now();
    await once();
    const cold = performance.now() - t;
    return { cold, warm: await measureAsync(once, budgetMs, 5, 2) };
  } finally {
    runner.dispose();
  }
}
