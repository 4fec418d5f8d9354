/**
 * The one gate for every test that compares against PyTorch (Debian's python3-torch 1.13, imported
 * with /usr/bin/python3; the `python3` first on PATH is another interpreter). Without torch such a
 * suite skips on a developer's machine, but fails where GL_REQUIRE_TORCH=1 (set by .ci/run), so CI
 * cannot go green by skipping the comparison.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const PYTHON = process.env.GL_TORCH_PYTHON || '/usr/bin/python3';

let cached: { version: string } | { missing: string } | undefined;

/** torch's version, or why it cannot be imported; asked once per process. */
export function torchStatus(): { version: string } | { missing: string } {
  if (cached) return cached;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error) cached = { missing: `${PYTHON} cannot run (${r.error.message})` };
  else if (r.status !== 0) cached = { missing: `${PYTHON} cannot import torch (apt-get install python3-torch): ${r.stderr.trim().split('\n').pop()}` };
  else cached = { version: r.stdout.trim() };
  return cached;
}

/**
 * Call in a suite's `before`: skips the suite when torch is missing, or throws when
 * GL_REQUIRE_TORCH=1. Returns torch's version.
 */
export function requireTorch(ctx: Mocha.Context, suite: string): string {
  const s = torchStatus();
  if ('version' in s) return s.version;
  if (process.env.GL_REQUIRE_TORCH === '1') throw new Error(`${suite} needs PyTorch and GL_REQUIRE_TORCH=1: ${s.missing}`);
  console.log(`    skipping ${suite}: ${s.missing}`);
  ctx.skip();
}

let vision: { version: string } | { missing: string } | undefined;

/** torchvision's version (Debian's python3-torchvision 0.14), or why it cannot be imported; asked once per process. */
export function torchvisionStatus(): { version: string } | { missing: string } {
  if (vision) return vision;
  const t = torchStatus();
  if ('missing' in t) return (vision = t);
  const r = spawnSync(PYTHON, ['-c', 'import torchvision; print(torchvision.__version__)'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) vision = { missing: `${PYTHON} cannot import torchvision (apt-get install python3-torchvision): ${(r.error?.message ?? r.stderr).trim().split('\n').pop()}` };
  else vision = { version: r.stdout.trim() };
  return vision;
}

/** requireTorch for a suite that compares against torchvision too: skips without it, or throws when GL_REQUIRE_TORCH=1. */
export function requireTorchvision(ctx: Mocha.Context, suite: string): string {
  requireTorch(ctx, suite);
  const s = torchvisionStatus();
  if ('version' in s) return s.version;
  if (process.env.GL_REQUIRE_TORCH === '1') throw new Error(`${suite} needs torchvision and GL_REQUIRE_TORCH=1: ${s.missing}`);
  console.log(`    skipping ${suite}: ${s.missing}`);
  ctx.skip();
}

/**
 * The environment torchrun gives the one process of a world of size 1 (what Gradient Lens reads a
 * distributed script as), for running such a script in real PyTorch on gloo. MASTER_PORT 0: the
 * only rank's store listens on a port the system picks as it binds; a port chosen beforehand (the
 * test process's pid once) fails the run whenever something else holds it.
 */
export function oneRankEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LOCAL_RANK: '0', RANK: '0', WORLD_SIZE: '1', LOCAL_WORLD_SIZE: '1', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '0' };
}

export type ScriptAnswer = { stdout: string } | { error: string };

/**
 * Runs every script as __main__ in one torch process (test/support/run_scripts.py: fresh globals and
 * torch's defaults for each), where one process each would spend seconds importing torch every time.
 * `threads`: torch's intra-op threads (1 on a shared machine where only the result, not its last
 * digits, is asserted). Call after requireTorch.
 */
export function runInOneTorchProcess(scripts: { text: string; file: string }[], threads?: number): ScriptAnswer[] {
  const r = spawnSync(PYTHON, ['-W', 'ignore', join(__dirname, 'run_scripts.py')], { input: JSON.stringify({ scripts, threads }), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`run_scripts.py failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as ScriptAnswer[];
}
