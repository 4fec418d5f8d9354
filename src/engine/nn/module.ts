/**
 * The torch.nn.Module contract: named parameters, buffers and children in PyTorch's registration
 * order and naming, train/eval, and a `call` that attributes every op of the forward to the layer.
 */
import { moduleApplied, moduleCreated, popLayer, pushLayer } from '../context';
import type { FloatArray } from '../dtype';
import type { Tensor } from '../tensor';

function joinName(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

export abstract class Module {
  /** Training mode (dropout active, batch norm on batch statistics); `eval()` clears it. */
  training = true;
  /** Dotted path from the root module ("encoder.0"); '' for the root. */
  path = '';

  // Maps keep insertion order, which is PyTorch's registration order.
  private readonly ownParams = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  protected readonly children = new Map<string, Module>();

  constructor() {
    moduleCreated(this);
  }

  abstract forward(x: Tensor): Tensor;

  /** Runs the forward with every op it dispatches attributed to this layer's path. */
  call(x: Tensor): Tensor {
    // push/pop rather than withLayer's closure: this wraps every layer of every step.
    pushLayer(this.path);
    try {
      const y = this.forward(x);
      moduleApplied(this, x, y);
      return y;
    } finally {
      popLayer();
    }
  }

  /**
   * Runs `fn` with its ops attributed to this layer: the entry of the forms a layer offers besides
   * `call` (an LSTM with its state, attention with its masks).
   */
  protected inLayer<T>(fn: () => T): T {
    pushLayer(this.path);
    try {
      return fn();
    } finally {
      popLayer();
    }
  }

  /** PyTorch's register_parameter: the tensor becomes a leaf that requires a gradient. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.checkNewName(name, 'parameter');
    t.requiresGrad = true;
    t.name = joinName(this.path, name);
    this.ownParams.set(name, t);
    return t;
  }

  /** PyTorch's register_buffer: state saved in the state_dict but not trained (running_mean). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkNewName(name, 'buffer');
    this.ownBuffers.set(name, t);
    return t;
  }

  /** PyTorch's add_module: `module` becomes the child `name`, and its subtree's paths are recomputed. */
  addModule(name: string, module: Module): Module {
    this.checkNewName(name, 'module');
    if (module === this) throw new Error(`a module cannot be its own child (${name})`);
    this.children.set(name, module);
    module.setPath(joinName(this.path, name));
    return module;
  }

  /**
   * Python's `module.name = value` for registered state, as PyTorch's __setattr__ does it: a
   * parameter (null unregisters it, as `bias = None`), a buffer, or a child module, each replacing
   * whatever was registered under the name and keeping its place in registration order. A field of
   * the same name follows (the layer's forward reads `this.weight`), so `lm_head.weight =
   * wte.weight` ties the two layers' weights.
   */
  setParameter(name: string, t: Tensor | null): void {
    this.checkName(name, 'parameter');
    this.ownBuffers.delete(name);
    this.children.delete(name);
    if (t) {
      const fresh = !t.name;
      this.ownParams.set(name, t);
      if (fresh) t.name = joinName(this.path, name);
    } else this.ownParams.delete(name);
    this.syncField(name, t);
  }

  setBuffer(name: string, t: Tensor | null): void {
    this.checkName(name, 'buffer');
    this.ownParams.delete(name);
    this.children.delete(name);
    if (t) this.ownBuffers.set(name, t);
    else this.ownBuffers.delete(name);
    this.syncField(name, t);
  }

  setChild(name: string, module: Module | null): void {
    this.checkName(name, 'module');
    if (module === this) throw new Error(`a module cannot be its own child (${name})`);
    this.ownParams.delete(name);
    this.ownBuffers.delete(name);
    if (module) {
      this.children.set(name, module);
      module.setPath(joinName(this.path, name));
    } else this.children.delete(name);
  }

  /** What is registered under `name`, if anything. */
  registered(name: string): { kind: 'parameter' | 'buffer'; tensor: Tensor } | { kind: 'module'; module: Module } | null {
    const p = this.ownParams.get(name);
    if (p) return { kind: 'parameter', tensor: p };
    const b = this.ownBuffers.get(name);
    if (b) return { kind: 'buffer', tensor: b };
    const c = this.children.get(name);
    return c ? { kind: 'module', module: c } : null;
  }

  private syncField(name: string, t: Tensor | null): void {
    const self = this as unknown as Record<string, unknown>;
    if (name in self && typeof self[name] !== 'function') self[name] = t;
  }

  private checkName(name: string, what: string): void {
    if (name === '') throw new Error(`${what} name can't be empty string ""`);
    if (name.includes('.')) throw new Error(`${what} name can't contain ".", got: ${name}`);
  }

  private checkNewName(name: string, what: string): void {
    this.checkName(name, what);
    if (this.ownParams.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`attribute '${name}' already exists`);
    }
  }

  /** Sets this module's path and, walking down, every descendant's path and parameter names. */
  private setPath(path: string): void {
    const stack: [Module, string][] = [[this, path]];
    while (stack.length) {
      const [m, p] = stack.pop()!;
      m.path = p;
      for (const [k, t] of m.ownParams) t.name = joinName(p, k);
      for (const [k, c] of m.children) stack.push([c, joinName(p, k)]);
    }
  }

  /** This module and every descendant, pre-order (self first, then each child's subtree in order), each once. */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const stack: [string, Module][] = [['', this]];
    while (stack.length) {
      const [prefix, m] = stack.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([prefix, m]);
      const kids = [...m.children];
      for (let i = kids.length - 1; i >= 0; i--) stack.push([joinName(prefix, kids[i][0]), kids[i][1]]);
    }
    return out;
  }

  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** As PyTorch's named_parameters(): names relative to this module, shared tensors listed once. */
  namedParameters(recurse = true): [string, Tensor][] {
    return this.collect(recurse, (m) => m.ownParams);
  }

  parameters(recurse = true): Tensor[] {
    return this.namedParameters(recurse).map(([, t]) => t);
  }

  /** Buffers with their state_dict names (running_mean, running_var, num_batches_tracked). */
  namedBuffers(recurse = true): [string, FloatArray][] {
    return this.namedBufferTensors(recurse).map(([k, t]) => [k, t.data]);
  }

  /** Buffers as tensors, for their shapes (num_batches_tracked is a scalar). */
  namedBufferTensors(recurse = true): [string, Tensor][] {
    return this.collect(recurse, (m) => m.ownBuffers);
  }

  /** This module's own parameters and buffers (no children's), as `_save_to_state_dict` walks them. */
  ownState(): { params: [string, Tensor][]; buffers: [string, Tensor][] } {
    return { params: [...this.ownParams], buffers: [...this.ownBuffers] };
  }

  private collect(recurse: boolean, own: (m: Module) => Map<string, Tensor>): [string, Tensor][] {
    const modules: [string, Module][] = recurse ? this.namedModules() : [['', this]];
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of modules) {
      for (const [k, t] of own(m)) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([joinName(prefix, k), t]);
      }
    }
    return out;
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }
}
