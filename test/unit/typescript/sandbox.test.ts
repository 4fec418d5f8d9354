import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { runnerScript, traceTypeScriptFile, transpileModel } from '../../../src/worker/typescript';
import type { RunRequest } from '../../../src/worker/typescript/protocol';
import { at, HEADER, lineOf, lineWith, OPTIONS, runSource } from './support';

/** A one-model file whose forward body is `body`. */
const withForward = (body: string, cls = 'Net') => `${HEADER}
@model(${OPTIONS})
@trace({ steps: 2, batchSize: 2 })
class ${cls} extends Module {
  fc = new Linear(4, 1);
  forward(x: Tensor): Tensor {
${body}
    return this.fc.forward(x);
  }
}
`;

describe('running TypeScript models safely', () => {
  it('an endless loop times out with a clear result while the caller keeps running', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const started = Date.now();
    try {
      const { text, result } = await runSource(withForward('    for (;;) {}'), { timeoutMs: 2000 });
      const elapsed = Date.now() - started;
      assert.deepEqual(result.models, []);
      assert.equal(result.errors.length, 1);
      const [e] = result.errors;
      assert.equal(e.kind, 'timeout');
      assert.match(e.message, /did not finish within 2 s/);
      assert.equal(e.className, 'Net');
      assert.equal(lineOf(text, e.location), lineWith(text, '@model('));
      // The loop never ends, so the run lasts at least the limit; how much longer, and how many
      // ticks the caller got, depend on how busy the machine is: printed, not asserted.
      assert.ok(elapsed >= 2000, `took ${elapsed} ms`);
      console.log(`      endless loop ended after ${elapsed} ms; the caller's 50 ms timer fired ${ticks} times meanwhile`);
      assert.ok(ticks >= 1, 'the caller\'s event loop ran while the model looped');
    } finally {
      clearInterval(timer);
    }
  });

  it('an allocation bomb hits the V8 heap limit with a clear result', async () => {
    const { result } = await runSource(
      withForward('    const keep: number[][] = [];\n    for (;;) keep.push(new Array(1e5).fill(Math.random()));'),
      { heapMb: 64, timeoutMs: 600_000 },
    );
    assert.equal(result.errors.length, 1);
    const [e] = result.errors;
    assert.equal(e.kind, 'oom');
    assert.match(e.message, /heap limit of 64 MiB/);
    assert.equal(e.className, 'Net');
  });

  it("a tensor bomb hits the engine's tensor-memory cap at the user's line", async () => {
    const { text, result } = await runSource(
      withForward('    const big = zeros([1000, 1000]);\n    for (let i = 0; i < 1000; i++) add(big, big);'),
      { memoryLimitBytes: 16 * 1024 * 1024, timeoutMs: 600_000 },
    );
    assert.equal(result.errors.length, 1);
    const [e] = result.errors;
    assert.equal(e.kind, 'oom');
    assert.match(e.message, /tensor memory cap of 16 MiB exceeded/);
    assert.equal(at(text, e.location), 'add(big, big)');
  });

  it('typed arrays outside the V8 heap hit the resident-memory limit', async function () {
    if (!existsSync('/proc/self/status')) this.skip();
    const { result } = await runSource(
      withForward('    const keep: Float64Array[] = [];\n    for (;;) keep.push(new Float64Array(1e7).fill(1));'),
      { rssLimitBytes: 400 * 1024 * 1024, timeoutMs: 600_000 },
    );
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0].kind, 'oom');
    assert.match(result.errors[0].message, /more than 400 MiB/);
  });

  it("process.exit(3) ends the run with an 'exit' result at the user's line", async () => {
    const { text, result } = await runSource(withForward('    process.exit(3);'));
    assert.equal(result.errors.length, 1);
    const [e] = result.errors;
    assert.equal(e.kind, 'exit');
    assert.equal(e.message, 'the model called process.exit(3)');
    assert.equal(at(text, e.location), 'process.exit(3)');
  });

  it('a throw in forward comes back as an error at the throwing line, and the next model still runs', async () => {
    const text = `${withForward("    if (x.shape[0] > 0) throw new Error('not written yet');", 'Throws')}
@model(${OPTIONS})
@trace({ steps: 2, batchSize: 2 })
class Fine extends Module {
  fc = new Linear(4, 1);
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}
`;
    const r = await runSource(text);
    assert.equal(r.result.errors.length, 1);
    const [e] = r.result.errors;
    assert.deepEqual([e.kind, e.className, e.message], ['error', 'Throws', 'not written yet']);
    assert.equal(at(text, e.location), "new Error('not written yet')");
    assert.deepEqual(
      r.result.models.map((m) => m.className),
      ['Fine'],
    );
  });

  it('a shape mismatch and an undefined layer are errors at the user line, with the message', async () => {
    const text = `${HEADER}
@model(${OPTIONS})
class Mismatch extends Module {
  fc1 = new Linear(4, 8);
  fc2 = new Linear(4, 1);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x));
  }
}
@model(${OPTIONS})
class Undefined extends Module {
  fc1 = new Linear(4, 1);
  forward(x: Tensor): Tensor {
    const layers: Record<string, Linear> = {};
    return layers.fc3.forward(x);
  }
}
`;
    const { result } = await runSource(text);
    const [shape, undef] = result.errors;
    assert.equal(shape.className, 'Mismatch');
    assert.match(shape.message, /^ShapeError: /);
    assert.equal(at(text, shape.location), 'this.fc2.forward(this.fc1.forward(x))');
    assert.equal(undef.className, 'Undefined');
    assert.match(undef.message, /^TypeError: Cannot read properties of undefined \(reading 'forward'\)/);
    assert.equal(at(text, undef.location), 'layers.fc3.forward(x)');
  });

  it('a model without parameters: one error on its @model, in the words a spec gets, and the next model still runs', async () => {
    const text = `${HEADER}
@model(${OPTIONS.replace('target: [1]', 'target: [4]')})
class Activations extends Module {
  act = new ReLU();
  squash = new Sigmoid();
  forward(x: Tensor): Tensor {
    return this.squash.forward(this.act.forward(x));
  }
}
${withForward('', 'Fine').replace(HEADER, '')}`;
    const { result } = await runSource(text);
    assert.deepEqual(
      result.errors.map((e) => [e.className, e.kind, e.message]),
      [['Activations', 'error', 'the model has no parameters (only ReLU, Sigmoid): there is nothing for SGD to train and no gradient to trace; add a layer with weights, such as Linear']],
    );
    assert.equal(lineOf(text, result.errors[0].location), lineWith(text, `@model(${OPTIONS.replace('target: [1]', 'target: [4]')})`));
    assert.deepEqual(result.models.map((m) => m.className), ['Fine']);
  });

  it('a syntax error is reported at its place in the original text, without running anything', async () => {
    const text = `${HEADER}const a = 1;\nconst b = ;\n`;
    const { result } = await runSource(text);
    assert.deepEqual(result.models, []);
    assert.equal(result.errors[0].kind, 'error');
    assert.equal(lineOf(text, result.errors[0].location), lineWith(text, 'const b = ;'));
    assert.equal(at(text, result.errors[0].location), ';');
  });

  it('bad @model options are reported on the option', async () => {
    const text = `${HEADER}
@model({ input: [4], target: [1], loss: 'MSE', optimizer: { SGD: { lr: 0.01 } } })
class Net extends Module {
  fc = new Linear(4, 1);
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}
`;
    const { result } = await runSource(text);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0].message, /loss must be one of MSELoss/);
    assert.equal(at(text, result.errors[0].location), "'MSE'");
  });

  it('a misspelt or unknown option is refused at its key, never run with the default (the runner does not type-check)', async () => {
    // Each class has one mistake; each runs in its own process and is reported on its own.
    const cls = (name: string, options: string, traceOptions = '{ steps: 2, batchSize: 2 }') =>
      `@model(${options})\n@trace(${traceOptions})\nclass ${name} extends Module {\n  fc = new Linear(4, 1);\n  forward(x: Tensor): Tensor {\n    return this.fc.forward(x);\n  }\n}\n`;
    const cases: [string, string, string | undefined, string, string][] = [
      ['TraceTypo', OPTIONS, '{ stpes: 2, batchSize: 2 }', "@trace has no option 'stpes'. Did you mean 'steps'? Its options are steps, batchSize, batch_size, seed, dtype.", 'stpes'],
      ['ModelTypo', OPTIONS.replace("loss: 'MSELoss'", "los: 'MSELoss', loss: 'MSELoss'"), undefined, "@model has no option 'los'. Did you mean 'loss'? Its options are input, target, loss, optimizer.", 'los'],
      ['OptimizerTypo', OPTIONS.replace('lr: 0.01', 'lr: 0.01, momentun: 0.9'), undefined, "SGD has no argument 'momentun'. Did you mean 'momentum'? Its arguments are lr, momentum, dampening, weight_decay, nesterov.", '0.9'],
      ['LossTypo', OPTIONS.replace("'MSELoss'", "{ MSELoss: { reductin: 'sum' } }"), undefined, "MSELoss has no argument 'reductin'. Did you mean 'reduction'? Its arguments are reduction.", "'sum'"],
      ['InputTypo', OPTIONS.replace('input: [4]', "input: { shape: [4], distrbution: 'uniform' }"), undefined, "input has no option 'distrbution'. Did you mean 'distribution'? Its options are shape, distribution, classes.", "{ shape: [4], distrbution: 'uniform' }"],
      ['DistributionTypo', OPTIONS.replace('input: [4]', 'input: { shape: [4], distribution: { normal: { sd: 2 } } }'), undefined, "input.distribution.normal has no argument 'sd'. Did you mean 'std'? Its arguments are mean, std.", '{ shape: [4], distribution: { normal: { sd: 2 } } }'],
      ['PrototypeName', OPTIONS.replace('input: [4]', 'input: { shape: [4], constructor: 1 }'), undefined, "input has no option 'constructor'. Its options are shape, distribution, classes.", '{ shape: [4], constructor: 1 }'],
    ];
    const text = HEADER + cases.map(([name, options, traced]) => cls(name, options, traced)).join('');
    const { result } = await runSource(text);
    assert.deepEqual(result.models, []);
    assert.deepEqual(
      result.errors.map((e) => [e.className, e.message, at(text, e.location)]),
      cases.map(([name, , , message, place]) => [name, `ModelOptionsError: ${message}`, place]),
    );
  });

  it('@trace steps past the step limit is refused at its value, naming the limit and its setting, before anything runs', async () => {
    const text = withForward('', 'Long').replace('@trace({ steps: 2,', '@trace({ steps: 1000000000,');
    const { result } = await runSource(text);
    assert.deepEqual(result.errors.map((e) => [e.className, e.message, at(text, e.location)]), [
      ['Long', 'ModelOptionsError: @trace steps is 1000000000, over the limit of 10000 steps per trace (--max-steps / gradientLens.maxSteps)', '1000000000'],
    ]);
    const lower = withForward('', 'Short').replace('@trace({ steps: 2,', '@trace({ steps: 60,');
    assert.match((await runSource(lower, { maxSteps: 50 })).result.errors[0]?.message ?? '', /@trace steps is 60, over the limit of 50 steps per trace/);
    assert.deepEqual((await runSource(lower, { maxSteps: 60 })).result.errors, []);
  });

  it('a file without @model says so', async () => {
    const { result } = await runSource(`${HEADER}export const x = 1;\n`);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0].message, /no @model class in this file/);
  });

  it('experimentalDecorators projects work the same, with the same line numbers', async () => {
    const text = withForward('');
    const standard = await runSource(text);
    const experimental = await runSource(text, {}, { compilerOptions: { experimentalDecorators: true } });
    assert.deepEqual(experimental.result.errors, []);
    assert.equal(experimental.result.models.length, 1);
    const [a, b] = [standard.result.models[0], experimental.result.models[0]];
    assert.deepEqual(
      b.trace.steps.map((s) => s.loss),
      a.trace.steps.map((s) => s.loss),
    );
    assert.equal(at(text, b.spec.model.children[0].typeRange), 'new Linear(4, 1)');
    assert.deepEqual(b.classRange, a.classRange);
    // The project's tsconfig.json really chose the decorator flavour.
    const dir = mkdtempSync(join(tmpdir(), 'gl-ts-'));
    try {
      const file = join(dir, 'model.ts');
      writeFileSync(file, text);
      const tc39 = await transpileModel(file, text);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { experimentalDecorators: true } }));
      const legacy = await transpileModel(file, text);
      assert.ok(tc39.ok && legacy.ok);
      assert.match(tc39.code, /__decorateElement/);
      assert.match(legacy.code, /__decorateClass/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('traces unsaved text of a file that is not on disk', async () => {
    const text = withForward('');
    const result = await traceTypeScriptFile('/nonexistent-dir/untitled.model.ts', text, {});
    assert.deepEqual(result.errors, []);
    assert.equal(result.models[0].className, 'Net');
  });

  it('console output is collected, not printed', async () => {
    const { result } = await runSource(withForward("    console.log('hello from forward');"));
    assert.deepEqual(result.errors, []);
    assert.match(result.output, /hello from forward/);
  });

  it('an abort signal kills the run and rejects', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(runSource(withForward('    for (;;) {}'), { signal: controller.signal, timeoutMs: 600_000 }), (e: Error) => e.name === 'AbortError');
  });
});

