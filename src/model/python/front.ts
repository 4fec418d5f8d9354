/**
 * The PyTorch front end: a user's .py file (or a notebook's code cells) read, never run. The
 * interpreter evaluates the file over the torch bindings until the training loop, or evaluates a
 * sidecar's build expression; the result is what a trace needs (the model, its optimiser, a step
 * that computes the loss the script computes) and the graph the rules read, read after the trace.
 */
import { setDefaultDtype } from '../../engine/dtype';
import type { DType, FloatArray } from '../../engine/dtype';
import type { Loss } from '../../engine/nn';
import type * as enn from '../../engine/nn';
import * as F from '../../engine/functional';
import { GraphFreedError, InplaceModificationError, NO_GRAD_FN } from '../../engine/autograd';
import { TensorMemoryError } from '../../engine/context';
import type { GradientClip, Optimizer } from '../../engine/optim';
import type { Tensor } from '../../engine/tensor';
import { buildLoss, buildOptimizer } from '../build';
import { LOSSES } from '../catalogue';
import type { DataSpec, LossSpec, ModelSpec, OptimizerSpec, SourceRange, TraceSettings } from '../graph';
import type { Expr, ModuleAst, Range, Stmt, Target } from './ast';
import { BackwardReached, CantFollow, DtypeCast, LimitExceeded, PyRaise, ScriptExit } from './errors';
import type { FixRenderer } from '../fixes';
import { pythonFixes, PythonFixContext } from './fixes';
import { graphOf, RootRanges } from './graph';
import { handWrittenSgd, looseTensorSgd } from './hand-sgd';
import { looseInput, looseOptimised } from './loose-tensors';
import { layerTypeOfObj } from './torch/modules';
import { Interpreter, Scope } from './interpreter';
import type { Limits } from './limits';
import { topLevelStep } from './top-level-step';
import { lightningBatch, lightningFit, lightningModels, lightningModules, lightningStepSaid, unfollowedFit } from './lightning';
import { accumulationIf, backwardIn, backwardSequence, closureLoop, epochLoopOf, guardedSequence, isTrainingLoop, keepsGraph, LoopStep, loopCount, type LoopStmt, stepCallLoop, tracedBackwardPlace, TrainingLoop, TrainingLoopFound } from './loop';
import { parsePython } from './parse';
import { modelsNamed, trainedTogether, type TrainedTogether } from './several-models';
import { zippedModels } from './zipped-models';
import { RANK, WORLD_SIZE } from './torch/distributed';
import { imageReadNote } from './torch/image-files';
import { runTail } from './step-tail';
import type { SteppedParam } from '../stepped';
import { releaseTorch, torchFor, torchModules, watchApplications } from './torch';
import type { LossUse } from './torch/functions';
import { ModuleObj, TensorObj, Torch } from './torch/runtime';
import type { ClipUse, OptimizerUse } from './torch/training';
import { PyBoundMethod, PyClass, PyOpaque, Value } from './values';
import { expressionsIn, ownExprs, statementsIn, targetNames } from './walk';
import { likeOwnBatch } from './own-batch';
import { type ImportedFile, isMirrored, mirroredModuleName, type PythonSources } from './imports';
import { limitName } from '../../limits';
import { dirname, resolve } from 'node:path';

/** The user's own files one script may import: a project's models and utilities, not a library's thousands. */
const MAX_IMPORTED_FILES = 200;

export interface PythonDiagnostic {
  severity: 'error' | 'warning' | 'info';
  /** 'python/syntax', 'python/cant-follow', 'python/raises', 'python/limit', 'python/no-model', 'python/top-level-step'. */
  code: string;
  message: string;
  range: SourceRange;
  related: { range: SourceRange; message: string }[];
  /** The script works in this floating-point type (a cast Gradient Lens met): read it again in it when the run's dtype was not chosen. */
  dtype?: DType;
  /**
   * The error is the sidecar's: its build or loss expression failed. `range` is in the Python file
   * only when the exception was raised there (a constructor's assert); else it is the file's start,
   * and the sidecar's expression is the place to show it.
   */
  sidecar?: { part: 'build' | 'loss'; inFile: boolean };
}

/** What a sidecar spec says about a Python file that only defines modules. */
export interface PythonBuild {
  /** A Python expression that builds the model: `GPT(GPTConfig(n_layer=2))`. */
  build: string;
  /** A Python expression for the loss over `model`, `x` and `y` (`model(x, y)[1]`); null: the spec's loss of `model(x)`. */
  loss: string | null;
  /** The sidecar's data, loss, optimiser and trace settings. */
  spec: Pick<ModelSpec, 'input' | 'target' | 'loss' | 'optimizer' | 'trace'>;
  /** The batch every step uses: synthetic from the spec, or given (`--batch`). */
  batch: { input: Tensor; target: Tensor };
}

export interface PythonOptions {
  fileName: string;
  dtype?: DType;
  seed?: number;
  /** Steps the trace takes at most; the script's own loop may have fewer. */
  steps?: number;
  limits?: Partial<Limits>;
  /** Dropout off everywhere (exact comparisons). */
  dropout?: boolean;
  /** Build the model from a sidecar's expression instead of running the script's loop. */
  build?: PythonBuild;
  /** Reads the user's own modules the script imports (found in its folder); without it they stay opaque. */
  sources?: PythonSources;
  /** Bytes of Python read at most, the script's and its imports' together. */
  maxCodeBytes?: number;
  /** The script's command-line arguments (sys.argv[1:]); unset: not known (see InterpreterOptions.argv). */
  argv?: readonly string[];
  /**
   * Values for the script's own random draws (torch.randn, randn_like, rand, rand_like), one array
   * per call in the order the script makes them: a parity harness gives PyTorch's, so a VAE's
   * `eps = torch.randn_like(std)` or a GAN's noise is the same on both sides. Draws past the end
   * come from the run's generator.
   */
  noise?: readonly FloatArray[];
}

/** One backward()'s loss of a step that makes several, named by its variable. */
export interface StepLoss {
  name: string;
  value: number;
}

/** The training setup a trace runs: the shape of the trace's Session, filled by the user's code. */
export interface PythonTraining {
  built: { module: enn.Module; loss: Loss; optimizer: Optimizer; params: Tensor[]; layers: { path: string; type: string }[] };
  batch: { input: Tensor; target: Tensor };
  dtype: DType;
  step: () => Tensor;
  /** Whether the backward of the step's loss keeps the graph (the script's retain_graph at it). */
  retainGraph?: () => boolean;
  stepLosses?: () => StepLoss[] | null;
  steppedInStep?: () => ReadonlyMap<Tensor, SteppedParam> | null;
  afterStep?: () => void;
}

export interface PythonModel {
  training: PythonTraining;
  meta: { seed: number; steps: number; optimizer: { type: string; lr: number; clip: GradientClip | null } };
  /** The graph, complete once a step has run (shapes, data flow, functional layers, the loss used). */
  graph: () => ModelSpec;
  /** Where each layer was built and first applied, by path (related locations, grouping of loop-built layers). */
  sites: (path: string) => { type: string; created: SourceRange; callee: SourceRange; applied: SourceRange | null } | null;
  /** What was computed for a value Gradient Lens cannot follow, when the trace meets one. */
  explain(e: unknown): PythonDiagnostic | null;
  /** Loads a state_dict's tensors by PyTorch's names (the model's state_dict keys), for `--state`. */
  torch: Torch;
  /** The names of the input and target the step reads (rebound by `--batch`). */
  rebindBatch(input: Tensor, target: Tensor): void;
  /** Writes fixes as edits of this file's Python. */
  fixes(graph: ModelSpec): FixRenderer;
  /** What the trace saw that only running it tells (which of the loop's iterations its steps were), said after it. */
  notes?: () => PythonDiagnostic[];
}

