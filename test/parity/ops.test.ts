/**
 * Op parity: every case in op-cases.ts runs its Python statements in PyTorch (Debian's torch 1.13,
 * /usr/bin/python3) and its TypeScript twin in the engine, on the same input values, in float64 and
 * float32. Outputs must agree in dtype, shape and values, and the gradients of sum(out·w) (fixed
 * weights w) must agree for every input that requires one; a case PyTorch refuses must make the
 * engine throw too. Tolerances: float64 1e-9 relative (summation orders differ), float32 1e-5.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { backward, loadStateDict, nn, Rng, Tensor } from '../../src/engine';
import type { DType } from '../../src/engine';
import * as F from '../../src/engine';
import { MODULE_CASES } from './module-cases';
import { OP_CASES as OPS, OpCase } from './op-cases';

const OP_CASES: OpCase[] = [...OPS, ...MODULE_CASES];
import { PYTHON, requireTorch } from '../support/torch';

const TOLERANCE: Record<DType, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-9, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
};

type Encoded = number | string;
interface TorchTensor {
  dtype: string;
  shape: number[];
  data: Encoded[];
}
interface TorchResult {
  error?: string;
  outputs: TorchTensor[];
  grads: Record<string, { shape: number[]; data: Encoded[] } | null>;
  state?: Record<string, { shape: number[]; data: Encoded[] }>;
  param_grads?: Record<string, Encoded[] | null>;
}

const decode = (v: Encoded): number => (typeof v === 'number' ? v : Number(v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN));
const encode = (v: number): Encoded => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');

function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The input values of a case, the same for both dtypes and both sides. */
function inputValues(c: OpCase): Record<string, number[]> {
  const rng = new Rng(seedOf(c.name));
  const out: Record<string, number[]> = {};
  for (const [name, spec] of Object.entries(c.inputs)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.values) {
      if (spec.values.length !== n) throw new Error(`${c.name}: input ${name} has ${spec.values.length} values for shape [${spec.shape}]`);
      out[name] = [...spec.values];
      continue;
    }
    const kind = spec.dtype ?? 'float';
    const low = spec.low ?? (kind === 'float' ? -2 : 0);
    const high = spec.high ?? (kind === 'float' ? 2 : 5);
    out[name] = Array.from({ length: n }, () => (kind === 'float' ? rng.between(low, high) : kind === 'int64' ? rng.integer(low, high) : rng.uniform() < 0.5 ? 1 : 0));
  }
  return out;
}

function weights(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(0.7 * i + 0.3));
}

interface Worst {
  rel: number;
  where: string;
}

/**
 * Tolerance by the values' own dtype: a float32 output of a float64 run is held to float32's, or to
 * the case's own float32 rtol where PyTorch's float32 result is itself further from the float64 one.
 */
function compareValues(what: string, ours: ArrayLike<number>, theirs: Encoded[], dtype: DType, worst: Worst, c: OpCase): string[] {
  const single = ours instanceof Float32Array || dtype === 'float32';
  const { atol } = TOLERANCE[single ? 'float32' : dtype];
  const rtol = single ? (c.float32Rtol ?? TOLERANCE.float32.rtol) : TOLERANCE[dtype].rtol;
  if (ours.length !== theirs.length) return [`${what}: ${ours.length} values, PyTorch has ${theirs.length}`];
  const failures: string[] = [];
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = decode(theirs[i]);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    const scale = Math.max(Math.abs(a), Math.abs(b));
    const rel = Number.isFinite(a) && Number.isFinite(b) ? Math.abs(a - b) / (scale + atol / rtol) : Infinity;
    if (rel > worst.rel) Object.assign(worst, { rel, where: `${what}[${i}]` });
    if (!(Math.abs(a - b) <= rtol * scale + atol) && failures.length < 5) failures.push(`${what}[${i}]: ours ${a}, PyTorch ${b}`);
  }
  return failures;
}

