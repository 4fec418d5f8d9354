/**
 * The CLI under a generated corpus of broken inputs (issue 9): mutated specs, rule configs, state
 * and batch files, run through every command. Whatever the input, the CLI exits 0, 1 or 2; prints no
 * stack trace and no "internal error"; says what is wrong in exactly one line `file:line:col:
 * message` that points inside the file it names; modifies no input; and stays under a memory
 * bound. The corpus is generated from a seed (never checked in); a failure prints the case to
 * replay. Counts are fixed, so the run's length depends on the machine but not its outcome.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as YAML from 'yaml';
import { Io, main } from '../../../src/cli/main';
import { processMemoryCapBytes } from '../../../src/limits';
import { formatBytes } from '../../../src/numbers';
import { readUserBytes, readUserFile } from '../../../src/user-files';

const ROOT = join(__dirname, '..', '..', '..');
const EXAMPLES = join(ROOT, 'examples');

/**
 * How many cases of each kind. Measured under load (2 cores, load average 7-13): most of a case's
 * time is reading and refusing its broken file (9 in 10 exit 2 before any step), the trace itself
 * ~2% of it, so fewer cases would cost power and fewer steps would save nothing.
 */
const COUNTS = { specText: 900, specTree: 700, config: 350, state: 350, batch: 350, python: 150 };
/** The share of state and batch cases given to a PyTorch script (same parameter names) instead of the spec. */
const PYTHON_SHARE = 0.2;
/** The limits every case runs under: small, so a case that would be large is stopped, not slow. */
const LIMIT_FLAGS = ['--time-limit-ms', '1000', '--memory-limit-mb', '64'];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

// ---------------------------------------------------------------- building blocks

const SEED = `model:
  - Linear: {in_features: 10, out_features: 10}
  - Sigmoid
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 3, batch_size: 4}
`;

/** A PyTorch script with the seed's parameters (0.weight, 2.weight: the state and batch fit both). */
const SCRIPT = readFileSync(join(ROOT, 'test', 'parity', 'python', 'seed_sigmoid.py'), 'utf8');

const specs = [
  { name: 'seed.grad.yaml', text: SEED },
  ...['seed-saturated.grad.yaml', 'seed.grad.json', 'conv.grad.yaml', 'embedding.grad.yaml', 'normalisation.grad.yaml']
    .filter((f) => existsSync(join(EXAMPLES, f)))
    .map((f) => ({ name: f, text: readFileSync(join(EXAMPLES, f), 'utf8') })),
];

/** Text inserted by the text mutator: syntax, numbers at the edges, names of Object.prototype, control characters. */
const PIECES = [
  '', ' ', '\n', '\r', '\t', ':', '- ', '{', '}', '[', ']', ',', '"', "'", '#', '&a ', '*a', '0', '-1', '1e9', '1e999', '2147483648', '.nan', 'null', 'true',
  'NaN', 'Infinity', 'Linear', 'Sequential', 'ReLU', 'constructor', '__proto__', 'toString', 'name: x', 'init:', 'data: x.json', 'data: /etc/passwd',
  'data: ../../../etc/hostname', 'steps: 1000000000', 'batch_size: 0', 'batch_size: 100000', 'in_features: 100000', '\u001b[31m', '\u0000', '\ufeff', '\u2028',
  '\ud83d', '---\n', '!!binary ', '? ', '[[[[[[[[[[[[[[[[[[[[', '{"a":'.repeat(20),
];

function mutateText(rnd: Rnd, text: string): string {
  let t = text;
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (t.length + 1));
    const del = Math.floor(rnd() * 8);
    t = t.slice(0, at) + pick(rnd, PIECES) + t.slice(at + del);
  }
  if (rnd() < 0.05) t = `\ufeff${t}`;
  if (rnd() < 0.05) t = t.replace(/\n/g, '\r');
  return t;
}

const HOSTILE_VALUES: unknown[] = [
  0, -1, 1, 2, 3, 1e9, 2 ** 31, -(2 ** 31), 0.5, 1e-300, 1e300, 'NaN', 'Infinity', '', 'x', 'constructor', '__proto__', true, false, null, [], {}, [0], [1e9, 1e9],
  [[[[[1]]]]], { __proto__: 1 }, 'Linear', 'ReLU', 'x.json', '\u001b[2J', 'a\r\nb',
];

