/**
 * What a training script builds besides the model: loss objects (nn.MSELoss, ...), optimisers
 * (torch.optim.*, from the catalogue), learning-rate schedulers and gradient clipping. Each records
 * where it is written, so the loss and optimiser the trace uses are the script's own, and a fix
 * (`lr=`, the loss) edits that line.
 */
import { noGrad } from '../../../engine/context';
import * as F from '../../../engine/functional';
import type { Loss } from '../../../engine/nn';
import { ParamGroups, type Optimizer } from '../../../engine/optim';
import type { Tensor } from '../../../engine/tensor';
import { LOSSES, LossType, OPTIMIZERS, OptimizerType } from '../../catalogue';
import type { LossTensors } from '../../catalogue/losses';
import type { OptimizerDef } from '../../catalogue/optimizers';
import { withDefaults } from '../../catalogue/args';
import type { ArgValue } from '../../graph';
import type { Arg, Expr, Range } from '../ast';
import { CantFollow } from '../errors';
import { native } from '../native';
import { isInt, Kwargs, OBJECT, PyBuiltin, PyClass, PyDict, PyList, PyOpaque, PyTuple, toBigInt, typeName, Value } from '../values';
import { ModuleObj, NativeObj, TensorObj, Torch } from './runtime';
import { refuseIntegerTarget, weightsAfterLayers } from './functions';

/** Where an argument of a call is written: by keyword, or by position. */
export function argExpr(call: Extract<Expr, { k: 'call' }> | null, name: string, position: number): Expr | null {
  if (!call) return null;
  const kw = call.args.find((a: Arg) => a.kind === 'kw' && a.name === name);
  if (kw) return kw.value;
  const positional = call.args.filter((a) => a.kind === 'pos');
  if (call.args.some((a, i) => a.kind === 'star' && i <= position)) return null;
  return positional[position]?.value ?? null;
}

/** The optimiser a script builds: the engine's, its catalogue type and arguments, and where they are written. */
export interface OptimizerUse {
  type: OptimizerType;
  args: Record<string, ArgValue>;
  engine: Optimizer;
  created: Range;
  callee: Range;
  /** The expression of each argument the call writes (`lr=0.01`'s 0.01). */
  argExprs: Record<string, Expr>;
  /** The call itself (a fix that adds `lr=` inserts before its closing parenthesis). */
  call: Extract<Expr, { k: 'call' }> | null;
}

/** Gradient clipping a training loop applies after backward, as the trace's option. */
export interface ClipUse {
  kind: 'norm' | 'value';
  max: number;
  normType: number;
  r: Range;
}

type OptState = { use: OptimizerUse; groups: PyList };

