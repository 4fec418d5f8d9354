/**
 * The host's end of one trace worker thread. A thread is kept between runs (starting one costs
 * more than a quick trace) and ended when a run is cancelled or overruns: a trace is synchronous,
 * so ending the thread is the only way to stop it. Replies from an ended thread are ignored.
 */
import { Worker } from 'node:worker_threads';
import type * as vscode from 'vscode';
import type { RangeView } from '../protocol';
import type { TraceReply, TraceRequest } from '../worker/messages';

type Parsed = Extract<TraceReply, { type: 'parsed' }>;
type Traced = Extract<TraceReply, { type: 'traced' }>;

export type CancelReason = 'superseded' | 'closed' | 'user' | 'disposed';

export type TraceOutcome =
  | { kind: 'traced'; parsed: Parsed; traced: Traced; wallMs: number }
  /** The spec has errors; nothing was traced. */
  | { kind: 'invalid'; parsed: Parsed; wallMs: number }
  | { kind: 'failed'; parsed: Parsed | null; name: string; message: string; range: RangeView | null; stack?: string; wallMs: number }
  /** `reading`: what the worker was reading when the limit ended it, null when it was tracing (see the 'reading' reply). */
  | { kind: 'timeout'; parsed: Parsed | null; limitMs: number; reading: string | null; wallMs: number }
  /** The thread died: out of heap (resourceLimits) or a crash. */
  | { kind: 'crashed'; parsed: Parsed | null; message: string; wallMs: number }
  | { kind: 'cancelled'; reason: CancelReason; wallMs: number };

export interface RunHooks {
  onParsed?(parsed: Parsed): void;
  onProgress?(step: number, of: number): void;
}

export type RunRequest = Omit<TraceRequest, 'id'>;

interface Pending {
  id: number;
  started: number;
  parsed: Parsed | null;
  /** What the worker said it reads now (null: it traces, or said nothing yet). */
  reading: string | null;
  hooks: RunHooks;
  timer: NodeJS.Timeout;
  resolve(outcome: TraceOutcome): void;
}

let nextId = 1;

export class TraceRunner implements vscode.Disposable {
  private worker: Worker | undefined;
  private pending: Pending | undefined;
  private heapMB = 0;

  constructor(
    private readonly script: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get busy(): boolean {
    return !!this.pending;
  }

  /**
   * Runs one request; a run still going is cancelled ('superseded') first. The thread is ended
   * if no answer comes within `timeLimitMs` plus a grace period (the worker itself stops between
   * steps at `timeLimitMs`; the grace covers one step that overruns).
   */
  run(req: RunRequest, hooks: RunHooks = {}): Promise<TraceOutcome> {
    if (this.pending) this.cancel('superseded');
    const heapMB = Math.max(64, Math.ceil(req.memoryLimitBytes / 2 ** 20));
    if (this.worker && heapMB !== this.heapMB) this.endWorker();
    const worker = this.worker ?? this.startWorker(heapMB);
    const id = nextId++;
    const hardLimit = req.timeLimitMs + Math.max(500, req.timeLimitMs / 4);
    return new Promise<TraceOutcome>((resolve) => {
      const started = performance.now();
      const timer = setTimeout(() => {
        const p = this.pending;
        if (p?.id !== id) return;
        this.settle({ kind: 'timeout', parsed: p.parsed, limitMs: req.timeLimitMs, reading: p.reading, wallMs: performance.now() - started });
        this.endWorker();
      }, hardLimit);
      this.pending = { id, started, parsed: null, reading: null, hooks, timer, resolve };
      worker.postMessage({ ...req, id } satisfies TraceRequest);
    });
  }

  /** Ends the run in progress, if any, by ending its thread. */
  cancel(reason: CancelReason): void {
    const p = this.pending;
    if (!p) return;
    this.settle({ kind: 'cancelled', reason, wallMs: performance.now() - p.started });
    this.endWorker();
  }

  dispose(): void {
    this.cancel('disposed');
    this.endWorker();
  }

  private startWorker(heapMB: number): Worker {
    // The heap cap bounds what the trace records and the rules allocate; tensor memory (typed
    // arrays, outside the heap) is bounded by the engine's memory cap from the same setting.
    const worker = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: heapMB }, name: 'gradient-lens-trace' });
    this.worker = worker;
    this.heapMB = heapMB;
    worker.unref();
    worker.on('message', (reply: TraceReply) => {
      if (this.worker === worker) this.onReply(reply);
    });
    worker.on('error', (e: Error & { code?: string }) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const p = this.pending;
      const message = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `the trace ran out of memory (gradientLens.memoryLimitMB is ${heapMB} MB)` : `the trace worker failed: ${e.message}`;
      this.log.error(message);
      if (p) this.settle({ kind: 'crashed', parsed: p.parsed, message, wallMs: performance.now() - p.started });
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const p = this.pending;
      if (p) this.settle({ kind: 'crashed', parsed: p.parsed, message: `the trace worker exited with code ${code}`, wallMs: performance.now() - p.started });
    });
    return worker;
  }

  private endWorker(): void {
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
  }

  private onReply(reply: TraceReply): void {
    const p = this.pending;
    if (!p || reply.id !== p.id) return;
    const wallMs = performance.now() - p.started;
    switch (reply.type) {
      case 'parsed':
        p.parsed = reply;
        p.hooks.onParsed?.(reply);
        if (!reply.ok) this.settle({ kind: 'invalid', parsed: reply, wallMs });
        break;
      case 'reading':
        p.reading = reply.what;
        break;
      case 'progress':
        p.hooks.onProgress?.(reply.step, reply.of);
        break;
      case 'traced':
        if (p.parsed) this.settle({ kind: 'traced', parsed: p.parsed, traced: reply, wallMs });
        break;
      case 'failed':
        this.settle({ kind: 'failed', parsed: p.parsed, name: reply.name, message: reply.message, range: reply.range, stack: reply.stack, wallMs });
        break;
    }
  }

  private settle(outcome: TraceOutcome): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(outcome);
  }
}
