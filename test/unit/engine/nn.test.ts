import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, Instrument, loadStateDict, nn, noGrad, Rng, setInstrument, SGD, tensor, Tensor } from '../../../src/engine';
import { currentBuildScope, setBuildScope } from '../../../src/engine/context';

/** PyTorch 1.13 (float64) results for the parity models below: loss, output, gradients, buffers, eval output. */
const PYTORCH: Record<string, { loss: number; out: number[]; grads: Record<string, number[]>; buffers: Record<string, number[]>; evalOut: number[] }> = {
  convBn: {
    loss: 1.0011281461387758,
    out: [0.24170607299654012, 0.49153106929310164, 0.4964831159136128, 0.13550093129352478, 0.4208688109241176, 0.47453632542916485],
    grads: {
      '0.weight': [0.006388881361242744, 0.0069882098821798305, 0.007062334518535026, 0.006879614646273436, 0.0050948624828493685, 0.0016989187273183876, 0.0013549726972375167, -0.0002634434954420626, -0.001495405953733341, 0.02852281889092852, 0.032218243007867034, 0.03015926589853713, 0.01263517983434061, -0.00608216677080276, -0.0027451257831460733, -0.01754797833664522, -0.02309722163265344, -0.022136908416650412],
      '0.bias': [3.0357660829594124e-18, 5.204170427930421e-18],
      '1.weight': [-0.07483805362746518, -0.24700301451913453],
      '1.bias': [0.11719024350844161, -0.06961728912000908],
      '5.weight': [0.1318395591469183, 0.13132900562652206, 0.12330423930588603, 0.12976801891791462, 0.040669339170411864, 0.11621627989280357, 0.16328295029925888, 0.1596669339197681, -0.06940397020632305, -0.0664792528036257, -0.07083466188925706, -0.07217055396741673, -0.06153957976689421, -0.0725530093011407, -0.08919741022625909, -0.07249402603878471, -0.0624355889405953, -0.0648497528228964, -0.05246957741662901, -0.057597464950497904, 0.020870240596482337, -0.04366327059166291, -0.07408554007299985, -0.08717290788098346],
      '5.bias': [0.27381050677919727, -0.14226166342080016, -0.13154884335839723],
    },
    buffers: {'1.running_mean': [-0.042722701263476354, -0.06391428484918589], '1.running_var': [0.9989701680541069, 0.9911376849130091], '1.num_batches_tracked': [1]},
    evalOut: [0.02166605580341202, 0.21235520905327, 0.21021429532502328, -0.03349478257670427, 0.17782985128318102, 0.20276050165366216],
  },
  embedLn: {
    loss: 0.6296228540281792,
    out: [-0.15674313673738227, -1.1912379699770266, -0.8541580685924213, -0.32314827321708106],
    grads: {
      '0.weight': [0.0, 0.0, 0.0, 0.0, 0.011943130915068463, 0.012692349529322924, -0.045364640489320894, 0.02072916004492953, 0.025153597513824368, -0.006448630023273139, -0.02860762366000394, 0.009902656169452724, -0.019256755497691867, 0.0047385997166461205, 0.015362957617838124, -0.0008448018367923638, 0.0, 0.0, 0.0, 0.0, 0.044246316997398116, 0.12457561020686556, -0.1274369587710512, -0.041384968433212516],
      '1.weight': [0.06990278393817079, 0.14970053192324004, 0.019492908387275045, 0.22034080533712014],
      '1.bias': [-0.045349233486403226, -0.06410854439047818, 0.023939118206136194, 0.013690730102311319],
      '4.weight': [-0.022116774154618265, -0.06919643099508825, -0.03502442846818678, -0.02201567303406347, 0.019242818339587738, 0.003393471594787439, -0.06216719574927536, -0.058280032137131364, 0.01802362212090829, -0.08398358451323859, -0.09756502179103693, -0.027562530496577236, 0.0019767857681150126, -0.06105825315224454, -0.04244374365556978, -0.012915327334946342, -0.015901599080735112, -0.09243646885454251, -0.030710822462449716, 0.0027605565227675675, 0.00949870798614232, 0.04608733144377089, -0.009992788859460073, -0.052833815638074356],
      '4.bias': [-0.13513610431799028, -0.08676342982935693],
    },
    buffers: {},
    evalOut: [-0.15674313673738227, -1.1912379699770266, -0.8541580685924213, -0.32314827321708106],
  },
  conv1d: {
    loss: 0.21494190538321284,
    out: [0.8984280931823291, 0.27586338160563206],
    grads: {
      '0.weight': [-0.025243264628438837, 0.004029675843890126, -0.0022201096219068247, 0.06857569591706086, 0.0641904002052236, 0.016668254637798547, -0.018523243751567706, -0.06528270516375663, -0.03599495988216327, -0.004440575857719238, 0.02889773744420228, 0.06265981979896916, 0.04256554156961122, 0.06772967920564665, 0.03662063711261846, -0.09008613788623629, -0.13831307329242798, -0.12560875633306234],
      '0.bias': [-0.0005256139751327396, -0.001738514679705927, -0.1385022772005299],
      '3.weight': [-0.13038026739717015, -0.19092184948039534, -0.10750556348675573, -0.08325334564676096, 0.054935069958598585, 0.06566837676610172, 0.16826771248716382, 0.140808170905496, -0.019048699111507934],
      '3.bias': [0.08714573739398057],
    },
    buffers: {},
    evalOut: [0.8984280931823291, 0.27586338160563206],
  },
  avgPool: {
    loss: 0.6863374395010052,
    out: [-0.5198882373548088, -0.9028489706696425, -0.5555188826577963, -0.8527866416472016],
    grads: {
      '0.weight': [-0.005965217560184619, 0.008501814104012906, 0.02181816511304522, 0.01397587165236934, 0.019299635112280136, 0.022011283498425, 0.03233503929993842, 0.03825290219268756, 0.03899341422613305, 0.02171053278263816, 0.018448844194836465, 0.01269019109270427, 0.03432610770418643, 0.025049601953122495, 0.012382750090698516, 0.005066320611714941, -0.003118252475316342, -0.010880784718197336, -9.140713099933112e-05, -0.011026979686950683, -0.02047010227217343, -0.006702386151219809, -0.008931031976226696, -0.009950904520616286, -0.027233192383891693, -0.030159022734126475, -0.0290029708396689, -0.009605310893726987, -0.00795338536243695, -0.005225006433358607, -0.0237946803515506, -0.015425337957662325, -0.00496824843473612, -0.0017223806947104106, 0.001955160184494549, 0.005368079304799413],
      '0.bias': [0.008233487955625354, -0.014845559506150546],
      '4.weight': [-0.04240439830923902, -0.19093010812407238, 0.2938464208529228, 0.12315787898113015, 0.006634274600210396, -0.17107143307640424, 0.2087065013416662, 0.14610572868388047, 0.04240439830923902, 0.1909301081240724, -0.2938464208529228, -0.12315787898113013, -0.006634274600210382, 0.17107143307640427, -0.2087065013416662, -0.14610572868388047],
      '4.bias': [0.08418072959811773, -0.0841807295981177],
    },
    buffers: {},
    evalOut: [-0.5198882373548088, -0.9028489706696425, -0.5555188826577963, -0.8527866416472016],
  },
  bn1dMse: {
    loss: 5.117555982705408,
    out: [-0.11359542768198141, 0.7264749060034893, -0.17339091828098926, 0.7306340815797064, -0.31600364729120634, 0.7861591989673343, -0.3292485083803786, 0.7926870101146926, -0.24418302776316816, 0.7695502842025103],
    grads: {
      '0.weight': [-0.006675515945708734, 0.006283306111464451, 0.018391712162772383, 0.04122986074468543, 0.004568475592739531, -0.03271123129899582, 0.0557388375291066, 0.03283018701134078, 0.0054781246949595006, -0.002674096093324341, 0.01781850692988173, 0.03589945863052306],
      '0.bias': [-1.734723475976807e-17, -4.85722573273506e-17, -1.1102230246251565e-16, 3.8163916471489756e-17],
      '1.weight': [0.1906854859035966, 0.3493976449245933, 0.22920358168627022, -0.2661646232017679],
      '1.bias': [1.8856671942354115, 1.4765800227972536, 0.49389929395805454, -0.2967681176550883],
      '3.weight': [-1.409249393517214, -0.9009181711133118, -0.7214456469121323, -0.8255332987744967, 2.0287956064443367, 1.5520386364468337, 0.9144629272259797, 0.5035326022453501],
      '3.bias': [-2.4969232734495175, 3.3595247983599177],
    },
    buffers: {'1.running_mean': [-0.4246572424124154, -0.3581325050781405, -0.4771095394610894, -0.16569724510054748], '1.running_var': [0.49146646787248616, 0.7600350908614947, 0.13809196321902792, 0.2683440544961292], '1.num_batches_tracked': [1]},
    evalOut: [-0.12421957082821747, 0.7277273588579751, -0.17931979897631467, 0.7331327458138248, -0.30520330420479924, 0.7818539957003151, -0.31831948096701357, 0.7884042567433639, -0.24139151878748538, 0.7672489019296045],
  },
};

