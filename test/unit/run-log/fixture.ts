/** Synthetic training-run logs, written as python/gradient_lens writes them, for the reader's tests. */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunGraphRecord, RunHeaderRecord, RunStepRecord } from '../../../src/trace/run-log/format';
import { HISTOGRAM_BINS, ParamStep } from '../../../src/trace/types';

export const MODEL_FILE = '/home/user/proj/train.py';

export function header(rank = 0, over: Partial<RunHeaderRecord> = {}): RunHeaderRecord {
  return {
    kind: 'header',
    format: 'gradient-lens-run',
    version: 1,
    rank,
    run: 'run-1',
    startedAt: '2026-01-01T00:00:00+00:00',
    worldSize: 1,
    torch: '1.13.0',
    python: '3.11.2',
    host: 'box',
    pid: 100 + rank,
    cwd: '/home/user/proj',
    logDir: 'runs/gl',
    argv: ['train.py'],
    every: 1,
    dtype: 'float32',
    optimizer: { type: 'SGD', lr: 0.01, args: { lr: 0.01, momentum: 0 }, site: { file: MODEL_FILE, line: 9, column: 13, endLine: 9, endColumn: 51 } },
    params: [
      { name: '0.weight', layer: '0', shape: [10, 10] },
      { name: '0.bias', layer: '0', shape: [10] },
      { name: '2.weight', layer: '2', shape: [1, 10] },
      { name: '2.bias', layer: '2', shape: [1] },
    ],
    modules: [
      { path: '', type: 'Sequential', args: {}, params: [], children: ['0', '1', '2'], site: { file: MODEL_FILE, line: 4, column: 9, endLine: 8, endColumn: 2 } },
      {
        path: '0',
        type: 'Linear',
        args: { in_features: 10, out_features: 10, bias: true },
        params: [
          { name: 'weight', shape: [10, 10] },
          { name: 'bias', shape: [10] },
        ],
        children: [],
        site: { file: MODEL_FILE, line: 5, column: 5, endLine: 5, endColumn: 22 },
      },
      { path: '1', type: 'Sigmoid', args: {}, params: [], children: [], site: { file: MODEL_FILE, line: 6, column: 5, endLine: 6, endColumn: 17 } },
      {
        path: '2',
        type: 'Linear',
        args: { in_features: 10, out_features: 1, bias: true },
        params: [
          { name: 'weight', shape: [1, 10] },
          { name: 'bias', shape: [1] },
        ],
        children: [],
        site: { file: MODEL_FILE, line: 7, column: 5, endLine: 7, endColumn: 21 },
      },
    ],
    ...over,
  };
}

export const MODEL_TEXT = [
  'import torch',
  'import torch.nn as nn',
  '',
  'model = nn.Sequential(',
  '    nn.Linear(10, 10),',
  '    nn.Sigmoid(),',
  '    nn.Linear(10, 1)',
  ')',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.01)',
  'criterion = nn.MSELoss()',
].join('\n');

export function graph(over: Partial<RunGraphRecord> = {}): RunGraphRecord {
  return {
    kind: 'graph',
    order: ['0', '1', '2', ''],
    shapes: { '0': { in: [10], out: [10] }, '1': { in: [10], out: [10] }, '2': { in: [10], out: [1] }, '': { in: [10], out: [1] } },
    batchSize: 8,
    loss: { type: 'MSELoss', reduction: 'mean', site: { file: MODEL_FILE, line: 10, column: 13, endLine: 10, endColumn: 25 } },
    backwardSite: null,
    ...over,
  };
}

export function paramStep(gradNorm: number, over: Partial<ParamStep> = {}): ParamStep {
  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  return {
    reached: true,
    gradNorm,
    gradMeanAbs: gradNorm / 10,
    gradMaxAbs: gradNorm / 3,
    zeroFraction: 0,
    subnormalFraction: 0,
    nonFinite: 0,
    weightNorm: 1,
    weightMean: 0,
    weightStd: 0.3,
    updateRatio: 1e-3,
    histogram,
    ...over,
  };
}

export interface StepOptions {
  loss?: number;
  saturated?: number;
  samples?: number;
  inputMean?: number;
  norms?: number[];
  outputNonFinite?: number;
}

export function step(n: number, o: StepOptions = {}): RunStepRecord {
  const norms = o.norms ?? [1e-3, 1e-3, 0.1, 0.1];
  return {
    kind: 'step',
    step: n,
    loss: o.loss ?? 0.5,
    lr: 0.01,
    time: n * 0.01,
    batchSize: o.samples ?? 8,
    params: norms.map((v) => paramStep(v)),
    activations: [
      {
        layer: '1',
        op: 'sigmoid',
        samples: o.samples ?? 8,
        units: 10,
        saturatedShare: o.saturated ?? 0.1,
        flatShare: 0,
        deadShare: 0,
        zeroDerivativeShare: 0,
        inputMean: o.inputMean ?? 0,
        inputStd: 1,
        inputMaxAbs: 3,
      },
    ],
    outputs: [
      { layer: '0', absMax: 3, mean: 0, nonFinite: o.outputNonFinite ?? 0 },
      { layer: '1', absMax: 0.9, mean: 0.5, nonFinite: 0 },
      { layer: '2', absMax: 1, mean: 0.1, nonFinite: 0 },
    ],
    flow: [
      { layer: '0', op: 'Linear', outputGradNorm: 0.01, inputGradNorm: null },
      { layer: '1', op: 'Sigmoid', outputGradNorm: 0.05, inputGradNorm: 0.01 },
      { layer: '2', op: 'Linear', outputGradNorm: 0.1, inputGradNorm: 0.05 },
    ],
  };
}

/** Non-finite numbers as the Python writer writes them. */
export function line(record: object): string {
  return (
    JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : v)) + '\n'
  );
}

/** A project like the one the fixture's run was recorded in (train.py, runs/gl/) at another path: the log folder. */
export function project(dir: TempDir): string {
  const logDir = join(dir.path, 'proj', 'runs', 'gl');
  mkdirSync(logDir, { recursive: true });
  writeFileSync(join(dir.path, 'proj', 'train.py'), MODEL_TEXT);
  return logDir;
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'gl-run-'));
  file(name: string, records: object[] | string): string {
    const p = join(this.path, name);
    writeFileSync(p, typeof records === 'string' ? records : records.map(line).join(''));
    return p;
  }
  append(name: string, records: object[] | string): void {
    appendFileSync(join(this.path, name), typeof records === 'string' ? records : records.map(line).join(''));
  }
  dispose(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
