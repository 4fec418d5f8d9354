/**
 * The labelled corpora. examples/problems/<rule>/*.grad.yaml and examples/bugs/<class>/*.grad.yaml
 * each declare what must fire with lines `# expect: <rule-id> @ <layer path>` ("@ loss" /
 * "@ optimizer" for findings on those sections); examples/healthy/*.grad.yaml and
 * examples/trains/*.grad.yaml must produce no warning or error (an `# expect:` line there names an
 * information finding that must be present). examples/held-out/{bugs,trains} are the same kinds,
 * kept out of the rules' development and scored separately.
 *
 * The real-world corpus (bugs, trains, held-out) is also proven in PyTorch (test/parity/corpus-proof):
 * `# torch: <metric> <op> <number>` lines state the planted problem as PyTorch measures it
 * (`# torch: raises <text>` for an error PyTorch raises), and `# torch-run: steps=N samples=N
 * teacher=no` changes how it trains. Every model in trains/ must also see its loss fall.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { join } from 'node:path';
import { parseSpec } from '../../../src/model';
import type { ModelSpec } from '../../../src/model/graph';
import { checkTrace, Finding } from '../../../src/rules';
import { traceModel } from '../../../src/trace/run';

export const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

export interface CorpusModel {
  file: string;
  text: string;
  expect: { rule: string; layer: string }[];
  /** `# torch:` lines: what PyTorch must measure. */
  torch: TorchClaim[];
  /** `# torch-run:` settings. */
  run: Record<string, string>;
}

export type TorchClaim =
  | { kind: 'compare'; metric: string; op: '<' | '<=' | '>' | '>=' | '=='; value: number; line: string }
  | { kind: 'raises'; text: string; line: string };

export type CorpusKind = 'problems' | 'healthy' | 'bugs' | 'trains' | 'held-out/bugs' | 'held-out/trains';

function claims(text: string): TorchClaim[] {
  const out: TorchClaim[] = [];
  for (const m of text.matchAll(/^#\s*torch:\s*(.+?)\s*$/gm)) {
    const line = m[1];
    const raises = /^raises\s+(.+)$/.exec(line);
    if (raises) {
      out.push({ kind: 'raises', text: raises[1], line });
      continue;
    }
    const c = /^([\w.]+(?:\([^)]*\))?)\s*(<=|>=|==|<|>)\s*(-?[\d.]+(?:e-?\d+)?)$/.exec(line);
    if (!c) throw new Error(`cannot read "# torch: ${line}"`);
    out.push({ kind: 'compare', metric: c[1], op: c[2] as '<', value: Number(c[3]), line });
  }
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.grad\.(ya?ml|json)$/.test(name)) out.push(p);
  }
  return out;
}

export function corpus(sub: CorpusKind): CorpusModel[] {
  return walk(join(EXAMPLES, sub)).map((file) => {
    const text = readFileSync(file, 'utf8');
    const expect = [...text.matchAll(/^#\s*expect:\s*([\w-]+)\s*@\s*(\S*)\s*$/gm)].map((m) => ({ rule: m[1], layer: m[2] }));
    const run: Record<string, string> = {};
    for (const m of text.matchAll(/^#\s*torch-run:\s*(.+?)\s*$/gm)) {
      for (const kv of m[1].split(/\s+/)) {
        const [k, v] = kv.split('=');
        run[k] = v;
      }
    }
    return { file, text, expect, torch: claims(text), run };
  });
}

export function analyse(text: string, file: string): { spec: ModelSpec; findings: Finding[] } {
  const { spec, diagnostics } = parseSpec(text, file);
  if (!spec) throw new Error(`${file} does not parse: ${diagnostics.map((d) => d.message).join('; ')}`);
  const trace = traceModel(spec, file);
  return { spec, findings: rendered(checkTrace({ trace, spec }), specFixes(text, file, spec)) };
}

/** Where a finding is, in the corpus's words: a layer path, or "loss"/"optimizer" for those sections. */
export function findingPlace(f: Finding, spec: ModelSpec): string {
  if (f.layer) return f.layer;
  if (f.range.start === spec.loss.typeRange.start || f.range.start === spec.loss.range.start) return 'loss';
  if (f.range.start === spec.optimizer.typeRange.start || f.range.start === spec.optimizer.range.start) return 'optimizer';
  return '';
}