export function makeTraining(torch: Torch): { losses: Record<string, Value>; optim: Record<string, Value>; schedulers: Record<string, Value>; clip: Record<string, Value> } {

  // ── loss modules ─────────────────────────────────────────────────────────
  const losses: Record<string, Value> = {};
  const lossObjs = new WeakMap<object, { type: LossType; args: Record<string, ArgValue>; engine: Loss }>();
  // PyTorch's constructor arguments in order; reduction, ignore_index, Huber's delta and SmoothL1's beta reach the engine.
  const POSITIONS: Record<LossType, string[]> = {
    MSELoss: ['size_average', 'reduce', 'reduction'],
    L1Loss: ['size_average', 'reduce', 'reduction'],
    HuberLoss: ['reduction', 'delta'],
    SmoothL1Loss: ['size_average', 'reduce', 'reduction', 'beta'],
    CrossEntropyLoss: ['weight', 'size_average', 'ignore_index', 'reduce', 'reduction', 'label_smoothing'],
    NLLLoss: ['weight', 'size_average', 'ignore_index', 'reduce', 'reduction'],
    BCELoss: ['weight', 'size_average', 'reduce', 'reduction'],
    BCEWithLogitsLoss: ['weight', 'size_average', 'reduce', 'reduction', 'pos_weight'],
  };
  for (const type of Object.keys(LOSSES) as LossType[]) {
    const def = LOSSES[type];
    const names = POSITIONS[type];
    const cls = new PyClass(type, [torch.Module], null, 'torch.nn');
    cls.dict.set(
      '__init__',
      new PyBuiltin(
        '__init__',
        (args, kwargs, site) => {
          const [self, ...rest] = args;
          const r = site.r;
          if (rest.length > names.length) torch.interp.raise('TypeError', `${type}.__init__() takes ${names.length + 1} positional arguments but ${rest.length + 1} were given`, r);
          const given = new Map<string, Value>();
          rest.forEach((v, i) => given.set(names[i], v));
          for (const [k, v] of kwargs ?? []) {
            if (!names.includes(k)) torch.interp.raise('TypeError', `${type}.__init__() got an unexpected keyword argument '${k}'`, r);
            given.set(k, v);
          }
          const written: Record<string, ArgValue> = {};
          const tensors: LossTensors = {};
          for (const [k, v] of given) {
            if (v instanceof PyOpaque) throw new CantFollow(v, r);
            if (k === 'reduction' || k === 'size_average' || k === 'reduce') written.reduction = lossReduction(torch, given.get('reduction') ?? 'mean', r, given.get('size_average') ?? null, given.get('reduce') ?? null); else if (k === 'delta' || k === 'beta' || k === 'label_smoothing') written[k] = torch.number(v, r, k);
            else if (k === 'weight' || k === 'pos_weight') tensors[k === 'weight' ? 'weight' : 'posWeight'] = lossWeight(torch, v, r, k);
            else if (k === 'ignore_index') written.ignore_index = torch.int(v, r);
          }
          const full = withDefaults(def.args, written);
          lossObjs.set(self as object, { type, args: full, engine: def.build(full, tensors) });
          (self as ModuleObj).initialised = true;
          return null;
        },
        true,
      ),
    );
    cls.dict.set(
      'forward',
      native(
        'forward(self, input, target)',
        (a, r) => {
          const l = lossObjs.get(a.self as object);
          if (!l) return torch.interp.raise('RuntimeError', `${type} was not initialised`, r);
          const target = torch.tensorOf(a.target, r, 'target');
          const input = torch.tensorOf(a.input, r, 'input');
          const out = l.engine.call(input, target);
          refuseIntegerTarget(torch, type, target, out);
          const site = torch.sites.get((a.self as ModuleObj).engine);
          const after = weightsAfterLayers(input) ? { weightsAfterLayers: true as const } : {};
          torch.noteLoss({ type, args: l.args, created: site?.created ?? r, callee: site?.callee ?? r, applied: r, call: torch.calls.get(a.self as ModuleObj) ?? null, functional: false, ...after });
          return torch.wrap(out);
        },
        { method: true },
      ),
    );
    losses[type] = cls;
    torch.nnClasses.set(type, cls);
  }
  // PyTorch's other spelling: SmoothL1Loss with beta=1 is HuberLoss with delta=1.
  losses.SmoothL1Loss = native('SmoothL1Loss(size_average=None, reduce=None, reduction="mean", beta=1.0)', (a, r) => {
    if (torch.number(a.beta, r) !== 1) throw new CantFollow(new PyOpaque('SmoothL1Loss(beta=...) other than 1', r), r);
    return torch.interp.call(losses.HuberLoss, [], new Map([['reduction', lossReduction(torch, a.reduction, r, a.size_average, a.reduce)]]), r);
  });

  // ── optimisers ───────────────────────────────────────────────────────────
  const optim: Record<string, Value> = {};
  const Optimizer = new PyClass('Optimizer', [OBJECT], null, 'torch.optim');
  const state = (v: Value) => (v as NativeObj<OptState>).state;
  for (const type of Object.keys(OPTIMIZERS) as OptimizerType[]) {
    const def: OptimizerDef = OPTIMIZERS[type];
    const cls = new PyClass(
      type,
      [Optimizer],
      {
        construct: (c, args, kwargs, r) => {
          const call = torch.interp.callNode;
          const [paramsArg, ...rest] = args;
          const names = def.args.map((a) => a.name);
          const given = new Map<string, Value>();
          rest.forEach((v, i) => given.set(names[i], v));
          for (const [k, v] of kwargs ?? []) {
            if (k === 'params') continue;
            if (!names.includes(k) && !['foreach', 'maximize', 'capturable', 'differentiable', 'fused'].includes(k)) torch.interp.raise('TypeError', `${type}.__init__() got an unexpected keyword argument '${k}'`, r);
            given.set(k, v);
          }
          const written: Record<string, ArgValue> = {};
          for (const a of def.args) {
            const v = given.get(a.name);
            if (v === undefined) continue;
            if (a.type.kind === 'bool') written[a.name] = torch.bool(v, r);
            else if (a.type.kind === 'number-pair') written[a.name] = numbers(torch, v, r);
            else written[a.name] = torch.number(v, r, a.name);
          }
          const groups = paramGroups(torch, paramsArg ?? kwargs?.get('params') ?? null, r);
          // A group's own options over the call's, as PyTorch fills in what a group leaves out.
          const ofGroup = groups.map((g) => ({ ...written, ...Object.fromEntries(Object.entries(g.options).filter(([k]) => names.includes(k))) }));
          // A value every group shares is the optimiser's: what the trace reports and a fix edits.
          for (const k of names) {
            if (ofGroup[0]?.[k] !== undefined && new Set(ofGroup.map((o) => JSON.stringify(o[k] ?? null))).size === 1) written[k] = ofGroup[0][k];
          }
          if (def.args[0].name === 'lr' && def.args[0].default === undefined && written.lr === undefined && ofGroup.some((o) => o.lr === undefined)) {
            torch.interp.raise('TypeError', `${type}.__init__() missing 1 required positional argument: 'lr'`, r);
          }
          // One learning rate: the lr findings and the lr= fix speak of the optimiser's lr.
          if (new Set(ofGroup.map((o) => JSON.stringify(o.lr ?? null))).size > 1) throw new CantFollow(new PyOpaque('param groups with different lr', r), r);
          const full = withDefaults(def.args, written);
          const groupArgs = ofGroup.map((o) => withDefaults(def.args, o));
          for (const a of [full, ...groupArgs]) {
            const bad = def.check?.(a);
            if (bad) torch.interp.raise('ValueError', bad.error, r);
          }
          const params = groups.flatMap((g) => g.params);
          const doubt = params.length === 0 && typeof paramsArg === 'object' && paramsArg !== null ? torch.interp.taints.get(paramsArg) : undefined;
          if (doubt) throw doubt;
          let engine: Optimizer;
          try {
            // Groups with their own options are one engine optimiser each (PyTorch keeps each parameter's
            // state apart and updates a group with its options); a group without parameters updates nothing.
            const own = groups.map((g, i) => ({ g, args: groupArgs[i] })).filter(({ g }) => g.params.length > 0);
            const differ = new Set(own.map(({ args }) => JSON.stringify(args))).size > 1;
            engine = differ ? new ParamGroups(own.map(({ g, args }) => def.build(g.params, args))) : def.build(params, own[0]?.args ?? full);
          } catch (e) {
            return torch.interp.raise('ValueError', (e as Error).message, r);
          }
          const argExprs: Record<string, Expr> = {};
          def.args.forEach((a, i) => {
            const e = argExpr(call, a.name, i + 1);
            if (e) argExprs[a.name] = e;
          });
          const use: OptimizerUse = { type, args: full, engine, created: r, callee: call?.fn.r ?? r, argExprs, call };
          torch.optimizers.push(use);
          const groupDicts = new PyList(
            groups.map((g, i) => {
              const d = PyDict.of(Object.entries(groupArgs[i]).map(([k, v]) => [k, pyNumber(v)]));
              d.set('params', new PyList(g.params.map((p) => torch.wrap(p))));
              return d;
            }),
          );
          // A learning rate set through param_groups (a warmup in the loop body) is the next step's,
          // also when the trace steps the engine itself after the body's backward().
          const withParams = groups.map((g, i) => (g.params.length ? i : -1)).filter((i) => i >= 0);
          engine.beforeStep = () => {
            const rates = groupDicts.items.map((d) => torch.number((d as PyDict).get('lr') ?? full.lr as number, r, 'lr'));
            if (engine instanceof ParamGroups) engine.setRates(withParams.map((i) => rates[i]));
            else engine.lr = rates[0];
          };
          return new NativeObj<OptState>(c, { use, groups: groupDicts });
        },
        getattr: (v, name) => (name === 'param_groups' ? state(v).groups : name === 'defaults' ? PyDict.of(Object.entries(state(v).use.args).map(([k, x]) => [k, pyNumber(x)])) : undefined),
        repr: () => `${type} (...)`,
      },
      'torch.optim',
    );
    cls.dict.set(
      'zero_grad',
      native('zero_grad(self, set_to_none=True)', (a) => {
        state(a.self).use.engine.zeroGrad();
        return null;
      }, { method: true }),
    );
    cls.dict.set(
      'step',
      native('step(self, closure=None)', (a, r) => {
        // PyTorch calls the closure (with autograd on) for the loss and its gradients, then steps.
        const loss = a.closure === null ? null : torch.interp.call(a.closure, [], null, r);
        const engine = state(a.self).use.engine;
        if (engine === torch.skipStep) {
          torch.skipStep = null;
          return loss;
        }
        torch.onOptimizerStep?.(engine);
        noGrad(() => engine.step());
        return loss;
      }, { method: true }),
    );
    cls.dict.set('state_dict', native('state_dict(self)', (_a, r) => new PyOpaque('an optimiser state_dict', r), { method: true }));
    cls.dict.set('load_state_dict', native('load_state_dict(self, state_dict)', (_a, r) => {
      throw new CantFollow(new PyOpaque('an optimiser state loaded from a file', r), r);
    }, { method: true }));
    cls.dict.set('add_param_group', native('add_param_group(self, param_group)', (_a, r) => {
      throw new CantFollow(new PyOpaque('optimizer.add_param_group', r), r);
    }, { method: true }));
    optim[type] = cls;
  }
  optim.Optimizer = Optimizer;
  // Quasi-Newton steps (several evaluations of the closure, a line search) are not the engine's.
  optim.LBFGS = native('LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-07, tolerance_change=1e-09, history_size=100, line_search_fn=None)', (_a, r) => new PyOpaque('torch.optim.LBFGS (Gradient Lens has no LBFGS optimiser)', r));

  // ── schedulers: they change the learning rate over many epochs; a trace runs a few steps ──
  const schedulers: Record<string, Value> = {};
  const Scheduler = new PyClass(
    'LRScheduler',
    [OBJECT],
    {
      construct: (c, args) => new NativeObj(c, { optimizer: args[0] ?? null }),
    },
    'torch.optim.lr_scheduler',
  );
  Scheduler.dict.set('step', native('step(self, *args, **kwargs)', () => null, { method: true }));
  Scheduler.dict.set('get_last_lr', native('get_last_lr(self)', (a, r) => {
    const opt = (a.self as NativeObj<{ optimizer: Value }>).state.optimizer;
    if (!(opt instanceof NativeObj)) return new PyOpaque('a scheduler over an unknown optimiser', r);
    return new PyList([(opt as NativeObj<OptState>).state.use.engine.lr]);
  }, { method: true }));
  for (const name of ['StepLR', 'MultiStepLR', 'ExponentialLR', 'CosineAnnealingLR', 'ReduceLROnPlateau', 'LambdaLR', 'OneCycleLR', 'CosineAnnealingWarmRestarts', 'LinearLR', 'CyclicLR', 'MultiplicativeLR', 'ConstantLR', 'SequentialLR', 'PolynomialLR']) {
    schedulers[name] = new PyClass(name, [Scheduler], Scheduler.native, 'torch.optim.lr_scheduler');
  }
  schedulers.LRScheduler = Scheduler;
  schedulers._LRScheduler = Scheduler;

  // ── gradient clipping ────────────────────────────────────────────────────
  const clip: Record<string, Value> = {};
  clip.clip_grad_norm_ = native('clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None)', (a, r) => {
    const params = paramList(torch, a.parameters, r);
    const max = torch.number(a.max_norm, r, 'max_norm');
    const p = torch.number(a.norm_type, r, 'norm_type');
    torch.clips.push({ kind: 'norm', max, normType: p, r });
    let total = 0;
    for (const t of params) if (t.grad) for (const g of t.grad) total = p === Infinity ? Math.max(total, Math.abs(g)) : total + Math.abs(g) ** p;
    const norm = p === Infinity ? total : total ** (1 / p);
    const coef = max / (norm + 1e-6);
    if (coef < 1) for (const t of params) if (t.grad) for (let i = 0; i < t.grad.length; i++) t.grad[i] *= coef;
    return torch.wrap(F.scalar(norm, torch.dtype));
  });
  clip.clip_grad_norm = clip.clip_grad_norm_;
  clip.clip_grad_value_ = native('clip_grad_value_(parameters, clip_value, foreach=None)', (a, r) => {
    const params = paramList(torch, a.parameters, r);
    const v = torch.number(a.clip_value, r, 'clip_value');
    torch.clips.push({ kind: 'value', max: v, normType: Infinity, r });
    for (const t of params) if (t.grad) for (let i = 0; i < t.grad.length; i++) t.grad[i] = Math.min(v, Math.max(-v, t.grad[i]));
    return null;
  });
  return { losses, optim, schedulers, clip };
}

