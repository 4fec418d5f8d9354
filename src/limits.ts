/**
 * Every limit that bounds a run, in one place: the wall-clock time, the memory, the size of the
 * files read, the nesting depth of any document and the number of steps. Each has one definition
 * here; the CLI flag (`--time-limit-ms`) and the extension setting (`gradientLens.timeLimitMs`)
 * are both read through it, and a unit test holds package.json's settings against this table.
 * No `vscode` and no node-only imports: the parser, the worker and the extension all use it.
 */

export interface Limits {
  /** Wall-clock time of one trace (reading, building, the steps and the rules), in ms. */
  timeLimitMs: number;
  /**
   * Memory of the model's tensors (parameters, gradients, optimiser state, the copies a trace
   * keeps, and activations), estimated from the shapes before anything is built and counted as
   * the trace runs; also the heap of the trace's worker. The process as a whole is stopped past
   * `processMemoryCapBytes` of it.
   */
  memoryLimitMB: number;
  /** Size of a spec or rule-config file, in KiB. */
  maxSpecKB: number;
  /** Size of a state, batch or `data:` file, in MiB. */
  maxDataMB: number;
  /** Size of the Python code read (a PyTorch script, or a notebook's code cells together), in KiB. */
  maxPythonKB: number;
  /** Nesting of lists and maps in any file read (spec, config, state, batch, data). */
  maxDepth: number;
  /** Optimiser steps of one trace (`trace.steps`, `--steps`). */
  maxSteps: number;
}

export type LimitKey = keyof Limits;

export interface LimitDef {
  /** The CLI flag without its dashes. The extension setting is `gradientLens.<key>`. */
  flag: string;
  default: number;
  min: number;
  max: number;
  /** Whole numbers only. */
  integer: boolean;
  /** What it bounds, for --help, the settings UI and the README. */
  description: string;
}

export const LIMITS: { readonly [K in LimitKey]: LimitDef } = {
  timeLimitMs: {
    flag: 'time-limit-ms',
    default: 30_000,
    min: 1,
    max: 86_400_000,
    integer: false,
    description: 'Longest one trace may take, in milliseconds, from reading the file to the last rule. A trace past it stops with an error.',
  },
  memoryLimitMB: {
    flag: 'memory-limit-mb',
    default: 512,
    min: 1,
    max: 1_048_576,
    integer: false,
    description:
      "Most memory a trace may use for the model's tensors, in MB: parameters, gradients, optimiser state and activations. It is estimated from the shapes before anything is built (naming the first layer past it) and counted while the trace runs; a trace is stopped once its process grows past twice this plus 256 MB.",
  },
  maxSpecKB: {
    flag: 'max-spec-kb',
    default: 256,
    min: 1,
    max: 65_536,
    integer: false,
    description: 'Largest spec or rule-config file read, in KiB.',
  },
  maxDataMB: {
    flag: 'max-data-mb',
    default: 64,
    min: 1,
    max: 65_536,
    integer: false,
    description: 'Largest state, batch or `data:` file read, in MiB.',
  },
  // Reading Python takes memory in proportion to the code, before anything can stop it: a script
  // just under 1 MiB peaked at 223 MB RSS (model code), 517 MB (one long list) and 828 MB (a number
  // per line, the densest code), the whole CLI process; 8.7 MB took 958 MB. Training scripts are a
  // few hundred KiB at most.
  maxPythonKB: {
    flag: 'max-python-kb',
    default: 1024,
    min: 1,
    max: 65_536,
    integer: false,
    description:
      "Largest Python code read, in KiB: a PyTorch script, or a notebook's code cells together. Reading takes memory in proportion: about 150 times the code's size, up to 800 times for the densest code.",
  },
  maxDepth: {
    flag: 'max-depth',
    default: 64,
    min: 2,
    max: 500,
    integer: true,
    description: 'Deepest nesting of lists and maps in any file read (spec, config, state, batch, data).',
  },
  maxSteps: {
    flag: 'max-steps',
    default: 10_000,
    min: 1,
    max: 1_000_000,
    integer: true,
    description: 'Most optimiser steps one trace may run (`trace.steps`, `--steps`).',
  },
};

export const LIMIT_KEYS = Object.keys(LIMITS) as LimitKey[];

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze(Object.fromEntries(LIMIT_KEYS.map((k) => [k, LIMITS[k].default])) as unknown as Limits);

import { formatBytes, formatDuration } from './numbers';

const KiB = 1024;
const MiB = 1024 * 1024;

/** How a limit is named to the user: the flag and the setting that change it. */
export function limitName(key: LimitKey): string {
  return `--${LIMITS[key].flag} / gradientLens.${key}`;
}

/** Why `value` is not a valid value of the limit, or null when it is. */
export function limitProblem(key: LimitKey, value: unknown): string | null {
  const d = LIMITS[key];
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= d.min && value <= d.max && (!d.integer || Number.isInteger(value));
  return ok ? null : `must be ${d.integer ? 'an integer' : 'a number'} from ${d.min} to ${d.max}`;
}

