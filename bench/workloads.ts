/** The benchmark workloads, described once and built for each framework. */

/** A stack of Linear layers (issue 2's W1–W4). */
export interface MlpWorkload {
  kind: 'mlp';
  id: string;
  title: string;
  /** Layer widths from input to output. */
  widths: number[];
  activation: 'sigmoid' | 'relu';
  loss: 'mse' | 'cross_entropy';
  batch: number;
}

/** A model spec under bench/models, built by each framework from its layer tree. */
export interface SpecWorkload {
  kind: 'spec';
  id: string;
  title: string;
  file: string;
}

export type Workload = MlpWorkload | SpecWorkload;

const repeat = (n: number, w: number) => Array.from({ length: n + 1 }, () => w);

export const WORKLOADS: Workload[] = [
  { kind: 'mlp', id: 'W1', title: 'Linear(10,10)-Sigmoid-Linear(10,1), MSE, batch 1', widths: [10, 10, 1], activation: 'sigmoid', loss: 'mse', batch: 1 },
  { kind: 'mlp', id: 'W2', title: '784-256-256-10 ReLU, CrossEntropy, batch 64', widths: [784, 256, 256, 10], activation: 'relu', loss: 'cross_entropy', batch: 64 },
  { kind: 'mlp', id: 'W3', title: '20×(Linear(64,64)+Sigmoid), MSE, batch 32', widths: repeat(20, 64), activation: 'sigmoid', loss: 'mse', batch: 32 },
  { kind: 'mlp', id: 'W4', title: '1024-1024-1024-10 ReLU, CrossEntropy, batch 128', widths: [1024, 1024, 1024, 10], activation: 'relu', loss: 'cross_entropy', batch: 128 },
  {
    kind: 'spec',
    id: 'W5',
    title: 'CIFAR-size CNN: Conv 3→32, Conv 32→64, 2 max-pools, 4096→128→10, batch 16',
    file: 'bench/models/cifar-cnn.grad.yaml',
  },
  // The recurrent and attention layers of issue 13, at the size of a small text model.
  { kind: 'spec', id: 'W6', title: 'LSTM(32→128) over 35 steps, Flatten, Linear(4480,10), batch 32', file: 'bench/models/lstm.grad.yaml' },
  {
    kind: 'spec',
    id: 'W7',
    title: '2×TransformerEncoderLayer(d 128, 4 heads, ff 512) over 64 tokens, Flatten, Linear(8192,10), batch 16',
    file: 'bench/models/transformer.grad.yaml',
  },
];

/** W3 puts the activation after every Linear, the MLPs only between them. */
export function activationAfterLast(w: MlpWorkload): boolean {
  return w.id === 'W3';
}

/** Median wall-clock and CPU ms per call of one measurement. */
export interface Timing {
  ms: number;
  /**
   * CPU time of this process per call: what the machine's other load disturbs least (a busy
   * machine stretches the wall clock of whoever is descheduled, not the work done).
   */
  cpuMs: number;
  /** The fastest sample, by each clock: what the call costs when nothing else gets in the way. */
  bestMs: number;
  bestCpuMs: number;
}

/**
 * Samples taken by the wall clock and by this process's CPU time until the budget is spent and at
 * least `minSamples` are in; the medians and bests come out in ms per call.
 */
class Samples {
  private readonly wall: number[] = [];
  private readonly cpu: number[] = [];
  private readonly start = performance.now();
  private t = 0;
  private c = process.cpuUsage();

  constructor(
    private readonly budgetMs: number,
    private readonly minSamples: number,
  ) {}

  get wanted(): boolean {
    return this.wall.length < this.minSamples || performance.now() - this.start < this.budgetMs;
  }

  begin(): void {
    this.t = performance.now();
    this.c = process.cpuUsage();
  }

  /** Ends the sample begun last, which made `calls` calls. */
  end(calls: number): void {
    const used = process.cpuUsage(this.c);
    this.wall.push((performance.now() - this.t) / calls);
    this.cpu.push((used.user + used.system) / 1000 / calls);
  }

  timing(): Timing {
    const { wall, cpu } = this;
    return { ms: median(wall), cpuMs: median(cpu), bestMs: Math.min(...wall), bestCpuMs: Math.min(...cpu) };
  }
}

/**
 * Runs `fn` for about `budgetMs` and returns the median ms per call, by the wall clock and by this
 * process's CPU time. Fast functions are timed in batches of calls (each sample at least ~2 ms),
 * so the clock's own cost does not count.
 */
export function measure(fn: () => void, budgetMs: number, minSamples = 3, warmup = 2): Timing {
  for (let i = 0; i < warmup; i++) fn();
  let batch = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    if (performance.now() - t >= 2 || batch >= 1 << 20) break;
    batch *= 2;
  }
  const samples = new Samples(budgetMs, minSamples);
  while (samples.wanted) {
    samples.begin();
    for (let i = 0; i < batch; i++) fn();
    samples.end(batch);
  }
  return samples.timing();
}

/**
 * The same for an asynchronous call, one call per sample (each is long enough to time alone).
 * The CPU time is the whole process's, worker threads included: what a call into a worker costs.
 */
export async function measureAsync(fn: () => Promise<void>, budgetMs: number, minSamples = 5, warmup = 2): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = new Samples(budgetMs, minSamples);
  while (samples.wanted) {
    samples.begin();
    await fn();
    samples.end(1);
  }
  return samples.timing();
}

/** Median wall-clock ms per call (see `measure`). */
export function timeIt(fn: () => void, budgetMs: number, minSamples = 3, warmup = 2): number {
  return measure(fn, budgetMs, minSamples, warmup).ms;
}

/** Rows of cells printed as a table: the first column to the left, the rest to the right. */
export function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