export interface PythonRead {
  diagnostics: PythonDiagnostic[];
  model: PythonModel | null;
  /** Classes deriving nn.Module defined in the file: where a "Trace this model…" CodeLens goes. */
  classes: { name: string; range: SourceRange }[];
  interp: Interpreter | null;
  /** The user's files the script imported, each once: ranges naming one are in its text. */
  imported: ImportedFile[];
  /**
   * The caller is done with this read (its model, its interpreter, anything that calls into
   * them): the next read may reuse its torch bindings. Nothing happens without this call.
   */
  release(): void;
}

const NO_RANGE: SourceRange = { start: 0, end: 0 };

function diag(severity: PythonDiagnostic['severity'], code: string, message: string, range: SourceRange, related: PythonDiagnostic['related'] = []): PythonDiagnostic {
  return { severity, code, message, range, related };
}

/** A CantFollow as the information diagnostic the issue names: at the construct, with where the model needed it. */
export function cantFollowDiagnostic(c: CantFollow, needed = 'the model needs this value'): PythonDiagnostic {
  const related = c.use.start !== c.opaque.origin.start || c.use.end !== c.opaque.origin.end ? [{ range: c.use, message: needed }] : [];
  const d = diag('info', 'python/cant-follow', `Gradient Lens can't follow ${c.opaque.construct} here`, c.opaque.origin, related);
  if (c instanceof DtypeCast) d.dtype = c.dtype;
  const from = SIDECAR_PART.get(c);
  if (from) d.sidecar = { part: from.part, inFile: false };
  return d;
}

function raiseDiagnostic(e: PyRaise, severity: 'error' | 'warning', what: string): PythonDiagnostic {
  // A syntax error in an imported file: the parser's error at that file's line, the import as the way there.
  if (e.exc.cls.name === 'SyntaxError' && e.r?.file !== undefined) {
    return diag('error', 'python/syntax', `syntax error in an imported file: ${e.message.replace(/^SyntaxError: /, '')}`, e.r, e.traceback.slice(0, 5).map((r) => ({ range: r, message: 'imported from here' })));
  }
  const from = SIDECAR_PART.get(e);
  // Raised inside a mirrored library (torchvision's ResNet): at the user's innermost call into it, the library's lines left out.
  const inLibrary = e.r !== null && isMirrored(e.r);
  const own = inLibrary ? e.traceback.filter((r) => !isMirrored(r)) : e.traceback;
  const related = own.slice(inLibrary ? 1 : 0, 5).map((r) => ({ range: r, message: 'called from here' }));
  if (!from) return diag(severity, 'python/raises', `${what}: ${e.message}${inLibrary ? ` (inside ${mirroredModuleName(e.r!)})` : ''}`, (inLibrary ? own[0] : e.r) ?? NO_RANGE, related);
  // Raised by the sidecar's expression: the call sites in it are not this file's text.
  const d = diag(severity, 'python/raises', `the sidecar's ${from.part} expression fails: ${e.message}`, from.inFile ? (e.r ?? NO_RANGE) : NO_RANGE, from.inFile ? related.filter((x) => !from.exprRanges.has(x.range)) : []);
  d.sidecar = { part: from.part, inFile: from.inFile };
  return d;
}

/** Exceptions (and constructs not followed) that escaped a sidecar's expression: which one, and whether they were raised in the file. */
const SIDECAR_PART = new WeakMap<PyRaise | CantFollow, { part: 'build' | 'loss'; inFile: boolean; exprRanges: Set<object> }>();

/** The name a module-level file has when a sidecar imports it ("model" for model.py). */
function moduleName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? 'model';
  return base.replace(/\.(py|ipynb)$/, '') || 'model';
}

/** Runs `fn` with the engine's default float type set for the run (torch.zeros without dtype=). */
function withDtype<T>(dtype: DType, fn: () => T): T {
  const prev = setDefaultDtype(dtype);
  try {
    return fn();
  } finally {
    setDefaultDtype(prev);
  }
}

/**
 * Reads a Python file: syntax errors, the model it trains (or the sidecar's), and what Gradient
 * Lens could not follow. The parser must be loaded (`await loadPythonParser()`).
 */
export function readPython(text: string, opts: PythonOptions): PythonRead {
  const parsed = parsePython(text);
  const syntax = parsed.diagnostics.map((d) => diag('error', d.code, d.message, d.range));
  if (syntax.some((d) => d.severity === 'error')) return { diagnostics: syntax, model: null, classes: [], interp: null, imported: [], release: () => {} };
  return readAst(parsed.ast, text, opts);
}

