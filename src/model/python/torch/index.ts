/**
 * The importable torch modules for one run: torch, torch.nn, torch.nn.functional, torch.nn.init,
 * torch.optim, torch.utils.data, ... Each name is one module object however it is imported
 * (`import torch.nn as nn` and `torch.nn` are the same), made on first import. The classes and
 * functions behind them are made once per set of bindings, which a finished run can hand to the
 * next (`releaseTorch`).
 */
import { setModuleAppliedHook } from '../../../engine/context';
import type { DType } from '../../../engine/dtype';
import type { Interpreter, ModuleFactory } from '../interpreter';
import { opaqueModule } from '../interpreter';
import { native } from '../native';
import { osModule } from '../os';
import { addFolderListing, globModule, pilModules } from './image-files';
import { NOWHERE, PyBuiltin, PyModule, PyOpaque, Value } from '../values';
import { makeAmp } from './amp';
import { makeData } from './data';
import { makeDistributed } from './distributed';
import { makeFunctions } from './functions';
import { makeInit } from './init';
import { makeArrayClasses } from './ndarray';
import { numpyModule } from './numpy';
import { makeModuleClasses } from './modules';
import { makeAutogradFunction } from './autograd-function';
import { makeAutogradGrad, makeVariable } from './autograd-grad';
import { mirrorModule, Torch } from './runtime';
import { makeTensorClasses, UNSUPPORTED_DTYPES, TORCH_DTYPES } from './tensor';
import { makeTraining } from './training';
import { typedTensorClasses } from './typed-tensors';
import { visionModels } from './vision-models';


const identityDecorator = (name: string) =>
  native(`${name}(*args, **kwargs)`, (a) => {
    const first = a.__varargs?.[0];
    return first !== undefined && a.__varargs!.length === 1 && !a.__varkw?.size ? first : new PyBuiltin(name, (args) => args[0]);
  });

/**
 * Bindings whose run has ended (`releaseTorch`): the next run begins on them instead of making
 * torch's classes and functions again (most of a warm quick run's allocations otherwise).
 */
const spare: Torch[] = [];
/** How many released bindings are kept for later runs: one run at a time is the common case. */
const SPARE_MAX = 2;
/** The module objects each bindings' classes and functions were first published in. */
const published = new WeakMap<Torch, Map<string, PyModule>>();

/** The torch bindings for a run: a released set begun again for it, or new ones. */
export function torchFor(interp: Interpreter, seed: number, dtype: DType): Torch {
  const torch = spare.pop();
  if (!torch) return new Torch(interp, seed, dtype);
  torch.begin(interp, seed, dtype);
  return torch;
}

/**
 * The caller keeps nothing of a run that needs its bindings (its model, its interpreter): the next
 * run may begin on them. Only callers that know this release (the trace worker, the CLI, the bench).
 */
export function releaseTorch(torch: Torch): void {
  if (spare.length < SPARE_MAX && !spare.includes(torch)) spare.push(torch);
}

