/**
 * Ranks' records into one Trace. Gradient statistics are read after DDP's all-reduce, so every
 * rank has the same ones: the lowest rank's are kept and the others checked against them.
 * Activation, output and gradient-flow statistics are per rank (each saw its own batch) and are
 * pooled as if one process had seen the whole global batch. A step is merged once every rank has
 * written it or moved past it (ranks may record slightly different steps; see schedule.py), or
 * has ended; a rank that falls far behind is merged without, with a note.
 *
 * Memory stays bounded on any log length: past `maxSteps` merged steps every other one is dropped
 * (steps with a non-finite value are always kept) and from then on only every `stride`-th is kept;
 * the latest step is always the last one.
 */
import type { ActivationStep, LayerFlowStep, LayerOutputStep, NonFiniteEvent, RankInfo, StepRecord, Trace } from '../types';
import type { RunEndRecord, RunGraphRecord, RunHeaderRecord, RunNonFiniteRecord, RunStepRecord } from './format';

/** Enough for the charts' resolution; each kept step of a large model is tens of KiB in memory. */
export const DEFAULT_MAX_STEPS = 1000;
/** Steps a rank may be ahead of the slowest one before that one is merged without. */
export const MAX_PENDING = 256;
/** Relative difference of gradient norms beyond which ranks are said to disagree (all-reduce gives identical values). */
const RANK_AGREEMENT = 1e-6;
const MAX_NOTES = 50;

export interface RankState {
  rank: number;
  header: RunHeaderRecord;
  files: string[];
  graph: RunGraphRecord | null;
  pending: Map<number, RunStepRecord>;
  /** The highest step this rank wrote (-1 before any). */
  lastStep: number;
  end: RunEndRecord | null;
  nonFinite: RunNonFiniteRecord | null;
}

export class RunMerger {
  readonly ranks = new Map<number, RankState>();
  readonly trace: Trace;
  private base: RunHeaderRecord;
  /** Steps at or below this are merged (or given up on). */
  private mergedUpTo = -1;
  private mergedCount = 0;
  /** The last kept step is there only because it is the latest: the next one replaces it. */
  private lastIsExtra = false;
  private noted = new Set<string>();
  private keyed = new Map<string, number>();

  constructor(
    first: RunHeaderRecord,
    file: string,
    readonly maxSteps = DEFAULT_MAX_STEPS,
  ) {
    this.base = first;
    this.trace = {
      file,
      dtype: first.dtype === 'float64' ? 'float64' : 'float32',
      batchSize: 0,
      seed: 0,
      params: first.params.map((p) => ({ ...p, shape: [...p.shape] })),
      layers: first.modules.filter((m) => m.path !== '').map((m) => ({ path: m.path, type: m.type, ...(m.site ? { site: m.site } : {}) })),
      steps: [],
      firstNonFinite: null,
      stoppedEarly: null,
      durationMs: 0,
      optimizer: { type: first.optimizer.type, lr: first.optimizer.lr },
      run: {
        id: first.run,
        startedAt: first.startedAt,
        torch: first.torch,
        python: first.python,
        worldSize: first.worldSize,
        ranks: [],
        every: first.every,
        argv: first.argv,
        cwd: first.cwd,
        logDir: first.logDir,
        loss: null,
        backwardSite: null,
        optimizerArgs: first.optimizer.args,
        optimizerSite: first.optimizer.site ?? null,
        modules: first.modules,
        order: [],
        shapes: {},
        notes: [],
        stride: 1,
        ended: null,
      },
    };
  }

  get run() {
    return this.trace.run!;
  }

  note(text: string, key = text): void {
    if (this.noted.has(key)) return;
    this.noted.add(key);
    if (this.run.notes.length < MAX_NOTES) this.run.notes.push(text);
    else if (this.run.notes.length === MAX_NOTES) this.run.notes.push('(more notes left out)');
  }

  /** A note that changes as the run goes (replaced, not repeated). */
  private updateNote(key: string, text: string): void {
    const at = this.keyed.get(key);
    if (at !== undefined) this.run.notes[at] = text;
    else if (this.run.notes.length < MAX_NOTES) {
      this.keyed.set(key, this.run.notes.length);
      this.run.notes.push(text);
    }
  }

