/**
 * Containers: ModuleList and ModuleDict (children by position or key, no forward of their own, as
 * PyTorch), Residual (x + body(x), or shortcut(x) + body(x): the spec's graph form of a skip
 * connection), and cloning a module with its parameter values (PyTorch's copy.deepcopy, which
 * TransformerEncoder uses for its layers).
 */
import { add } from '../functional/math';
import { markWritten, type Tensor } from '../tensor';
import { Sequential } from './layers';
import { Module } from './module';

/** Children named "0", "1", …; iterate or index them, as torch.nn.ModuleList. */
export class ModuleList extends Module {
  constructor(modules: readonly Module[] = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(module: Module): this {
    this.addModule(String(this.length), module);
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  get length(): number {
    return this.children.size;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const i = index < 0 ? index + this.length : index;
    const m = this.children.get(String(i));
    if (!m || !Number.isInteger(i)) throw new RangeError(`index ${index} is out of range`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children.values();
  }

  forward(_x: Tensor): Tensor {
    throw new Error('ModuleList has no forward: call its modules in your own forward');
  }
}

/** Children by key, in insertion order, as torch.nn.ModuleDict. */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> | readonly [string, Module][] = {}) {
    super();
    for (const [k, m] of Array.isArray(modules) ? modules : Object.entries(modules)) this.set(k, m);
  }

  set(key: string, module: Module): this {
    this.addModule(key, module);
    return this;
  }

  get(key: string): Module {
    const m = this.children.get(key);
    if (!m) throw new RangeError(`KeyError: '${key}'`);
    return m;
  }

  has(key: string): boolean {
    return this.children.has(key);
  }

  keys(): string[] {
    return [...this.children.keys()];
  }

  values(): Module[] {
    return [...this.children.values()];
  }

  entries(): [string, Module][] {
    return [...this.children.entries()];
  }

  get length(): number {
    return this.children.size;
  }

  forward(_x: Tensor): Tensor {
    throw new Error('ModuleDict has no forward: call its modules in your own forward');
  }
}

/**
 * A skip connection: body(x) + x, or body(x) + shortcut(x) when the shortcut projects x (a 1×1
 * convolution and batch norm in a ResNet's downsampling block). Parameters are named
 * `body.<j>.…` and `shortcut.<j>.…`.
 */
export class Residual extends Module {
  readonly body: Sequential;
  readonly shortcut: Sequential | null;

  constructor(body: Sequential | readonly Module[], shortcut: Sequential | readonly Module[] | null = null) {
    super();
    this.body = this.addModule('body', body instanceof Sequential ? body : new Sequential([...body])) as Sequential;
    this.shortcut = shortcut === null ? null : (this.addModule('shortcut', shortcut instanceof Sequential ? shortcut : new Sequential([...shortcut])) as Sequential);
  }

  forward(x: Tensor): Tensor {
    const y = this.body.call(x);
    const skip = this.shortcut ? this.shortcut.call(x) : x;
    if (y.rank !== skip.rank || y.shape.some((d, i) => d !== skip.shape[i])) {
      throw new RangeError(
        `Residual: the body's output [${y.shape.join(', ')}] and the ${this.shortcut ? "shortcut's output" : 'input'} [${skip.shape.join(', ')}] must have one shape to be added` +
          (this.shortcut ? '' : ' (give a shortcut that projects the input)'),
      );
    }
    return add(y, skip);
  }
}

/**
 * A copy of `source` with its own parameters holding the same values (PyTorch's copy.deepcopy of a
 * module): `make` builds a fresh module of the same configuration, whose state is then overwritten.
 */
export function cloneModule<M extends Module>(source: M, make: () => M): M {
  const copy = make();
  const from = new Map([...source.namedParameters(), ...source.namedBufferTensors()]);
  for (const [name, t] of [...copy.namedParameters(), ...copy.namedBufferTensors()]) {
    const s = from.get(name);
    if (!s || s.size !== t.size) throw new Error(`cloneModule: ${name} differs between the source and its copy`);
    t.data.set(s.data);
    markWritten(t);
  }
  return copy;
}