/** The same, for a tree already parsed (a notebook's cells joined). */
export function readAst(ast: ModuleAst, text: string, opts: PythonOptions): PythonRead {
  const dtype = opts.dtype ?? 'float32';
  const seed = opts.seed ?? 0;
  const diagnostics: PythonDiagnostic[] = [];
  let torch!: Torch;
  /** The training loop at a loop the script is about to run (thrown as TrainingLoopFound), else false. */
  function findLoop(s: LoopStmt, scope: Scope): boolean {
    if (opts.build) return false;
    // `for net, opt in zip(nets, optimizers):` inside the batch loop: the batch loop is the step, every model traced.
    const zipped = zippedModels(torch, s, scope);
    if (zipped) {
      const backward = backwardIn(zipped.inner)!;
      // Names in the step (`net`, `opt`) stand for the last item's, the model whose backward the trace does.
      interp.assign(zipped.inner.target, zipped.items[zipped.items.length - 1], scope);
      throw new TrainingLoopFound({ stmt: s, scope, count: loopCount(interp, s, scope), backward, sequence: [backward], zipped });
    }
    if (isTrainingLoop(s)) {
      // Several backward calls a step (a GAN): the step is traced to the last; those before run as the script runs them.
      // With the last ones under an `if` some iterations pass (a WGAN's generator), a step runs iterations until one does.
      const guarded = backwardSequence(s) ? null : guardedSequence(s);
      const sequence = guarded?.sequence ?? backwardSequence(s);
      const count = loopCount(interp, s, scope);
      throw new TrainingLoopFound(sequence ? { stmt: s, scope, count, backward: sequence[sequence.length - 1], sequence, ...(guarded ? { guard: guarded.guard } : {}) } : { stmt: s, scope, count, backward: backwardIn(s)! });
    }
    // `optimizer.step(closure)`: the closure computes the loss and calls backward for the optimiser.
    const closure = closureLoop(s, ast);
    if (closure) throw new TrainingLoopFound({ stmt: s, scope, count: loopCount(interp, s, scope), backward: closure.backward, closure });
    // `train_iter(model, optimizer, ...)`: a function called once a step calls backward.
    const stepCall = stepCallLoop(s, ast);
    if (stepCall) throw new TrainingLoopFound({ stmt: s, scope, count: loopCount(interp, s, scope), backward: stepCall.backward, stepCall });
    return false;
  }
  const interp = new Interpreter({
    name: opts.build ? moduleName(opts.fileName) : '__main__',
    fileName: opts.fileName,
    ...(opts.argv ? { argv: opts.argv } : {}),
    limits: opts.limits,
    modules: {},
    ...(opts.sources ? { sources: opts.sources, folder: dirname(resolve(opts.fileName)) } : {}),
    ...(opts.maxCodeBytes !== undefined ? { importLimits: { maxFiles: MAX_IMPORTED_FILES, maxBytes: opts.maxCodeBytes, bytesLimitName: limitName('maxPythonKB') } } : {}),
    hooks: {
      beforeLoop: (s, scope) => {
        try {
          return findLoop(s, scope);
        } catch (e) {
          if (e instanceof TrainingLoopFound) e.loop.epoch = epochLoopOf(interp, s, scope);
          throw e;
        }
      },
    },
  });
  interp.importedBytes = new TextEncoder().encode(text).length;
  torch = torchFor(interp, seed, dtype);
  const release = () => releaseTorch(torch);
  torch.text = text;
  // A step written once at the top level is traced as the loop a script would run it in.
  const top = opts.build || hasTrainingLoop(ast) ? null : topLevelStep(ast);
  // Lightning's loop is in trainer.fit(...): its step is put there, for the trace alone to run.
  const lightning = opts.build || top || hasTrainingLoop(ast) ? null : lightningFit(ast, text);
  torch.ast = top?.ast ?? lightning?.ast ?? ast;
  torch.dropoutOff = opts.dropout === false;
  torch.noise = opts.noise ? [...opts.noise] : null;
  interp.addModules({ ...torchModules(torch), ...lightningModules(lightning) });
  const unwatch = watchApplications(torch);
  let loop: TrainingLoop | null = null;
  let exited = null as ScriptExit | null;
  try {
    withDtype(dtype, () => {
      try {
        interp.run(torch.ast);
      } catch (e) {
        if (e instanceof TrainingLoopFound) loop = e.loop;
        else if (e instanceof PyRaise) diagnostics.push(needsGpu(torch, e) ?? raiseDiagnostic(e, 'warning', 'the script stops here when run'));
        else if (e instanceof LimitExceeded) diagnostics.push(diag('warning', 'python/limit', `Gradient Lens stopped reading the file: ${e.message}`, e.r));
        else if (e instanceof ScriptExit) exited = e;
        else throw e;
      }
    });
  } finally {
    unwatch();
  }
  const classes = moduleClasses(torch, interp);
  if (torch.processGroup) diagnostics.push(diag('info', 'python/distributed', `distributed training read as one process: the trace is rank ${RANK} of a world of size ${WORLD_SIZE} on the CPU (init_process_group, barrier and destroy_process_group do nothing here, DistributedDataParallel is the model it wraps, mp.spawn runs its function once as rank ${RANK})`, torch.processGroup.at));
  if (!opts.build && !loop) {
    // argparse refused the arguments the user gave: Python prints this and exits with status 2.
    if (exited?.argparseError) {
      diagnostics.push(diag('error', 'python/raises', `argparse: error: ${exited.argparseError} (the script's arguments: ${opts.argv?.length ? opts.argv.join(' ') : 'none'})`, exited.r));
    } else if (exited && hasTrainingLoop(ast)) {
      // The script ends before its loop as it would here (`exit(-1)` when CUDA is missing): not "no loop".
      const how = opts.argv ? 'with the arguments given' : 'with its default arguments';
      diagnostics.push(diag('info', 'python/no-model', `the script exits here before its training loop, run as on a machine without CUDA and ${how}: Gradient Lens traces the loop the script reaches`, exited.r));
    } else if (!exited && !diagnostics.length && hasTrainingLoop(ast)) {
      // The loop is there but was never reached: a statement on the way needed a value not followed
      // (`for epoch in range(args.epochs)` with a required argument not given).
      const skipped = skippedOnTheWay(ast, interp);
      if (skipped) diagnostics.push(cantFollowDiagnostic(skipped, "the script's training loop is reached through this"));
    }
    return { diagnostics: [...diagnostics, ...imageNotes(torch)], model: null, classes, interp, imported: [...interp.imported.values()], release };
  }
  const unfollowed = lightning && loop ? unfollowedFit(interp, lightning, loop) : null;
  if (unfollowed) return { diagnostics: [...diagnostics, cantFollowDiagnostic(unfollowed), ...imageNotes(torch)], model: null, classes, interp, imported: [...interp.imported.values()], release };
  let model: PythonModel | null = null;
  try {
    model = withDtype(dtype, () => (opts.build ? fromBuild(torch, opts, opts.build) : fromLoop(torch, opts, loop!)));
  } catch (e) {
    const d = explainError(e);
    if (!d) throw e;
    diagnostics.push(d);
    if (e instanceof CantFollow) diagnostics.push(...e.also.map((x) => cantFollowDiagnostic(x)));
  }
  const traced = loop as TrainingLoop | null;
  if (model && top && traced?.stmt === top.loop) {
    const n = model.meta.steps;
    diagnostics.push(diag('info', 'python/top-level-step', `one training step at the top level, outside any loop: the script takes it once, the trace repeats it for ${n} step${n === 1 ? '' : 's'} as running it again would`, traced.backward.r));
  }
  if (model && lightning && traced?.stmt === lightning.loop) {
    diagnostics.push(diag('info', 'python/lightning', lightningStepSaid(lightning), lightning.call.r));
  }
  return { diagnostics: [...diagnostics, ...imageNotes(torch)], model, classes, interp, imported: [...interp.imported.values()], release };
}

/** One info at each folder of images the script opens: synthetic images stand for its files. */
function imageNotes(torch: Torch): PythonDiagnostic[] {
  return torch.imageReads.filter((read) => read.opened > 0).map((read) => diag('info', 'python/image-folder', imageReadNote(read, torch.seed), read.at));
}

/**
 * A script that stops for want of a GPU (`device_ids[0]` of the empty list torch.cuda.device_count()
 * gave, a division by that count): what it needs cannot be had on the CPU the trace runs on.
 */
function needsGpu(torch: Torch, e: PyRaise): PythonDiagnostic | null {
  const at = torch.gpuCountRead;
  if (!at || !e.r || !['IndexError', 'ZeroDivisionError'].includes(e.exc.cls.name)) return null;
  return diag('info', 'python/cant-follow', `Gradient Lens can't follow a script that needs a GPU here: torch.cuda.device_count() is 0 on the CPU the trace runs on, and the script stops here (${e.message})`, e.r, [{ range: at, message: 'the GPUs counted here' }]);
}

/** Whether the file has a training loop anywhere (in a function or method too). */
function hasTrainingLoop(ast: ModuleAst): boolean {
  const visit = (stmts: readonly Stmt[]): boolean =>
    statementsIn(stmts).some((st) => ((st.k === 'for' || st.k === 'while') && (isTrainingLoop(st) || closureLoop(st, ast) || stepCallLoop(st, ast))) || ((st.k === 'def' || st.k === 'class') && visit(st.body)));
  return visit(ast.body);
}

/**
 * The first statement of the file skipped for a value Gradient Lens cannot follow that could lie on
 * the way to the training loop: a loop, or a statement that calls something.
 */
function skippedOnTheWay(ast: ModuleAst, interp: Interpreter): CantFollow | null {
  const at = new Map<number, Stmt>();
  const visit = (stmts: readonly Stmt[]): void => {
    for (const st of statementsIn(stmts)) {
      at.set(st.r.start, st);
      if (st.k === 'def' || st.k === 'class') visit(st.body);
    }
  };
  visit(ast.body);
  for (const { r, cause } of interp.skipped) {
    const st = r.file === undefined ? at.get(r.start) : undefined;
    if (st && (st.k === 'for' || st.k === 'while' || ownExprs(st).some((e) => expressionsIn(e).some((x) => x.k === 'call')))) return cause;
  }
  return null;
}

/** A CantFollow, a Python exception or a limit met while building or tracing, as a diagnostic. */
export function explainError(e: unknown): PythonDiagnostic | null {
  if (e instanceof CantFollow) return cantFollowDiagnostic(e);
  if (e instanceof PyRaise) return raiseDiagnostic(e, 'error', 'the model fails here');
  if (e instanceof LimitExceeded) return diag('warning', 'python/limit', `Gradient Lens stopped: ${e.message}`, e.r);
  return null;
}

