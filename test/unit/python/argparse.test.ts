/**
 * argparse read against the script's arguments (the sidecar's `args`, the CLI's words after `--`):
 * each command line below gives the same values, or the same error message, when CPython runs the
 * parser with it and when the interpreter does. Without arguments, the defaults and an opaque
 * required argument, as before.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptExit } from '../../../src/model/python/errors';
import { PyOpaque } from '../../../src/model/python/values';
import { analysePython } from '../../../src/worker/python';
import { at, PYTHON, ready, run } from './support';

const PARSER = `import argparse
import sys
p = argparse.ArgumentParser(description='a training script')
p.add_argument('data')
p.add_argument('--dataset', required=True, choices=['cifar10', 'fake'])
p.add_argument('--batch-size', type=int, default=64)
p.add_argument('-l', '--lr', type=float, default=0.01)
p.add_argument('--cuda', action='store_true')
p.add_argument('--no-shuffle', dest='shuffle', action='store_false')
p.add_argument('-v', '--verbose', action='count', default=0)
p.add_argument('-q', action='store_true')
p.add_argument('--sizes', type=int, nargs='+', default=[1])
p.add_argument('--pair', type=int, nargs=2)
p.add_argument('--opt', nargs='?', const='adam', default='sgd')
p.add_argument('--tag', action='append')
p.add_argument('--seed', type=int, default='7')
p.add_argument('--mode', const='fast', action='store_const')
args = p.parse_args()
print(args.data, args.dataset, args.batch_size, args.lr, args.cuda, args.shuffle, args.verbose, args.q, args.sizes, args.pair, args.opt, args.tag, args.seed, args.mode)
print(sys.argv[1:])
`;

const TAIL = `import argparse
p = argparse.ArgumentParser()
p.add_argument('src')
p.add_argument('rest', nargs='*')
p.add_argument('--k', type=int, default=1)
args = p.parse_args()
print(args.src, args.rest, args.k)
`;

/** Defaults and consts against choices: CPython 3.11 checks a '?' without its word and a '*' positional without words, never an absent flag's default. */
const OPT_DEFAULTS = `import argparse
p = argparse.ArgumentParser()
p.add_argument('--lr', type=float, default='5', choices=[1.0, 2.0])
p.add_argument('--mode', nargs='?', const='z', default='a', choices=['a', 'b'])
args = p.parse_args()
print(args.lr, args.mode)
`;

const POS_OPTIONAL = `import argparse
p = argparse.ArgumentParser()
p.add_argument('mode', nargs='?', default='z', choices=['a', 'b'])
p.add_argument('n', nargs='?', type=int, default='1', choices=[1, 2])
args = p.parse_args()
print(args.mode, args.n)
`;

const POS_STAR = `import argparse
p = argparse.ArgumentParser()
p.add_argument('rest', nargs='*', default=['q'], choices=['a', 'q'])
args = p.parse_args()
print(args.rest)
`;

const NAMES = new Map([
  [PARSER, 'train'],
  [TAIL, 'tail'],
  [OPT_DEFAULTS, 'defaults'],
  [POS_OPTIONAL, 'optional-positionals'],
  [POS_STAR, 'star-positional'],
]);

const CASES: { parser: string; argv: string[] }[] = [
  { parser: PARSER, argv: ['d', '--dataset', 'fake'] },
  { parser: PARSER, argv: ['--dataset=cifar10', 'd', '--batch-size', '8', '-l0.5', '--cuda', '--no-shuffle', '-vvq', '--sizes', '1', '2', '3', '--pair', '4', '5', '--opt', '--tag', 'a', '--tag', 'b', '--seed', '3', '--mode'] },
  { parser: PARSER, argv: ['--dataset', 'fake', 'd', '--opt', 'x', '--lr', '-1.5', '--bat', '4'] },
  { parser: PARSER, argv: ['d', '--dataset', 'fake', '-l', '2', '-v', '--verbose'] },
  { parser: PARSER, argv: ['d', '--dataset', 'mnist'] },
  { parser: PARSER, argv: ['d', '--dataset', 'fake', '--batch-size', 'x'] },
  { parser: PARSER, argv: ['d', '--dataset', 'fake', '--pair', '1'] },
  { parser: PARSER, argv: ['d', '--dataset', 'fake', '--sizes'] },
  { parser: PARSER, argv: ['d', '--dataset', 'fake', '--nope'] },
  { parser: PARSER, argv: ['d', '--dataset', 'fake', 'e'] },
  { parser: PARSER, argv: ['--dataset', 'fake'] },
  { parser: PARSER, argv: ['d'] },
  { parser: PARSER, argv: [] },
  { parser: PARSER, argv: ['d', '--dataset', 'fake', '--cuda=1'] },
  { parser: PARSER, argv: ['d', '--dataset', 'fake', '--lr'] },
  { parser: TAIL, argv: ['a', 'b', 'c', '--k', '3'] },
  { parser: TAIL, argv: ['--k', '2', 'a', '--', '--b', 'c'] },
  { parser: TAIL, argv: ['a'] },
  { parser: OPT_DEFAULTS, argv: [] },
  { parser: OPT_DEFAULTS, argv: ['--mode'] },
  { parser: OPT_DEFAULTS, argv: ['--mode', 'b', '--lr', '2'] },
  { parser: POS_OPTIONAL, argv: [] },
  { parser: POS_OPTIONAL, argv: ['a'] },
  { parser: POS_OPTIONAL, argv: ['a', '3'] },
  { parser: POS_STAR, argv: [] },
  { parser: POS_STAR, argv: ['a', 'q'] },
  { parser: POS_STAR, argv: ['b'] },
];