/** The torch module tree of a run; each run has module objects of its own, made on its first import of torch. */
export function torchModules(torch: Torch): Record<string, ModuleFactory> {
  let own: Map<string, PyModule> | null = null;
  const factory: ModuleFactory = (interp, name) => {
    own ??= copyModules(publish(torch));
    const m = own.get(name)!;
    if (name === 'torchvision') {
      // `import torchvision` then `torchvision.models.resnet18()`: the submodule is bound on import, as torchvision's __init__ does.
      interp.modules.set(name, m);
      m.dict.set('models', interp.importModule('torchvision.models', NOWHERE));
    }
    return m;
  };
  const names = ['torch', 'torch.nn', 'torch.nn.functional', 'torch.nn.init', 'torch.nn.utils', 'torch.optim', 'torch.optim.lr_scheduler', 'torch.utils', 'torch.utils.data', 'torch.cuda', 'torch.cuda.amp', 'torch.amp', 'torch.jit', 'torch.autograd', ...DATA_MODULES, ...DISTRIBUTED_MODULES];
  // torchvision.models is Python (run for each run, as a user's module), not made by the bindings;
  // its submodules (`from torchvision.models.resnet import BasicBlock`) are the one module holding every model.
  const submodules = VISION_SUBMODULES.map((n) => [`torchvision.models.${n}`, (interp: Interpreter) => interp.importModule('torchvision.models', NOWHERE) as PyModule]);
  // numpy draws from the run's generator (and its given noise): a module of the bindings, fresh each run.
  const numpy: ModuleFactory = (interp, name) => {
    const np = numpyModule(torch);
    interp.modules.set('numpy.random', np.dict.get('random') as PyModule);
    return name === 'numpy' ? np : (np.dict.get('random') as PyModule);
  };
  // Folders of images: listed as made-up names, opened as synthetic images (image-files.ts); one PIL per run.
  let pil: ReturnType<typeof pilModules> | null = null;
  const folders: Record<string, ModuleFactory> = {
    os: (interp) => addFolderListing(torch, osModule(interp)),
    'os.path': (interp) => (interp.importModule('os', NOWHERE) as PyModule).dict.get('path') as PyModule,
    glob: () => globModule(torch),
    PIL: () => (pil ??= pilModules(torch)).PIL,
    'PIL.Image': () => (pil ??= pilModules(torch)).Image,
  };
  return { ...Object.fromEntries(names.map((n) => [n, factory])), ...folders, numpy, 'numpy.random': numpy, 'torchvision.models': (interp) => visionModels(interp, NOWHERE), ...Object.fromEntries(submodules) };
}

