/**
 * The user's own modules: each project below is written to a folder, run by CPython, and read by
 * the interpreter through a reader of that folder; both must print the same. The cases CPython
 * answers with an error (a syntax error, a circular `from` import) are checked for where they point.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CantFollow, LimitExceeded, PyRaise } from '../../../src/model/python/errors';
import { absoluteName, type PythonSources } from '../../../src/model/python/imports';
import { PYTHON, ready, run } from './support';

type Project = Record<string, string>;

function write(project: Project): string {
  const root = mkdtempSync(join(tmpdir(), 'gl-imports-'));
  for (const [path, text] of Object.entries(project)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Runs `fn` on the project written to a folder of its own, removed afterwards. */
function inProject(project: Project, fn: (root: string) => void): void {
  const root = write(project);
  try {
    fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Reads the folder, recording every path asked for. */
function diskSources(asked: string[] = []): PythonSources {
  return {
    read(path) {
      asked.push(path);
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    },
    isFolder: (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false,
  };
}

function cpython(root: string): { out: string; status: number | null; err: string } {
  const r = spawnSync(PYTHON, ['-B', '-W', 'ignore', 'main.py'], { cwd: root, encoding: 'utf8' });
  return { out: r.stdout, status: r.status, err: r.stderr };
}

function ours(root: string, extra: { sources?: PythonSources; maxFiles?: number; maxBytes?: number } = {}) {
  const main = readFileSync(join(root, 'main.py'), 'utf8');
  return run(main, {
    fileName: join(root, 'main.py'),
    folder: root,
    sources: extra.sources ?? diskSources(),
    importLimits: { maxFiles: extra.maxFiles ?? 100, maxBytes: extra.maxBytes ?? 1 << 20, bytesLimitName: '--max-python-kb' },
  });
}

/** Same output as CPython, and no error. */
function sameAsCPython(project: Project): void {
  inProject(project, (root) => {
    const expected = cpython(root);
    assert.equal(expected.status, 0, `CPython failed: ${expected.err}`);
    const { output, error } = ours(root);
    assert.equal(error, null, `the run ended early: ${(error as Error)?.message}`);
    assert.equal(output, expected.out);
  });
}

describe('Python imports of the user\'s own modules: the same output as CPython', () => {
  before(ready);

  it('import foo, then foo.X; each module runs once; its __main__ block does not', () => {
    sameAsCPython({
      'main.py': 'import helper\nimport helper as h2\nprint(helper.double(4), h2 is helper, helper.__name__)\nprint(helper.COUNT)\n',
      'helper.py': 'COUNT = 0\nCOUNT += 1\nprint("loading helper", __name__)\ndef double(x):\n    return 2 * x\nif __name__ == "__main__":\n    print("never")\n',
    });
  });

  it('from foo import X, and a class keeps the module it was defined in', () => {
    sameAsCPython({
      'main.py': 'from model import Net, WIDTH as W\nn = Net()\nprint(W, n.width, Net.__module__, type(n).__name__)\n',
      'model.py': 'WIDTH = 8\nclass Net:\n    def __init__(self):\n        self.width = WIDTH * 2\n',
    });
  });

  it('import pkg.sub as s, and import pkg.sub binding pkg', () => {
    sameAsCPython({
      'main.py': 'import pkg.sub as s\nimport pkg.sub\nprint(s.f(), pkg.sub.f(), pkg.NAME, s.__name__)\n',
      'pkg/__init__.py': 'NAME = "pkg"\n',
      'pkg/sub.py': 'def f():\n    return 3\n',
    });
  });

  it('from models import * through a package __init__ that star-imports its modules (pytorch-cifar)', () => {
    sameAsCPython({
      'main.py': 'from models import *\nprint(VGG("x").name, ResNet18().depth, vgg.__name__)\ntry:\n    hidden\nexcept NameError:\n    print("not imported: hidden")\ntry:\n    ResNet\nexcept NameError:\n    print("not imported: ResNet")\ntry:\n    _private\nexcept NameError:\n    print("not imported: _private")\n',
      'models/__init__.py': 'from .vgg import *\nfrom .resnet import *\n',
      'models/vgg.py': 'class VGG:\n    def __init__(self, name):\n        self.name = name\n_private = 1\n',
      'models/resnet.py': '__all__ = ["ResNet18"]\nclass ResNet:\n    def __init__(self, depth):\n        self.depth = depth\ndef ResNet18():\n    return ResNet(18)\nhidden = 2\n',
    });
  });

  it('relative imports one and two levels up, and from . import a sibling module', () => {
    sameAsCPython({
      'main.py': 'from pkg.inner.block import make\nprint(make())\n',
      'pkg/__init__.py': '',
      'pkg/layers.py': 'SCALE = 10\n',
      'pkg/inner/__init__.py': 'from . import util\n',
      'pkg/inner/util.py': 'def add(a, b):\n    return a + b\n',
      'pkg/inner/block.py': 'from ..layers import SCALE\nfrom .util import add\nfrom . import util as u\ndef make():\n    return add(SCALE, 1), u.add(1, 1)\n',
    });
  });

  it('a folder without __init__.py is a namespace package: from models.net import Net, import models.net, from models import net', () => {
    sameAsCPython({
      'main.py': 'from models.net import Net\nimport models.net\nfrom models import net\nfrom models.deep.block import B\nprint(Net().w, models.net is net, Net.__module__, models.__file__, B, models.deep.block.__name__)\n',
      'models/net.py': 'class Net:\n    def __init__(self):\n        self.w = 5\n',
      'models/deep/block.py': 'B = 7\n',
    });
  });

  it('a circular import that only reads the other module later works (the module is partly initialised)', () => {
    sameAsCPython({
      'main.py': 'import a\nprint(a.run())\n',
      'a.py': 'import b\ndef helper():\n    return 5\ndef run():\n    return b.use()\n',
      'b.py': 'import a\ndef use():\n    return a.helper() + 1\n',
    });
  });
});

describe('Python imports: what is not followed, and what fails', () => {
  before(ready);

  it('a module that is not the user\'s stays opaque, at the import', () => {
    inProject({ 'main.py': 'import mystery\nimport pkg.missing\nn = mystery.width() + pkg.missing.width()\nif n:\n    pass\n', 'pkg/__init__.py': '' }, (root) => {
      const { interp, error } = ours(root);
      assert.equal(error, null);
      const skipped = interp.skipped.find((s) => s.cause instanceof CantFollow);
      assert.ok(skipped, 'the if on an opaque value is skipped');
      assert.match(skipped.cause.opaque.construct, /mystery/);
      assert.deepEqual([...interp.imported.keys()], [join(root, 'pkg', '__init__.py')]);
    });
  });

  it('a circular from-import of a name not yet defined raises ImportError at that line, naming the cycle', () => {
    const project = { 'main.py': 'import a\n', 'a.py': 'from b import g\ndef f():\n    return 1\n', 'b.py': 'from a import f\ndef g():\n    return 2\n' };
    inProject(project, (root) => {
      assert.notEqual(cpython(root).status, 0, 'CPython fails too');
      const { error } = ours(root);
      assert.ok(error instanceof PyRaise, String(error));
      assert.match(error.message, /ImportError: cannot import name 'f' from 'a' \(partially initialized/);
      assert.equal(error.r?.file, join(root, 'b.py'));
      assert.equal(project['b.py'].slice(error.r!.start, error.r!.end), 'f');
    });
  });

  it('a syntax error in an imported file is a SyntaxError at that file\'s line, and the import is in its traceback', () => {
    const project = { 'main.py': 'x = 1\nfrom net import Net\n', 'net.py': 'class Net:\n    def f(self:\n        pass\n' };
    inProject(project, (root) => {
      const { error } = ours(root);
      assert.ok(error instanceof PyRaise, String(error));
      assert.match(error.message, /^SyntaxError: syntax error near/);
      assert.equal(error.r?.file, join(root, 'net.py'));
      assert.equal(project['net.py'].slice(0, error.r!.start).split('\n').length, 2, 'on the def line');
      assert.equal(error.traceback.at(-1)!.file, undefined, 'the script\'s import is the outermost place');
    });
  });

  it('ranges of what an imported file builds name that file', () => {
    const project = { 'main.py': 'import m\nv = m.f()\n', 'm.py': 'def f():\n    return undefined_name\n' };
    inProject(project, (root) => {
      const { error } = ours(root);
      assert.ok(error instanceof PyRaise);
      assert.match(error.message, /NameError/);
      assert.equal(error.r?.file, join(root, 'm.py'));
      assert.equal(project['m.py'].slice(error.r!.start, error.r!.end), 'undefined_name');
    });
  });

  it('stops with a clear message past the file and byte limits', () => {
    inProject({ 'main.py': 'import a\nimport b\n', 'a.py': 'X = 1\n', 'b.py': 'Y = 2\n' }, (root) => {
      const files = ours(root, { maxFiles: 1 }).error;
      assert.ok(files instanceof LimitExceeded);
      assert.match(files.message, /more than 1 of your own files.*b\.py/);
      const bytes = ours(root, { maxBytes: 8 }).error;
      assert.ok(bytes instanceof LimitExceeded);
      assert.match(bytes.message, /8-byte limit of Python code read \(--max-python-kb\).*b\.py/);
    });
  });

  it('reads only through the given reader: unsaved text wins over the disk', () => {
    inProject({ 'main.py': 'import m\nprint(m.V)\n', 'm.py': 'V = "disk"\n' }, (root) => {
      const disk = diskSources();
      const { output } = ours(root, { sources: { read: (p) => (p === join(root, 'm.py') ? 'V = "unsaved"\n' : disk.read(p)) } });
      assert.equal(output, 'unsaved\n');
    });
  });

  it('relative names as Python resolves them', () => {
    assert.equal(absoluteName('a.b', 1, 'x'), 'a.b.x');
    assert.equal(absoluteName('a.b', 2, 'x'), 'a.x');
    assert.equal(absoluteName('a.b', 2, ''), 'a');
    assert.equal(absoluteName('a', 2, 'x'), null, 'beyond the top-level package');
    assert.equal(absoluteName('', 1, 'x'), null, 'the script has no package');
  });
});
