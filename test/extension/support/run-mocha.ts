/**
 * The `run()` an extension host calls for `extensionTestsPath` (code-server's smoke-test driver
 * and @vscode/test-electron alike): runs the suite's *.test.js files with mocha and rejects when
 * one fails. GL_EXT_GREP=<regexp> runs only the tests whose full title matches (while developing;
 * a landing runs them all).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export async function runMocha(dir: string): Promise<void> {
  const grep = process.env.GL_EXT_GREP;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 600_000, reporter: 'spec', ...(grep ? { grep: new RegExp(grep) } : {}) });
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(dir, f));
  await mocha.loadFilesAsync();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures) throw new Error(`${failures} extension test${failures === 1 ? '' : 's'} failed`);
}
