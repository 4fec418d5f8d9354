/**
 * The labelled corpus: examples/problems/<rule>/*.grad.yaml each declare what must fire with lines
 * `# expect: <rule-id> @ <layer path>` ("@ loss" / "@ optimizer" for findings on those sections);
 * examples/healthy/*.grad.yaml must produce no warning or error.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

export function corpus(sub: 'problems' | 'healthy'): CorpusModel[] {
  return walk(join(EXAMPLES, sub)).map((file) => {
    const text = readFileSync(file, 'utf8');
    const expect = [...text.matchAll(/^#\s*expect:\s*([\w-]+)\s*@\s*(\S*)\s*$/gm)].map((m) => ({ rule: m[1], layer: m[2] }));
    return { file, text, expect };
  });
}

export function analyse(text: string, file: string): { spec: ModelSpec; findings: Finding[] } {
  const { spec, diagnostics } = parseSpec(text, file);
  if (!spec) throw new Error(`${file} does not parse: ${diagnostics.map((d) => d.message).join('; ')}`);
  const trace = traceModel(spec, file);
  return { spec, findings: checkTrace({ trace, spec, text, fileName: file }) };
}

/** Where a finding is, in the corpus's words: a layer path, or "loss"/"optimizer" for those sections. */
export function findingPlace(f: Finding, spec: ModelSpec): string {
  if (f.layer) return f.layer;
  if (f.range.start === spec.loss.typeRange.start || f.range.start === spec.loss.range.start) return 'loss';
  if (f.range.start === spec.optimizer.typeRange.start || f.range.start === spec.optimizer.range.start) return 'optimizer';
  return '';
}
