import assert from 'node:assert/strict';
import { Linear, model, Module, ModuleList, parameter, randn, ReLU, Sequential, Sigmoid, Tensor, trace, zeros } from '../../../src/authoring';
import { layerType } from '../../../src/model/typescript/graph';
import { registeredModels, setBuildContext, traceOptionsOf } from '../../../src/authoring/registry';
import { parseStack } from '../../../src/authoring/sites';
import { Instrument, Rng, setInstrument } from '../../../src/engine';
import { callRange, classAfter, constructionRange, fieldStart, memberNamed, objectEntries, offsetOf } from '../../../src/model/typescript/text';

class Block extends Module {
  inner = new Linear(3, 3);
  act = new ReLU();
  forward(x: Tensor): Tensor {
    return this.act.forward(this.inner.forward(x));
  }
}

class Net extends Module {
  scale = parameter(randn([2]));
  fc = new Linear(4, 3);
  blocks = [new Block(), new Block()];
  head = new Sequential([new Sigmoid(), new Linear(3, 2)]);
  shared = this.fc;
  note = 'not a layer';
  forward(x: Tensor): Tensor {
    let h = this.fc.forward(x);
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(h);
  }
}

const OPTIONS = { input: [4], target: [1], loss: 'MSELoss', optimizer: { SGD: { lr: 0.01 } } } as const;