/**
 * What the trace's own part of a step throws (the backward of the script's loss, the optimiser
 * step), said at the script's backward line: the engine's refusal of an in-place change or of a
 * graph an earlier backward freed (a hidden state carried across batches undetached), or the
 * tensor memory limit met by the backward's gradients (a GAN's discriminator at batch 64).
 */
function stepError(e: unknown, backward: SourceRange): PythonDiagnostic | null {
  if (e instanceof InplaceModificationError || e instanceof GraphFreedError) return diag('error', 'python/raises', `the model fails here: RuntimeError: ${e.message}`, backward);
  if (e instanceof TensorMemoryError) return diag('warning', 'python/limit', `Gradient Lens stopped: ${e.message}; raise ${limitName('memoryLimitMB')} or give the script a smaller batch`, backward);
  return null;
}

function moduleClasses(torch: Torch, interp: Interpreter): { name: string; range: SourceRange }[] {
  if (!torch.Module) return [];
  const out: { name: string; range: SourceRange }[] = [];
  for (const v of interp.globals.vars.values()) {
    if (v instanceof PyClass && v.nameRange && v.isSubclassOf(torch.Module) && !out.some((c) => c.name === v.name)) out.push({ name: v.name, range: v.nameRange });
  }
  return out.sort((a, b) => a.range.start - b.range.start);
}

/** The module whose parameters the optimiser trains (the smallest one holding them all). */
function modelOf(torch: Torch, opt: OptimizerUse | null, scope: Scope, loop: TrainingLoop | null): ModuleObj | null {
  const candidates = torch.allModules.filter((m) => m.engine.parameters().length > 0);
  if (opt) {
    const wanted = new Set(opt.engine.params);
    const holding = candidates.filter((m) => {
      const own = new Set(m.engine.parameters());
      for (const p of wanted) if (!own.has(p)) return false;
      return true;
    });
    // The fewest parameters, and of modules holding the same ones (a Sequential around one Linear,
    // a model whose body is one Sequential) the outermost, which the script calls, as PyTorch's harness does.
    const size = (m: ModuleObj) => m.engine.parameters().length;
    const depth = (m: ModuleObj) => m.engine.namedModules().length;
    holding.sort((a, b) => size(a) - size(b) || depth(b) - depth(a));
    if (holding.length) return holding[0];
    // Tensors no module holds (style transfer's target image, an adversarial perturbation) stepped
    // beside a frozen network the loop calls: those tensors are what trains, not the network.
    if (!candidates.some((m) => m.engine.parameters().some((p) => wanted.has(p)))) return null;
  }
  // Without an optimiser: the module with parameters the loop body calls (a loss module has none).
  if (loop) for (const name of calledNames(loop)) {
    const v = torch.interp.peek(name, scope);
    if (v instanceof ModuleObj && v.engine.parameters().length > 0) return v;
  }
  return null;
}

/**
 * What the loop calls that Gradient Lens could not follow (`model(data)` where `model` came from
 * the file's own `import model`): said at its origin rather than "the model this loop trains".
 */
function opaqueCallee(torch: Torch, loop: TrainingLoop): PyOpaque | null {
  for (const name of calledNames(loop)) {
    const v = torch.interp.peek(name, loop.scope);
    if (v instanceof PyOpaque) return v;
  }
  return null;
}

/** Names called as functions in a loop's body (`model(x)`, `criterion(...)`). */
function calledNames(loop: TrainingLoop): string[] {
  const out: string[] = [];
  // The closure handed to optimizer.step, or the function the loop calls for a step, calls the model for the loop.
  for (const s of stepStatements(loop)) {
    for (const e of ownExprs(s)) for (const x of expressionsIn(e)) if (x.k === 'call' && x.fn.k === 'name') out.push(x.fn.id);
  }
  return out;
}

/** The statements one step runs: the loop's body, and the closure or step function it calls. */
function stepStatements(loop: TrainingLoop): Stmt[] {
  const called = loop.closure?.def ?? loop.stepCall?.def;
  return [...statementsIn(loop.stmt.body), ...(called ? statementsIn(called.body) : [])];
}

/**
 * The optimiser the script steps: the one whose `optimizer.step()` first follows the traced
 * backward in the file (a GAN steps the discriminator's after its loss's backward, the
 * generator's after the next), else the first the loop steps, else the latest made.
 */
function optimizerOf(torch: Torch, loop: TrainingLoop | null): OptimizerUse | null {
  let opaque: { v: PyOpaque; r: Range } | null = null;
  if (loop) {
    const steps = stepStatements(loop)
      .flatMap((s) => ownExprs(s).flatMap((e) => expressionsIn(e)))
      .filter((x): x is Extract<Expr, { k: 'call' }> => x.k === 'call' && x.fn.k === 'attr' && x.fn.name === 'step')
      .sort((a, b) => a.r.start - b.r.start);
    const after = loop.backward.r.end;
    let first: OptimizerUse | null = null;
    for (const x of steps) {
      const v = safeEval(torch.interp, (x.fn as Extract<Expr, { k: 'attr' }>).obj, loop.scope);
      if (v instanceof PyOpaque) opaque ??= { v, r: x.r };
      // `optimizer.step()`, or `scaler.step(optimizer)` under mixed precision.
      const arg = x.args[0] ? safeEval(torch.interp, x.args[0].value, loop.scope) : null;
      if (arg instanceof PyOpaque) opaque ??= { v: arg, r: x.r };
      const use = torch.optimizers.find((o) => [v, arg].some((c) => (c as { state?: { use?: OptimizerUse } } | null)?.state?.use === o));
      if (use && x.r.start >= after) return use;
      first ??= use ?? null;
    }
    if (first) return first;
  }
  // No optimiser was built, and the loop steps something never built as written (it needed a value that could not be followed).
  if (opaque && !torch.optimizers.length) throw new CantFollow(opaque.v, opaque.r);
  return torch.optimizers[torch.optimizers.length - 1] ?? null;
}

function safeEval(interp: Interpreter, e: Expr, scope: Scope): Value | null {
  try {
    return interp.eval(e, scope);
  } catch {
    return null;
  }
}

/** The range a model's findings about the whole model go to: its class name, or the call that built it. */
function rootRangesOf(torch: Torch, m: ModuleObj): RootRanges {
  const site = torch.sites.get(m.engine);
  const created = site?.created ?? NO_RANGE;
  return { typeRange: m.cls.nameRange ?? created, range: created };
}

function optimizerSpecOf(use: OptimizerUse, clip: ClipUse | undefined): OptimizerSpec {
  const argRanges: Record<string, SourceRange> = {};
  for (const [k, e] of Object.entries(use.argExprs)) argRanges[k] = e.r;
  const ranges = clip && { key: clip.r, value: clip.r };
  return {
    type: use.type,
    args: use.args as OptimizerSpec['args'],
    range: use.created,
    typeRange: use.callee,
    argRanges,
    clip: !clip ? null : clip.kind === 'norm' ? { kind: 'norm', maxNorm: clip.max, normType: clip.normType, ranges: ranges! } : { kind: 'value', clipValue: clip.max, ranges: ranges! },
  };
}

const CLIP_CALLS = new Set(['clip_grad_norm_', 'clip_grad_norm', 'clip_grad_value_', 'clip_gradients']);

/**
 * The gradient clipping the loop applies between backward() and the optimiser's step: a
 * clip_grad_norm_/clip_grad_value_ statement after the backward statement of the loop's body (or
 * in an `if` there, as nanoGPT's `if grad_clip != 0.0:`), run once before the first step (no
 * gradient yet, so it only records what it clips to).
 */
