/**
 * The importable torch modules for one run: torch, torch.nn, torch.nn.functional, torch.nn.init,
 * torch.optim, torch.utils.data, ... Each name is one module object however it is imported
 * (`import torch.nn as nn` and `torch.nn` are the same), made on first import.
 */
import { setModuleAppliedHook } from '../../../engine/context';
import type { ModuleFactory } from '../interpreter';
import { opaqueModule } from '../interpreter';
import { native } from '../native';
import { NOWHERE, PyBuiltin, PyModule, PyOpaque, Value } from '../values';
import { makeData } from './data';
import { makeFunctions } from './functions';
import { makeInit } from './init';
import { makeModuleClasses } from './modules';
import { mirrorModule, Torch } from './runtime';
import { makeTensorClasses, UNSUPPORTED_DTYPES, TORCH_DTYPES } from './tensor';
import { makeTraining } from './training';


const identityDecorator = (name: string) =>
  native(`${name}(*args, **kwargs)`, (a) => {
    const first = a.__varargs?.[0];
    return first !== undefined && a.__varargs!.length === 1 && !a.__varkw?.size ? first : new PyBuiltin(name, (args) => args[0]);
  });

/** The torch module tree of a run; modules are built on first import. */
export function torchModules(torch: Torch): Record<string, ModuleFactory> {
  let built: Map<string, PyModule> | null = null;
  const all = (): Map<string, PyModule> => {
    if (built) return built;
    makeTensorClasses(torch);
    makeModuleClasses(torch);
    const { torchFns, functional } = makeFunctions(torch);
    const training = makeTraining(torch);
    const init = makeInit(torch);
    const data = makeData(torch);
    const m = new Map<string, PyModule>();
    const F = mirrorModule('torch.nn.functional', functional);
    const nnInit = mirrorModule('torch.nn.init', init);
    const nnUtils = mirrorModule('torch.nn.utils', training.clip);
    const nn = mirrorModule('torch.nn', {
      Parameter: torch.Parameter,
      functional: F,
      init: nnInit,
      utils: nnUtils,
      parameter: mirrorModule('torch.nn.parameter', { Parameter: torch.Parameter }),
      ...Object.fromEntries(torch.nnClasses),
      ...training.losses,
    });
    const scheduler = mirrorModule('torch.optim.lr_scheduler', training.schedulers);
    const optim = mirrorModule('torch.optim', { ...training.optim, lr_scheduler: scheduler });
    const utilsData = mirrorModule('torch.utils.data', data.utilsData);
    const utils = mirrorModule('torch.utils', { data: utilsData });
    const cuda = mirrorModule('torch.cuda', {
      is_available: new PyBuiltin('is_available', () => false),
      device_count: new PyBuiltin('device_count', () => 0n),
      manual_seed: new PyBuiltin('manual_seed', () => null),
      manual_seed_all: new PyBuiltin('manual_seed_all', () => null),
      empty_cache: new PyBuiltin('empty_cache', () => null),
      synchronize: new PyBuiltin('synchronize', () => null),
      is_bf16_supported: new PyBuiltin('is_bf16_supported', () => false),
    });
    const jit = mirrorModule('torch.jit', { script: identityDecorator('script'), export: identityDecorator('export'), ignore: identityDecorator('ignore'), unused: identityDecorator('unused') });
    const autograd = mirrorModule('torch.autograd', {
      Variable: native('Variable(data, requires_grad=False)', (a) => a.data),
      set_detect_anomaly: new PyBuiltin('set_detect_anomaly', () => null),
      detect_anomaly: new PyBuiltin('detect_anomaly', (_a, _k, site) => new PyOpaque('torch.autograd.detect_anomaly', site.r)),
      grad: new PyBuiltin('grad', (_a, _k, site) => new PyOpaque('torch.autograd.grad', site.r)),
      Function: new PyOpaque('torch.autograd.Function (a custom backward)', NOWHERE),
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
      jit,
      autograd,
      backends: opaqueModule('torch.backends', NOWHERE),
      distributed: opaqueModule('torch.distributed', NOWHERE),
      inf: Infinity,
      nan: NaN,
      pi: Math.PI,
      e: Math.E,
      __version__: '1.13.0',
      FloatTensor: torch.Tensor,
      LongTensor: torch.Tensor,
    });
    for (const x of [root, nn, F, nnInit, nnUtils, optim, scheduler, utils, utilsData, cuda, jit, autograd]) m.set(x.name, x);
    for (const [name, x] of data.modules) m.set(name, x);
    built = m;
    return m;
  };
  const factory: ModuleFactory = (_interp, name) => all().get(name)!;
  const names = ['torch', 'torch.nn', 'torch.nn.functional', 'torch.nn.init', 'torch.nn.utils', 'torch.optim', 'torch.optim.lr_scheduler', 'torch.utils', 'torch.utils.data', 'torch.cuda', 'torch.jit', 'torch.autograd', ...DATA_MODULES];
  return Object.fromEntries(names.map((n) => [n, factory]));
}

/** torchvision's modules (its datasets and transforms give synthetic data of the right shape). */
const DATA_MODULES = ['torchvision', 'torchvision.datasets', 'torchvision.transforms'];

/** While a run evaluates, the engine reports each module application to it (the data flow between layers). */
export function watchApplications(torch: Torch): () => void {
  setModuleAppliedHook((m, x, y) => torch.noteApplied(m, x, y));
  return () => setModuleAppliedHook(null);
}

export { Torch };