const rng = () => new Rng(0);
const names = (pairs: [string, unknown][]) => pairs.map(([k]) => k);

function close(actual: ArrayLike<number>, expected: readonly number[], what: string, rtol = 1e-10, atol = 1e-13): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** The nesting of the PyTorch example: Sequential(encoder=Sequential(Linear, ReLU, BatchNorm1d), fc1=Linear, act=Tanh). */
function nested(dtype: 'float32' | 'float64' = 'float32'): nn.Sequential {
  const r = rng();
  return new nn.Sequential([
    ['encoder', new nn.Sequential([new nn.Linear(4, 8, { rng: r, dtype }), new nn.ReLU(), new nn.BatchNorm1d(8, { dtype })])],
    ['fc1', new nn.Linear(8, 3, { rng: r, dtype })],
    ['act', new nn.Tanh()],
  ]);
}

/** Fills parameter j of `named_parameters()` with 0.5·cos(0.731·i + 2.3·j), as the PyTorch script did. */
function fillLikePyTorch(m: nn.Module): void {
  for (const [j, [, p]] of m.namedParameters().entries()) {
    for (let i = 0; i < p.size; i++) p.data[i] = 0.5 * Math.cos(i * 0.731 + j * 2.3);
  }
}

/** cos(0.37·i) in the given shape, float64. */
function cosInput(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(new Float64Array(n).map((_, i) => Math.cos(i * 0.37)), shape);
}