function loopClip(torch: Torch, loop: TrainingLoop): ClipUse | undefined {
  const interp = torch.interp;
  const { block: body, at } = tracedBackwardPlace(loop);
  const before = torch.clips.length;
  const accumulation = accumulationIf(loop);
  const visit = (stmts: readonly Stmt[]): void => {
    for (const st of stmts) {
      // Under gradient accumulation the clip in the `if` that steps is the traced step's.
      if (st === accumulation) visit(st.body);
      else if (st.k === 'if') {
        const t = safeEval(interp, st.test, loop.scope);
        if (t === null || t instanceof PyOpaque) continue;
        visit(interp.truthy(t, st.test.r) ? st.body : st.orelse);
      } else if (st.k === 'expr' && st.e.k === 'call') {
        const fn = st.e.fn;
        const name = fn.k === 'attr' ? fn.name : fn.k === 'name' ? fn.id : '';
        if (CLIP_CALLS.has(name)) interp.exec(st, loop.scope);
      }
    }
  };
  if (at >= 0) visit(body.slice(at + 1));
  return torch.clips[before];
}

/** The clipping the script's loop applies (its first clip_grad_norm_/clip_grad_value_ call), as a trace records it. */
function traceClipOf(clip: ClipUse | undefined): GradientClip | null {
  if (!clip) return null;
  return clip.kind === 'norm' ? { kind: 'norm', maxNorm: clip.max, normType: clip.normType } : { kind: 'value', clipValue: clip.max };
}

function lossSpecOf(use: LossUse | undefined, fallback: SourceRange): LossSpec {
  if (!use) return { type: 'MSELoss', args: { reduction: 'mean' }, range: fallback, typeRange: fallback, argRanges: {}, byHand: true };
  return { type: use.type, args: use.args as LossSpec['args'], range: use.created, typeRange: use.callee, argRanges: {}, ...(use.weightsAfterLayers ? { weightsAfterLast: true as const } : {}) };
}

function dataSpecOf(t: Tensor, r: SourceRange): DataSpec {
  return { shape: t.shape.slice(1), distribution: null, file: null, range: r };
}

/** Common to both sources: the engine root, names as named_parameters() gives them, the graph reader. */
function modelFrom(
  ast: ModuleAst,
  torch: Torch,
  root: ModuleObj,
  opt: OptimizerUse,
  steps: number,
  opts: PythonOptions,
  first: { input: Tensor; target: Tensor },
  step: () => Tensor,
  rebind: (input: Tensor, target: Tensor) => void,
  dataRange: SourceRange,
  loop: TrainingLoop | null,
  together: TrainedTogether | null = null,
): PythonModel {
  const engine = together?.engine ?? root.engine;
  // PyTorch names a tied weight by its first registration; the engine's setPath may have renamed it.
  for (const [name, t] of engine.namedParameters()) t.name = name;
  const params = engine.parameters();
  for (const m of together?.models ?? [root]) {
    const cause = torch.taintOfModel(m);
    if (cause) throw cause;
  }
  const layers = engine.namedModules().slice(1).map(([path, m]) => ({ path, type: torch.moduleObjs.get(m)?.cls.name ?? m.constructor.name }));
  const settings: TraceSettings = { steps, batchSize: first.input.shape[0] ?? 1, seed: opts.seed ?? 0, dtype: opts.dtype ?? 'float32', range: null };
  const placeholderLoss = LOSSES.MSELoss.build({ reduction: 'mean' });
  let graph: ModelSpec | null = null;
  return {
    training: {
      built: { module: engine, loss: placeholderLoss, optimizer: opt.engine, params, layers },
      batch: first,
      dtype: opts.dtype ?? 'float32',
      step,
      ...(loop ? { retainGraph: () => keepsGraph(torch.interp, loop) } : {}),
    },
    meta: {
      seed: opts.seed ?? 0,
      steps,
      optimizer: { type: opt.type, lr: opt.engine.lr, clip: opt.engine.clip },
    },
    graph: () =>
      (graph ??= {
        model: graphOf(torch, engine, rootRangesOf(torch, root)),
        input: dataSpecOf(first.input, dataRange),
        target: dataSpecOf(first.target, dataRange),
        loss: { ...lossSpecOf(torch.losses[torch.losses.length - 1], dataRange), ...(loop?.sequence && torch.optimizers.length > 1 ? { onOtherModel: true as const } : {}) },
        optimizer: optimizerSpecOf(opt, torch.clips[0]),
        trace: settings,
        ...(together ? { severalModels: true as const } : {}),
      }),
    sites: (path) => {
      const m = engine.namedModules().find(([p]) => p === path)?.[1] ?? [...torch.functionals.values()].find((f) => f.module.path === path)?.module;
      const site = m ? torch.sites.get(m) : undefined;
      const f = m ? [...torch.functionals.values()].find((x) => x.module === m) : undefined;
      if (f) return { type: f.type, created: f.call, callee: f.callee, applied: f.call };
      const obj = m && torch.moduleObjs.get(m);
      const type = obj ? (layerTypeOfObj(obj) ?? obj.cls.name) : (m?.constructor.name ?? '');
      return site ? { type, created: site.created, callee: site.callee, applied: site.applied } : null;
    },
    // The trace's own backward() of the step's loss is the script's last one: the engine's refusal there is at its line.
    explain: (e) => explainError(e) ?? (loop ? stepError(e, loop.backward.r) : null),
    torch,
    rebindBatch: rebind,
    fixes: (g) => pythonFixes(fixContext(ast, torch, engine, opt, loop), g),
  };
}

/** What the fix renderer needs to know of the file: the calls behind each layer, the loss and the optimiser. */
function fixContext(ast: ModuleAst, torch: Torch, engine: enn.Module, opt: OptimizerUse, loop: TrainingLoop | null): PythonFixContext {
  const functionalAt = (path: string) => [...torch.functionals.values()].find((f) => f.module.path === path);
  const loss = torch.losses[torch.losses.length - 1];
  return {
    text: torch.text,
    ast,
    otherFile: (path) => {
      const f = torch.interp.imported.get(path);
      return f?.ast ? { text: f.text, ast: f.ast } : null;
    },
    callOf: (path) => {
      const f = functionalAt(path);
      if (f) return f.node;
      const m = path === '' ? engine : engine.namedModules().find(([p]) => p === path)?.[1];
      const obj = m && torch.moduleObjs.get(m);
      return (obj && torch.calls.get(obj)) ?? null;
    },
    functional: (path) => !!functionalAt(path),
    loss: loss ? { call: loss.call, functional: loss.functional } : null,
    // A hand-written SGD update has no call, only its lr's expression.
    optimizer: opt.call || Object.keys(opt.argExprs).length ? { call: opt.call, argExprs: opt.argExprs } : null,
    backward: (loop && writtenBackward(torch, tracedBackwardStmt(loop))) ?? null,
  };
}

/**
 * The backward statement as the file writes it: a step Gradient Lens put at trainer.fit(...)
 * (Lightning's automatic loop) has none there, and a clip line written after it would do nothing.
 */
function writtenBackward(torch: Torch, st: Stmt | undefined): Stmt | null {
  return st && torch.text.slice(st.r.start, st.r.end).includes('backward') ? st : null;
}

function tracedBackwardStmt(loop: TrainingLoop): Stmt | undefined {
  const { block, at } = tracedBackwardPlace(loop);
  return block[at];
}