/** Makes the bindings' classes and functions (once per bindings) and the modules that publish them. */
function publish(torch: Torch): Map<string, PyModule> {
  const have = published.get(torch);
  if (have) return have;
  makeTensorClasses(torch);
  makeArrayClasses(torch);
  makeModuleClasses(torch);
  const { torchFns, functional } = makeFunctions(torch);
  const training = makeTraining(torch);
  const init = makeInit(torch);
  const data = makeData(torch);
  const distributed = new Map(makeDistributed(torch).modules);
  const m = new Map<string, PyModule>();
  const F = mirrorModule('torch.nn.functional', functional);
  const nnInit = mirrorModule('torch.nn.init', init);
  const nnUtils = mirrorModule('torch.nn.utils', training.clip);
  const nn = mirrorModule('torch.nn', {
    Parameter: torch.Parameter,
    functional: F,
    init: nnInit,
    utils: nnUtils,
    parallel: distributed.get('torch.nn.parallel')!,
    parameter: mirrorModule('torch.nn.parameter', { Parameter: torch.Parameter }),
    ...Object.fromEntries(torch.nnClasses),
    ...training.losses,
  });
  const scheduler = mirrorModule('torch.optim.lr_scheduler', training.schedulers);
  const optim = mirrorModule('torch.optim', { ...training.optim, lr_scheduler: scheduler });
  const utilsData = mirrorModule('torch.utils.data', { ...data.utilsData, distributed: distributed.get('torch.utils.data.distributed')! });
  const utils = mirrorModule('torch.utils', { data: utilsData });
  const amp = makeAmp(torch);
  const cudaAmp = mirrorModule('torch.cuda.amp', { autocast: amp.cudaAutocast, GradScaler: amp.GradScaler });
  const torchAmp = mirrorModule('torch.amp', { autocast: amp.autocast, GradScaler: amp.GradScaler });
  const typed = typedTensorClasses(torch);
  const cuda = mirrorModule('torch.cuda', {
    ...typed,
    amp: cudaAmp,
    is_available: new PyBuiltin('is_available', () => false),
    device_count: new PyBuiltin('device_count', (_a, _k, site) => {
      torch.gpuCountRead ??= site.r;
      return 0n;
    }),
    manual_seed: new PyBuiltin('manual_seed', () => null),
    manual_seed_all: new PyBuiltin('manual_seed_all', () => null),
    empty_cache: new PyBuiltin('empty_cache', () => null),
    synchronize: new PyBuiltin('synchronize', () => null),
    is_bf16_supported: new PyBuiltin('is_bf16_supported', () => false),
  });
  const jit = mirrorModule('torch.jit', { script: identityDecorator('script'), export: identityDecorator('export'), ignore: identityDecorator('ignore'), unused: identityDecorator('unused') });
  const autograd = mirrorModule('torch.autograd', {
    Variable: makeVariable(torch),
    set_detect_anomaly: new PyBuiltin('set_detect_anomaly', () => null),
    detect_anomaly: new PyBuiltin('detect_anomaly', (_a, _k, site) => new PyOpaque('torch.autograd.detect_anomaly', site.r)),
    grad: makeAutogradGrad(torch),
    Function: makeAutogradFunction(torch),
  });
  const dtypes: Record<string, Value> = {};
  for (const [names, d] of TORCH_DTYPES) for (const n of names) dtypes[n] = torch.dtypeObj(d);
  for (const n of UNSUPPORTED_DTYPES) dtypes[n] = new PyOpaque(`torch.${n} (the engine computes in float32 and float64)`, NOWHERE);
  const root = mirrorModule('torch', {
    ...torchFns,
    ...dtypes,
    Tensor: torch.Tensor,
    Size: torch.Size,
    dtype: torch.dtypeClass,
    device: torch.deviceClass,
    nn,
    optim,
    utils,
    cuda,
    amp: torchAmp,
    autocast: amp.autocast,
    cpu: mirrorModule('torch.cpu', { amp: mirrorModule('torch.cpu.amp', { autocast: amp.cpuAutocast }) }),
    jit,
    autograd,
    backends: opaqueModule('torch.backends', NOWHERE),
    distributed: distributed.get('torch.distributed')!,
    multiprocessing: distributed.get('torch.multiprocessing')!,
    inf: Infinity,
    nan: NaN,
    pi: Math.PI,
    e: Math.E,
    __version__: '1.13.0',
    ...typed,
  });
  for (const x of [root, nn, F, nnInit, nnUtils, optim, scheduler, utils, utilsData, cuda, cudaAmp, torchAmp, jit, autograd]) m.set(x.name, x);
  for (const [name, x] of [...data.modules, ...distributed]) m.set(name, x);
  published.set(torch, m);
  return m;
}

/**
 * A run's own copies of the module objects (a script may set `torch.nn.foo` or import a submodule
 * into one), holding the same classes and functions: those Python cannot change.
 */
function copyModules(modules: Map<string, PyModule>): Map<string, PyModule> {
  const copies = new Map<PyModule, PyModule>();
  const copy = (m: PyModule): PyModule => {
    let c = copies.get(m);
    if (c) return c;
    c = new PyModule(m.name);
    c.partial = m.partial;
    copies.set(m, c);
    for (const [k, v] of m.dict) c.dict.set(k, v instanceof PyModule ? copy(v) : v);
    return c;
  };
  return new Map([...modules].map(([name, m]) => [name, copy(m)]));
}

/** The submodules of torchvision.models whose models mirrored/torchvision/models.py has. */
const VISION_SUBMODULES = ['resnet', 'vgg', 'mobilenetv2'];

/** torch's distributed training, one process (distributed.ts). */
const DISTRIBUTED_MODULES = ['torch.distributed', 'torch.nn.parallel', 'torch.utils.data.distributed', 'torch.multiprocessing'];

/** torchvision's modules (its datasets and transforms give synthetic data of the right shape). */
const DATA_MODULES = ['torchvision', 'torchvision.datasets', 'torchvision.transforms'];

/** While a run evaluates, the engine reports each module application to it (the data flow between layers). */
export function watchApplications(torch: Torch): () => void {
  setModuleAppliedHook((m, x, y) => torch.noteApplied(m, x, y));
  return () => setModuleAppliedHook(null);
}

export { Torch };