describe('the runner process on its own', () => {
  it('kills itself past its deadline even if nobody else does', async () => {
    const text = withForward('    for (;;) {}');
    const dir = mkdtempSync(join(tmpdir(), 'gl-ts-'));
    const file = join(dir, 'model.ts');
    writeFileSync(file, text);
    try {
      const compiled = await transpileModel(file, text);
      assert.ok(compiled.ok);
      const child = fork(await runnerScript(), [], { execArgv: ['--enable-source-maps'], serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      const started = Date.now();
      const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const request: RunRequest = { type: 'run', code: compiled.code, bundleFile: compiled.bundleFile, fileName: file, text, memoryLimitBytes: 1 << 30, deadlineMs: 1000 };
      child.send(request);
      // A hung test's way out, not a measure; SIGTERM so that it cannot pass for the watchdog's SIGKILL.
      const guard = setTimeout(() => child.kill('SIGTERM'), 120_000);
      const signal = await exited;
      clearTimeout(guard);
      assert.equal(signal, 'SIGKILL');
      const elapsed = Date.now() - started;
      // Never before its deadline; the watchdog's own lateness depends on the machine's load.
      assert.ok(elapsed >= 900, `died after ${elapsed} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('one process per @model class (issue 9)', function () {
  this.timeout(120_000);
  const second = `
@model(${OPTIONS})
@trace({ steps: 2, batchSize: 2 })
class Second extends Module {
  fc = new Linear(4, 1);
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}
`;

  // The limit is each class's own: generous, so the healthy second class finishes on a busy machine.
  for (const [what, body, kind, message] of [
    ['process.exit', '    process.exit(0);', 'exit', /the model called process\.exit\(0\)/],
    ['an endless loop', '    for (;;) {}', 'timeout', /did not finish within 15 s/],
  ] as [string, string, string, RegExp][]) {
    it(`${what} in the first class does not hide the second: both are reported`, async () => {
      const text = withForward(body, 'First') + second;
      const { result } = await runSource(text, { timeoutMs: 15_000 });
      assert.deepEqual(result.errors.map((e) => [e.className, e.kind]), [['First', kind]]);
      assert.match(result.errors[0].message, message);
      assert.deepEqual(result.models.map((m) => m.className), ['Second']);
    });
  }

  it('an unhandled promise rejection is reported once, at its line, and the model is not called healthy', async () => {
    const text = withForward("    Promise.reject(new Error('async boom'));", 'First') + second;
    const { result } = await runSource(text);
    assert.deepEqual(result.errors.map((e) => [e.className, e.kind, e.message]), [['First', 'error', 'unhandled promise rejection: async boom']]);
    assert.equal(at(text, result.errors[0].location), "new Error('async boom')");
    assert.deepEqual(result.models.map((m) => m.className), ['Second']);
  });

  it('a throw at the top level of the file is reported once, not once per class, naming the classes not traced', async () => {
    const text = `${withForward('', 'First')}${second}throw new Error('top-level');\n`;
    const { result } = await runSource(text);
    assert.deepEqual(result.errors.map((e) => [e.className, e.message]), [[undefined, 'top-level (so First, Second were not traced)']]);
    assert.equal(at(text, result.errors[0].location), "new Error('top-level')");
    assert.deepEqual(result.models, []);
  });

  it('an endless loop at the top level ends at the time limit on the first class, naming the classes it kept from running', async () => {
    // The time limit cannot tell a file still loading on a busy machine from one that never ends: it
    // is always the first class's, wherever the file had got to.
    const text = `${withForward('', 'First')}${second}for (;;) {}\n`;
    const { result } = await runSource(text, { timeoutMs: 2000 });
    assert.deepEqual(result.errors.map((e) => [e.className, e.kind]), [['First', 'timeout']]);
    assert.match(result.errors[0].message, /did not finish within 2 s .* \(so Second was not traced\)$/);
    assert.equal(lineOf(text, result.errors[0].location), lineWith(text, '@model('));
    assert.deepEqual(result.models, []);
  });

  it('a class that never registers is an error on its own @model, and a decorator in a string or comment is no class', async () => {
    const hidden = `if (Math.random() > 2) {\n  @model(${OPTIONS})\n  class Hidden extends Module {\n    fc = new Linear(4, 1);\n    forward(x: Tensor): Tensor { return this.fc.forward(x); }\n  }\n}\n`;
    const quoted = `const doc = \`\n@model(${OPTIONS})\nclass Quoted extends Module {}\n\`;\n/* @model(${OPTIONS})\nclass Commented extends Module {} */\n`;
    const text = `${withForward('', 'First')}${hidden}${quoted}`;
    const { result } = await runSource(text);
    assert.deepEqual(result.errors.map((e) => [e.className, e.message]), [['Hidden', 'Hidden is declared with @model but did not register when the file ran (is the class defined inside a function, or skipped by a condition?)']]);
    assert.equal(lineOf(text, result.errors[0].location), lineWith(text, '  @model('));
    assert.deepEqual(result.models.map((m) => m.className), ['First']);
  });

  for (const [what, send] of [
    ['a model message without a model', "{ type: 'model', model: null }"],
    ['a finding with a range outside the file', "{ type: 'model', model: { className: 'X', classRange: { start: 0, end: 1e9 }, decoratorRange: { start: 0, end: 1 }, spec: { model: { children: [] } }, trace: {}, findings: [] } }"],
    ['an error that is not a RunError', "{ type: 'error', error: 5 }"],
    ['a message of no known kind', "'hello'"],
  ]) {
    it(`${what} from the model's process: one clear error, never a TypeError in the caller`, async () => {
      const text = `${HEADER}(process as any).send(${send});\n${withForward('', 'First').replace(HEADER, '')}`;
      const { result } = await runSource(text);
      assert.equal(result.errors.length, 1, JSON.stringify(result.errors));
      // Sent while the file loads: the file's error, and the class after it never ran.
      assert.match(result.errors[0].message, /^the model's process sent a malformed message \(.+\): does the model call process\.send\? \(so First was not traced\)$/);
      assert.deepEqual(result.models, []);
    });
  }

  it('a model that replaces process.send still reports through the runner', async () => {
    const text = `${HEADER}(process as any).send = () => true;\n${withForward('', 'First').replace(HEADER, '')}`;
    const { result } = await runSource(text);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.models.map((m) => m.className), ['First']);
  });
});