/** The script's own loop: its model, optimiser and body as the step. */
function fromLoop(torch: Torch, opts: PythonOptions, loop: TrainingLoop): PythonModel {
  const interp = torch.interp;
  let built: OptimizerUse | null;
  try {
    built = optimizerOf(torch, loop);
  } catch (e) {
    if (e instanceof CantFollow) e.also.push(...opaqueBatch(torch, loop));
    throw e;
  }
  // Without a module, the loose tensors the loop updates by hand are the model (the autograd tutorials).
  const runner = new LoopStep(interp, loop, (fn, r) => callClosure(torch, fn, r), (run, r) => untilBackward(torch, run, r, 'a step function that returns without calling backward()'));
  // An lr the body sets (makemore's `lr = 0.1 if i < 100000 else 0.01`) is read at the loop's first item, bound once.
  let bound = false;
  const bindFirst = () => {
    if (!bound) runner.next(loop.stmt.r);
    bound = true;
  };
  const loose = built || modelOf(torch, null, loop.scope, loop) ? null : looseTensorSgd(torch, loop, bindFirst);
  const root = loose?.root ?? modelOf(torch, built, loop.scope, loop) ?? (built && looseOptimised(torch, built.engine.params, loop.scope, built.created));
  if (!root) throw new CantFollow(opaqueCallee(torch, loop) ?? new PyOpaque('the model this training loop trains', loop.backward.r), loop.stmt.r);
  const opt = built ?? loose?.opt ?? handWrittenSgd(torch, loop, root);
  if (!opt) throw new CantFollow(new PyOpaque('a training loop without a torch.optim optimiser', loop.backward.r), loop.stmt.r);
  // A GAN's models each with its own optimiser are traced together, under their variable names.
  const named = loop.sequence ? (lightningModels(torch, loop) ?? modelsNamed(torch, loop, calledNames(loop))) : null;
  const together = named ? trainedTogether(torch, named, root, opt) : null;
  if (named) placeOtherModels(named, root);
  const stepsWanted = opts.steps ?? 20;
  // The step runs the body to backward(); the optimiser's step is the engine's, so it clips as the loop does.
  opt.engine.clip = traceClipOf(loopClip(torch, loop));
  const steps = loop.count === null ? stepsWanted : Math.max(1, Math.min(stepsWanted, loop.count));
  // The first item tells what the step feeds the model: the batch the trace summarises.
  bindFirst();
  const io = batchExprs(torch, loop, root);
  // Lightning calls the model inside training_step: the batch it hands over is the pair.
  const pair = io.input ? null : lightningBatch(interp, loop);
  const found = pair ?? firstBatch(torch, loop, io);
  const first = { input: found.input ?? placeholder(torch), target: found.target ?? placeholder(torch) };
  let override: { input: Tensor; target: Tensor } | null = null;
  let fresh = true;
  const step = () => {
    const isFirst = fresh;
    fresh = false;
    // A given batch replaces the loop's own where the step computes it, whatever the loop assigned before.
    if (override && io.input && io.target) interp.overrides = new Map<Expr, Value>([[io.input, torch.wrap(override.input)], [io.target, torch.wrap(override.target)]]);
    else if (override && pair) interp.overrides = new Map<Expr, Value>([[pair.expr, pair.given(torch.wrap(override.input), torch.wrap(override.target))]]);
    const seen: StepLoss[] = [];
    // backward(gradient) on a tensor of several values has no one loss to show.
    if (loop.sequence) torch.onBackward = (t, r) => seen.push({ name: lossName(torch, loop, r, runner.member, seen.length), value: t.size === 1 ? t.item() : NaN });
    stepped = together ? together.watch() : null;
    try {
      // A given batch is one backward() (`grads --batch`: the gradients PyTorch's backward gives on it),
      // the script's own data a whole optimiser step, accumulated micro-batches and all.
      const loss = runner.stepLoss(isFirst, (v) => lossTensor(torch, v, loop.backward.r), !override);
      if (loop.sequence) seen.push({ name: lossName(torch, loop, loop.backward.r, loop.zipped ? loop.zipped.models.length - 1 : null, seen.length), value: loss.item() });
      // A guarded step's iterations call the same backward several times (the critic's, n_critic times): its last loss, once.
      losses = loop.sequence ? (loop.guard ? lastOfEach(seen) : seen) : null;
      return loss;
    } finally {
      interp.overrides = null;
      torch.onBackward = null;
      torch.onOptimizerStep = null;
    }
  };
  let losses: StepLoss[] | null = null;
  let stepped: ReadonlyMap<Tensor, SteppedParam> | null = null;
  const own = { input: found.input?.dtype, target: found.target?.dtype };
  const rebind = (given: Tensor, givenTarget: Tensor) => {
    if ((!io.input || !io.target) && !pair) throw new CantFollow(new PyOpaque("the training loop's input and target (for --batch)", loop.stmt.r), loop.stmt.r);
    const input = likeOwnBatch(given, own.input);
    const target = likeOwnBatch(givenTarget, own.target);
    override = { input, target };
    first.input = input;
    first.target = target;
  };
  const model = modelFrom(torch.ast, torch, root, opt, steps, opts, first, step, rebind, loop.stmt.r, loop, together);
  model.training.stepLosses = () => losses;
  model.training.steppedInStep = () => stepped;
  // A hand-written update is the step's tail too, and the trace's SGD already took it: only a torch.optim loop's tail runs.
  if (built) model.training.afterStep = () => runTail(torch, runner, opt.engine);
  if (loop.guard) model.notes = () => guardNotes(torch, loop, runner.reached);
  return model;
}

/** Each loss name once, in the order first called, with its last value. */
function lastOfEach(seen: readonly StepLoss[]): StepLoss[] {
  const out = new Map<string, StepLoss>();
  for (const l of seen) out.set(l.name, l);
  return [...out.values()];
}

/** Which iterations a guarded step's traces were (the generator's, every n_critic): an info at the guard's test. */
function guardNotes(torch: Torch, loop: TrainingLoop, reached: readonly number[]): PythonDiagnostic[] {
  const guard = loop.guard!;
  if (!reached.length) return [];
  const test = torch.text.slice(guard.test.r.start, guard.test.r.end);
  const shown = reached.length > 8 ? `${reached.slice(0, 4).join(', ')}, ..., ${reached[reached.length - 1]}` : reached.join(', ');
  const name = lossName(torch, loop, loop.backward.r, null);
  const n = reached.length;
  const runs = reached[n - 1] + 1;
  return [diag('info', 'python/guarded-step', `${name}.backward() runs only when ${test}: each traced step runs the loop's iterations up to one that passes, the other backward calls at every iteration as the script does; the trace's ${n} step${n === 1 ? '' : 's'} ended at iteration${n === 1 ? '' : 's'} ${shown} (${runs} iteration${runs === 1 ? '' : 's'}; the other models' gradients are those of their last optimiser step in each)`, guard.test.r)];
}

/**
 * A backward call's loss as the step names it: its receiver's variable (`errG`), else its source
 * text; in a loop over zipped models, with the model of the item it ran for (`loss (net_SGD)`).
 * `ordinal`: how many backward calls the step made before this one.
 */
function lossName(torch: Torch, loop: TrainingLoop, r: Range, member: number | null, ordinal = 0): string {
  const sequence = loop.sequence!;
  // Calls at one range (Lightning's step unrolled per optimiser at trainer.fit) are told apart by their order in the step.
  const at = sequence.filter((c) => c.r.start === r.start);
  const call = (at.length > 1 ? at[Math.min(ordinal, at.length - 1)] : at[0]) ?? sequence.find((c) => c.r.start <= r.start && r.end <= c.r.end);
  const recv = call?.fn.k === 'attr' ? call.fn.obj : null;
  const name = !recv ? 'loss' : recv.k === 'name' ? recv.id : torch.text.slice(recv.r.start, recv.r.end);
  const model = loop.zipped && member !== null ? loop.zipped.names.get(loop.zipped.models[member]) : undefined;
  return model ? `${name} (${model})` : name;
}