  /** A rank's file (its first part, or a later one). Returns false when the file does not belong to this run's model. */
  addHeader(header: RunHeaderRecord, file: string): boolean {
    const known = this.ranks.get(header.rank);
    if (known) {
      if (!known.files.includes(file)) known.files.push(file);
      return true;
    }
    const names = (h: RunHeaderRecord) => h.params.map((p) => `${p.name}:${p.shape.join('x')}`).join(',');
    if (names(header) !== names(this.base)) {
      this.note(`${file}: rank ${header.rank}'s model has other parameters than rank ${this.base.rank}'s; its steps are not merged`);
      return false;
    }
    if (header.worldSize !== this.base.worldSize) this.note(`${file}: rank ${header.rank} says the world size is ${header.worldSize}, rank ${this.base.rank} says ${this.base.worldSize}`);
    if (header.rank < this.base.rank) this.base = header;
    this.ranks.set(header.rank, { rank: header.rank, header, files: [file], graph: null, pending: new Map(), lastStep: -1, end: null, nonFinite: null });
    this.refreshRanks();
    return true;
  }

  addGraph(rank: number, g: RunGraphRecord): void {
    const r = this.ranks.get(rank);
    if (!r || r.graph) return;
    r.graph = g;
    if (rank === this.lowestRank()) {
      this.run.loss = g.loss;
      this.run.backwardSite = g.backwardSite;
      this.run.order = g.order;
      this.run.shapes = g.shapes;
    }
  }

  addStep(rank: number, s: RunStepRecord, where: string): void {
    const r = this.ranks.get(rank);
    if (!r) return;
    if (s.params.length !== this.trace.params.length) {
      this.note(`${where}: step ${s.step} has ${s.params.length} parameters, the header lists ${this.trace.params.length}; skipped`);
      return;
    }
    if (s.step <= this.mergedUpTo) {
      this.note(`${where}: rank ${rank} wrote step ${s.step} after later steps were merged; skipped`, `late:${rank}`);
      return;
    }
    r.pending.set(s.step, s);
    if (s.step > r.lastStep) r.lastStep = s.step;
  }

  addNonFinite(rank: number, e: RunNonFiniteRecord): void {
    const r = this.ranks.get(rank);
    if (!r || r.nonFinite) return;
    r.nonFinite = e;
    const event: NonFiniteEvent = { step: e.step, op: e.op, layer: e.layer, phase: e.phase, nan: e.nan, inf: e.inf, inputMaxAbs: e.inputMaxAbs, rank, recorded: e.recorded };
    const cur = this.trace.firstNonFinite;
    // Earliest step first; at the same step an event a recorded step located beats a bare loss; then the lower rank.
    const better = !cur || e.step < cur.step || (e.step === cur.step && ((e.recorded && cur.recorded === false) || (e.recorded === (cur.recorded ?? true) && rank < (cur.rank ?? Infinity))));
    if (better) this.trace.firstNonFinite = event;
  }

  addEnd(rank: number, e: RunEndRecord): void {
    const r = this.ranks.get(rank);
    if (!r) return;
    r.end = e;
    if (e.step > r.lastStep) r.lastStep = e.step;
    this.refreshRanks();
  }

  /** Merges every step that is complete; with `final`, every step there is (the reader has read everything). */
  mergeReady(final = false): boolean {
    const world = this.base.worldSize;
    const steps = new Set<number>();
    for (const r of this.ranks.values()) for (const s of r.pending.keys()) steps.add(s);
    if (!steps.size) return false;
    const order = [...steps].sort((a, b) => a - b);
    let changed = false;
    for (const step of order) {
      let ready = true;
      if (!final) {
        const backlog = Math.max(...[...this.ranks.values()].map((r) => r.pending.size));
        for (let rank = 0; rank < world && ready; rank++) {
          const r = this.ranks.get(rank);
          const passed = r && (r.pending.has(step) || r.lastStep > step || r.end !== null);
          if (!passed) {
            if (backlog > MAX_PENDING) this.note(`rank ${rank} is more than ${MAX_PENDING} recorded steps behind the others (or wrote no log): steps are merged without it`, `behind:${rank}`);
            else ready = false;
          }
        }
      }
      if (!ready) break;
      const records: { rank: number; rec: RunStepRecord }[] = [];
      for (const r of [...this.ranks.values()].sort((a, b) => a.rank - b.rank)) {
        const rec = r.pending.get(step);
        if (rec) {
          records.push({ rank: r.rank, rec });
          r.pending.delete(step);
        }
      }
      this.mergedUpTo = step;
      if (records.length) {
        this.keep(this.mergeStep(records));
        changed = true;
      }
    }
    if (final) {
      for (let rank = 0; rank < world; rank++) if (!this.ranks.has(rank)) this.note(`rank ${rank} wrote no log (the run has ${world} ranks): its activations are missing`, `missing:${rank}`);
    }
    this.refreshRanks();
    return changed;
  }