function numbers(torch: Torch, v: Value, r: Range): number[] {
  if (!(v instanceof PyTuple || v instanceof PyList)) return torch.interp.raise('TypeError', `expected a tuple of numbers, got ${typeName(v)}`, r);
  return v.items.map((x) => torch.number(x, r));
}

function pyNumber(v: ArgValue): Value {
  if (Array.isArray(v)) return new PyTuple(v.map((x) => x));
  return v as Value;
}

/** Tensors from `model.parameters()`, a list of them, or one tensor. */
function paramList(torch: Torch, v: Value, r: Range): Tensor[] {
  if (v instanceof TensorObj) return [v.t];
  return torch.interp.toArray(v, r).map((x) => torch.tensorOf(x, r, 'parameter'));
}

/** The optimiser's params argument: an iterable of tensors, or of dicts (param groups). */
function paramGroups(torch: Torch, v: Value, r: Range): { params: Tensor[]; options: Record<string, ArgValue> }[] {
  if (v === null) return torch.interp.raise('TypeError', "missing required argument: 'params'", r);
  const items = torch.interp.toArray(v, r);
  if (items.length && items.every((x) => x instanceof PyDict)) {
    return items.map((g) => {
      const d = g as PyDict;
      const options: Record<string, ArgValue> = {};
      for (const [k, x] of d.entries()) {
        if (k === 'params' || typeof k !== 'string') continue;
        options[k] = x instanceof PyTuple || x instanceof PyList ? x.items.map((y) => torch.number(y, r)) : isInt(x) || typeof x === 'number' ? Number(isInt(x) ? toBigInt(x as bigint) : x) : typeof x === 'boolean' ? x : String(x);
      }
      return { params: paramList(torch, d.get('params') ?? null, r), options };
    });
  }
  return [{ params: items.map((x) => torch.tensorOf(x, r, 'parameter')), options: {} }];
}