/** What CPython prints, or its argparse error message (the text after "error: "). */
function cpython(file: string, argv: string[]): { out: string } | { error: string } | null {
  const r = spawnSync(PYTHON, [file, ...argv], { encoding: 'utf8' });
  if (r.error) return null;
  if (r.status === 0) return { out: r.stdout };
  const m = /error: (.*)\s*$/.exec(r.stderr);
  return m ? { error: m[1] } : null;
}

describe('argparse: the script run with its arguments, as CPython parses them', () => {
  before(ready);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gl-argparse-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  CASES.forEach(({ parser, argv }, n) => {
    it(`${NAMES.get(parser)}.py ${argv.join(' ') || '(no arguments)'}`, function () {
      const file = join(dir, `case${n}.py`);
      writeFileSync(file, parser);
      const expected = cpython(file, argv);
      if (expected === null) this.skip();
      const { output, error } = run(parser, { argv, fileName: file });
      if ('error' in expected) {
        assert.ok(error instanceof ScriptExit, `CPython stops with "${expected.error}"; the interpreter printed ${JSON.stringify(output)}`);
        assert.equal(error.argparseError, expected.error);
      } else {
        assert.equal(error, null, `the run ended early: ${(error as Error)?.message}`);
        assert.equal(output, expected.out);
      }
    });
  });

  it('-h stops the script as Python does after printing the help (not an error)', () => {
    const { error } = run(PARSER, { argv: ['-h'] });
    assert.ok(error instanceof ScriptExit);
    assert.equal(error.argparseError, undefined);
  });

  it('without arguments given, sys.argv and a required argument are values it cannot follow; the rest take their defaults', () => {
    const source = TAIL.replace("p.add_argument('--k'", "import sys\nn = len(sys.argv)\np.add_argument('--k'");
    const { interp, error } = run(source);
    assert.equal(error, null);
    const r = { start: 0, end: 0 };
    const args = interp.globals.vars.get('args')!;
    assert.equal(interp.getAttr(args, 'k', r), 1n);
    const src = interp.getAttr(args, 'src', r);
    assert.ok(src instanceof PyOpaque);
    assert.match(src.construct, /^the command-line argument src \(argparse; give the script's arguments with args: in its sidecar or after -- on the command line\)$/);
    assert.equal(at(source, src.origin), "p.add_argument('src')");
    assert.ok(interp.globals.vars.get('n') instanceof PyOpaque);
  });
  it("a training loop reached only through a loop over a required argument not given (a Trainer's range(total_epochs)) is that argument's can't-follow, not \"no model\"", async () => {
    const text = `import argparse
import torch
import torch.nn.functional as F


class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def _run_batch(self, x, y):
        self.optimizer.zero_grad()
        loss = F.mse_loss(self.model(x), y)
        loss.backward()
        self.optimizer.step()

    def _run_epoch(self):
        for i in range(4):
            self._run_batch(torch.randn(8, 3), torch.randn(8, 1))

    def train(self, max_epochs):
        for epoch in range(max_epochs):
            self._run_epoch()


def main(total_epochs):
    model = torch.nn.Linear(3, 1)
    Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1)).train(total_epochs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument('total_epochs', type=int)
    args = parser.parse_args()
    main(args.total_epochs)
`;
    const r = await analysePython({ text, fileName: 'trainer.py', steps: 2 });
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics.map((d) => d.message)));
    const d = r.diagnostics[0];
    assert.equal(d.code, 'python/cant-follow');
    assert.match(d.message, /^Gradient Lens can't follow the command-line argument total_epochs \(argparse; /);
    assert.equal(at(text, d.range), "parser.add_argument('total_epochs', type=int)");
    assert.equal(at(text, d.related[0].range), 'range(max_epochs)');
    // Given, it traces.
    const given = await analysePython({ text, fileName: 'trainer.py', steps: 2, argv: ['2'] });
    assert.deepEqual(given.diagnostics, []);
    assert.equal(given.analysis!.trace.steps.length, 2);
  });
});
