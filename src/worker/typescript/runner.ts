/**
 * The child process that runs a user's model file: compile the bundle, find every @model class,
 * build, trace and check each, and post the results one model at a time. The caller owns the time
 * and memory limits; anything here may loop or crash, and only this process goes down.
 */
import Module from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as authoring from '../../authoring';
import { adoptTree, noteCreated } from '../../authoring/module';
import {
  appliedAt,
  registeredCustomOps,
  registeredModels,
  RegisteredCustomOp,
  RegisteredModel,
  resetCustomOpInputs,
  setBuildContext,
  setRecording,
  traceOptionsOf,
} from '../../authoring/registry';
import { setUserFile, userSiteIn } from '../../authoring/sites';
import { analyse } from '../../analyse';
import { setModuleCreatedHook, TensorMemoryError, withMemoryLimit } from '../../engine/context';
import * as nn from '../../engine/nn';
import { Rng } from '../../engine/rng';
import type { RuleConfig } from '../../rules/config';
import type { CustomOpUse, Finding } from '../../rules/types';
import type { ModelSpec, SourceRange } from '../../model/graph';
import { TraceError } from '../../trace/errors';
import { trainingOf } from '../../trace/run';
import { typescriptFixes } from '../../model/typescript/fixes';
import { appliedRange, graphOf, layerType, siteOffset } from '../../model/typescript/graph';
import { decoratorOptions, ModelOptionsError, specPartsOf, traceSettingsOf } from '../../model/typescript/options';
import type { RunError, RunnerMessage, RunRequest, TracedModel } from './protocol';
import { callRange, classAfter, constructionRange, matchingClose, memberNamed, skipTrivia } from '../../model/typescript/text';

/** Thrown by the runner's `process.exit`, so an exit in the user's code is reported at its line. */
class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`the model called process.exit(${code})`);
  }
}

/** Taken before the user's code runs, which may replace `process.send`. */
const sendToCaller = process.send?.bind(process);

function send(msg: RunnerMessage): void {
  sendToCaller?.(msg);
}

/** The user's line in an error's (source-mapped) stack, as a range of the call or name there. */
function locate(e: unknown, text: string): SourceRange | undefined {
  const site = userSiteIn(e instanceof Error ? e.stack : undefined);
  if (!site) return undefined;
  const at = siteOffset(text, site);
  // `throw new Error(…)` points at its `new`; a failing call at the called name.
  return /^new\b/.test(text.slice(at, at + 4)) ? constructionRange(text, at) : callRange(text, at);
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return `a non-error value was thrown: ${String(e)}`;
  // Our own refusals say what is wrong in the user's words: no class name in front.
  if (e instanceof TraceError) return e.message;
  return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
}

function runError(e: unknown, text: string, className?: string): RunError {
  const kind = e instanceof ExitCalled ? 'exit' : e instanceof TensorMemoryError ? 'oom' : 'error';
  const error: RunError = { kind, message: describe(e) };
  const location = e instanceof ModelOptionsError ? e.range : locate(e, text);
  if (location) error.location = location;
  if (className) error.className = className;
  return error;
}

/** The range of a custom op's `backward`: in its class body, or in the object passed to `customOp(...)`. */
function backwardRange(op: RegisteredCustomOp, text: string): SourceRange {
  if (op.className) {
    const cls = classAfter(text, 0, op.className);
    if (cls && cls.bodyOpen >= 0) return memberNamed(text, cls.bodyOpen, 'backward') ?? cls.name;
  }
  if (op.site) {
    const at = siteOffset(text, op.site);
    let i = at;
    while (i < text.length && /[\w$.]/.test(text[i])) i++;
    const open = skipTrivia(text, i);
    if (text[open] === '(') {
      const brace = skipTrivia(text, open + 1);
      if (text[brace] === '{' && matchingClose(text, brace) > 0) {
        const r = memberNamed(text, brace, 'backward');
        if (r) return r;
      }
    }
    return callRange(text, at);
  }
  return { start: 0, end: 0 };
}

