/**
 * The CLI run in this process (the same code as `node dist/cli.js`, without a process per case),
 * its output captured.
 */
import { main, type Io } from '../../src/cli/main';
import { LIMITS } from '../../src/limits';
import { readUserFile } from '../../src/user-files';

/**
 * Flags that lift the trace's wall-clock limit: a comparison of numbers must not depend on how busy
 * the machine is (a ResNet-18 step at float64 passed 30 s on a loaded CI machine).
 */
export const NO_TIME_LIMIT = ['--time-limit-ms', String(LIMITS.timeLimitMs.max)];

export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), readFile: readUserFile };
  const code = await main(argv, io);
  return { code, out, err };
}