/**
 * The other models a step with several backward calls runs (a GAN's discriminator, beside the traced
 * generator) have their layers' paths put under their variable's name (`netD.3`): both models'
 * layers are `0`, `1`, ... otherwise, and the statistics of netD's Sigmoid would be merged into those
 * of netG's, whose layers alone the trace and its findings are about.
 */
function placeOtherModels(named: ReadonlyMap<ModuleObj, string>, root: ModuleObj): void {
  const traced = new Set(root.engine.namedModules().map(([, m]) => m));
  for (const [v, name] of named) {
    if (traced.has(v.engine)) continue;
    for (const [path, m] of v.engine.namedModules()) m.path = path ? `${name}.${path}` : name;
  }
}

/**
 * The loop's input and target, when Gradient Lens cannot follow them either (LBFGS over data from
 * torch.load): said beside the optimiser's can't-follow, so fixing one does not reveal the other.
 */
function opaqueBatch(torch: Torch, loop: TrainingLoop): CantFollow[] {
  const root = modelOf(torch, null, loop.scope, loop);
  if (!root) return [];
  const io = batchExprs(torch, loop, root);
  const out: CantFollow[] = [];
  for (const e of [io.input, io.target]) {
    const v = e && safeEval(torch.interp, e, loop.scope);
    if (v instanceof PyOpaque && !out.some((c) => c.opaque.origin.start === v.origin.start)) out.push(new CantFollow(v, e!.r));
  }
  return out;
}

/**
 * Runs a closure handed to `optimizer.step(closure)` up to its backward() and returns the loss that
 * backward was called on (the trace does the backward pass and the step, as the optimiser would
 * after calling the closure).
 */
function callClosure(torch: Torch, fn: Value, r: Range): Value {
  if (fn instanceof PyOpaque) throw new CantFollow(fn, r);
  return untilBackward(torch, () => torch.interp.call(fn, [], null, r), r, 'a closure that returns without calling backward()');
}

/** Runs code that calls backward() and returns the loss it was called on (the trace does the backward). */
function untilBackward(torch: Torch, run: () => Value, r: Range, without: string): Value {
  torch.stopAtBackward = true;
  let returned: Value;
  try {
    returned = run();
  } catch (e) {
    if (e instanceof BackwardReached) return e.loss as Value;
    throw e;
  } finally {
    torch.stopAtBackward = false;
  }
  // Its loss was a value Gradient Lens could not follow (backward() on it did nothing here).
  if (returned instanceof PyOpaque) throw new CantFollow(returned, r);
  throw new CantFollow(new PyOpaque(without, r), r);
}

function lossTensor(torch: Torch, v: Value, r: Range): Tensor {
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  if (!(v instanceof TensorObj)) return torch.interp.raise('TypeError', `backward() is called on a ${typeof v === 'object' && v ? v.type.name : typeof v}, not a tensor`, r);
  // a loss off the graph (detached, under no_grad): PyTorch checks this before the loss's shape
  if (!v.t.requiresGrad) return torch.interp.raise('RuntimeError', NO_GRAD_FN, r);
  if (v.t.size !== 1) return torch.interp.raise('RuntimeError', 'grad can be implicitly created only for scalar outputs', r);
  const refused = torch.refusedBackward.get(v.t);
  if (refused) return torch.interp.raise('RuntimeError', refused, r);
  return v.t;
}

/** A stand-in when the step's input or target is not one tensor (a dict batch): the trace summarises nothing from it. */
function placeholder(torch: Torch): Tensor {
  return F.zeros([1], torch.dtype);
}

/**
 * The expressions of the step that are the model's input and the loss's target: the first call of
 * the model before `loss.backward()` in the file's order, and the last loss computed before it.
 */
function batchExprs(torch: Torch, loop: TrainingLoop, root: ModuleObj): { input: Expr | null; target: Expr | null } {
  let input: Expr | null = null;
  let target: Expr | null = null;
  // Up to the word `backward`: `criterion(model(xb), yb).backward()` computes its loss in its own receiver.
  const b = loop.backward;
  const before = b.fn.k === 'attr' ? b.fn.nameR.start : b.r.start;
  // A closure handed to optimizer.step, or a step function, computes the loss: its calls are the step's.
  const calls = stepStatements(loop)
    .flatMap((s) => ownExprs(s).flatMap((e) => expressionsIn(e)))
    .filter((x): x is Extract<Expr, { k: 'call' }> => x.k === 'call' && x.args.length > 0 && x.r.start < before)
    .sort((a, b) => a.r.start - b.r.start);
  const outer = (e: Expr) => callerArg(loop, e);
  for (const x of calls) {
    const fn = safeEval(torch.interp, outer(x.fn), loop.scope);
    if (callsModel(fn, x.fn, root) && !input) {
      input = outer(x.args[0].value);
      if (x.args[1] && !target) target = outer(x.args[1].value);
    } else if (isLossCallee(torch, fn) && x.args[1]) target = outer(x.args[1].value);
  }
  const own = stepStatements(loop).flatMap((s) => ownExprs(s)).filter((e) => e.r.start < before);
  input ??= looseInput(torch, root, calls, own, loop.scope, (fn) => isLossCallee(torch, fn as Value));
  return { input, target: target ?? batchTargetArg(loop, calls) };
}

/** `model(x)`, or `model.forward(x)` as the Udacity course's notebooks call it (no hooks, the same output). */
function callsModel(fn: Value, callee: Expr, root: ModuleObj): boolean {
  return fn === root || (fn instanceof PyBoundMethod && fn.self === root && callee.k === 'attr' && callee.name === 'forward');
}

/**
 * A step function's parameter (`model`, `x` of `def train_step(model, x, y)`) as the expression the
 * loop passes for it (`net`, `xb`), which the loop's scope can evaluate; anything else as it is.
 */
function callerArg(loop: TrainingLoop, e: Expr): Expr {
  const step = loop.stepCall;
  if (!step || e.k !== 'name') return e;
  const { def, call } = step;
  if (call.args.some((a) => a.kind === 'star' || a.kind === 'dstar')) return e;
  const positional = def.params.filter((p) => p.kind === 'posonly' || p.kind === 'pos').slice(step.method ? 1 : 0);
  const kw = call.args.find((a) => a.kind === 'kw' && a.name === e.id);
  if (kw) return kw.value;
  const at = positional.findIndex((p) => p.name === e.id);
  const given = call.args.filter((a) => a.kind === 'pos');
  return at >= 0 && at < given.length ? given[at].value : e;
}

/**
 * A loss the script writes itself (`gaussian_nll(pred, scale, yb)`) is no loss callee: its target
 * is the argument that is the second half of the loop's batch, `yb` of `for xb, yb in loader`,
 * `for i, (xb, yb) in enumerate(loader)`, or of `inputs, labels = data` in the body.
 */
function batchTargetArg(loop: TrainingLoop, calls: Extract<Expr, { k: 'call' }>[]): Expr | null {
  const pairs: string[][] = [];
  const pairsIn = (t: Target) => {
    if (t.k !== 'tuple') return;
    if (t.items.length === 2 && t.items.every((i) => i.k === 'name')) pairs.push(t.items.map((i) => (i as { id: string }).id));
    else t.items.forEach(pairsIn);
  };
  if (loop.stmt.k === 'for') {
    pairsIn(loop.stmt.target);
    const bound = new Set(targetNames(loop.stmt.target));
    for (const st of loop.stmt.body) if (st.k === 'assign' && st.value.k === 'name' && bound.has(st.value.id)) st.targets.forEach(pairsIn);
  }
  const names = new Set(pairs.map((p) => p[1]));
  let found: Expr | null = null;
  for (const x of calls) {
    const arg = x.args.find((a) => a.value.k === 'name' && names.has(a.value.id));
    if (arg) found = arg.value;
  }
  return found;
}