  private lowestRank(): number {
    return Math.min(...this.ranks.keys());
  }

  private refreshRanks(): void {
    const infos: RankInfo[] = [...this.ranks.values()]
      .sort((a, b) => a.rank - b.rank)
      .map((r) => ({
        rank: r.rank,
        host: r.header.host,
        pid: r.header.pid,
        files: r.files,
        lastStep: r.lastStep >= 0 ? r.lastStep : null,
        ended: r.end?.reason ?? null,
        overheadShare: r.end?.overheadShare ?? null,
      }));
    this.run.ranks = infos;
    const ends = [...this.ranks.values()].map((r) => r.end);
    const all = this.ranks.size >= this.base.worldSize && ends.every((e) => e !== null);
    const failed = ends.find((e) => e && e.reason !== 'finished');
    this.run.ended = all ? (failed?.reason ?? 'finished') : null;
    if (failed) this.trace.stoppedEarly = `the run ended at step ${failed.step}: ${failed.reason}`;
  }

  private reportThinning(): void {
    const stride = this.run.stride;
    this.updateNote('thinned', `long run: ${this.mergedCount} recorded steps; 1 in ${stride} is kept in memory, with the latest and every step with a NaN or Inf`);
  }

  private keep(step: StepRecord): void {
    const steps = this.trace.steps;
    if (this.lastIsExtra) {
      steps.pop();
      this.lastIsExtra = false;
    }
    const index = this.mergedCount++;
    if (!this.trace.batchSize && step.batchSize) this.trace.batchSize = step.batchSize;
    if (step.time !== undefined) this.trace.durationMs = Math.max(this.trace.durationMs, step.time * 1000);
    const special = hasNonFinite(step);
    steps.push(step);
    if (index % this.run.stride !== 0 && !special) this.lastIsExtra = true;
    if (steps.length > this.maxSteps) this.thin();
    else if (this.run.stride > 1) this.reportThinning();
  }

  /** Halves the kept steps: every other one goes, except the first, the latest and those with a non-finite value. */
  private thin(): void {
    const stride = this.run.stride * 2;
    const steps = this.trace.steps;
    const last = steps.length - 1;
    const kept = steps.filter((s, i) => i === 0 || i === last || hasNonFinite(s) || i % 2 === 0);
    this.trace.steps = kept;
    this.run.stride = stride;
    this.lastIsExtra = false;
    this.reportThinning();
  }

  private mergeStep(records: { rank: number; rec: RunStepRecord }[]): StepRecord {
    const base = records[0].rec;
    const n = records.length;
    for (const { rank, rec } of records.slice(1)) {
      for (let i = 0; i < base.params.length; i++) {
        const a = base.params[i].gradNorm;
        const b = rec.params[i].gradNorm;
        if (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) > RANK_AGREEMENT * Math.max(Math.abs(a), Math.abs(b))) {
          this.note(
            `ranks disagree on the gradient of ${this.trace.params[i].name} at step ${base.step} (rank ${records[0].rank}: ${a.toPrecision(4)}, rank ${rank}: ${b.toPrecision(4)}): gradients are not averaged across ranks; is the model wrapped in DistributedDataParallel?`,
            'disagree',
          );
          break;
        }
      }
    }
    const bad = records.filter(({ rec }) => !Number.isFinite(rec.loss) || rec.outputs.some((o) => o.nonFinite > 0)).map(({ rank }) => rank);
    if (bad.length && bad.length < n) {
      this.note(`step ${base.step}: NaN or Inf on rank${bad.length > 1 ? 's' : ''} ${bad.join(', ')} only; the other ranks' values were finite`, 'rank-nan');
    }
    const batch = records.reduce((a, { rec }) => a + (rec.batchSize ?? 0), 0);
    const step: StepRecord = {
      step: base.step,
      loss: records.reduce((a, { rec }) => a + rec.loss, 0) / n,
      lr: base.lr,
      time: Math.max(...records.map(({ rec }) => rec.time)),
      ...(batch ? { batchSize: batch } : {}),
      ranks: records.map(({ rank }) => rank),
      params: base.params,
      activations: n === 1 ? base.activations : poolActivations(records.map(({ rec }) => rec.activations)),
      outputs: n === 1 ? base.outputs : poolOutputs(records.map(({ rec }) => rec.outputs)),
      flow: n === 1 ? base.flow : poolFlow(records.map(({ rec }) => rec.flow)),
    };
    return step;
  }
}