function customOpUses(text: string): CustomOpUse[] {
  const out: CustomOpUse[] = [];
  for (const op of registeredCustomOps()) {
    if (!op.first) continue;
    out.push({
      name: op.fns.name,
      forward: op.fns.forward,
      backward: op.fns.backward,
      inputs: op.latest ? [op.first, op.latest] : [op.first],
      backwardRange: backwardRange(op, text),
      layers: [...op.layers],
    });
  }
  return out;
}

/** A finding about a layer also points at the `forward` line that applies it. */
function adaptFindings(findings: Finding[], root: nn.Module, spec: ModelSpec, text: string): Finding[] {
  const modules = new Map(root.namedModules());
  for (const f of findings) {
    const m = f.layer ? modules.get(f.layer) : undefined;
    if (!m) continue;
    const applied = appliedRange(text, m);
    if (applied && applied.start !== f.range.start) f.related.push({ range: applied, message: `${layerType(m)} ${f.layer} is applied here` });
    else if (!appliedAt.has(m) && f.rule === 'disconnected-parameter') {
      f.related.push({ range: spec.model.typeRange, message: `${f.layer} is never applied in ${spec.model.type}.forward` });
    }
  }
  return findings;
}


function traceOne(m: RegisteredModel, req: RunRequest): TracedModel {
  const { text, fileName } = req;
  const at = m.site ? siteOffset(text, m.site) : 0;
  const decorator = decoratorOptions(text, at);
  const cls = classAfter(text, decorator.call.end, m.name) ?? classAfter(text, decorator.call.end);
  const classRange = cls?.name ?? decorator.call;
  const parts = specPartsOf(m.options, text, decorator.options, decorator.call);
  const traced = traceOptionsOf(m.cls);
  const traceAt = traced?.site ? decoratorOptions(text, siteOffset(text, traced.site)) : null;
  const settings = traceSettingsOf(traced?.options, traceAt?.options ?? null, traceAt?.call ?? null, req.maxSteps);

  return withMemoryLimit(req.memoryLimitBytes, () => {
    setBuildContext({ rng: new Rng(settings.seed), dtype: settings.dtype });
    resetCustomOpInputs();
    let root: nn.Module;
    try {
      root = new m.cls();
    } finally {
      setBuildContext(null);
    }
    adoptTree(root);
    const layers = root
      .namedModules()
      .slice(1)
      .map(([, mod]) => ({ path: mod.path, type: layerType(mod) }));
    // The loss, optimiser and synthetic batch as a spec with these settings would have them.
    const session = trainingOf({ ...parts, trace: settings }, root, layers, settings.dtype);
    const meta = { seed: settings.seed, steps: req.steps ?? settings.steps, optimizer: { type: parts.optimizer.type, lr: Number(parts.optimizer.args.lr) } };
    setRecording(true);
    try {
      const { graph, trace, findings, health } = analyse(
        {
          text,
          fileName,
          // Read after the trace: its first step records where each layer is applied.
          graph: () => ({ model: graphOf(root, text, { name: classRange, whole: cls?.whole ?? decorator.call }, parts.input.shape), ...parts, trace: settings }),
          customOps: () => customOpUses(text),
          fixes: (g) => typescriptFixes(text, g),
        },
        {
          kind: 'built',
          session,
          meta,
          // Stack captures are too slow for every step: the first step's forward is enough.
          options: { memoryLimitBytes: req.memoryLimitBytes, onStep: () => setRecording(false) },
        },
        (req.config as RuleConfig | undefined) ?? undefined,
      );
      return { className: m.name, classRange, decoratorRange: decorator.call, spec: graph, trace, findings: adaptFindings(findings, root, graph, text), health };
    } finally {
      setRecording(false);
    }
  });
}

/** Loads the bundle as a CommonJS module whose `require('gradient-lens')` is this process's library. */
function load(req: RunRequest): void {
  const loader = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown; _nodeModulePaths(dir: string): string[] };
  const original = loader._load;
  loader._load = function (request: string, ...rest: [unknown, boolean]) {
    if (request === 'gradient-lens' || request.startsWith('gradient-lens/')) return authoring;
    return original.call(this, request, ...rest);
  };
  const mod = new Module(req.bundleFile) as Module & { _compile(code: string, file: string): void };
  mod.filename = req.bundleFile;
  mod.paths = loader._nodeModulePaths(dirname(req.bundleFile));
  mod._compile(req.code, req.bundleFile);
}