function isLossCallee(torch: Torch, fn: Value | null): boolean {
  if (fn instanceof ModuleObj) return Object.hasOwn(LOSSES, fn.cls.name);
  return fn !== null && typeof fn === 'object' && 'name' in fn && /_loss$|^cross_entropy$|^binary_cross_entropy/.test(String((fn as { name: string }).name)) && !!torch;
}

/**
 * The batch the first step gives the model and the loss. A body that makes it from the loop's item
 * first (`inputs, labels = data`, `img = img.to(device)`) has its leading assignments run here on
 * a copy of the variables, which are put back: the step runs them again from the item.
 */
function firstBatch(torch: Torch, loop: TrainingLoop, io: { input: Expr | null; target: Expr | null }): { input: Tensor | null; target: Tensor | null } {
  const read = () => ({ input: tensorIn(torch, io.input, loop.scope), target: tensorIn(torch, io.target, loop.scope) });
  const got = read();
  if ((got.input || !io.input) && (got.target || !io.target)) return got;
  const vars = loop.scope.vars;
  const saved = new Map(vars);
  // Draws made here on a copy are made again by the step: given noise is kept for it.
  const noise = torch.noise?.slice() ?? null;
  // A step function's backward is in its def, before the loop: the loop's body runs up to the call.
  const until = Math.min(io.input?.r.start ?? Infinity, (loop.stepCall?.call ?? loop.backward).r.start);
  // Its assignments, those inside a `with` block too (a GAN's noise drawn under torch.no_grad()); false once past `until`.
  const assign = (body: readonly Stmt[]): boolean => {
    for (const st of body) {
      if (st.k === 'with' && st.r.start < until && !assign(st.body)) return false;
      if (st.r.end > until) return false;
      if (st.k === 'assign' || st.k === 'annassign') torch.interp.exec(st, loop.scope);
    }
    return true;
  };
  try {
    assign(loop.stmt.body);
    return read();
  } catch {
    return got;
  } finally {
    vars.clear();
    for (const [k, v] of saved) vars.set(k, v);
    torch.noise = noise;
  }
}

function tensorIn(torch: Torch, e: Expr | null, scope: Scope): Tensor | null {
  if (!e) return null;
  const v = safeEval(torch.interp, e, scope);
  return v instanceof TensorObj ? v.t : null;
}

/**
 * A sidecar's build expression: the file defines the modules, the sidecar says how to build one
 * and what loss to train it with. Its loss, optimiser and data are the sidecar's; their findings go
 * to the model's class name, since their text is in the other file.
 */
function fromBuild(torch: Torch, opts: PythonOptions, b: PythonBuild): PythonModel {
  const interp = torch.interp;
  const where = NO_RANGE;
  const built = evalExpression(interp, b.build, where, interp.globals, 'build');
  if (built instanceof PyOpaque) throw new CantFollow(built, where);
  if (!(built instanceof ModuleObj)) {
    return interp.raise('TypeError', `the build expression ${JSON.stringify(b.build)} gives ${typeof built === 'object' && built ? `a ${built.type.name}` : String(built)}, not an nn.Module`, where);
  }
  // The build and loss expressions' text is the sidecar's: the model is placed at its class, and so
  // are the layers PyTorch builds inside one of its own (nn.Transformer's encoder) when the class derives it.
  const site = torch.sites.get(built.engine);
  if (site) site.created = site.callee = site.applied = built.cls.nameRange ?? where;
  const params = built.engine.parameters();
  const engineOpt = buildOptimizer(b.spec.optimizer, params);
  const lossFn = b.loss === null ? buildLoss(b.spec.loss) : null;
  const scope = new Scope('function', interp.globals, new Set(['model', 'x', 'y']));
  const batch = { ...b.batch };
  const step = () => {
    const x = torch.wrap(batch.input);
    const y = torch.wrap(batch.target);
    if (lossFn) {
      const out = interp.call(built, [x], null, where);
      if (out instanceof PyOpaque) throw new CantFollow(out, where);
      return lossFn.call(torch.tensorOf(out, where, 'the model\'s output'), batch.target);
    }
    scope.vars.set('model', built);
    scope.vars.set('x', x);
    scope.vars.set('y', y);
    return lossTensor(torch, evalExpression(interp, b.loss!, where, scope, 'loss'), where);
  };
  const use: OptimizerUse = { type: b.spec.optimizer.type, args: b.spec.optimizer.args as OptimizerUse['args'], engine: engineOpt, created: where, callee: where, argExprs: {}, call: null };
  const rebind = (input: Tensor, target: Tensor) => {
    batch.input = input;
    batch.target = target;
  };
  const steps = opts.steps ?? b.spec.trace.steps;
  const model = modelFrom(torch.ast, torch, built, use, steps, opts, batch, step, rebind, where, null);
  const graph = model.graph;
  const root = rootRangesOf(torch, built);
  // The sidecar's own parts, placed at the model's class (their text is the sidecar's).
  const at = root.typeRange;
  const moved = <T extends { range: SourceRange }>(p: T) => ({ ...p, range: at, ...('typeRange' in p ? { typeRange: at, argRanges: {} } : {}) });
  model.graph = () => {
    const g = graph();
    return { ...g, input: moved(b.spec.input), target: moved(b.spec.target), loss: b.loss === null ? moved(b.spec.loss) : g.loss, optimizer: moved(b.spec.optimizer), trace: { ...b.spec.trace, steps } };
  };
  return model;
}

/** Evaluates a Python expression (a sidecar's) in the file's module scope; errors point at `r`. */
export function evalExpression(interp: Interpreter, source: string, r: SourceRange, scope: Scope = interp.globals, part?: 'build' | 'loss'): Value {
  const parsed = parsePython(`(${source}\n)`);
  const stmt = parsed.ast.body[0];
  if (parsed.diagnostics.length || !stmt || stmt.k !== 'expr') {
    try {
      return interp.raise('SyntaxError', `the expression ${JSON.stringify(source)} is not valid Python`, r);
    } catch (e) {
      if (part && e instanceof PyRaise) SIDECAR_PART.set(e, { part, inFile: false, exprRanges: new Set() });
      throw e;
    }
  }
  try {
    return interp.eval(stmt.e, scope);
  } catch (e) {
    // The expression's own ranges are in the sidecar's text, not this file's: an exception raised
    // at one of them (a NameError, a wrong argument) is placed at `r`, one raised in the file keeps its line.
    if (e instanceof PyRaise) {
      const exprRanges = rangesIn(stmt.e);
      const inFile = e.r !== null && !exprRanges.has(e.r);
      if (part) SIDECAR_PART.set(e, { part, inFile, exprRanges });
      if (!inFile) e.r = r;
    }
    // The same for a construct it cannot follow: written in the expression, it is said at the sidecar's line.
    if (e instanceof CantFollow && rangesIn(stmt.e).has(e.opaque.origin)) {
      const moved = new CantFollow(new PyOpaque(e.opaque.construct, r), r);
      if (part) SIDECAR_PART.set(moved, { part, inFile: false, exprRanges: new Set() });
      throw moved;
    }
    throw e;
  }
}

/** Every range object in an expression's tree (the interpreter raises at its nodes' own ranges). */
function rangesIn(root: object): Set<object> {
  const out = new Set<object>();
  const seen = new Set<object>();
  const visit = (o: unknown): void => {
    if (!o || typeof o !== 'object' || seen.has(o)) return;
    seen.add(o);
    const rec = o as Record<string, unknown>;
    if (typeof rec.start === 'number' && typeof rec.end === 'number') out.add(o);
    for (const v of Object.values(rec)) visit(v);
  };
  visit(root);
  return out;
}

export { PyClass };
