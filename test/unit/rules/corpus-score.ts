/**
 * Scores the rules on the real-world corpus: per rule, how many of the expected findings on the
 * buggy models (examples/bugs) it produced on the right line, and how many warnings or errors it
 * raised on the models that train (examples/trains). `--held-out` scores examples/held-out instead.
 *
 *   npm run corpus-score [-- --held-out] [-- --verbose]
 */
import { relative } from 'node:path';
import { analyse, corpus, CorpusKind, EXAMPLES, findingPlace } from './corpus';

const heldOut = process.argv.includes('--held-out');
const verbose = process.argv.includes('--verbose');
const bugsKind: CorpusKind = heldOut ? 'held-out/bugs' : 'bugs';
const trainsKind: CorpusKind = heldOut ? 'held-out/trains' : 'trains';

interface Score {
  expected: number;
  found: number;
  falseAlarms: number;
}
const scores = new Map<string, Score>();
const score = (rule: string): Score => {
  let s = scores.get(rule);
  if (!s) scores.set(rule, (s = { expected: 0, found: 0, falseAlarms: 0 }));
  return s;
};
const lines: string[] = [];
let bugsFound = 0;
let bugs = 0;
let loudTrains = 0;
let trains = 0;

for (const m of corpus(bugsKind)) {
  const name = relative(EXAMPLES, m.file);
  let findings: ReturnType<typeof analyse>['findings'] = [];
  let spec: ReturnType<typeof analyse>['spec'] | undefined;
  try {
    ({ spec, findings } = analyse(m.text, m.file));
  } catch (e) {
    lines.push(`${name}: run failed: ${(e as Error).message.split('\n')[0]}`);
  }
  bugs++;
  let all = true;
  for (const e of m.expect) {
    const s = score(e.rule);
    s.expected++;
    const hit = spec && findings.some((f) => f.rule === e.rule && findingPlace(f, spec!) === e.layer && f.severity !== 'info');
    if (hit) s.found++;
    else all = false;
    if (!hit || verbose) {
      const got = spec ? findings.map((f) => `${f.severity} ${f.rule} @ ${findingPlace(f, spec!)}`).join(', ') || 'nothing' : 'no trace';
      lines.push(`${hit ? 'found ' : 'MISSED'} ${e.rule} @ ${e.layer} in ${name} (got: ${got})`);
    }
  }
  if (all) bugsFound++;
}

for (const m of corpus(trainsKind)) {
  const name = relative(EXAMPLES, m.file);
  trains++;
  try {
    const { spec, findings } = analyse(m.text, m.file);
    const loud = findings.filter((f) => f.severity !== 'info');
    if (loud.length) loudTrains++;
    for (const f of loud) {
      score(f.rule).falseAlarms++;
      lines.push(`FALSE ALARM ${f.severity} ${f.rule} @ ${findingPlace(f, spec)} in ${name}: ${f.message}`);
    }
    for (const e of m.expect) {
      const hit = findings.some((f) => f.rule === e.rule && findingPlace(f, spec) === e.layer && f.severity === 'info');
      lines.push(`${hit ? 'info found ' : 'info MISSED'} ${e.rule} @ ${e.layer} in ${name}`);
    }
  } catch (e) {
    loudTrains++;
    lines.push(`FALSE ALARM run failed in ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

console.log(lines.join('\n'));
console.log(`\n${heldOut ? 'held-out' : 'development'} corpus: ${bugsFound}/${bugs} buggy models fully found, ${loudTrains}/${trains} healthy models with a warning or error\n`);
console.log('| rule | found / expected on buggy | warnings+errors on healthy |');
console.log('| --- | --- | --- |');
for (const [rule, s] of [...scores].sort()) console.log(`| ${rule} | ${s.found}/${s.expected} | ${s.falseAlarms} |`);
