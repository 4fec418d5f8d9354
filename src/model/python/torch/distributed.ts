/**
 * PyTorch's distributed training, read statically as one process: the trace is rank 0 of a world
 * of size 1 on the CPU (what a DDP script is when torchrun starts one process). As in torch 1.13 with
 * world size 1: init_process_group / barrier / destroy_process_group do nothing the gradients see,
 * get_rank() is 0 and get_world_size() 1, an all_reduce of one rank's tensor leaves it as it is,
 * DistributedDataParallel's forward and parameters are its module's (`.module` is the model, so the
 * findings land on the user's layers), a DistributedSampler yields every index of its dataset (in
 * order, or shuffled as a loader's `shuffle=True` is here), and mp.spawn(fn, args, nprocs) calls
 * fn(0, *args) once, in this process.
 */
import type { Range } from '../ast';
import { native } from '../native';
import * as P from '../protocol';
import { CantFollow } from '../errors';
import { NOWHERE, OBJECT, PyClass, PyIter, PyModule, PyOpaque, PyTuple, type Value } from '../values';
import { mirrorModule, ModuleObj, NativeObj, type Torch } from './runtime';

/** What the trace is of a distributed run: one process, rank 0 of 1. */
export const RANK = 0;
export const WORLD_SIZE = 1;

export interface SamplerState {
  dataset: Value;
  shuffle: boolean;
}

const SAMPLERS = new WeakSet<SamplerState>();

/** A DistributedSampler's state, when `v` is one (a DataLoader's `sampler=`). */
export function distributedSampler(v: Value): SamplerState | null {
  const s = v instanceof NativeObj ? (v.state as SamplerState) : null;
  return s && SAMPLERS.has(s) ? s : null;
}

/** The modules of torch's distributed training: torch.distributed, torch.nn.parallel, torch.utils.data.distributed, torch.multiprocessing. */
export function makeDistributed(torch: Torch): { DistributedSampler: PyClass; modules: [string, PyModule][] } {
  const group = () => torch.processGroup;
  /** torch 1.13 refuses the group's operations (and DDP) before init_process_group. */
  const joined = (r: Range) => {
    if (!group()?.open) torch.interp.raise('RuntimeError', 'Default process group has not been initialized, please make sure to call init_process_group.', r);
  };
  const inGroup = (sig: string, value: () => Value) => native(sig, (_a, r) => (joined(r), value()));
  const dist = mirrorModule('torch.distributed', {
    is_available: native('is_available()', () => true),
    is_initialized: native('is_initialized()', () => group()?.open ?? false),
    init_process_group: native('init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None, group_name="", pg_options=None)', (a, r) => {
      // Where the script joined its group: the info diagnostic saying the trace is rank 0 of 1 stands there.
      torch.processGroup = { at: group()?.at ?? r, backend: typeof a.backend === 'string' ? a.backend : 'gloo', open: true };
      return null;
    }),
    destroy_process_group: native('destroy_process_group(group=None)', () => {
      const g = group();
      if (g) g.open = false;
      return null;
    }),
    barrier: inGroup('barrier(group=None, async_op=False, device_ids=None)', () => null),
    get_rank: inGroup('get_rank(group=None)', () => BigInt(RANK)),
    get_world_size: inGroup('get_world_size(group=None)', () => BigInt(WORLD_SIZE)),
    get_backend: inGroup('get_backend(group=None)', () => group()!.backend),
    // One rank: the reduction of its tensor alone is the tensor; a broadcast from rank 0 is a no-op.
    all_reduce: inGroup('all_reduce(tensor, op=None, group=None, async_op=False)', () => null),
    reduce: inGroup('reduce(tensor, dst, op=None, group=None, async_op=False)', () => null),
    broadcast: inGroup('broadcast(tensor, src, group=None, async_op=False)', () => null),
  });
  const DDP = native('DistributedDataParallel(module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, process_group=None, bucket_cap_mb=25, find_unused_parameters=False, check_reduction=False, gradient_as_bucket_view=False, static_graph=False)', (a, r) => {
    joined(r);
    if (!(a.module instanceof ModuleObj)) return new PyOpaque('DistributedDataParallel of a model Gradient Lens could not build', r);
    // The model itself stands for its wrapper (its forward and parameters are the wrapper's); `.module` gives it back.
    a.module.wrappedBy = 'DistributedDataParallel';
    return a.module;
  });
  const parallel = mirrorModule('torch.nn.parallel', { DistributedDataParallel: DDP });
  const DistributedSampler = new PyClass(
    'DistributedSampler',
    [OBJECT],
    {
      construct: (c, args, kwargs, r) => {
        const get = (k: string, pos: number, d: Value) => kwargs?.get(k) ?? args[pos] ?? d;
        // Without num_replicas and rank given, PyTorch asks the process group for them.
        if (get('num_replicas', 1, null) === null || get('rank', 2, null) === null) joined(r);
        const state = { dataset: get('dataset', 0, null), shuffle: torch.bool(get('shuffle', 3, true), r) };
        SAMPLERS.add(state);
        return new NativeObj<SamplerState>(c, state);
      },
      len: (v, r) => P.len(torch.interp, (v as NativeObj<SamplerState>).state.dataset, r),
      // One rank's indices are every index: in order, or in PyTorch's seeded permutation, which is not drawn here.
      iter: (v, r) => {
        const s = (v as NativeObj<SamplerState>).state;
        if (s.shuffle) throw new CantFollow(new PyOpaque("a DistributedSampler's shuffled order (PyTorch's permutation seeded by seed + epoch)", r), r);
        const n = P.len(torch.interp, s.dataset, r);
        let i = 0;
        return new PyIter(() => (i < n ? BigInt(i++) : undefined));
      },
      getattr: (v, name) => {
        const s = (v as NativeObj<SamplerState>).state;
        if (name === 'dataset') return s.dataset;
        if (name === 'shuffle') return s.shuffle;
        if (name === 'num_replicas') return BigInt(WORLD_SIZE);
        if (name === 'rank') return BigInt(RANK);
        return undefined;
      },
    },
    'torch.utils.data.distributed',
  );
  // The epoch seeds the sampler's shuffle in PyTorch; here the loader's shuffle has its own stream.
  DistributedSampler.dict.set('set_epoch', native('set_epoch(self, epoch)', () => null, { method: true }));
  const dataDistributed = mirrorModule('torch.utils.data.distributed', { DistributedSampler });
  const multiprocessing = mirrorModule('torch.multiprocessing', {
    spawn: native('spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn")', (a, r) => {
      const args = a.args instanceof PyTuple ? a.args.items : torch.interp.toArray(a.args, r);
      torch.interp.call(a.fn, [BigInt(RANK), ...args], null, r);
      return null;
    }),
  });
  dist.dict.set('ReduceOp', new PyOpaque('torch.distributed.ReduceOp', NOWHERE));
  return {
    DistributedSampler,
    modules: [
      ['torch.distributed', dist],
      ['torch.nn.parallel', parallel],
      ['torch.utils.data.distributed', dataDistributed],
      ['torch.multiprocessing', multiprocessing],
    ],
  };
}