describe('authoring API', () => {
  it("attributes become named children in definition order, as PyTorch's named_parameters", () => {
    const net = new Net();
    net.call(zeros([2, 4]));
    assert.deepEqual(
      net.namedParameters().map(([k]) => k),
      ['scale', 'fc.weight', 'fc.bias', 'blocks.0.inner.weight', 'blocks.0.inner.bias', 'blocks.1.inner.weight', 'blocks.1.inner.bias', 'head.1.weight', 'head.1.bias'],
    );
    assert.ok(net.namedParameters().every(([k, t]) => t.name === k && t.requiresGrad));
    assert.deepEqual(
      net.namedModules().map(([k, m]) => [k, layerType(m)]),
      [
        ['', 'Net'],
        ['fc', 'Linear'],
        ['blocks', 'ModuleList'],
        ['blocks.0', 'Block'],
        ['blocks.0.inner', 'Linear'],
        ['blocks.0.act', 'ReLU'],
        ['blocks.1', 'Block'],
        ['blocks.1.inner', 'Linear'],
        ['blocks.1.act', 'ReLU'],
        ['head', 'Sequential'],
        ['head.0', 'Sigmoid'],
        ['head.1', 'Linear'],
      ],
    );
  });

  it('layers need no rng: they take the run’s seeded one, so a model builds the same twice', () => {
    setBuildContext({ rng: new Rng(7), dtype: 'float64' });
    const a = new Net();
    setBuildContext({ rng: new Rng(7), dtype: 'float64' });
    const b = new Net();
    setBuildContext(null);
    assert.equal(a.fc.weight.dtype, 'float64');
    assert.deepEqual(Array.from(a.fc.weight.data), Array.from(b.fc.weight.data));
  });

  it('`layer.forward(x)` inside a parent’s forward is attributed to the layer, as `call` is', () => {
    const net = new Net();
    const instrument = new Instrument();
    setInstrument(instrument);
    try {
      net.call(zeros([2, 4]));
    } finally {
      setInstrument(null);
    }
    assert.deepEqual(
      instrument.activations.map((a) => [a.op, a.layer]),
      [
        ['relu', 'blocks.0.act'],
        ['relu', 'blocks.1.act'],
        ['sigmoid', 'head.0'],
      ],
    );
  });

  it('a ModuleList holds modules but has no forward', () => {
    const list = new ModuleList([new ReLU(), new Sigmoid()]);
    assert.equal(list.length, 2);
    assert.equal(layerType(list.at(-1)), 'Sigmoid');
    assert.deepEqual([...list].map(layerType), ['ReLU', 'Sigmoid']);
    assert.throws(() => list.forward(), /a ModuleList has no forward/);
  });

  it('@model and @trace accept the standard (class, context) call and the experimentalDecorators (class) call', () => {
    class A extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    class B extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const before = registeredModels().length;
    model(OPTIONS)(A, { kind: 'class', name: 'Renamed' });
    trace({ steps: 3 })(A, { kind: 'class', name: 'Renamed' });
    model(OPTIONS)(B);
    trace({ steps: 4, batchSize: 2 })(B);
    const added = registeredModels().slice(before);
    assert.deepEqual(
      added.map((m) => [m.name, m.cls]),
      [
        ['Renamed', A],
        ['B', B],
      ],
    );
    assert.deepEqual(traceOptionsOf(A)?.options, { steps: 3 });
    assert.deepEqual(traceOptionsOf(B)?.options, { steps: 4, batchSize: 2 });
  });

  it('@model refuses members, non-Modules and a missing options object, saying how to use it', () => {
    class NotAModule {}
    assert.throws(() => model(OPTIONS)(NotAModule, { kind: 'class', name: 'NotAModule' }), /@model class NotAModule must extend Module from "gradient-lens"/);
    assert.throws(() => model(OPTIONS)(Net, { kind: 'method', name: 'forward' }), /@model decorates a class, not a method/);
    assert.throws(() => (model(OPTIONS) as unknown as (...a: unknown[]) => void)(Net.prototype, 'forward', {}), /not a class member/);
    assert.throws(() => (model as unknown as (c: unknown, x: unknown) => void)(Net, { kind: 'class' }), /@model needs its options, e\.g\. @model\(\{ input: \[10\]/);
  });
});

describe('stack sites and the text scanner', () => {
  it('parses V8 frames, with and without a function name, Windows paths included', () => {
    const stack = ['Error', '    at new Net (/a/b/model.ts:7:9)', '    at /a/b/model.ts:12:3', '    at Object.<anonymous> (C:\\x\\model.ts:3:14)', '    at node:internal/main:1:2'].join('\n');
    assert.deepEqual(parseStack(stack).slice(0, 3), [
      { file: '/a/b/model.ts', line: 7, column: 9 },
      { file: '/a/b/model.ts', line: 12, column: 3 },
      { file: 'C:\\x\\model.ts', line: 3, column: 14 },
    ]);
  });

  it('turns a line and column into an offset with \\n, \\r\\n and \\r line ends', () => {
    const text = 'ab\r\ncd\ref\ngh';
    assert.equal(text[offsetOf(text, 2, 2)], 'd');
    assert.equal(text[offsetOf(text, 3, 1)], 'e');
    assert.equal(text[offsetOf(text, 4, 2)], 'h');
  });

  it('finds the construction, the call, the field and the class around a position', () => {
    const text = "class Net extends Module<{ a: 1 }> {\n  fc1 = new nn.Linear(10, f(')', 2));\n  forward(x) { return this.fc1.forward(g(x), `)${1}`); }\n}\n";
    const newAt = text.indexOf('new');
    assert.equal(text.slice(constructionRange(text, newAt).start, constructionRange(text, newAt).end), "new nn.Linear(10, f(')', 2))");
    assert.equal(text.slice(fieldStart(text, newAt), newAt), 'fc1 = ');
    const callAt = text.indexOf('forward(g');
    const r = callRange(text, callAt);
    assert.equal(text.slice(r.start, r.end), 'this.fc1.forward(g(x), `)${1}`)');
    const cls = classAfter(text, 0, 'Net')!;
    assert.equal(text.slice(cls.name.start, cls.name.end), 'Net');
    assert.equal(cls.whole.end, text.length - 1);
    const back = memberNamed(text, cls.bodyOpen, 'forward')!;
    assert.equal(text.slice(back.start, back.end), 'forward');
    assert.equal(memberNamed(text, cls.bodyOpen, 'fc2'), null);
  });

  it('reads the top-level keys of an object literal with the ranges of their values', () => {
    const text = `({ input: [4], loss: { HuberLoss: { delta: 2 } }, /* , */ optimizer: {SGD: {lr: 1e-3}}, 'quoted': "a,b" })`;
    const entries = objectEntries(text, 1);
    const value = (k: string) => text.slice(entries.get(k)!.value.start, entries.get(k)!.value.end);
    assert.deepEqual([...entries.keys()], ['input', 'loss', 'optimizer', 'quoted']);
    assert.equal(value('loss'), '{ HuberLoss: { delta: 2 } }');
    assert.equal(value('optimizer'), '{SGD: {lr: 1e-3}}');
    assert.equal(value('quoted'), '"a,b"');
  });
});