/**
 * A thread that kills this process past its deadline or once the caller is gone: the caller's own
 * timer cannot help if the caller crashed, and the user's code may never yield to the event loop.
 */
function startWatchdog(deadlineMs: number): void {
  const code = `
    const { workerData: w } = require('node:worker_threads');
    const die = () => process.kill(w.pid, 'SIGKILL');
    setTimeout(die, w.deadlineMs);
    setInterval(() => { try { process.kill(w.ppid, 0); } catch { die(); } }, 1000);
  `;
  new Worker(code, { eval: true, workerData: { pid: process.pid, ppid: process.ppid, deadlineMs } }).unref();
}

/** The user's text and the class being traced, for an error thrown outside any step (a timer's callback). */
let currentText = '';
let currentClass: string | undefined;

/** Rejections nobody handled, in the order they surfaced: reported once each, on the class that ran. */
const unhandled: unknown[] = [];

/** Lets pending promise jobs settle, so a rejection from the code just run surfaces now. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function rejectionError(reason: unknown, text: string, className?: string): RunError {
  const e = runError(reason, text, className);
  if (e.kind === 'error') e.message = `unhandled promise rejection: ${e.message}`;
  return e;
}

/** Reports the rejections that surfaced since the last call; true when there was one. */
function reportRejections(text: string, className?: string): boolean {
  if (!unhandled.length) return false;
  // The first is the cause; the rest usually follow from it.
  send({ type: 'error', error: rejectionError(unhandled[0], text, className) });
  unhandled.length = 0;
  return true;
}

export async function run(req: RunRequest): Promise<void> {
  if (req.deadlineMs !== undefined) startWatchdog(req.deadlineMs);
  setUserFile(req.fileName);
  // Every module the user's code builds remembers the line that built it.
  setModuleCreatedHook(noteCreated);
  process.exit = ((code?: number | string | null) => {
    throw new ExitCalled(Number(code ?? process.exitCode ?? 0));
  }) as typeof process.exit;
  process.on('unhandledRejection', (reason) => unhandled.push(reason));
  try {
    load(req);
  } catch (e) {
    send({ type: 'error', error: runError(e, req.text) });
    send({ type: 'done' });
    return;
  }
  await settle();
  const models = registeredModels();
  send({ type: 'loaded', models: models.map((m) => m.name) });
  // A rejection while the file loaded is the file's; with one class per process, report it once, with the first.
  if (req.only === undefined || req.only === models[0]?.name) reportRejections(req.text);
  else unhandled.length = 0;
  const chosen = req.only === undefined ? models : models.filter((m) => m.name === req.only);
  if (!models.length) {
    send({ type: 'error', error: { kind: 'error', message: 'no @model class in this file: decorate a Module subclass with @model({ input, target, loss, optimizer })' } });
  } else if (!chosen.length) {
    send({ type: 'error', error: { kind: 'error', className: req.only, message: `${req.only} is declared with @model but did not register when the file ran (is the class defined inside a function, or skipped by a condition?)` } });
  }
  for (const m of chosen) {
    send({ type: 'model-start', className: m.name, location: m.site ? decoratorOptions(req.text, siteOffset(req.text, m.site)).call : undefined });
    currentClass = m.name;
    try {
      const traced = traceOne(m, req);
      // A model whose code left a rejected promise behind is not healthy, whatever its gradients say.
      await settle();
      if (!reportRejections(req.text, m.name)) send({ type: 'model', model: traced });
    } catch (e) {
      unhandled.length = 0;
      send({ type: 'error', error: runError(e, req.text, m.name) });
      if (e instanceof ExitCalled) break;
    }
  }
  send({ type: 'done' });
}

if (process.send) {
  process.on('uncaughtException', (e) => {
    send({ type: 'error', error: runError(e, currentText, currentClass) });
    send({ type: 'done' });
  });
  process.once('message', (msg: RunRequest) => {
    if (msg?.type !== 'run') return;
    currentText = msg.text;
    void run(msg);
  });
}
