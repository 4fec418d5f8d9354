/**
 * The `run()` an extension host calls for `extensionTestsPath` (code-server's smoke-test driver
 * and @vscode/test-electron alike): runs the suite's *.test.js files with mocha and rejects when
 * one fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export async function runMocha(dir: string): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 600_000, reporter: 'spec' });
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(dir, f));
  await mocha.loadFilesAsync();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures) throw new Error(`${failures} extension test${failures === 1 ? '' : 's'} failed`);
}
