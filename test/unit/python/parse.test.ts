/** The tree-sitter front of the Python reader: the syntax tree, syntax errors at their range, and its quirks. */
import assert from 'node:assert/strict';
import { MAX_NESTING, parsePython } from '../../../src/model/python/parse';
import { pythonParser } from '../../../src/model/python/tree-sitter';
import { LimitError, withinLimits } from '../../../src/trace/bounded';
import { at, ready } from './support';

function errors(src: string): { message: string; text: string }[] {
  return parsePython(src).diagnostics.map((d) => ({ message: d.message, text: at(src, d.range) }));
}

describe('Python parser', () => {
  before(ready);

  it('reads a model file without diagnostics, every statement kept', () => {
    const src = [
      'import torch',
      'import torch.nn as nn',
      'from torch.nn import functional as F',
      '',
      'class Net(nn.Module):',
      '    """A docstring."""',
      '    def __init__(self, d: int = 10, *args, act=None, **kw) -> None:',
      '        super(Net, self).__init__()',
      '        self.fc1 = nn.Linear(d, d)  # a comment',
      '        self.layers = nn.ModuleList([nn.Linear(d, d) for _ in range(2)])',
      '',
      '    def forward(self, x):',
      '        x = F.relu(self.fc1(x))',
      '        for layer in self.layers:',
      '            x = layer(x) + x',
      '        return x.view(x.size(0), -1)[:, 1:]',
      '',
      'model = Net()',
    ].join('\n');
    const { ast, diagnostics } = parsePython(src);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      ast.body.map((s) => s.k),
      ['import', 'import', 'from', 'class', 'assign'],
    );
    const cls = ast.body[3];
    assert.ok(cls.k === 'class');
    const init = cls.body[1];
    assert.ok(init.k === 'def');
    assert.deepEqual(
      init.params.map((p) => [p.name, p.kind, !!p.default]),
      [
        ['self', 'pos', false],
        ['d', 'pos', true],
        ['args', 'varargs', false],
        ['act', 'kwonly', true],
        ['kw', 'varkw', false],
      ],
    );
    assert.equal(at(src, init.nameR), '__init__');
  });

  it('reports a syntax error at its range and keeps the statements around it', () => {
    const src = 'a = 1\nb = (2 +\nc = 3\n';
    const { ast, diagnostics } = parsePython(src);
    assert.ok(diagnostics.length >= 1);
    assert.equal(diagnostics[0].severity, 'error');
    assert.equal(diagnostics[0].code, 'python/syntax');
    assert.ok(ast.body.length >= 1 && ast.body[0].k === 'assign');
  });

  it('`x = nn.` followed by a new line is an incomplete attribute, not an attribute of the next line', () => {
    const src = 'import torch.nn as nn\nact = nn.\nfc = nn.Linear(2, 2)\n';
    const e = errors(src);
    assert.equal(e.length, 1);
    assert.match(e[0].message, /incomplete attribute: a name must follow "nn\."/);
    assert.equal(e[0].text, 'nn.');
  });

  it('inside brackets or after a backslash, a line break after the dot is legal Python', () => {
    assert.deepEqual(errors('import torch.nn as nn\nx = (nn.\n     ReLU())\ny = nn.\\\n    Tanh()\n'), []);
  });

  it('Python 2 syntax is a syntax error that says so', () => {
    const e = errors('print "hello"\n');
    assert.equal(e.length, 1);
    assert.match(e[0].message, /Python 2 print statement/);
  });

  it('refuses nesting deeper than CPython allows, at the expression', () => {
    const deep = `x = ${'('.repeat(MAX_NESTING + 20)}1${')'.repeat(MAX_NESTING + 20)}\n`;
    const e = errors(deep);
    assert.equal(e.length, 1);
    assert.match(e[0].message, /nests more than 200 levels/);
  });

  it('reads literals as CPython does', () => {
    const { ast } = parsePython("a = 1_000\nb = 0x1F\nc = 1.\nd = 'x\\ty\\u00e9'\ne = r'\\n'\nf = 'a' 'b'\ng = 2j\n");
    const values = ast.body.map((s) => (s.k === 'assign' && s.value.k === 'const' ? s.value.v : s.k === 'assign' ? s.value.k : null));
    assert.deepEqual(values, [1000n, 31n, 1, 'x\tyé', '\\n', 'ab', 'unsupported']);
  });

  it('ranges are UTF-16 offsets, as editors count them', () => {
    const src = "s = '😀é'\nx = 1\n";
    const { ast } = parsePython(src);
    assert.equal(at(src, ast.body[1].r), 'x = 1');
  });

  describe('a parse stopped halfway leaves nothing behind', () => {
    // Model code, and code long enough that no machine parses it in a millisecond (about 600 KB).
    const MODEL = 'import torch\nimport torch.nn as nn\n\nmodel = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))\nx = torch.randn(2, 4)\n';
    const LONG = Array.from({ length: 20_000 }, (_, i) => `value_${i} = [${i}, ${i} * 2, "${i}"]`).join('\n');
    // What a parser that never stopped reads (as plain data: BigInts as strings), and a third text
    // between, so the parse after the stop is a new one, not the last result handed back again.
    const plain = (r: unknown) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    let fresh: unknown;
    before(() => {
      fresh = plain(parsePython(MODEL));
      parsePython('y = 2\n');
    });

    it('cancelled inside tree-sitter: the next parse of another file is right (the parser is reset, not resumed)', () => {
      // tree-sitter keeps a cancelled parse's state to resume it on the next call; the reader must not.
      const tree = pythonParser().parse(LONG, null, { progressCallback: (state) => state.currentOffset > 10_000 });
      assert.equal(tree, null, 'the parse was cancelled halfway');
      assert.deepEqual(plain(parsePython(MODEL)), fresh);
    });

    it('stopped by a 1 ms time limit: the message says the time went to parsing; the next parse of another file is right', () => {
      parsePython('y = 3\n');
      // As the CLI does: the time until the parse has returned is the parse's.
      let reading: string | null = 'parsing long.py';
      assert.throws(
        () =>
          withinLimits(
            () => {
              parsePython(LONG);
              reading = null;
            },
            { timeLimitMs: 1, memoryLimitMB: 512 },
            () => reading,
          ),
        (e: unknown) => e instanceof LimitError && /^parsing long\.py did not finish within 1 ms/.test(e.message),
      );
      assert.deepEqual(plain(parsePython(MODEL)), fresh);
    });
  });
});
