/**
 * The worker thread that runs traces, so the extension host's event loop never waits for model
 * work. The host ends this thread to cancel (a newer edit, a closed file, the time limit); a trace
 * is synchronous, so there is nothing to interrupt from inside.
 */
import { parentPort } from 'node:worker_threads';
import { availableCores, setKernelThreads } from '../engine';
import { runJob } from './job';
import type { TraceReply, TraceRequest } from './messages';

const port = parentPort;
if (!port) throw new Error('trace-worker.js runs as a worker thread of the extension host');

// The float32 kernels may use every core but one: that one stays with the extension host (on two
// cores the trace runs on this thread alone).
setKernelThreads(Math.max(1, availableCores() - 1));

port.on('message', (req: TraceRequest) => {
  const post = (reply: TraceReply) => port.postMessage(reply);
  // A bug in the engine or the rules, not in the user's file: report it rather than die silently.
  const failed = (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'failed', id: req.id, name: err.name, message: err.message, range: null, stack: err.stack });
  };
  try {
    void Promise.resolve(runJob(req, post)).catch(failed);
  } catch (e) {
    failed(e);
  }
});