function hasNonFinite(s: StepRecord): boolean {
  return !Number.isFinite(s.loss) || s.params.some((p) => p.nonFinite > 0) || s.outputs.some((o) => o.nonFinite > 0);
}

/** Groups per-rank lists by key, in the order of first appearance. */
function groupBy<T>(lists: T[][], key: (t: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const list of lists) for (const t of list) {
    const k = key(t);
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  return [...groups.values()];
}

/**
 * As if one process had seen every rank's samples: shares weighted by entries, moments pooled.
 * Dead units are weighted by samples: per-unit counts are not in the log, and each rank's batch is
 * a sample of the same data, so the shares estimate the same thing.
 */
function poolActivations(lists: ActivationStep[][]): ActivationStep[] {
  return groupBy(lists, (a) => `${a.layer}\u0000${a.op}`).map((g) => {
    const first = g[0];
    const entries = g.map((a) => a.samples * a.units);
    const total = entries.reduce((x, y) => x + y, 0);
    const samples = g.reduce((x, a) => x + a.samples, 0);
    const w = (pick: (a: ActivationStep) => number) => (total ? g.reduce((x, a, i) => x + pick(a) * entries[i], 0) / total : 0);
    const mean = w((a) => a.inputMean);
    const meanSq = w((a) => a.inputStd * a.inputStd + a.inputMean * a.inputMean);
    return {
      layer: first.layer,
      op: first.op,
      samples,
      units: first.units,
      saturatedShare: w((a) => a.saturatedShare),
      flatShare: w((a) => a.flatShare),
      deadShare: samples ? g.reduce((x, a) => x + a.deadShare * a.samples, 0) / samples : 0,
      ...(first.deadUnits ? { deadUnits: first.deadUnits } : {}),
      zeroDerivativeShare: w((a) => a.zeroDerivativeShare),
      inputMean: mean,
      inputStd: Math.sqrt(Math.max(0, meanSq - mean * mean)),
      inputMaxAbs: Math.max(...g.map((a) => a.inputMaxAbs)),
    };
  });
}

/** Each rank's batch weighs the same (DDP splits the global batch evenly). */
function poolOutputs(lists: LayerOutputStep[][]): LayerOutputStep[] {
  return groupBy(lists, (o) => o.layer).map((g) => {
    const mean = g.reduce((x, o) => x + o.mean, 0) / g.length;
    const withStd = g.filter((o) => o.std !== undefined);
    const meanSq = withStd.reduce((x, o) => x + o.std! * o.std! + o.mean * o.mean, 0) / (withStd.length || 1);
    return {
      layer: g[0].layer,
      absMax: Math.max(...g.map((o) => o.absMax)),
      mean,
      ...(withStd.length === g.length ? { std: Math.sqrt(Math.max(0, meanSq - mean * mean)) } : {}),
      nonFinite: g.reduce((x, o) => x + o.nonFinite, 0),
    };
  });
}

/**
 * DDP averages the ranks' losses, so the gradient reaching an activation on rank r is 1/R of that
 * rank's own: the norm over the global batch is √(Σ nᵣ²)/R, on the scale of the parameter gradients.
 */
function poolFlow(lists: LayerFlowStep[][]): LayerFlowStep[] {
  const ranks = lists.length;
  const pool = (v: number[]) => Math.sqrt(v.reduce((x, y) => x + y * y, 0)) / ranks;
  return groupBy(lists, (f) => f.layer).map((g) => {
    const inputs = g.map((f) => f.inputGradNorm).filter((v): v is number => v !== null);
    return { layer: g[0].layer, op: g[0].op, outputGradNorm: pool(g.map((f) => f.outputGradNorm)), inputGradNorm: inputs.length ? pool(inputs) : null };
  });
}