/** A random path into a JSON-like value, and a copy with the value there replaced, deleted or wrapped. */
function mutateTree(rnd: Rnd, value: unknown): unknown {
  const copy = structuredClone(value) as unknown;
  const edits = 1 + Math.floor(rnd() * 3);
  let root: unknown = copy;
  for (let e = 0; e < edits; e++) {
    let parent: Record<string, unknown> | unknown[] | null = null;
    let key: string | number | null = null;
    let node: unknown = root;
    // Always below the root: replacing the whole document is one case among thousands, not a fifth.
    for (let depth = 0; depth < 8 && node && typeof node === 'object' && (depth === 0 || rnd() < 0.8); depth++) {
      const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (!keys.length) break;
      parent = node as Record<string, unknown>;
      key = pick(rnd, keys);
      node = (node as Record<string | number, unknown>)[key];
    }
    const r = rnd();
    // A number nudged stays plausible (a size, a rate): the cases that get as far as tracing.
    if (typeof node === 'number' && parent !== null && key !== null && r < 0.3) {
      (parent as Record<string | number, unknown>)[key] = Math.round(node * pick(rnd, [0.5, 2, 3, 0, -1, 1e-3, 1e3]) * 1000) / 1000;
      continue;
    }
    const replacement = r < 0.6 ? pick(rnd, HOSTILE_VALUES) : r < 0.75 ? [node] : r < 0.85 ? { [pick(rnd, ['x', 'name', 'init', 'shape', 'data', '__proto__', 'constructor'])]: node } : undefined;
    if (parent === null || key === null) root = replacement ?? {};
    else if (replacement === undefined) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[String(key)];
    } else if (Array.isArray(parent)) parent[Number(key)] = replacement;
    else Object.defineProperty(parent, String(key), { value: replacement, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

const tensor = (shape: number[], fill: (i: number) => number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Array.from({ length: n }, (_, i) => fill(i)) };
};

const STATE = {
  '0.weight': tensor([10, 10], (i) => Math.sin(i) / 3),
  '0.bias': tensor([10], () => 0),
  '2.weight': tensor([1, 10], () => 0.1),
  '2.bias': tensor([1], () => 0),
};
const BATCH = { input: tensor([4, 10], (i) => (i % 7) / 7), target: tensor([4, 1], (i) => i - 1) };
const CONFIG = { severity: { 'dead-relu': 'off', 'saturated-activation': 'error' }, saturatedActivation: { share: 0.4 }, explodingGradient: { ratio: 50 } };

function asJson(rnd: Rnd, v: unknown): string {
  const text = JSON.stringify(v, null, rnd() < 0.5 ? 2 : undefined) ?? 'undefined';
  return rnd() < 0.3 ? mutateText(rnd, text) : text;
}

// ---------------------------------------------------------------- cases

interface Case {
  id: string;
  files: Record<string, string>;
  argv: string[];
}

const COMMANDS = ['trace', 'grads', 'report'] as const;

function commandFor(rnd: Rnd, spec: string, extra: string[]): string[] {
  const r = rnd();
  if (r < 0.45) return ['trace', spec, ...extra, '--steps', '2', '--format', pick(rnd, ['text', 'json', 'sarif']), '--fail-on', pick(rnd, ['error', 'warning', 'never'])];
  if (r < 0.75) return ['grads', spec, ...extra.filter((_, i, a) => a[i] !== '--config' && a[i - 1] !== '--config')];
  // A report, sometimes aimed at one of its own inputs, or into a folder that does not exist.
  const inputs = extra.filter((_, i) => i % 2 === 1);
  const r2 = rnd();
  const out = r2 < 0.3 ? pick(rnd, [spec, ...inputs]) : r2 < 0.4 ? 'out/report.html' : 'report.html';
  return ['report', spec, ...extra, '--steps', '2', '-o', out];
}

function generate(): Case[] {
  const rnd = lcg(9);
  const cases: Case[] = [];
  for (let i = 0; i < COUNTS.specText; i++) {
    const s = pick(rnd, specs);
    const name = rnd() < 0.2 ? s.name.replace(/\.grad\.\w+$/, s.name.endsWith('.json') ? '.grad.yaml' : '.grad.json') : s.name;
    cases.push({ id: `spec-text-${i}`, files: { [name]: mutateText(rnd, s.text) }, argv: commandFor(rnd, name, []) });
  }
  const trees = specs.map((s) => ({ name: s.name, tree: s.name.endsWith('.json') ? JSON.parse(s.text) : YAML.parse(s.text) }));
  for (let i = 0; i < COUNTS.specTree; i++) {
    const s = pick(rnd, trees);
    const tree = mutateTree(rnd, s.tree);
    const json = rnd() < 0.4;
    const name = json ? 'm.grad.json' : 'm.grad.yaml';
    const files: Record<string, string> = { [name]: json ? JSON.stringify(tree, null, 1) ?? '' : YAML.stringify(tree) };
    // Data files for the specs that now name one.
    files['x.json'] = JSON.stringify(tensor([3, 10], (k) => k / 30));
    cases.push({ id: `spec-tree-${i}`, files, argv: commandFor(rnd, name, []) });
  }
  for (let i = 0; i < COUNTS.config; i++) {
    const text = rnd() < 0.2 ? asJson(rnd, pick(rnd, [BATCH, STATE, [CONFIG], 'severity'])) : asJson(rnd, mutateTree(rnd, CONFIG));
    cases.push({ id: `config-${i}`, files: { 'seed.grad.yaml': SEED, 'c.json': text }, argv: commandFor(rnd, 'seed.grad.yaml', ['--config', 'c.json']) });
  }
  // The model read from a spec, or from a PyTorch script with the same parameters.
  const model = (): [string, Record<string, string>] => (rnd() < PYTHON_SHARE ? ['seed.py', { 'seed.py': SCRIPT }] : ['seed.grad.yaml', { 'seed.grad.yaml': SEED }]);
  for (let i = 0; i < COUNTS.state; i++) {
    const [target, files] = model();
    cases.push({ id: `state-${i}`, files: { ...files, 's.json': asJson(rnd, mutateTree(rnd, STATE)) }, argv: commandFor(rnd, target, ['--state', 's.json']) });
  }
  for (let i = 0; i < COUNTS.batch; i++) {
    const batch = rnd() < 0.1 ? { input: tensor([0, 10], () => 0), target: tensor([0, 1], () => 0) } : mutateTree(rnd, BATCH);
    const [target, files] = model();
    cases.push({ id: `batch-${i}`, files: { ...files, 'b.json': asJson(rnd, batch) }, argv: commandFor(rnd, target, ['--batch', 'b.json']) });
  }
  for (let i = 0; i < COUNTS.python; i++) {
    cases.push({ id: `python-${i}`, files: { 'seed.py': mutateText(rnd, SCRIPT) }, argv: commandFor(rnd, 'seed.py', []) });
  }
  return cases;
}

// ---------------------------------------------------------------- checks

const digest = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The text of `file` for checking a line:col against, '' when it is not one of the case's files. */
function checkOutcome(c: Case, dir: string, code: number, out: string, err: string): void {
  const where = `${c.id}: gradient-lens ${c.argv.join(' ')}`;
  assert.ok([0, 1, 2].includes(code), `${where}: exit ${code}\n${err}`);
  for (const text of [out, err]) {
    assert.doesNotMatch(text, /internal error|\n\s+at [^\n]*\(?[^\n]*:\d+:\d+\)?\n/, `${where}: a stack trace or internal error\n${text.slice(0, 2000)}`);
  }
  if (code === 2) {
    const lines = err.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${where}: ${lines.length} lines on stderr\n${err}`);
    const m = /^(.+?):(\d+):(\d+): \S/.exec(lines[0]);
    if (!m) {
      // Usage errors (a flag's value) are the only ones without a file, and the generator makes none.
      assert.fail(`${where}: not file:line:col: ${lines[0]}`);
    }
    const [, file, line, col] = m;
    const path = join(dir, file);
    const text = Object.prototype.hasOwnProperty.call(c.files, file) ? readFileSync(path, 'utf8').replace(/^\ufeff/, ' ') : '';
    const rows = text.split(/\r\n|\r|\n/);
    assert.ok(Number(line) >= 1 && Number(line) <= rows.length, `${where}: line ${line} outside ${file} (${rows.length} lines): ${lines[0]}`);
    assert.ok(Number(col) >= 1 && Number(col) <= rows[Number(line) - 1].length + 1, `${where}: column ${col} outside line ${line} of ${file}: ${lines[0]}`);
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(lines[0]), `${where}: a raw control character in ${JSON.stringify(lines[0])}`);
  } else {
    assert.equal(err, '', `${where}: exit ${code} with stderr\n${err}`);
    if (c.argv.includes('json') || c.argv.includes('sarif') || c.argv[0] === 'grads') assert.doesNotThrow(() => JSON.parse(out), `${where}: output is not JSON`);
  }
}

/** A case's kind, as its id names it ("spec-text-12": spec-text). */
const kindOf = (c: Case) => c.id.replace(/-\d+$/, '');

/** Removes what a case left in the shared folder: its inputs, a report it wrote. */
function emptyFolder(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}

/**
 * The process's peak resident memory since this call, above what it was then. Linux keeps the
 * peak itself once reset (/proc/self/clear_refs), so a spike between two cases counts and nothing
 * is sampled per case; elsewhere the resident size is sampled after every case.
 */
function peakRss(): { sample(): void; growth(): number; how: string } {
  const start = process.memoryUsage.rss();
  const kernelPeak = () => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    if (Number.isFinite(kernelPeak())) return { sample: () => {}, growth: () => kernelPeak() - start, how: "the kernel's peak" };
  } catch {
    // Not Linux, or not allowed: sample.
  }
  let highest = start;
  return { sample: () => void (highest = Math.max(highest, process.memoryUsage.rss())), growth: () => highest - start, how: 'sampled after each case' };
}

function writeCase(c: Case, dir: string): Map<string, string> {
  const before = new Map<string, string>();
  for (const [name, text] of Object.entries(c.files)) {
    writeFileSync(join(dir, name), text);
    before.set(name, digest(text));
  }
  return before;
}

function checkInputsKept(c: Case, dir: string, before: Map<string, string>): void {
  for (const [name, hash] of before) assert.equal(digest(readFileSync(join(dir, name))), hash, `${c.id}: ${name} was modified by gradient-lens ${c.argv.join(' ')}`);
}

describe('CLI fuzzing: generated broken inputs through every command (issue 9)', function () {
  this.timeout(300_000);
  const t0 = performance.now();
  const cases = generate();
  const generatedMs = performance.now() - t0;

  it(`has a few thousand generated cases (${cases.length})`, () => {
    const counts = new Map<string, number>();
    for (const c of cases) counts.set(kindOf(c), (counts.get(kindOf(c)) ?? 0) + 1);
    console.log(`      generated in ${(generatedMs / 1000).toFixed(1)} s: ${[...counts].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    assert.ok(cases.length >= 2500);
  });

  it('in process: exit 0/1/2, no stack trace, one located line per error, no input modified, bounded memory', async () => {
    const started = performance.now();
    const peak = peakRss();
    const codes = [0, 0, 0];
    const kinds = new Map<string, { cases: number; ms: number; codes: number[] }>();
    const before = process.cwd();
    // One folder for every case, emptied after each: creating and removing a folder per case took
    // a fifth of the suite's time under load (rmdir), and a case's outcome does not depend on it.
    const dir = mkdtempSync(join(tmpdir(), 'gl-fuzz-'));
    try {
      for (const c of cases) {
        const kept = writeCase(c, dir);
        let out = '';
        let err = '';
        const io: Io = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), readFile: readUserFile, readBytes: readUserBytes };
        process.chdir(dir);
        const t0 = performance.now();
        let code: number;
        try {
          code = await main([...c.argv, ...LIMIT_FLAGS], io);
        } catch (e) {
          assert.fail(`${c.id}: gradient-lens ${c.argv.join(' ')} threw: ${(e as Error).stack}`);
        } finally {
          process.chdir(before);
        }
        const kind = kinds.get(kindOf(c)) ?? { cases: 0, ms: 0, codes: [0, 0, 0] };
        kinds.set(kindOf(c), kind);
        kind.cases++;
        kind.ms += performance.now() - t0;
        kind.codes[code]++;
        checkOutcome(c, dir, code, out, err);
        checkInputsKept(c, dir, kept);
        codes[code]++;
        peak.sample();
        emptyFolder(dir);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const growth = peak.growth();
    console.log(`      ${cases.length} cases in ${((performance.now() - started) / 1000).toFixed(1)} s: exit 0 ×${codes[0]}, 1 ×${codes[1]}, 2 ×${codes[2]}; peak RSS growth ${formatBytes(growth)} (${peak.how})`);
    for (const [k, v] of kinds) console.log(`        ${k.padEnd(10)} ${String(v.cases).padStart(4)} cases, ${(v.ms / 1000).toFixed(1).padStart(5)} s in the CLI; exit 0/1/2 ×${v.codes.join('/')}`);
    // Every case ran under a 64 MB memory limit: a run may grow the process by twice that plus 256 MiB.
    assert.ok(growth < processMemoryCapBytes({ memoryLimitMB: 64 }) + 256 * 2 ** 20, `the process grew by ${formatBytes(growth)}`);
    // The corpus exercises all three outcomes.
    assert.ok(codes[0] > 0 && codes[2] > 0, JSON.stringify(codes));
  });

  it('as separate processes: the same outcomes, and each process under its memory cap', async function () {
    const cli = join(ROOT, 'dist', 'cli.js');
    if (!existsSync(cli)) this.skip();
    const rnd = lcg(77);
    // The heavy ones first: a model just under the memory limit that runs until the time limit,
    // a batch far larger than batch_size.
    const wide = `model:\n${'  - Linear: {in_features: 1024, out_features: 1024}\n'.repeat(2)}input: {shape: [1024]}\ntarget: {shape: [1024]}\nloss: MSELoss\ntrace: {steps: 10000, batch_size: 256}\n`;
    const big = { input: tensor([20000, 10], (i) => i % 3), target: tensor([20000, 1], () => 1) };
    const chosen: Case[] = [
      { id: 'proc-wide', files: { 'w.grad.yaml': wide }, argv: ['trace', 'w.grad.yaml'] },
      { id: 'proc-big-batch', files: { 'seed.grad.yaml': SEED, 'b.json': JSON.stringify(big) }, argv: ['trace', 'seed.grad.yaml', '--batch', 'b.json'] },
      // Then one case of each kind, the command going round, so every kind and every command meets
      // a real process (the in-process run has them all): a process costs as much as 50 cases in process.
      ...[...new Set(cases.map(kindOf))].map((kind, i) => pick(rnd, cases.filter((c) => kindOf(c) === kind && c.argv[0] === COMMANDS[i % COMMANDS.length]))),
    ];
    const peak = join(tmpdir(), `gl-fuzz-peak-${process.pid}.js`);
    writeFileSync(peak, "process.on('exit', () => require('fs').writeFileSync(process.env.GL_PEAK_FILE, String(process.resourceUsage().maxRSS * 1024)));\n");
    const cap = processMemoryCapBytes({ memoryLimitMB: 64 });
    let highest = 0;
    const started = performance.now();
    try {
      // Two at a time: the machine has two cores.
      for (let i = 0; i < chosen.length; i += 2) {
        await Promise.all(
          chosen.slice(i, i + 2).map(async (c) => {
            const dir = mkdtempSync(join(tmpdir(), 'gl-fuzz-'));
            try {
              const kept = writeCase(c, dir);
              const peakFile = join(dir, '.peak');
              const child = spawn(process.execPath, ['-r', peak, cli, ...c.argv, ...LIMIT_FLAGS], { cwd: dir, env: { ...process.env, GL_PEAK_FILE: peakFile } });
              let out = '';
              let err = '';
              child.stdout.on('data', (d: Buffer) => (out += d.toString()));
              child.stderr.on('data', (d: Buffer) => (err += d.toString()));
              const code = await new Promise<number>((resolve) => child.on('close', (n) => resolve(n ?? -1)));
              checkOutcome(c, dir, code, out, err);
              checkInputsKept(c, dir, kept);
              const bytes = Number(readFileSync(peakFile, 'utf8'));
              highest = Math.max(highest, bytes);
              // The process as a whole: node itself (about 60 MB) and what the run may grow by.
              assert.ok(bytes < cap + 128 * 2 ** 20, `${c.id}: peak RSS ${formatBytes(bytes)}, over ${formatBytes(cap + 128 * 2 ** 20)}`);
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          }),
        );
      }
    } finally {
      rmSync(peak, { force: true });
    }
    console.log(`      ${chosen.length} processes in ${((performance.now() - started) / 1000).toFixed(1)} s: highest peak RSS ${formatBytes(highest)} (cap for the run ${formatBytes(cap)})`);
  });
});
