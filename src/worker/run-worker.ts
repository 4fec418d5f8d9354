/**
 * The worker thread that follows one training run's log (run-job.ts), so reading a big log and
 * applying the rules never hold up the extension host. The host ends the thread to stop watching.
 */
import { parentPort } from 'node:worker_threads';
import { RunWatchJob } from './run-job';
import type { RunWatchReply, RunWatchRequest } from './run-messages';

const port = parentPort;
if (!port) throw new Error('run-worker.js runs as a worker thread of the extension host');

let job: RunWatchJob | undefined;
port.on('message', (msg: RunWatchRequest) => {
  const post = (reply: RunWatchReply) => port.postMessage(reply);
  try {
    if (msg.type === 'watch') job ??= new RunWatchJob({ path: msg.path, throttleMs: msg.throttleMs, config: msg.config }, post);
    else job?.handle(msg);
  } catch (e) {
    post({ type: 'internal', message: (e as Error).stack ?? String(e) });
  }
});
