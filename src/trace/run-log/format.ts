/**
 * The log a training run writes (python/gradient_lens): JSON Lines, one file per rank. Each record
 * is a part of the `Trace` type (src/trace/types.ts), so a run reads into the same Trace the rules
 * read. schema.ts describes the same records as a JSON Schema (schema/gl-run.schema.json); the
 * compiler holds the two together.
 *
 * Non-finite numbers are written as the strings "NaN", "Infinity" and "-Infinity".
 */
import type { ActivationStep, LayerFlowStep, LayerOutputStep, NonFiniteEvent, ParamStep, RunLoss, RunModule, SourceSite, TraceParam } from '../types';

export type { RunModule };

export const RUN_LOG_FORMAT = 'gradient-lens-run';
/** The newest format this reader understands; a log from a newer writer is refused with a clear message. */
export const RUN_LOG_VERSION = 1;
/** `rank0.gl.jsonl`, `rank0.part1.gl.jsonl`: what a run folder holds. */
export const RUN_LOG_FILE = /^rank(\d+)(?:\.part(\d+))?\.gl\.jsonl$/;
/** Any log file, as the extension watches for them (`runs/**\/*.gl.jsonl`). */
export const RUN_LOG_GLOB = '**/*.gl.jsonl';

/** The first line of every log file. */
export interface RunHeaderRecord {
  kind: 'header';
  format: typeof RUN_LOG_FORMAT;
  version: number;
  rank: number;
  /** Set on the parts after the first (the log continues in a new file past a size). */
  part?: number;
  run: string;
  startedAt: string;
  worldSize: number;
  torch: string;
  python: string;
  host: string;
  pid: number;
  cwd: string;
  /** The log folder as the script named it (relative to cwd, usually). */
  logDir: string;
  argv: string[];
  every: number | 'auto';
  dtype: string;
  /** `site`: where the optimiser was built, when known. */
  optimizer: { type: string; lr: number; args: Record<string, unknown>; site?: SourceSite };
  params: TraceParam[];
  modules: RunModule[];
}

/** Written once, after the first recorded step: what only a forward pass tells. */
export interface RunGraphRecord {
  kind: 'graph';
  /** Module paths in the order their forward passes finished (inner before outer). */
  order: string[];
  /** Per module, input and output shapes without the batch axis. */
  shapes: Record<string, { in: number[]; out: number[] }>;
  batchSize: number | null;
  loss: RunLoss | null;
  backwardSite: SourceSite | null;
}

export interface RunStepRecord {
  kind: 'step';
  step: number;
  loss: number;
  lr: number;
  time: number;
  batchSize?: number;
  params: ParamStep[];
  activations: ActivationStep[];
  outputs: LayerOutputStep[];
  flow: LayerFlowStep[];
}

export type RunNonFiniteRecord = { kind: 'nonFinite'; recorded: boolean } & Omit<NonFiniteEvent, 'rank' | 'recorded'>;

/** Something the hook wants the reader to know ("some summaries of step 12 are missing: …"). */
export interface RunMessageRecord {
  kind: 'message';
  step: number;
  text: string;
}

/** The last line of a run that ended normally or by an exception. */
export interface RunEndRecord {
  kind: 'end';
  step: number;
  reason: string;
  recordedSteps: number;
  interval: number;
  overheadShare?: number;
}

export type RunRecord = RunHeaderRecord | RunGraphRecord | RunStepRecord | RunNonFiniteRecord | RunMessageRecord | RunEndRecord;
export type RunRecordKind = RunRecord['kind'];
