/**
 * What `trace`, `report` and `grads` share for a spec: read every input under the limits, run the
 * work inside the time and memory limits, and turn any error about the user's files into one line
 * `file:line:col: message` in the file at fault.
 */
import { memoryLimitBytes, limitName } from '../limits';
import type { DType } from '../engine';
import type { RuleConfig } from '../rules/config';
import { READING } from '../limits';
import { stepTimeBudget, withinLimits } from '../trace/bounded';
import { loadDataFiles } from '../trace/data-files';
import { TraceError } from '../trace/errors';
import type { ReadLimit } from '../user-files';
import type { TraceOptions } from '../trace/run';
import { choice, limitsFromArgs, ParsedArgs, positiveInt, UsageError } from './args';
import { errorAt, Inputs, LoadedSpec, loadBatch, loadRuleConfig, loadSpec, loadState, locateTraceError } from './input';
import type { Io } from './main';

export interface SpecRun extends LoadedSpec {
  file: string;
  inputs: Inputs;
  config?: RuleConfig;
  /** What to pass to traceModel / computeGrads: steps, dtype, state, batch, data files, memory cap. */
  trace: TraceOptions;
}

/** Runs `work` on the loaded spec within the limits of `args`; errors come out as InputErrors. */
export function runSpec<T>(file: string, args: ParsedArgs, io: Io, work: (run: SpecRun) => T): T {
  const inputs = new Inputs(io, limitsFromArgs(args));
  const limits = inputs.limits;
  const dtype: DType | undefined = args.options.has('dtype') ? choice(args.options.get('dtype'), ['float32', 'float64'] as const, 'dtype', 'float32') : undefined;
  const steps = positiveInt(args.options.get('steps'), 'steps');
  if (steps !== undefined && steps > limits.maxSteps) throw new UsageError(`--steps ${steps} is over the limit of ${limits.maxSteps} steps per trace (${limitName('maxSteps')})`);
  const statePath = args.options.get('state');
  const batchPath = args.options.get('batch');
  const configPath = args.options.get('config');
  let loaded: LoadedSpec | undefined;
  // What the time went to when it runs out: a file being read, or (null) the trace.
  let reading: string | null = null;
  const during = <T>(what: string, read: () => T): T => {
    reading = what;
    return read();
  };
  try {
    return withinLimits(() => {
      const budget = stepTimeBudget(limits.timeLimitMs);
      loaded = during(READING.spec(file), () => loadSpec(file, inputs));
      const { spec } = loaded;
      const state = statePath ? during(READING.stateFile(statePath), () => loadState(statePath, inputs)) : undefined;
      const batch = batchPath ? during(READING.batchFile(batchPath), () => loadBatch(batchPath, inputs)) : undefined;
      const config = configPath ? during(READING.ruleConfig(configPath), () => loadRuleConfig(configPath, inputs)) : undefined;
      const dataOptions = {
        specPath: file,
        roots: [process.cwd()],
        limits,
        dtype: dtype ?? spec.trace.dtype,
        ...(io.readBytes ? { readBytes: (path: string, limit: ReadLimit) => Buffer.from(io.readBytes!(path, limit)) } : {}),
      };
      // A --batch replaces the spec's data, files included: they are not read.
      const data = batch ? undefined : during(READING.dataFiles(file), () => loadDataFiles(spec, dataOptions));
      for (const p of data?.paths ?? []) inputs.files.set(p, { text: '', what: 'data file' });
      const trace: TraceOptions = { steps, dtype, state, batch, data, memoryLimitBytes: memoryLimitBytes(limits), onStep: budget.onStep };
      reading = null;
      budget.traceStarts();
      return work({ ...loaded, file, inputs, config, trace });
    }, limits, () => reading);
  } catch (e) {
    if (!(e instanceof TraceError)) throw e;
    if (!loaded) throw errorAt(file, inputs.textOf(file), 0, e.message);
    throw locateTraceError(e, { spec: { path: file, text: loaded.text, spec: loaded.spec }, state: statePath, batch: batchPath }, inputs);
  }
}