class Block extends nn.Module {
  readonly scale: Tensor;
  readonly inner: nn.Linear;
  constructor(r: Rng) {
    super();
    // Registered before the child, so it comes first, as in PyTorch's named_parameters().
    this.scale = this.registerParameter('scale', tensor([2], [1]));
    this.inner = this.addModule('inner', new nn.Linear(2, 2, { rng: r })) as nn.Linear;
  }
  forward(x: Tensor): Tensor {
    return F.mul(this.inner.call(x), this.scale);
  }
}

describe('nn modules', () => {
  describe('names, order and paths (PyTorch named_parameters / state_dict)', () => {
    it('nested Sequential with named children', () => {
      const m = nested();
      assert.deepEqual(names(m.namedParameters()), ['encoder.0.weight', 'encoder.0.bias', 'encoder.2.weight', 'encoder.2.bias', 'fc1.weight', 'fc1.bias']);
      assert.deepEqual(names(m.namedBuffers()), ['encoder.2.running_mean', 'encoder.2.running_var', 'encoder.2.num_batches_tracked']);
      assert.deepEqual(names(m.namedChildren()), ['encoder', 'fc1', 'act']);
      assert.deepEqual(names(m.namedModules()), ['', 'encoder', 'encoder.0', 'encoder.1', 'encoder.2', 'fc1', 'act']);
      assert.deepEqual(m.namedModules().map(([, c]) => c.path), ['', 'encoder', 'encoder.0', 'encoder.1', 'encoder.2', 'fc1', 'act']);
      assert.deepEqual(m.parameters().map((p) => p.name), names(m.namedParameters()));
      assert.ok(m.parameters().every((p) => p.requiresGrad && p.node === null));
    });

    it('a submodule lists names relative to itself, while tensors keep their full names', () => {
      const enc = nested().namedChildren()[0][1];
      assert.deepEqual(names(enc.namedParameters()), ['0.weight', '0.bias', '2.weight', '2.bias']);
      assert.deepEqual(enc.parameters().map((p) => p.name), ['encoder.0.weight', 'encoder.0.bias', 'encoder.2.weight', 'encoder.2.bias']);
    });

    it('paths and parameter names are recomputed when a built subtree is added to a parent', () => {
      const inner = new nn.Sequential([new nn.Linear(2, 2, { rng: rng() })]);
      assert.equal(inner.at(0).path, '0');
      assert.equal(inner.parameters()[0].name, '0.weight');
      const outer = new nn.Sequential([['block', new nn.Sequential([['deep', inner]])]]);
      assert.equal(inner.at(0).path, 'block.deep.0');
      assert.deepEqual(names(outer.namedParameters()), ['block.deep.0.weight', 'block.deep.0.bias']);
      assert.equal(inner.parameters()[1].name, 'block.deep.0.bias');
    });

    it("a module's own parameters come before its children's", () => {
      const m = new nn.Sequential([new Block(rng())]);
      assert.deepEqual(names(m.namedParameters()), ['0.scale', '0.inner.weight', '0.inner.bias']);
      assert.deepEqual(Object.keys(F.stateDict(m)), ['0.scale', '0.inner.weight', '0.inner.bias']);
    });

    it('a tensor shared by two modules is listed once', () => {
      const a = new nn.Linear(2, 2, { rng: rng() });
      const m = new nn.Sequential([a, a]);
      assert.deepEqual(names(m.namedParameters()), ['0.weight', '0.bias']);
      assert.equal(m.length, 2);
    });

    it('rejects empty, dotted and duplicate child names', () => {
      assert.throws(() => new nn.Sequential([['a.b', new nn.ReLU()]]), /can't contain "\."/);
      assert.throws(() => new nn.Sequential([['', new nn.ReLU()]]), /can't be empty/);
      assert.throws(() => new nn.Sequential([['x', new nn.ReLU()], ['x', new nn.Tanh()]]), /'x' already exists/);
    });

    it('Sequential: length, at (negative from the end), append names by position', () => {
      const s = new nn.Sequential([new nn.ReLU(), new nn.Tanh()]);
      s.append(new nn.Sigmoid());
      assert.equal(s.length, 3);
      assert.ok(s.at(-1) instanceof nn.Sigmoid);
      assert.equal(s.at(2).path, '2');
      assert.throws(() => s.at(3), /out of range/);
    });
  });

  describe('call', () => {
    it("attributes every op to the layer's path, and loss ops to 'loss'", () => {
      const m = nested();
      const y = m.call(new Tensor(Float32Array.from(cosInput([5, 4]).data), [5, 4]));
      assert.equal(y.node!.layer, 'act');
      assert.equal(y.node!.inputs[0].node!.layer, 'fc1');
      const bn = y.node!.inputs[0].node!.inputs[0];
      assert.equal(bn.node!.layer, 'encoder.2');
      assert.equal(bn.node!.inputs[0].node!.layer, 'encoder.1');
      assert.equal(bn.node!.inputs[0].node!.inputs[0].node!.layer, 'encoder.0');
      const loss = new nn.MSELoss().call(y, F.zeros([5, 3]));
      assert.equal(loss.node!.layer, 'loss');
    });

    it('the instrument sees activations under their layer path', () => {
      const inst = new Instrument();
      setInstrument(inst);
      try {
        nested().call(F.full([6, 4], 0.5));
      } finally {
        setInstrument(null);
      }
      const layers = inst.outputs.map((o) => o.layer);
      assert.deepEqual([...new Set(layers)], ['encoder.0', 'encoder.1', 'encoder.2', 'fc1', 'act']);
    });
  });

  describe('layers', () => {
    it('parameter shapes are PyTorch layouts', () => {
      const r = rng();
      const shapes = (m: nn.Module) => m.namedParameters().map(([k, p]) => `${k}:${p.shape.join('x')}`);
      assert.deepEqual(shapes(new nn.Linear(3, 5, { rng: r })), ['weight:5x3', 'bias:5']);
      assert.deepEqual(shapes(new nn.Linear(3, 5, { rng: r, bias: false })), ['weight:5x3']);
      assert.deepEqual(shapes(new nn.Conv1d(2, 4, 3, { rng: r })), ['weight:4x2x3', 'bias:4']);
      assert.deepEqual(shapes(new nn.Conv2d(2, 4, [3, 5], { rng: r })), ['weight:4x2x3x5', 'bias:4']);
      // groups: weight [out, in/groups, ...] (depthwise: in/groups = 1)
      assert.deepEqual(shapes(new nn.Conv2d(6, 12, 3, { rng: r, groups: 6 })), ['weight:12x1x3x3', 'bias:12']);
      assert.deepEqual(shapes(new nn.Conv1d(4, 6, 3, { rng: r, groups: 2 })), ['weight:6x2x3', 'bias:6']);
      assert.deepEqual(shapes(new nn.BatchNorm2d(6)), ['weight:6', 'bias:6']);
      assert.deepEqual(shapes(new nn.BatchNorm1d(6, { affine: false })), []);
      assert.deepEqual(shapes(new nn.LayerNorm([4, 5])), ['weight:4x5', 'bias:4x5']);
      assert.deepEqual(shapes(new nn.LayerNorm(7, { elementwiseAffine: false })), []);
      assert.deepEqual(shapes(new nn.Embedding(10, 3, { rng: r })), ['weight:10x3']);
    });

    it('default initialisation: Linear within ±1/√in, norms at 1 and 0, buffers at 0 and 1, float64 on request', () => {
      const lin = new nn.Linear(100, 50, { rng: rng(), dtype: 'float64' });
      assert.ok(lin.weight.data instanceof Float64Array);
      assert.ok(lin.weight.data.every((v) => Math.abs(v) <= 0.1));
      assert.ok(lin.bias!.data.every((v) => Math.abs(v) <= 0.1));
      assert.ok(new Set(lin.weight.data).size > 4000, 'weights are random');
      const bn = new nn.BatchNorm1d(3);
      assert.ok(bn.weight!.data instanceof Float32Array);
      assert.deepEqual(Array.from(bn.weight!.data), [1, 1, 1]);
      assert.deepEqual(Array.from(bn.bias!.data), [0, 0, 0]);
      assert.deepEqual(bn.namedBuffers().map(([k, v]) => [k, Array.from(v)]), [
        ['running_mean', [0, 0, 0]],
        ['running_var', [1, 1, 1]],
        ['num_batches_tracked', [0]],
      ]);
      const emb = new nn.Embedding(5, 3, { rng: rng(), paddingIdx: -1 });
      assert.equal(emb.paddingIdx, 4);
      assert.deepEqual(Array.from(emb.weight.data.subarray(12)), [0, 0, 0]);
    });

    it('the same seed builds the same weights', () => {
      assert.deepEqual(nested().parameters()[0].data, nested().parameters()[0].data);
    });

    it('layers with random weights demand a seeded rng, naming the layer, when no build scope gives one', () => {
      const scope = currentBuildScope();
      setBuildScope(null);
      try {
        assert.throws(() => new nn.Linear(2, 3), /Linear needs a seeded rng/);
        assert.throws(() => new nn.Conv2d(1, 2, 3), /Conv2d needs a seeded rng/);
        assert.throws(() => new nn.Embedding(4, 2), /Embedding needs a seeded rng/);
        assert.throws(() => new nn.Dropout(0.5, undefined as unknown as Rng), /Dropout needs a seeded rng/);
      } finally {
        setBuildScope(scope);
      }
    });

    it("a build scope gives layers built without options its rng and dtype (a decorated model's run)", () => {
      const scope = currentBuildScope();
      try {
        setBuildScope({ rng: new Rng(3), dtype: 'float64' });
        const a = new nn.Linear(2, 3);
        setBuildScope({ rng: new Rng(3), dtype: 'float64' });
        const b = new nn.Linear(2, 3, { dtype: 'float32', rng: new Rng(4) });
        assert.equal(a.weight.dtype, 'float64');
        assert.equal(b.weight.dtype, 'float32');
        assert.deepEqual(Array.from(a.weight.data), Array.from(new nn.Linear(2, 3, { rng: new Rng(3), dtype: 'float64' }).weight.data));
        assert.notDeepEqual(Array.from(b.weight.data), Array.from(new nn.Linear(2, 3, { rng: new Rng(3), dtype: 'float32' }).weight.data));
      } finally {
        setBuildScope(scope);
      }
    });

    it("rejects PyTorch's invalid arguments", () => {
      assert.throws(() => new nn.Dropout(1.5, rng()), /between 0 and 1, but got 1.5/);
      assert.throws(() => new nn.Embedding(4, 2, { rng: rng(), paddingIdx: 4 }), /padding_idx must be within num_embeddings/);
      assert.throws(() => new nn.Linear(2.5, 3, { rng: rng() }), /in_features must be an integer/);
      assert.throws(() => new nn.Conv2d(1, 2, [3, 3, 3] as unknown as [number, number], { rng: rng() }), /kernel_size must be a number or a pair/);
      assert.throws(() => new nn.Conv2d(3, 4, 3, { rng: rng(), groups: 2 }), /in_channels must be divisible by groups/);
      assert.throws(() => new nn.Conv1d(4, 3, 3, { rng: rng(), groups: 2 }), /out_channels must be divisible by groups/);
      assert.throws(() => new nn.Conv2d(4, 4, 3, { rng: rng(), groups: 0 }), /groups must be a positive integer/);
      assert.throws(() => new nn.BatchNorm1d(3).call(F.zeros([2, 3, 4, 5])), /expected 2D or 3D input \(got 4D input\)/);
      assert.throws(() => new nn.BatchNorm2d(3).call(F.zeros([2, 3, 4])), /expected 4D input \(got 3D input\)/);
      assert.throws(() => new nn.MSELoss({ reduction: 'avg' as 'mean' }), /avg is not a valid value for reduction/);
    });

    it('forward equals the functional op with the same weights', () => {
      const lin = new nn.Linear(3, 2, { rng: rng(), dtype: 'float64' });
      const x = cosInput([4, 3]);
      assert.deepEqual(lin.call(x).data, F.linear(x, lin.weight, lin.bias).data);
      const conv = new nn.Conv2d(1, 2, 3, { rng: rng(), dtype: 'float64', stride: 2, padding: [1, 0] });
      const img = cosInput([1, 1, 5, 5]);
      assert.deepEqual(conv.call(img).shape, [1, 2, 3, 2]);
      assert.deepEqual(conv.call(img).data, F.conv2d(img, conv.weight, conv.bias, 2, [1, 0]).data);
      const dw = new nn.Conv2d(2, 4, 3, { rng: rng(), dtype: 'float64', padding: 1, groups: 2 });
      const img2 = cosInput([1, 2, 4, 4]);
      assert.deepEqual(dw.call(img2).data, F.conv2d(img2, dw.weight, dw.bias, 1, 1, 2).data);
      assert.deepEqual(new nn.MaxPool2d(2).call(cosInput([1, 1, 4, 6])).shape, [1, 1, 2, 3]);
      assert.deepEqual(new nn.AvgPool2d(3, { stride: 1, padding: 1 }).call(cosInput([1, 1, 4, 6])).shape, [1, 1, 4, 6]);
      assert.deepEqual(new nn.Flatten().call(cosInput([2, 3, 4])).shape, [2, 12]);
      assert.deepEqual(new nn.Flatten(0, 1).call(cosInput([2, 3, 4])).shape, [6, 4]);
      const id = cosInput([3]);
      assert.equal(new nn.Identity().call(id), id);
    });

    it('activation layers pass their arguments through', () => {
      const x = cosInput([2, 5]);
      const same = (m: nn.Module, y: Tensor) => assert.deepEqual(m.call(x).data, y.data);
      same(new nn.ReLU(), F.relu(x));
      same(new nn.Sigmoid(), F.sigmoid(x));
      same(new nn.Tanh(), F.tanh(x));
      same(new nn.LeakyReLU(), F.leakyRelu(x, 0.01));
      same(new nn.LeakyReLU(0.2), F.leakyRelu(x, 0.2));
      same(new nn.ELU(0.5), F.elu(x, 0.5));
      same(new nn.GELU('tanh'), F.gelu(x, 'tanh'));
      same(new nn.GELU(), F.gelu(x, 'none'));
      same(new nn.Softplus(2, 10), F.softplus(x, 2, 10));
      same(new nn.Softmax(0), F.softmax(x, 0));
      same(new nn.LogSoftmax(-1), F.logSoftmax(x, 1));
      // No dim: PyTorch's legacy rule, dim 1 for a rank-2 input and 0 for rank 1 or 3.
      same(new nn.Softmax(), F.softmax(x, 1));
      const x3 = cosInput([2, 3, 4]);
      assert.deepEqual(new nn.LogSoftmax().call(x3).data, F.logSoftmax(x3, 0).data);
    });

    it('train() and eval() reach every descendant; Dropout is the identity in eval mode', () => {
      const m = new nn.Sequential([['drop', new nn.Dropout(0.5, rng())], ['body', new nn.Sequential([new nn.BatchNorm1d(4)])]]);
      const x = F.full([8, 4], 1, 'float64');
      const dropped = m.at(0).call(x).data;
      assert.ok(dropped.some((v) => v === 0) && dropped.some((v) => v === 2), 'training: zeros and 1/(1-p) scaling');
      m.eval();
      assert.ok(m.namedModules().every(([, c]) => !c.training));
      assert.deepEqual(m.at(0).call(x).data, x.data);
      m.train();
      assert.ok(m.namedModules().every(([, c]) => c.training));
    });

    it('BatchNorm counts batches and with momentum null keeps a cumulative average', () => {
      const bn = new nn.BatchNorm1d(1, { momentum: null, dtype: 'float64' });
      bn.call(tensor([1, 3], [2, 1], 'float64'));
      bn.call(tensor([5, 7], [2, 1], 'float64'));
      assert.equal(bn.numBatchesTracked.data[0], 2);
      // Means 2 and 6 averaged; unbiased variances 2 and 2, averaged with the initial 1 dropped after the first batch.
      assert.deepEqual(Array.from(bn.runningMean.data), [4]);
      assert.deepEqual(Array.from(bn.runningVar.data), [2]);
      bn.eval();
      bn.call(tensor([0], [1, 1], 'float64'));
      assert.equal(bn.numBatchesTracked.data[0], 2, 'eval mode does not count');
    });
  });

  describe("parity with PyTorch on the same weights (torch.nn, float64)", () => {
    const cases: [string, () => nn.Module, () => Tensor, () => nn.Loss, () => Tensor][] = [
      [
        'convBn',
        () => new nn.Sequential([new nn.Conv2d(1, 2, 3, { padding: 1, rng: rng(), dtype: 'float64' }), new nn.BatchNorm2d(2, { dtype: 'float64' }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8, 3, { rng: rng(), dtype: 'float64' })]),
        () => cosInput([2, 1, 4, 4]),
        () => new nn.CrossEntropyLoss(),
        () => tensor([1, 2], [2], 'float64'),
      ],
      [
        'embedLn',
        () => new nn.Sequential([new nn.Embedding(6, 4, { paddingIdx: 0, rng: rng(), dtype: 'float64' }), new nn.LayerNorm(4, { dtype: 'float64' }), new nn.GELU(), new nn.Flatten(), new nn.Linear(12, 2, { rng: rng(), dtype: 'float64' })]),
        () => tensor([1, 0, 5, 3, 3, 2], [2, 3], 'float64'),
        () => new nn.BCEWithLogitsLoss(),
        () => tensor([1, 0, 0.3, 1], [2, 2], 'float64'),
      ],
      [
        'conv1d',
        () => new nn.Sequential([new nn.Conv1d(2, 3, 3, { stride: 2, padding: 1, rng: rng(), dtype: 'float64' }), new nn.ELU(), new nn.Flatten(), new nn.Linear(9, 1, { rng: rng(), dtype: 'float64' }), new nn.Sigmoid()]),
        () => cosInput([2, 2, 5]),
        () => new nn.BCELoss(),
        () => tensor([1, 0], [2, 1], 'float64'),
      ],
      [
        'avgPool',
        () => new nn.Sequential([new nn.Conv2d(3, 2, [2, 3], { stride: [1, 2], padding: [1, 0], rng: rng(), dtype: 'float64' }), new nn.LeakyReLU(0.1), new nn.AvgPool2d(2, { stride: 1 }), new nn.Flatten(), new nn.Linear(8, 2, { rng: rng(), dtype: 'float64' }), new nn.LogSoftmax(1)]),
        () => cosInput([2, 3, 4, 5]),
        () => new nn.NLLLoss(),
        () => tensor([0, 1], [2], 'float64'),
      ],
      [
        'bn1dMse',
        () => new nn.Sequential([new nn.Linear(3, 4, { rng: rng(), dtype: 'float64' }), new nn.BatchNorm1d(4, { momentum: null, dtype: 'float64' }), new nn.Softplus(2), new nn.Linear(4, 2, { rng: rng(), dtype: 'float64' }), new nn.Tanh()]),
        () => cosInput([5, 3]),
        () => new nn.MSELoss({ reduction: 'sum' }),
        () => F.scale(cosInput([5, 2]), 0.5),
      ],
    ];
    for (const [name, model, input, lossFn, target] of cases) {
      it(`${name}: loss, output, every gradient, running stats and eval output`, () => {
        const ref = PYTORCH[name];
        const m = model();
        fillLikePyTorch(m);
        const out = m.call(input());
        const loss = lossFn().call(out, target());
        backward(loss);
        close([loss.item()], [ref.loss], 'loss');
        close(out.data, ref.out, 'output');
        assert.deepEqual(names(m.namedParameters()), Object.keys(ref.grads));
        for (const [k, p] of m.namedParameters()) close(p.grad!, ref.grads[k], `grad ${k}`);
        assert.deepEqual(names(m.namedBuffers()), Object.keys(ref.buffers));
        for (const [k, b] of m.namedBuffers()) close(b, ref.buffers[k], `buffer ${k}`);
        m.eval();
        close(noGrad(() => m.call(input())).data, ref.evalOut, 'eval output');
      });
    }
  });

  describe('loss modules', () => {
    it("default to reduction 'mean' and pass their options", () => {
      const x = cosInput([2, 3]);
      const t = F.scale(cosInput([2, 3]), -1);
      assert.equal(new nn.MSELoss().call(x, t).item(), F.mseLoss(x, t, 'mean').item());
      assert.equal(new nn.L1Loss({ reduction: 'sum' }).call(x, t).item(), F.l1Loss(x, t, 'sum').item());
      assert.equal(new nn.HuberLoss({ delta: 0.3 }).call(x, t).item(), F.huberLoss(x, t, 0.3, 'mean').item());
      assert.notEqual(new nn.HuberLoss({ delta: 0.3 }).call(x, t).item(), F.huberLoss(x, t, 1, 'mean').item());
      const cls = tensor([2, 0], [2], 'float64');
      assert.equal(new nn.CrossEntropyLoss({ reduction: 'sum' }).call(x, cls).item(), F.crossEntropy(x, cls, 'sum').item());
      assert.equal(new nn.NLLLoss().call(x, cls).item(), F.nllLoss(x, cls).item());
      const p = F.sigmoid(x);
      const bt = F.sigmoid(t);
      assert.equal(new nn.BCELoss().call(p, bt).item(), F.bceLoss(p, bt).item());
      assert.equal(new nn.BCEWithLogitsLoss().call(x, bt).item(), F.bceWithLogits(x, bt).item());
    });
  });

  it('end to end: Linear-ReLU-Linear trained with MSE and SGD lowers the loss', () => {
    const r = new Rng(3);
    const model = new nn.Sequential([new nn.Linear(2, 16, { rng: r }), new nn.ReLU(), new nn.Linear(16, 1, { rng: r })]);
    const data = new Rng(4);
    const xs = new Float32Array(64 * 2).map(() => data.between(-1, 1));
    // y = x0·x1 + 0.5·x0: needs the hidden layer.
    const ys = new Float32Array(64).map((_, i) => xs[2 * i] * xs[2 * i + 1] + 0.5 * xs[2 * i]);
    const x = new Tensor(xs, [64, 2]);
    const y = new Tensor(ys, [64, 1]);
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const lossFn = new nn.MSELoss();
    const losses: number[] = [];
    for (let step = 0; step < 200; step++) {
      opt.zeroGrad();
      const loss = lossFn.call(model.call(x), y);
      backward(loss);
      opt.step();
      losses.push(loss.item());
    }
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses[199] < 0.1 * losses[0], `loss went from ${losses[0]} to ${losses[199]}`);
    assert.ok(model.parameters().every((p) => p.grad !== null));
  });

  it('a state dict taken from one model loads into another of the same architecture', () => {
    const m = nested('float64');
    const other = nested('float64');
    fillLikePyTorch(other);
    loadStateDict(m, F.stateDict(other));
    assert.deepEqual(m.parameters()[0].data, other.parameters()[0].data);
  });
});
