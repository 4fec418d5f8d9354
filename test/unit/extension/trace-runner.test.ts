/**
 * The host's end of the trace worker, in plain node, on a stand-in worker that says what it reads
 * and then never answers, as a worker parsing a long script past the time limit does. The time
 * limit's outcome carries what was being read, so the editor's message says where the time went
 * (the CLI's words, from timeLimitMessage) instead of advising fewer steps.
 * The host's timer is taken over by the test, which fires it once the worker's replies are in:
 * nothing depends on how fast the machine is.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { type TraceOutcome, TraceRunner } from '../../../src/extension/trace-runner';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { timeLimitMessage } from '../../../src/limits';

/** Posts a 'reading' reply for each entry of the request's text (a JSON list), a 'parsed', then blocks. */
const STALLING_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (req) => {
  for (const what of JSON.parse(req.text)) parentPort.postMessage({ type: 'reading', id: req.id, what });
  parentPort.postMessage({ type: 'parsed', id: req.id, problems: [], ok: true, layers: [], parseMs: 0 });
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600000);
});
`;

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} } as unknown as vscode.LogOutputChannel;

describe('trace runner: the time limit says what the worker was reading', () => {
  let dir: string;
  let runner: TraceRunner;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gl-runner-'));
    writeFileSync(join(dir, 'stalling-worker.js'), STALLING_WORKER);
  });
  beforeEach(() => (runner = new TraceRunner(join(dir, 'stalling-worker.js'), quiet)));
  afterEach(() => runner.dispose());
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a request whose worker reads `readings`, then ends it at the time limit. */
  async function timedOut(readings: (string | null)[]): Promise<TraceOutcome> {
    let expire: (() => void) | undefined;
    const realSetTimeout = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: () => void) => {
      expire = fn;
      return realSetTimeout(() => {}, 0);
    }) as typeof setTimeout;
    let parsed!: () => void;
    const seen = new Promise<void>((resolve) => (parsed = resolve));
    let outcome: Promise<TraceOutcome>;
    try {
      outcome = runner.run(
        { text: JSON.stringify(readings), fileName: '/w/big.py', memoryLimitBytes: 2 ** 26, timeLimitMs: 2000, config: DEFAULT_CONFIG, progress: false },
        { onParsed: () => parsed() },
      );
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    // Replies come in order: once 'parsed' is in, so is every 'reading' before it.
    await seen;
    assert.ok(expire, 'the runner set its time limit');
    expire();
    return outcome;
  }

  it('a worker still parsing: the outcome names it, and the message says fewer steps would not help', async () => {
    const o = await timedOut(['parsing big.py (900 KiB of Python)']);
    assert.equal(o.kind, 'timeout');
    if (o.kind !== 'timeout') return;
    assert.equal(o.reading, 'parsing big.py (900 KiB of Python)');
    assert.equal(
      timeLimitMessage(o.limitMs, o.reading, 'gradientLens.quickTraceTimeLimitMs'),
      'parsing big.py (900 KiB of Python) did not finish within 2 s (gradientLens.quickTraceTimeLimitMs): no step was traced yet, so fewer steps or a smaller batch would not help; raise the limit',
    );
  });

  it('a worker that had started tracing (or said nothing): no reading, the advice is fewer steps', async () => {
    for (const readings of [['parsing big.py (1.0 KiB of Python)', 'reading big.py up to its model and training loop', null], []]) {
      const o = await timedOut(readings);
      assert.equal(o.kind, 'timeout', JSON.stringify(readings));
      if (o.kind !== 'timeout') return;
      assert.equal(o.reading, null);
      assert.match(timeLimitMessage(o.limitMs, o.reading), /^the trace did not finish within 2 s \(--time-limit-ms \/ gradientLens\.timeLimitMs\): lower trace\.steps or batch_size/);
    }
  });
});
