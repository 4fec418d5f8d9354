/**
 * The CLI never loses what the user wrote, never runs unbounded, and answers bad input with one
 * line `file:line:col: message` and exit 2: each point of issue 9 with inputs of our own, on real
 * files in a temporary folder (symlinks, FIFOs, devices, large files).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Io, main } from '../../../src/cli/main';
import { readUserBytes, readUserFile } from '../../../src/user-files';
import { notebookJson } from '../python/support';

async function cli(argv: string[], cwd?: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), readFile: readUserFile, readBytes: readUserBytes };
  const before = process.cwd();
  if (cwd) process.chdir(cwd);
  try {
    return { code: await main(argv, io), out, err };
  } finally {
    process.chdir(before);
  }
}

/** Exit 2 and exactly one line on stderr, `file:line:col: message`. */
function oneError(r: { code: number; err: string }, where: RegExp): string {
  assert.equal(r.code, 2, r.err);
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], where);
  return lines[0];
}

const SEED = `model:
  - Linear: {in_features: 10, out_features: 10}
  - Sigmoid
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
trace: {steps: 2, batch_size: 4}
`;

function folder(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'gl-rel-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

const tensor = (shape: number[], data: unknown[]) => ({ shape, data });

describe('CLI reliability (issue 9)', function () {
  this.timeout(60_000);

  describe('never overwrites an input', () => {
    for (const [how, out] of [
      ['the same path', 'm.grad.yaml'],
      ['through ./', './m.grad.yaml'],
      ['through a subfolder and ..', 'sub/../m.grad.yaml'],
      ['a symlink to it', 'link.yaml'],
      ['a hard link to it', 'hard.yaml'],
    ]) {
      it(`report -o <the spec> by ${how}: refused, both paths named, the spec untouched`, async () => {
        const dir = folder({ 'm.grad.yaml': SEED, 'sub/x': '' });
        symlinkSync('m.grad.yaml', join(dir, 'link.yaml'));
        linkSync(join(dir, 'm.grad.yaml'), join(dir, 'hard.yaml'));
        const line = oneError(await cli(['report', 'm.grad.yaml', '-o', out], dir), /:1:1: refusing to write the report to .*: it is the spec/);
        assert.ok(line.includes(out));
        assert.equal(readFileSync(join(dir, 'm.grad.yaml'), 'utf8'), SEED);
        assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
      });
    }

    it('report -o <the state, batch or config file>: refused, each named', async () => {
      const state = JSON.stringify({});
      const batch = JSON.stringify({ input: tensor([1, 10], new Array(10).fill(0)), target: tensor([1, 1], [0]) });
      const config = JSON.stringify({ severity: {} });
      const dir = folder({ 'm.grad.yaml': SEED, 'b.json': batch, 'c.json': config, 's.json': state });
      for (const [flag, file, what] of [
        ['--batch', 'b.json', 'batch file'],
        ['--config', 'c.json', 'rule config'],
      ]) {
        oneError(await cli(['report', 'm.grad.yaml', flag, file, '-o', file], dir), new RegExp(`refusing to write the report to ${file}: it is the ${what}`));
        assert.equal(readFileSync(join(dir, file), 'utf8'), file === 'b.json' ? batch : config);
      }
    });

    it('report -o <a data: file, a PyTorch script, its sidecar>: refused, each named, each untouched', async () => {
      const script = readFileSync(join(__dirname, '..', '..', 'parity', 'python', 'seed_sigmoid.py'), 'utf8');
      const x = JSON.stringify(tensor([2, 10], new Array(20).fill(0.5)));
      const dataSpec = SEED.replace('input: {shape: [10], distribution: normal}', 'input: {shape: [10], data: x.json}');
      const dir = folder({ 'd.grad.yaml': dataSpec, 'x.json': x, 'm.py': script });
      oneError(await cli(['report', 'd.grad.yaml', '-o', './x.json'], dir), /^\.\/x\.json:1:1: refusing to write the report to \.\/x\.json: it is the data file/);
      oneError(await cli(['report', 'm.py', '-o', 'm.py'], dir), /^m\.py:1:1: refusing to write the report to m\.py: it is the Python file/);
      writeFileSync(join(dir, 'm.grad.yaml'), 'model: {python: m.py}\n');
      oneError(await cli(['report', 'm.py', '-o', 'm.grad.yaml'], dir), /^m\.grad\.yaml:1:1: refusing to write the report to m\.grad\.yaml: it is the spec/);
      assert.deepEqual([readFileSync(join(dir, 'x.json'), 'utf8'), readFileSync(join(dir, 'm.py'), 'utf8'), readFileSync(join(dir, 'm.grad.yaml'), 'utf8')], [x, script, 'model: {python: m.py}\n']);
    });

    it('writes the report in one piece, replacing an old one, and leaves no temporary file', async () => {
      const dir = folder({ 'm.grad.yaml': SEED, 'r.html': 'old' });
      const r = await cli(['report', 'm.grad.yaml', '-o', 'r.html'], dir);
      assert.equal(r.code, 0, r.err);
      assert.match(readFileSync(join(dir, 'r.html'), 'utf8'), /^<!DOCTYPE html>[\s\S]*<\/html>\s*$/);
      assert.deepEqual(readdirSync(dir).sort(), ['m.grad.yaml', 'r.html']);
      // A report into a folder that does not exist: one line, nothing left behind.
      oneError(await cli(['report', 'm.grad.yaml', '-o', 'no/such/r.html'], dir), /^no\/such\/r\.html:1:1: cannot write the report: no such file/);
    });
  });

  describe('--config is checked like a spec', () => {
    const cases: [string, string, RegExp][] = [
      ['a misspelt severity', '{"severity": {"saturated-activation": "eror"}}', /^c\.json:1:39: the severity of saturated-activation must be one of default, error, warning, info, off \(got "eror"\)\. Did you mean 'error'\?$/],
      ['an unknown rule', '{"severity": {"saturated-activations": "off"}}', /^c\.json:1:15: unknown rule 'saturated-activations'\. Did you mean 'saturated-activation'\?/],
      ['an unknown key', '{\n  "deadRelu": {"share": 0.7},\n  "sevrity": {}\n}', /^c\.json:3:3: unknown key 'sevrity'\. Did you mean 'severity'\?/],
      ['an unknown threshold', '{"deadRelu": {"shar": 0.7}}', /^c\.json:1:15: deadRelu has no threshold 'shar'\. Did you mean 'share'\?/],
      ['a share over 1', '{"deadRelu": {"share": 70}}', /^c\.json:1:24: deadRelu\.share must be a number in \(0, 1\] \(got 70\)$/],
      ['a threshold as a string', '{"explodingGradient": {"ratio": "70"}}', /^c\.json:1:33: explodingGradient\.ratio must be a number > 0 \(got "70"\)$/],
      ['a list', '[{"severity": {}}]', /^c\.json:1:1: a rule config is an object of rule settings like .*, not a list$/],
      ['a batch file by mistake', JSON.stringify({ input: tensor([1], [0]), target: tensor([1], [0]) }), /^c\.json:1:2: unknown key 'input'\./],
      ['invalid JSON', '{"severity": {"dead-relu": "off",}}', /^c\.json:1:34: JSON syntax error/],
      ['__proto__', '{"__proto__": {"share": 1}}', /^c\.json:1:2: unknown key '__proto__'/],
      ['an empty file', '', /^c\.json:1:1: JSON syntax error/],
    ];
    for (const [what, text, pattern] of cases) {
      it(`${what}: exit 2, one line at the value`, async () => {
        const dir = folder({ 'm.grad.yaml': SEED, 'c.json': text });
        oneError(await cli(['trace', 'm.grad.yaml', '--config', 'c.json'], dir), pattern);
      });
    }

    it('a valid config switches a rule off and changes a threshold', async () => {
      const saturated = SEED.replace('out_features: 10}', 'out_features: 10}\n    init: {weight: {normal: {std: 8}}}');
      const dir = folder({ 'm.grad.yaml': saturated, 'off.json': '{"severity": {"saturated-activation": "off", "poor-initialisation": "off"}}', 'on.json': '{"$schema": "x", "saturatedActivation": {"share": 0.1}}' });
      const on = await cli(['trace', 'm.grad.yaml', '--config', 'on.json', '--fail-on', 'never'], dir);
      assert.match(on.out, /saturated-activation/);
      const off = await cli(['trace', 'm.grad.yaml', '--config', 'off.json', '--fail-on', 'never'], dir);
      assert.equal(off.code, 0, off.err);
      assert.doesNotMatch(off.out, /saturated-activation/);
    });
  });

  describe('input: {data: path} and target: {data: path}', () => {
    const spec = (input: string, target = '{shape: [1]}') => SEED.replace('input: {shape: [10], distribution: normal}', `input: ${input}`).replace('target: {shape: [1], distribution: normal}', `target: ${target}`);

    /** A little-endian float32 .npy file. */
    function npy(shape: number[], values: number[], descr = '<f4'): Buffer {
      let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
      header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
      const head = Buffer.alloc(10);
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
      head.writeUInt16LE(header.length, 8);
      const size = descr.endsWith('8') ? 8 : 4;
      const body = Buffer.alloc(values.length * size);
      values.forEach((v, i) => (descr === '<f8' ? body.writeDoubleLE(v, i * 8) : descr === '<i8' ? body.writeBigInt64LE(BigInt(v), i * 8) : body.writeFloatLE(v, i * 4)));
      return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
    }

    it('reads a JSON input and an .npy target relative to the spec; the batch is the files\' first axis', async () => {
      const x = Array.from({ length: 30 }, (_, i) => Math.sin(i));
      const dir = folder({
        'models/m.grad.yaml': spec('{shape: [10], data: ../data/x.json}', '{shape: [1], data: ../data/y.npy}'),
        'data/x.json': JSON.stringify(tensor([3, 10], x)),
        'data/y.npy': npy([3, 1], [0.5, -1, 2]),
      });
      const r = await cli(['trace', 'models/m.grad.yaml', '--format', 'json'], dir);
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).trace.batchSize, 3);
      // The same values given as --batch give the same loss: the files were read, not synthesised.
      writeFileSync(join(dir, 'b.json'), JSON.stringify({ input: tensor([3, 10], x), target: tensor([3, 1], [0.5, -1, 2]) }));
      const viaBatch = await cli(['grads', 'models/m.grad.yaml', '--batch', 'b.json'], dir);
      const viaData = await cli(['grads', 'models/m.grad.yaml'], dir);
      assert.equal(JSON.parse(viaData.out).loss, JSON.parse(viaBatch.out).loss);
    });

    it('reads a nested-list JSON file and int64/float64 .npy files', async () => {
      const dir = folder({
        'm.grad.yaml': spec('{shape: [2], data: x.json}', '{shape: [2], data: y.npy}').replace(/in_features: 10/g, 'in_features: 2').replace(/out_features: 10/g, 'out_features: 2').replace('out_features: 1}', 'out_features: 2}'),
        'x.json': JSON.stringify([[1, 2], [3, 4]]),
        'y.npy': npy([2, 2], [1, 2, 3, 4], '<i8'),
      });
      const r = await cli(['grads', 'm.grad.yaml'], dir);
      assert.equal(r.code, 0, r.err);
      writeFileSync(join(dir, 'y.npy'), npy([2, 2], [1, 2, 3, 4], '<f8'));
      assert.equal((await cli(['grads', 'm.grad.yaml'], dir)).out, r.out);
    });

    it('reads class-index targets from a data file (JSON list or int64 .npy) beside {classes: N}', async () => {
      const classes = (file: string) => `model:\n  - Linear: {in_features: 4, out_features: 3}\ninput: {shape: [4], data: x.json}\ntarget: {classes: 3, data: ${file}}\nloss: CrossEntropyLoss\n`;
      const x = tensor([3, 4], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
      const dir = folder({ 'j.grad.yaml': classes('y.json'), 'n.grad.yaml': classes('y.npy'), 'x.json': JSON.stringify(x), 'y.json': '[2, 0, 1]', 'y.npy': npy([3], [2, 0, 1], '<i8') });
      const fromJson = await cli(['grads', 'j.grad.yaml'], dir);
      assert.equal(fromJson.code, 0, fromJson.err);
      assert.deepEqual(JSON.parse((await cli(['grads', 'n.grad.yaml'], dir)).out), JSON.parse(fromJson.out));
      // The same batch as --batch: the indices were read, not drawn.
      writeFileSync(join(dir, 'b.json'), JSON.stringify({ input: x, target: tensor([3], [2, 0, 1]) }));
      assert.deepEqual(JSON.parse((await cli(['grads', 'j.grad.yaml', '--batch', 'b.json'], dir)).out), JSON.parse(fromJson.out));
      const trace = await cli(['trace', 'j.grad.yaml', '--format', 'json'], dir);
      assert.ok([0, 1].includes(trace.code), trace.err);
      assert.equal(JSON.parse(trace.out).trace.batchSize, 3);

      // Problems with the indices are the file's, named on the data: line.
      writeFileSync(join(dir, 'y.json'), '[2, 0, 5]');
      oneError(await cli(['grads', 'j.grad.yaml'], dir), /^j\.grad\.yaml:4:28: target data y\.json: target class index 5 at position 2 is out of range for 3 classes \(valid: 0 to 2\)$/);
      writeFileSync(join(dir, 'y.json'), '[[2], [0], [1]]');
      oneError(await cli(['grads', 'j.grad.yaml'], dir), /^j\.grad\.yaml:4:28: target data y\.json: the file holds shape \[3, 1\]; class-index targets are one index per sample: \[samples\]$/);
      // Random indices or the file's, not both.
      writeFileSync(join(dir, 'd.grad.yaml'), classes('y.npy').replace('data: y.npy', 'data: y.npy, distribution: normal'));
      oneError(await cli(['grads', 'd.grad.yaml'], dir), /^d\.grad\.yaml:4:35: target with classes draws class indices in \[0, classes\), or reads them from data: remove 'distribution'$/);
    });

    it('an index an op refuses in a data file names the file, at its data: value', async () => {
      const spec = `model:\n  - Embedding: {num_embeddings: 5, embedding_dim: 2}\n  - Flatten\ninput: {shape: [3], data: idx.json}\ntarget: {shape: [6]}\nloss: MSELoss\n`;
      const dir = folder({ 'm.grad.yaml': spec, 'idx.json': '[[0, 1, 2], [4, 9, 1]]' });
      oneError(await cli(['grads', 'm.grad.yaml'], dir), /^m\.grad\.yaml:4:27: input data idx\.json: embedding: index 9 is out of range for a table of 5 rows \(valid: 0 to 4\)$/);
    });

    const bad: [string, Record<string, string | Buffer>, string, RegExp][] = [
      ['a missing file', {}, '{shape: [10], data: nope.json}', /^m\.grad\.yaml:5:28: input data nope\.json: cannot read it: no such file$/],
      ['a file outside the spec\'s folder and the workspace', {}, '{shape: [10], data: /etc/hostname}', /^m\.grad\.yaml:5:28: input data \/etc\/hostname: the file is outside the spec's folder and the workspace \(\/[^,]*\); data files are read only from there$/],
      ['a file of the wrong shape', { 'x.json': JSON.stringify(tensor([4, 3], new Array(12).fill(0))) }, '{shape: [10], data: x.json}', /^m\.grad\.yaml:5:28: input data x\.json: the file holds shape \[4, 3\]; the spec's input shape \[10\] needs \[samples, 10\]/],
      ['zero samples', { 'x.json': JSON.stringify(tensor([0, 10], [])) }, '{shape: [10], data: x.json}', /input data x\.json: the file holds 0 samples/],
      ['not a number inside', { 'x.json': JSON.stringify(tensor([1, 10], [1, 2, 3, 'x', 5, 6, 7, 8, 9, 0])) }, '{shape: [10], data: x.json}', /input data x\.json: value 3 is not a number \("x"\)/],
      ['invalid JSON', { 'x.json': '{"shape": [1, 10],\n "data": [' }, '{shape: [10], data: x.json}', /input data x\.json: invalid JSON: .* \(at line 2, column 11 of the file\)$/],
      ['nesting past the depth limit', { 'x.json': `[${'['.repeat(70)}${']'.repeat(70)}]` }, '{shape: [10], data: x.json}', /input data x\.json: the data file nests lists and maps deeper than 64 levels at line 1, column 65 of the file \(limit: --max-depth \/ gradientLens\.maxDepth\)$/],
      ['a truncated .npy', { 'x.npy': npy([2, 10], new Array(20).fill(1)).subarray(0, 128 + 40) }, '{shape: [10], data: x.npy}', /input data x\.npy: the \.npy data holds 40 bytes, but shape \(2, 10\) of <f4 needs 80/],
      ['another format', { 'x.csv': '1,2,3' }, '{shape: [10], data: x.csv}', /input data x\.csv: a data file is a \.json file .* or a NumPy \.npy file/],
    ];
    for (const [what, files, input, pattern] of bad) {
      it(`${what}: exit 2 at the data value`, async () => {
        const dir = folder({ 'm.grad.yaml': spec(input), ...files });
        oneError(await cli(['trace', 'm.grad.yaml'], dir), pattern);
      });
    }

    it('refuses a symlink that leads out of the spec\'s folder', async () => {
      const outside = folder({ 'x.json': JSON.stringify(tensor([1, 10], new Array(10).fill(0))) });
      const dir = folder({ 'm.grad.yaml': spec('{shape: [10], data: x.json}') });
      symlinkSync(join(outside, 'x.json'), join(dir, 'x.json'));
      const work = folder();
      oneError(await cli(['trace', join(dir, 'm.grad.yaml')], work), /input data x\.json: the file is outside the spec's folder and the workspace/);
    });
  });

  describe('one convention for non-finite numbers in JSON', () => {
    it('a NaN loss and NaN gradients are the string "NaN" in grads and trace --format json', async () => {
      const batch = { input: tensor([2, 10], ['NaN', ...new Array(19).fill(0.5)]), target: tensor([2, 1], [1, 2]) };
      const dir = folder({ 'm.grad.yaml': SEED, 'b.json': JSON.stringify(batch) });
      const g = await cli(['grads', 'm.grad.yaml', '--batch', 'b.json'], dir);
      assert.equal(g.code, 0, g.err);
      assert.doesNotMatch(g.out, /null|NaN[^"]/);
      assert.equal(JSON.parse(g.out).loss, 'NaN');
      assert.ok(JSON.parse(g.out).grads['0.weight'].data.includes('NaN'));
      const t = await cli(['trace', 'm.grad.yaml', '--batch', 'b.json', '--format', 'json', '--fail-on', 'never'], dir);
      const step = JSON.parse(t.out).trace.steps[0];
      assert.equal(step.loss, 'NaN');
      assert.equal(step.params[0].updateRatio, 'NaN');
      // null is kept for "no value" (a gradient that never reached a layer), never for a number.
      assert.doesNotMatch(t.out, /"(loss|gradNorm|updateRatio|inputMean|inputStd|outputGradNorm)":null/);
    });

    it('a batch of 0 samples is an error at its shape, not a null loss', async () => {
      const dir = folder({ 'm.grad.yaml': SEED, 'b.json': JSON.stringify({ input: tensor([0, 10], []), target: tensor([0, 1], []) }) });
      oneError(await cli(['grads', 'm.grad.yaml', '--batch', 'b.json'], dir), /^b\.json:1:11: batch input has 0 samples \(shape \[0, 10\]\): a training step needs at least one$/);
    });
  });

  describe('every run is bounded', () => {
    it('refuses an absurd step count at the value, and --steps past the limit', async () => {
      const dir = folder({ 'm.grad.yaml': SEED.replace('steps: 2', 'steps: 1000000000') });
      oneError(await cli(['trace', 'm.grad.yaml'], dir), /^m\.grad\.yaml:8:16: trace steps is 1000000000, over the limit of 10000/);
      const r = await cli(['trace', 'm.grad.yaml', '--steps', '20000', '--max-steps', '100000'], dir);
      oneError(r, /^m\.grad\.yaml:8:16: trace steps is 1000000000, over the limit of 100000/);
      const flag = await cli(['trace', join(dir, 'm.grad.yaml'), '--steps', '20000']);
      assert.equal(flag.code, 2);
      assert.match(flag.err, /--steps 20000 is over the limit of 10000 steps per trace \(--max-steps \/ gradientLens\.maxSteps\)/);
    });

    it('ends a trace that cannot finish at the time limit, with exit 2 and the limit named', async () => {
      // 10,000 steps of a 1024-wide MLP on a batch of 256 takes far more than 200 ms on any machine.
      const slow = `model:
  - Linear: {in_features: 1024, out_features: 1024}
  - ReLU
  - Linear: {in_features: 1024, out_features: 1024}
input: {shape: [1024]}
target: {shape: [1024]}
loss: MSELoss
trace: {steps: 10000, batch_size: 256}
`;
      const dir = folder({ 'm.grad.yaml': slow });
      oneError(await cli(['trace', 'm.grad.yaml', '--time-limit-ms', '200'], dir), /^m\.grad\.yaml:1:1: the trace did not finish within 200 ms \(--time-limit-ms \/ gradientLens\.timeLimitMs\)/);
      // The engine is left clean: the next run in this process works.
      const ok = await cli(['trace', 'm.grad.yaml', '--steps', '1'], dir);
      assert.equal(ok.code, 0, ok.err);
    });

    it('refuses a model over the memory limit before building it, at the first layer past it', async () => {
      const huge = `model:\n${'  - Linear: {in_features: 11000, out_features: 11000}\n'.repeat(12)}input: {shape: [11000]}\ntarget: {shape: [11000]}\nloss: MSELoss\n`;
      const dir = folder({ 'm.grad.yaml': huge });
      const rssBefore = process.memoryUsage.rss();
      oneError(await cli(['trace', 'm.grad.yaml'], dir), /^m\.grad\.yaml:2:5: the model needs about 1\.4 GiB of memory by 0: Linear .* over the 512 MiB memory limit \(--memory-limit-mb \/ gradientLens\.memoryLimitMB\)$/);
      assert.ok(process.memoryUsage.rss() - rssBefore < 200 * 2 ** 20, 'nothing was allocated');
      oneError(await cli(['trace', 'm.grad.yaml', '--memory-limit-mb', '4096'], dir), /^m\.grad\.yaml:4:5: the model needs about 4\.\d GiB of memory by 2: Linear/);
    });

    it('counts the batch, parameters and optimiser state while the trace runs: a batch file larger than batch_size stops at a layer', async () => {
      // The estimate is made for batch_size 4; the batch file holds 20,000 samples: 0.8 MB of input
      // fits under 1 MB, the first layer's 0.8 MB output does not.
      const n = 20_000;
      const batch = { input: tensor([n, 10], new Array(n * 10).fill(0.5)), target: tensor([n, 1], new Array(n).fill(0)) };
      const dir = folder({ 'm.grad.yaml': SEED, 'b.json': JSON.stringify(batch) });
      oneError(await cli(['trace', 'm.grad.yaml', '--batch', 'b.json', '--memory-limit-mb', '1'], dir), /^m\.grad\.yaml:2:5: tensor memory cap of 1\.0 MiB exceeded in layer 0: .*held throughout: parameters, optimiser state, the batch/);
    });

    for (const [what, make, pattern] of [
      ['/dev/zero as the state file', () => '/dev/zero', /^\/dev\/zero:1:1: cannot read the state file: \/dev\/zero is a character device, not a regular file$/],
      ['a FIFO as the state file', (dir: string) => (execFileSync('mkfifo', [join(dir, 'fifo')]), 'fifo'), /^fifo:1:1: cannot read the state file: fifo is a FIFO, not a regular file$/],
      ['a folder as the state file', (dir: string) => (mkdirSync(join(dir, 'd')), 'd'), /^d:1:1: cannot read the state file: d is a directory, not a regular file$/],
      ['a state file over the size limit', (dir: string) => (writeFileSync(join(dir, 'big.json'), `{"a": [${'0,'.repeat(700_000)}0]}`), 'big.json'), /^big\.json:1:1: the state file is 1\.3 MiB, over the 1\.0 MiB limit \(--max-data-mb \/ gradientLens\.maxDataMB\)$/],
    ] as [string, (dir: string) => string, RegExp][]) {
      it(`${what}: refused at once`, async () => {
        const dir = folder({ 'm.grad.yaml': SEED });
        oneError(await cli(['trace', 'm.grad.yaml', '--state', make(dir), '--max-data-mb', '1'], dir), pattern);
      });
    }

    it('refuses a spec over the size limit before parsing it', async () => {
      const dir = folder({ 'm.grad.yaml': `${SEED}# ${'x'.repeat(300_000)}\n` });
      oneError(await cli(['trace', 'm.grad.yaml'], dir), /^m\.grad\.yaml:1:1: the spec is 29\d KiB, over the 256 KiB limit \(--max-spec-kb \/ gradientLens\.maxSpecKB\)$/);
    });

    it('refuses Python code over its size limit before parsing it: a script, a sidecar\'s script, a notebook\'s code cells', async () => {
      const script = readFileSync(join(__dirname, '..', '..', 'parity', 'python', 'seed_sigmoid.py'), 'utf8');
      // Unclosed brackets: a parse would report syntax errors, a refusal before it says only the size.
      const pad = (bytes: number) => `${script}\n${'(\n'.repeat(Math.ceil((bytes - script.length) / 2))}`;
      const dir = folder({
        'big.py': pad(1.1 * 2 ** 20),
        'small.py': pad(20_000),
        'side.py': pad(20_000),
        'side.grad.yaml': 'model: {python: side.py}\n',
        'nb.ipynb': notebookJson([script, '# md\n' + 'x'.repeat(30_000), `${'(\n'.repeat(10_000)}`]),
      });
      for (const command of ['trace', 'grads', 'report']) {
        const out = command === 'report' ? ['-o', 'r.html'] : [];
        // The default: 1 MiB.
        oneError(await cli([command, 'big.py', ...out], dir), /^big\.py:1:1: the Python file is 1\.1 MiB, over the 1\.0 MiB limit \(--max-python-kb \/ gradientLens\.maxPythonKB\)$/);
      }
      oneError(await cli(['trace', 'small.py', '--max-python-kb', '16'], dir), /^small\.py:1:1: the Python file is 2\d KiB, over the 16 KiB limit \(--max-python-kb \/ gradientLens\.maxPythonKB\)$/);
      oneError(await cli(['trace', 'side.grad.yaml', '--max-python-kb', '16'], dir), /^(.*\/)?side\.py:1:1: the Python file is 2\d KiB, over the 16 KiB limit \(--max-python-kb/);
      // A notebook's markdown (and outputs) are not code: only its code cells count.
      oneError(await cli(['trace', 'nb.ipynb', '--max-python-kb', '16'], dir), /^nb\.ipynb:1:1: the notebook's code is 2\d KiB, over the 16 KiB limit \(--max-python-kb \/ gradientLens\.maxPythonKB\)$/);
      // At the limit it is read; a byte past it is refused, in bytes where both would round alike.
      writeFileSync(join(dir, 'edge.py'), pad(20_000).slice(0, 16 * 1024));
      oneError(await cli(['trace', 'edge.py', '--max-python-kb', '16'], dir), /^edge\.py:\d+:\d+: syntax error/);
      writeFileSync(join(dir, 'edge.py'), pad(20_000).slice(0, 16 * 1024 + 1));
      oneError(await cli(['trace', 'edge.py', '--max-python-kb', '16'], dir), /^edge\.py:1:1: the Python file is 16385 bytes, over the 16 KiB \(16384 bytes\) limit \(--max-python-kb/);
      oneError(await cli(['trace', 'small.py', '--max-python-kb', '32'], dir), /^small\.py:\d+:\d+: syntax error/);
      assert.equal(readFileSync(join(dir, 'big.py'), 'utf8'), pad(1.1 * 2 ** 20));
    });

    it('refuses deeply nested data in state, batch and config files and specs at the bracket past the limit, naming the file', async () => {
      const deep = `{"input": {"shape": [1, 10], "data": ${'['.repeat(5000)}${']'.repeat(5000)}}, "target": {"shape": [1, 1], "data": [0]}}`;
      const dir = folder({
        'm.grad.yaml': SEED,
        'b.json': deep,
        's.json': `{"0.weight": {"shape": [10, 10], "data": ${'['.repeat(100)}1${']'.repeat(100)}}}`,
        'c.json': `{"severity": ${'{"a": '.repeat(3000)}1${'}'.repeat(3000)}}`,
        'd.grad.yaml': `${SEED}x:\n${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}\n`,
      });
      oneError(await cli(['grads', 'm.grad.yaml', '--batch', 'b.json'], dir), /^b\.json:1:100: the batch file nests lists and maps deeper than 64 levels here \(limit: --max-depth \/ gradientLens\.maxDepth\)$/);
      oneError(await cli(['grads', 'm.grad.yaml', '--state', 's.json'], dir), /^s\.json:1:104: the state file nests lists and maps deeper than 64 levels/);
      oneError(await cli(['trace', 'm.grad.yaml', '--config', 'c.json'], dir), /^c\.json:1:392: the rule config nests lists and maps deeper than 64 levels/);
      // The top-level map is the first level and the list on line 10 the second: the 65th is on line 73.
      oneError(await cli(['trace', 'd.grad.yaml', '--max-spec-kb', '4096'], dir), /^d\.grad\.yaml:73:65: the spec nests lists and maps deeper than 64 levels/);
    });
  });

  describe('no stack traces', () => {
    it('a model without parameters: one line at the model key', async () => {
      const dir = folder({ 'm.grad.yaml': 'model: [ReLU]\ninput: {shape: [3]}\ntarget: {shape: [3]}\nloss: MSELoss\n' });
      oneError(await cli(['trace', 'm.grad.yaml'], dir), /^m\.grad\.yaml:1:1: the model has no parameters \(only ReLU\): there is nothing for SGD to train/);
      oneError(await cli(['grads', 'm.grad.yaml'], dir), /^m\.grad\.yaml:1:1: the model has no parameters/);
    });

    for (const name of ['constructor', '__proto__', 'toString']) {
      it(`a layer called ${name}: an unknown layer at its line`, async () => {
        const dir = folder({ 'm.grad.yaml': SEED.replace('- Sigmoid', `- ${name}`) });
        oneError(await cli(['trace', 'm.grad.yaml'], dir), new RegExp(`^m\\.grad\\.yaml:3:5: unknown layer '${name}'`));
      });
    }
  });

  describe('errors in the right file and form', () => {
    const CLASSES = `model:
  - Linear: {in_features: 4, out_features: 3}
input: {shape: [4]}
target: {classes: 3}
loss: CrossEntropyLoss
`;
    it('an out-of-range class index from --batch is the batch file\'s, at its target', async () => {
      const batch = `{\n  "input": {"shape": [2, 4], "data": [1, 2, 3, 4, 5, 6, 7, 8]},\n  "target": {"shape": [2], "data": [0, 7]}\n}`;
      const dir = folder({ 'm.grad.yaml': CLASSES, 'b.json': batch });
      oneError(await cli(['grads', 'm.grad.yaml', '--batch', 'b.json'], dir), /^b\.json:3:28: target class index 7 at position 1 is out of range for 3 classes/);
    });

    it('an out-of-range embedding index from --batch is the batch file\'s, at its input', async () => {
      const spec = `model:\n  - Embedding: {num_embeddings: 5, embedding_dim: 2}\n  - Flatten\ninput: {shape: [3], distribution: {integers: {low: 0, high: 5}}}\ntarget: {shape: [6]}\nloss: MSELoss\n`;
      const batch = `{"input": {"shape": [1, 3], "data": [0, 9, 1]}, "target": {"shape": [1, 6], "data": [0, 0, 0, 0, 0, 0]}}`;
      const dir = folder({ 'm.grad.yaml': spec, 'b.json': batch });
      oneError(await cli(['grads', 'm.grad.yaml', '--batch', 'b.json'], dir), /^b\.json:1:29: embedding: index 9 is out of range for a table of 5 rows/);
    });

    it('a PyTorch script: a state file that does not fit is the state file\'s error at its key, the time limit one line at the script, never a stack', async () => {
      const script = readFileSync(join(__dirname, '..', '..', 'parity', 'python', 'seed_sigmoid.py'), 'utf8');
      const dir = folder({
        'm.py': script,
        'shape.json': '{\n  "0.weight": {"shape": [10, 9], "data": []}\n}',
        'names.json': '{"0.weight": {"shape": [10, 10], "data": []},\n "fc9.weight": {"shape": [1], "data": [0]}}',
        'batch.json': '{"input": {"shape": [1, 10], "data": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]},\n "target": {"shape": "1", "data": [0]}}',
      });
      oneError(await cli(['grads', 'm.py', '--batch', 'batch.json'], dir), /^batch\.json:2:2: batch target must be an object \{"shape": \[\.\.\.\], "data": \[\.\.\.\]\}$/);
      for (const command of ['trace', 'grads', 'report']) {
        const out = command === 'report' ? ['-o', 'r.html'] : [];
        oneError(await cli([command, 'm.py', '--state', 'shape.json', ...out], dir), /^shape\.json:2:3: error loading the state_dict: missing keys: 0\.bias, 2\.weight, 2\.bias; 0\.weight: expected \[10, 10\], got \[10, 9\]$/);
        oneError(await cli([command, 'm.py', '--state', 'names.json', ...out], dir), /^names\.json:2:2: error loading the state_dict: .*unexpected keys: fc9\.weight/);
      }
      // 1 ms cannot hold a build and 1,000 steps on any machine (the script, short, was parsed before
      // the limit started): where the time ran out depends on the machine, the limit is named either way.
      oneError(
        await cli(['trace', 'm.py', '--steps', '1000', '--time-limit-ms', '1'], dir),
        /^m\.py:1:1: (reading m\.py up to its model and training loop|the trace) did not finish within 1 ms \(--time-limit-ms \/ gradientLens\.timeLimitMs\)/,
      );
      // A script longer than a spec may be (600 KB) is parsed within the time limit, which may stop
      // the parser halfway: the message says the time went to parsing, not to steps or the batch, and
      // the next script of the process still reads as before (parsed anew: another script read between).
      const before = await cli(['grads', 'm.py'], dir);
      assert.equal(before.code, 0, before.err);
      writeFileSync(join(dir, 'other.py'), script.replace('lr=0.01', 'lr=0.02'));
      assert.equal((await cli(['grads', 'other.py'], dir)).code, 0);
      writeFileSync(join(dir, 'long.py'), `${script}\n${Array.from({ length: 20_000 }, (_, i) => `value_${i} = [${i}, ${i} * 2, "${i}"]`).join('\n')}\n`);
      oneError(
        await cli(['trace', 'long.py', '--time-limit-ms', '1'], dir),
        /^long\.py:1:1: parsing long\.py \(\d+ KiB of Python\) did not finish within 1 ms \(--time-limit-ms \/ gradientLens\.timeLimitMs\): no step was traced yet, so fewer steps or a smaller batch would not help; raise the limit$/,
      );
      assert.deepEqual(await cli(['grads', 'm.py'], dir), before);
      assert.equal(readFileSync(join(dir, 'm.py'), 'utf8'), script);
    });

    it('grads and report on a TypeScript model: one line saying which command traces it, not YAML errors', async () => {
      const dir = folder({ 'm.model.ts': "import { model } from 'gradient-lens';\n" });
      for (const argv of [['grads', 'm.model.ts'], ['report', 'm.model.ts', '-o', 'r.html']]) {
        oneError(await cli(argv, dir), new RegExp(`^m\\.model\\.ts:1:1: ${argv[0]} reads a model spec or a PyTorch script or notebook; a TypeScript model's classes are traced with \`gradient-lens trace m\\.model\\.ts\`$`));
      }
    });

    it('BCELoss on values outside [0, 1] is an error at the loss line', async () => {
      const spec = SEED.replace('loss: MSELoss', 'loss: BCELoss').replace('out_features: 1}', 'out_features: 1}\n    init: {bias: {constant: 5}}');
      const dir = folder({ 'm.grad.yaml': spec });
      oneError(await cli(['grads', 'm.grad.yaml'], dir), /^m\.grad\.yaml:8:7: binary_cross_entropy: all elements of input should be between 0 and 1/);
    });

    it('escapes control characters: no ESC sequence reaches the terminal, one line stays one line', async () => {
      const dir = folder({ 'm.grad.yaml': SEED.replace('- Sigmoid', '- "Sig\\x1b[2J\\rmoid"') });
      const line = oneError(await cli(['trace', 'm.grad.yaml'], dir), /^m\.grad\.yaml:3:5: unknown layer 'Sig\\x1b\[2J\\rmoid'/);
      assert.ok(!/[\u0000-\u001f]/.test(line));
    });

    it('a key a batch file does not have is refused at that key, never ignored', async () => {
      const batch = { input: tensor([1, 10], new Array(10).fill(1)), target: tensor([1, 1], [0]) };
      const dir = folder({
        'm.grad.yaml': SEED,
        'top.json': JSON.stringify({ ...batch, targte: tensor([1, 1], [5]) }, null, 1),
        'proto.json': `{"input": ${JSON.stringify(batch.input)}, "target": ${JSON.stringify(batch.target)}, "__proto__": {}}`,
        'inner.json': JSON.stringify({ input: batch.input, target: { ...batch.target, dtype: 'float64' } }, null, 1),
      });
      oneError(await cli(['trace', 'm.grad.yaml', '--batch', 'top.json'], dir), /^top\.json:\d+:2: unknown key "targte" in the batch file \(a batch file is an object .*\)\. Did you mean 'target'\?$/);
      oneError(await cli(['grads', 'm.grad.yaml', '--batch', 'proto.json'], dir), /^proto\.json:1:\d+: unknown key "__proto__" in the batch file/);
      oneError(await cli(['trace', 'm.grad.yaml', '--batch', 'inner.json'], dir), /^inner\.json:\d+:3: unknown key "dtype" in the batch target \(/);
    });

    it('a key a state file\'s tensor entry does not have is refused at that key, never ignored', async () => {
      const script = readFileSync(join(__dirname, '..', '..', 'parity', 'python', 'seed_sigmoid.py'), 'utf8');
      const w = tensor([10, 10], new Array(100).fill(0.1));
      const dir = folder({
        'm.grad.yaml': SEED,
        'm.py': script,
        'typo.json': JSON.stringify({ '0.weight': { shape: w.shape, dat: w.data } }, null, 1),
        'extra.json': JSON.stringify({ '0.weight': { ...w, dtype: 'float64' } }, null, 1),
        'proto.json': `{"0.weight": {"shape": [10, 10], "data": [], "__proto__": {}}}`,
      });
      for (const [model, cmd] of [['m.grad.yaml', 'trace'], ['m.grad.yaml', 'grads'], ['m.py', 'trace']]) {
        oneError(
          await cli([cmd, model, '--state', 'typo.json'], dir),
          /^typo\.json:7:3: unknown key "dat" in the state entry "0\.weight" \(a state file is a state_dict exported to JSON: \{"<parameter name>": \{"shape": \[\.\.\.\], "data": \[\.\.\.\]\}, \.\.\.\}\)\. Did you mean 'data'\?$/,
        );
      }
      oneError(await cli(['trace', 'm.grad.yaml', '--state', 'extra.json'], dir), /^extra\.json:\d+:3: unknown key "dtype" in the state entry "0\.weight" \(/);
      oneError(await cli(['trace', 'm.grad.yaml', '--state', 'proto.json'], dir), /^proto\.json:1:\d+: unknown key "__proto__" in the state entry "0\.weight"/);
    });

    it('escapes control characters in everything printed from the user: file names, the report path', async () => {
      const weird = 'we\x1b[31mird\nname';
      const dir = folder({ [`${weird}.grad.yaml`]: SEED });
      const printable = (text: string) => assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text), JSON.stringify(text));
      const t = await cli(['trace', `${weird}.grad.yaml`, '--fail-on', 'never'], dir);
      assert.equal(t.code, 0, t.err);
      printable(t.out);
      assert.match(t.out, /^we\\x1b\[31mird\\nname\.grad\.yaml: 2 steps/m);
      const r = await cli(['report', `${weird}.grad.yaml`, '-o', `${weird}.html`], dir);
      assert.equal(r.code, 0, r.err);
      printable(r.out);
      assert.match(r.out, /report written to we\\x1b\[31mird\\nname\.html/);
      assert.ok(readFileSync(join(dir, `${weird}.html`), 'utf8').startsWith('<!DOCTYPE html>'));
    });

    it('reads a byte-order mark in .grad.json, state and batch files, and CR-only YAML', async () => {
      const json = JSON.stringify({ model: [{ Linear: { in_features: 10, out_features: 1 } }], input: { shape: [10] }, target: { shape: [1] }, loss: 'MSELoss' });
      const state = { '0.weight': tensor([1, 10], new Array(10).fill(0.1)), '0.bias': tensor([1], [0]) };
      const batch = { input: tensor([1, 10], new Array(10).fill(1)), target: tensor([1, 1], [0]) };
      const dir = folder({ 'm.grad.json': `\ufeff${json}`, 's.json': `\ufeff${JSON.stringify(state)}`, 'b.json': `\ufeff${JSON.stringify(batch)}`, 'cr.grad.yaml': SEED.replace(/\n/g, '\r') });
      const r = await cli(['grads', 'm.grad.json', '--state', 's.json', '--batch', 'b.json'], dir);
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).loss, 1);
      const cr = await cli(['trace', 'cr.grad.yaml', '--fail-on', 'never'], dir);
      assert.equal(cr.code, 0, cr.err);
    });

    it('reads a byte-order mark and CR-only line endings in rule configs and data: files', async () => {
      const data = SEED.replace('input: {shape: [10], distribution: normal}', 'input: {shape: [10], data: x.json}').replace('target: {shape: [1], distribution: normal}', 'target: {shape: [1], data: y.json}');
      const rows = (n: number, width: number) => `[\r${Array.from({ length: n }, (_, i) => `[${new Array(width).fill(i).join(', ')}]`).join(',\r')}\r]`;
      const dir = folder({
        'm.grad.yaml': data,
        'x.json': `\ufeff${rows(4, 10)}`,
        'y.json': `\ufeff${rows(4, 1)}`,
        // A typo behind the mark is still found at its place: the mark is read, not skipped blindly.
        'rules.json': '\ufeff{\r  "severity": {\r    "saturated-activation": "off"\r  }\r}',
        'typo.json': '\ufeff{\r  "severity": {\r    "saturated-activation": "of"\r  }\r}',
      });
      const r = await cli(['trace', 'm.grad.yaml', '--config', 'rules.json', '--format', 'json', '--fail-on', 'never'], dir);
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).trace.batchSize, 4);
      oneError(await cli(['trace', 'm.grad.yaml', '--config', 'typo.json'], dir), /^typo\.json:3:29: the severity of saturated-activation must be one of/);
    });

    /** The file as an editor may save it: a byte-order mark, CRLF or old Mac CR-only line endings. */
    const LINE_ENDINGS: [string, (t: string) => string][] = [
      ['a byte-order mark', (t) => `\ufeff${t}`],
      ['CRLF line endings', (t) => t.replace(/\n/g, '\r\n')],
      ['CR-only line endings', (t) => t.replace(/\n/g, '\r')],
    ];
    /** The output of a run on `file` as it would read on `as`, its timings left out. */
    const sameAs = (out: string, file: string, as: string) => out.split(file).join(as).replace(/\(\d+(\.\d+)? m?s\)/g, '(time)');

    it('reads a byte-order mark, CRLF and CR-only line endings in PyTorch scripts and notebooks: the same findings at the same places', async () => {
      const script = readFileSync(join(__dirname, '..', '..', 'parity', 'python', 'seed_sigmoid.py'), 'utf8').replace('criterion = nn.MSELoss()', 'nn.init.normal_(model[0].weight, std=10.0)\n\ncriterion = nn.MSELoss()');
      const dir = folder({ 'lf.py': script });
      const lf = await cli(['trace', 'lf.py', '--steps', '3', '--fail-on', 'never'], dir);
      assert.equal(lf.code, 0, lf.err);
      assert.match(lf.out, /^lf\.py:\d+:\d+: error saturated-activation/m);
      for (const [what, save] of LINE_ENDINGS) {
        writeFileSync(join(dir, 'other.py'), save(script));
        const r = await cli(['trace', 'other.py', '--steps', '3', '--fail-on', 'never'], dir);
        assert.equal(r.code, 0, `${what}: ${r.err}`);
        assert.equal(sameAs(r.out, 'other.py', 'lf.py'), sameAs(lf.out, 'lf.py', 'lf.py'), what);
      }
      // A notebook of the same script in two cells: the file with a mark, its cells' lines ending in CR.
      const cut = script.indexOf('criterion = ');
      // A shell line and a magic inside a cell, not on its first line: comments wherever a line starts.
      const cells = [script.slice(0, cut), `steps_run = 0\n!pip list\n  %time steps_run = 1\n${script.slice(cut)}`];
      writeFileSync(join(dir, 'lf.ipynb'), notebookJson(cells));
      const nb = await cli(['trace', 'lf.ipynb', '--steps', '3', '--fail-on', 'never'], dir);
      assert.match(nb.out, /^lf\.ipynb:cell 1:\d+:\d+: error saturated-activation/m);
      for (const [what, save] of LINE_ENDINGS) {
        writeFileSync(join(dir, 'other.ipynb'), what === 'a byte-order mark' ? save(notebookJson(cells)) : notebookJson(cells.map(save)));
        const r = await cli(['trace', 'other.ipynb', '--steps', '3', '--fail-on', 'never'], dir);
        assert.equal(r.code, 0, `${what}: ${r.err}`);
        assert.equal(sameAs(r.out, 'other.ipynb', 'lf.ipynb'), sameAs(nb.out, 'lf.ipynb', 'lf.ipynb'), `notebook, ${what}`);
      }
    });

    it('reads a byte-order mark, CRLF and CR-only line endings in TypeScript models: each class found once, errors at the same places', async function () {
      this.timeout(300_000);
      const model = (name: string, body: string) =>
        `@model({ input: [4], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } })\n@trace({ steps: 2, batchSize: 2 })\nexport class ${name} extends Module {\n  fc = new Linear(4, 1); // a comment ends at the line's end\n  forward(x: Tensor): Tensor {\n${body}    return this.fc.forward(x);\n  }\n}\n`;
      const text = `// A comment before the first class: it ends at the line's end, whatever ends the line.\nimport { Linear, model, Module, Tensor, trace } from 'gradient-lens';\n${model('Throws', "    if (x) throw new Error('boom');\n")}${model('Fine', '')}`;
      const dir = folder({ 'lf.ts': text });
      const lf = await cli(['trace', 'lf.ts', '--fail-on', 'never'], dir);
      assert.match(lf.out, /^lf\.ts:\d+:\d+: error error: Throws: boom$/m);
      assert.equal(lf.out.match(/boom/g)?.length, 1, lf.out);
      assert.match(lf.out, /^model Fine:/m);
      for (const [what, save] of LINE_ENDINGS) {
        writeFileSync(join(dir, 'other.ts'), save(text));
        const r = await cli(['trace', 'other.ts', '--fail-on', 'never'], dir);
        assert.equal(sameAs(r.out, 'other.ts', 'lf.ts'), sameAs(lf.out, 'lf.ts', 'lf.ts'), what);
      }
    });
  });
});
