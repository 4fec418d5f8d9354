/**
 * The `Module` users extend. As in PyTorch, layers assigned to attributes become named children
 * (`fc1` → `fc1.weight`) in definition order; JavaScript has no `__setattr__`, so the attributes are
 * adopted once the object is built, just before its first call.
 */
import { currentLayer } from '../engine/context';
import * as nn from '../engine/nn';
import { Tensor } from '../engine/tensor';
import { appliedAt, buildContext, createdAt, isRecording } from './registry';
import { captureSite, deepStack, getUserFile, Site, userSiteIn } from './sites';

const parameters = new WeakSet<Tensor>();

/** PyTorch's nn.Parameter: a tensor attribute of a Module that trains (named after the attribute). */
export function parameter(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError('parameter() takes a Tensor');
  t.requiresGrad = true;
  parameters.add(t);
  return t;
}

/** Names of the constructors between `m`'s class and the library's: their frames are the class body, not the call that built it. */
function ownConstructorNames(m: object): Set<string> {
  const names = new Set<string>();
  for (let p = Object.getPrototypeOf(m); p && p !== Module.prototype && p !== nn.Module.prototype; p = Object.getPrototypeOf(p)) {
    if (p.constructor?.name) names.add(p.constructor.name);
  }
  return names;
}

/** True while the library builds a module of its own (a ModuleList for an array attribute): it has no line of the user's. */
let libraryMade = false;

/**
 * Records the user's line that constructed `m` (skipping the frames of `m`'s own constructors).
 * The runner installs it as the engine's module-created hook, so every layer the user builds is noted.
 */
export function noteCreated(m: nn.Module): void {
  if (libraryMade) return;
  const site = siteOutside(ownConstructorNames(m));
  if (site) createdAt.set(m, site);
}

function siteOutside(skip: Set<string>): Site | null {
  if (!skip.size || !getUserFile()) return captureSite();
  // Drop "at new Block (…)" and "at Block.<instance_members_initializer> (…)" frames: they are inside the class.
  const kept = deepStack()
    .split('\n')
    .filter((line) => {
      const m = /^\s*at (?:new )?([\w$]+)(?:\.<[\w_]+>)? \(/.exec(line);
      return !(m && skip.has(m[1]));
    })
    .join('\n');
  return userSiteIn(kept);
}

/** Modules whose attributes have been adopted (each once). */
const adopted = new WeakSet<nn.Module>();
/** Modules whose `call` and `forward` record their applications. */
const watched = new WeakSet<nn.Module>();

/** The base class of the user's models and blocks: write `forward(x)`, assign layers to attributes. */
export abstract class Module extends nn.Module {
  constructor() {
    super();
    // The layers in the subclass's fields are built next: they take this run's (or a default) seed and dtype.
    buildContext();
  }

  /** Applies the module; the first call adopts the attributes of the whole tree. */
  override call(x: Tensor): Tensor {
    if (!adopted.has(this)) adoptTree(this);
    return super.call(x);
  }

  /**
   * Registers this module's attributes: modules become children, arrays of modules a ModuleList,
   * `parameter(t)` tensors parameters. Returns nothing; `inTree` tracks modules already placed.
   * @internal
   */
  adoptAttributes(inTree: Set<nn.Module>): void {
    adopted.add(this);
    for (const key of Object.keys(this)) {
      if (key === 'training' || key === 'path' || key === 'children' || key === 'ownParams' || key === 'ownBuffers') continue;
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof nn.Module) {
        if (inTree.has(v)) continue;
        this.addModule(key, v);
        for (const [, m] of v.namedModules()) inTree.add(m);
      } else if (Array.isArray(v) && v.length > 0 && v.every((e) => e instanceof nn.Module) && !v.some((e) => inTree.has(e))) {
        libraryMade = true;
        let list: ModuleList;
        try {
          list = new ModuleList(v as nn.Module[]);
        } finally {
          libraryMade = false;
        }
        this.addModule(key, list);
        for (const [, m] of list.namedModules()) inTree.add(m);
      } else if (v instanceof Tensor && parameters.has(v) && !this.ownState().params.some(([, t]) => t === v)) {
        this.registerParameter(key, v);
      }
    }
  }
}

/** PyTorch's nn.ModuleList: holds modules under "0", "1", … without applying them. */
export class ModuleList extends nn.Module {
  constructor(modules: nn.Module[] = []) {
    super();
    modules.forEach((m, i) => this.addModule(String(i), m));
  }

  get length(): number {
    return this.namedChildren().length;
  }

  at(index: number): nn.Module {
    const kids = this.namedChildren();
    const i = index < 0 ? index + kids.length : index;
    if (!(i >= 0 && i < kids.length)) throw new RangeError(`index ${index} is out of range for a ModuleList of ${kids.length} modules`);
    return kids[i][1];
  }

  [Symbol.iterator](): Iterator<nn.Module> {
    return this.namedChildren()
      .map(([, m]) => m)
      [Symbol.iterator]();
  }

  forward(): Tensor {
    throw new Error('a ModuleList has no forward: apply its modules one by one');
  }
}

/**
 * Adopts attributes top-down (a parent's path is final before its children's are computed), then
 * watches every module of the tree so its applications are attributed and recorded.
 */
export function adoptTree(root: nn.Module): void {
  const inTree = new Set<nn.Module>(root.namedModules().map(([, m]) => m));
  const stack: nn.Module[] = [root];
  while (stack.length) {
    const m = stack.pop()!;
    if (m instanceof Module && !adopted.has(m)) m.adoptAttributes(inTree);
    const kids = m.namedChildren();
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i][1]);
  }
  for (const [, m] of root.namedModules()) watch(m);
}

/**
 * Makes `m.forward(x)` from a parent's forward behave as `m.call(x)` (its ops attributed to its
 * layer: users write PyTorch's `self.fc1(x)` as `this.fc1.forward(x)`), and records the first
 * application's site and shapes while recording is on.
 */
function watch(m: nn.Module): void {
  if (watched.has(m)) return;
  watched.add(m);
  const call = m.call;
  const forward = m.forward;
  m.call = (x: Tensor): Tensor => {
    if (!isRecording() || appliedAt.has(m)) return call.call(m, x);
    const site = captureSite();
    const y = call.call(m, x);
    const shapeOf = (t: unknown) => (t instanceof Tensor ? t.shape.slice(1) : []);
    appliedAt.set(m, { site, inShape: shapeOf(x), outShape: shapeOf(y) });
    return y;
  };
  m.forward = (x: Tensor): Tensor => (currentLayer() === m.path ? forward.call(m, x) : m.call(x));
}