describe('PyTorch parity of the tensor ops (op-cases.ts against torch 1.13)', function () {
  this.timeout(120_000);
  const results = new Map<string, TorchResult>();
  const table: { name: string; dtype: DType; worst: Worst }[] = [];
  let torchVersion = '';
  const values = new Map(OP_CASES.map((c) => [c.name, inputValues(c)]));

  before(function () {
    requireTorch(this, 'the op parity suite');
    const cases = OP_CASES.flatMap((c) =>
      (c.dtypes ?? (['float64', 'float32'] as DType[])).map((dtype) => ({
        id: `${c.name}:${dtype}`,
        dtype,
        py: c.py,
        module: c.module?.py ?? null,
        inputs: Object.fromEntries(
          Object.entries(c.inputs).map(([name, spec]) => [
            name,
            { shape: spec.shape, dtype: spec.dtype ?? 'float', grad: (spec.dtype ?? 'float') === 'float' && spec.grad !== false, data: values.get(c.name)![name].map(encode) },
          ]),
        ),
      })),
    );
    const r = spawnSync(PYTHON, [join(__dirname, 'torch_ops.py')], { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`torch_ops.py failed:\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as { torch: string; results: Record<string, TorchResult> };
    torchVersion = out.torch;
    for (const [id, res] of Object.entries(out.results)) results.set(id, res);
  });

  after(function () {
    if (!table.length) return;
    for (const dtype of ['float64', 'float32'] as DType[]) {
      const rows = table.filter((r) => r.dtype === dtype);
      const worst = rows.reduce((m, r) => (r.worst.rel > m.worst.rel ? r : m), rows[0]);
      if (worst) console.log(`  ops against torch ${torchVersion}, ${dtype}: ${rows.length} cases, worst relative error ${worst.worst.rel.toExponential(2)} in ${worst.name} (${worst.worst.where})`);
    }
  });

  for (const c of OP_CASES) {
    for (const dtype of c.dtypes ?? (['float64', 'float32'] as DType[])) {
      it(`${c.name} (${dtype})`, function () {
        const ref = results.get(`${c.name}:${dtype}`);
        if (!ref) throw new Error('PyTorch returned nothing');
        const inputs: Record<string, Tensor> = {};
        for (const [name, spec] of Object.entries(c.inputs)) {
          const kind = spec.dtype ?? 'float';
          const t = F.tensor(values.get(c.name)![name], spec.shape, kind === 'float' ? dtype : kind);
          if (kind === 'float' && spec.grad !== false) t.requiresGrad = true;
          inputs[name] = t;
        }
        let module: nn.Module | null = null;
        if (c.module && ref.state) {
          module = c.module.ts(dtype, new Rng(1));
          const state: Record<string, { shape: number[]; data: number[] }> = {};
          for (const [k, v] of Object.entries(ref.state)) state[k] = { shape: v.shape, data: v.data.map(decode) };
          loadStateDict(module, state);
        }
        if (ref.error) {
          // PyTorch refused, in the forward or the backward: the engine must refuse too
          let threw: Error | null = null;
          try {
            runBackward(c.ts(inputs, dtype, module!));
          } catch (e) {
            threw = e as Error;
          }
          if (!threw) throw new Error(`PyTorch refused (${ref.error}) but the engine did not`);
          if (c.error && !c.error.test(threw.message)) throw new Error(`threw "${threw.message}", expected ${c.error} (PyTorch: ${ref.error})`);
          return;
        }
        const result = c.ts(inputs, dtype, module!);
        const outs = Array.isArray(result) ? (result as readonly Tensor[]) : [result as Tensor];
        const worst: Worst = { rel: 0, where: '' };
        const failures: string[] = [];
        if (outs.length !== ref.outputs.length) throw new Error(`${outs.length} outputs, PyTorch ${ref.outputs.length}`);
        outs.forEach((o, k) => {
          const t = ref.outputs[k];
          if (o.dtype !== t.dtype) failures.push(`output ${k}: dtype ${o.dtype}, PyTorch ${t.dtype}`);
          if (o.shape.join(',') !== t.shape.join(',')) failures.push(`output ${k}: shape [${o.shape}], PyTorch [${t.shape}]`);
          else failures.push(...compareValues(`output ${k}`, o.data, t.data, dtype, worst, c));
        });
        runBackward(result);
        for (const [name, g] of Object.entries(ref.grads)) {
          const ours = inputs[name].grad;
          if (g === null) {
            if (ours && ours.some((v) => v !== 0)) failures.push(`grad ${name}: PyTorch has none, ours is non-zero`);
            continue;
          }
          if (!ours) {
            failures.push(`grad ${name}: PyTorch has one, ours is missing`);
            continue;
          }
          failures.push(...compareValues(`grad ${name}`, ours, g.data, dtype, worst, c));
        }
        if (module && ref.param_grads) {
          const ours = new Map(module.namedParameters());
          for (const [name, g] of Object.entries(ref.param_grads)) {
            const p = ours.get(name);
            if (!p) failures.push(`parameter ${name}: missing from the engine's module`);
            else if (g === null) {
              if (p.grad && p.grad.some((v) => v !== 0)) failures.push(`grad ${name}: PyTorch has none, ours is non-zero`);
            } else if (!p.grad) failures.push(`grad ${name}: PyTorch has one, ours is missing`);
            else failures.push(...compareValues(`grad ${name}`, p.grad, g, dtype, worst, c));
          }
        }
        table.push({ name: c.name, dtype, worst });
        if (failures.length) throw new Error(failures.join('\n'));
      });
    }
  }
});

function runBackward(result: Tensor | readonly Tensor[]): void {
  const outs = Array.isArray(result) ? (result as readonly Tensor[]) : [result as Tensor];
  let total: Tensor | null = null;
  for (const o of outs) {
    if (!o.requiresGrad) continue;
    const term = F.sum(F.mul(o, F.tensor(weights(o.size), o.shape, o.dtype)));
    total = total ? F.add(total, term) : term;
  }
  if (total) backward(total);
}