export type { Kwargs };

/**
 * A loss's reduction as PyTorch takes it: 'none' is the per-element loss tensor the script reduces
 * itself (`.mean()`, `.sum()`, a weighting); the trace follows whatever scalar backward() is called on.
 */
export function lossReduction(torch: Torch, v: Value, r: Range, sizeAverage: Value = null, reduce: Value = null): 'mean' | 'sum' | 'none' {
  // The deprecated size_average= and reduce= (older tutorials' `size_average=False` for a summed
  // loss) win over reduction= when either is given, as torch.nn._reduction.legacy_get_string reads them.
  if (sizeAverage !== null || reduce !== null) {
    const flag = (x: Value) => x === null || torch.bool(x, r);
    return flag(reduce) ? (flag(sizeAverage) ? 'mean' : 'sum') : 'none';
  }
  if (v === 'mean' || v === 'sum' || v === 'none') return v;
  return torch.interp.raise('ValueError', `${String(v)} is not a valid value for reduction`, r);
}

/**
 * A loss's weight tensor (class weights, BCE's element weights, pos_weight), or null for None.
 * It is a constant to the loss, as PyTorch's loss modules hold it: one that requires a gradient
 * is the engine's error, at the call.
 */
export function lossWeight(torch: Torch, v: Value, r: Range, name: string): Tensor | null {
  return v === null ? null : torch.tensorOf(v, r, name);
}