/**
 * Limits from a getter of values by key (CLI flags already parsed to numbers, or VS Code's
 * settings). A wrong value keeps the default and is reported: a limit is never silently dropped.
 */
export function limitsFrom(get: (key: LimitKey) => unknown): { limits: Limits; problems: { key: LimitKey; value: unknown; message: string }[] } {
  const limits = { ...DEFAULT_LIMITS };
  const problems: { key: LimitKey; value: unknown; message: string }[] = [];
  for (const key of LIMIT_KEYS) {
    const v = get(key);
    if (v === undefined) continue;
    const why = limitProblem(key, v);
    if (why) problems.push({ key, value: v, message: why });
    else limits[key] = v as number;
  }
  return { limits, problems };
}

export const memoryLimitBytes = (l: Pick<Limits, 'memoryLimitMB'>): number => l.memoryLimitMB * MiB;
export const maxSpecBytes = (l: Pick<Limits, 'maxSpecKB'>): number => Math.floor(l.maxSpecKB * KiB);
export const maxDataBytes = (l: Pick<Limits, 'maxDataMB'>): number => Math.floor(l.maxDataMB * MiB);
export const maxPythonBytes = (l: Pick<Limits, 'maxPythonKB'>): number => Math.floor(l.maxPythonKB * KiB);

/** The size limits, as limitName and the messages below take them. */
export type SizeLimitKey = 'maxSpecKB' | 'maxDataMB' | 'maxPythonKB';

/**
 * "the state file is 1.3 MiB, over the 1.0 MiB limit (--max-data-mb / gradientLens.maxDataMB)":
 * what is past a size limit, by how much, and where the limit is set. `atLeast` when only a part
 * was read (a file that claims no size).
 */
export function overSizeMessage(what: string, bytes: number, maxBytes: number, limit: SizeLimitKey, atLeast = false): string {
  let [size, cap] = [formatBytes(bytes), formatBytes(maxBytes)];
  // Just past the limit both round alike ("1.0 MiB, over the 1.0 MiB limit"): the bytes then.
  if (size === cap) [size, cap] = [`${bytes} bytes`, `${cap} (${maxBytes} bytes)`];
  return `${what} ${atLeast ? 'is over ' : 'is '}${size}, over the ${cap} limit (${limitName(limit)})`;
}

/**
 * How much resident memory a run may take before it is stopped: the tensors (counted against the
 * memory limit), as much again for the heap (trace records, rule statistics, garbage not yet
 * collected) and 256 MB for node itself. A model's own child process is held to it as a whole; a
 * trace in a process that does other work (the CLI, a test) to its growth from the trace's start.
 */
export function processMemoryCapBytes(l: Pick<Limits, 'memoryLimitMB'>): number {
  return 2 * memoryLimitBytes(l) + 256 * MiB;
}

/** The smallest memory limit, in MB, whose process cap a growth of `bytes` stays within. */
export function memoryLimitMBFor(bytes: number): number {
  return Math.ceil((bytes - 256 * MiB) / 2 / MiB);
}

/**
 * What a run reads before its first step, in the words the time limit's message names it with:
 * the CLI and the editor's trace worker say the same of the same work. Here, not in trace/bounded,
 * because the extension host words the editor's time limit and must not load the engine.
 */
export const READING = {
  spec: (file: string) => `reading the spec ${file}`,
  stateFile: (file: string) => `reading the state file ${file}`,
  batchFile: (file: string) => `reading the batch file ${file}`,
  ruleConfig: (file: string) => `reading the rule config ${file}`,
  dataFiles: (spec: string) => `reading the data files of ${spec}`,
  /** Parsing Python takes time in proportion to the code: its size says why. */
  pythonCode: (file: string, text: string) =>
    `parsing ${/\.ipynb$/i.test(file) ? `${file}'s code cells` : file} (${formatBytes(new TextEncoder().encode(text).length)} of Python)`,
  pythonModel: (file: string) => `reading ${file} up to its model and training loop`,
};

/**
 * Why a trace ended before its steps were done: `traced` steps fit, and one more as long as the
 * longest so far would pass the time limit. The findings come from the steps that fit.
 */
export function timeLimitStopMessage(traced: number, longestMs: number, ms: number, limit = limitName('timeLimitMs')): string {
  return `${traced} step${traced === 1 ? '' : 's'} traced: one more (up to ${formatDuration(longestMs)} each) would pass the time limit of ${formatDuration(ms)} (${limit}); raise it to trace more`;
}

/**
 * What the time limit says. The advice depends on where the time went: `reading` names what was
 * being read when it ran out (READING.pythonCode: "parsing model.py (600 KiB of Python)"), when no
 * step had started. `limit` is where the limit is set: the editor's quick trace has its own setting.
 */
export function timeLimitMessage(ms: number, reading?: string | null, limit = limitName('timeLimitMs')): string {
  const within = `within ${formatDuration(ms)} (${limit})`;
  return reading
    ? `${reading} did not finish ${within}: no step was traced yet, so fewer steps or a smaller batch would not help; raise the limit`
    : `the trace did not finish ${within}: lower trace.steps or batch_size, or raise the limit`;
}
