/**
 * A `--config` file of rule settings checked like a spec: every problem at the value's range, with
 * the expected form. The bounds are config.ts's, which the extension's settings use too. A typo
 * never switches a rule off: `"eror"` is an error, not "no severity".
 */
import { didYouMean } from '../model/suggest';
import type { LValue, LMap } from '../model/located';
import type { SourceRange } from '../model/graph';
import { DEFAULT_CONFIG, RuleConfig, SEVERITY_SETTINGS, severityProblem, THRESHOLD_GROUPS, thresholdProblem } from './config';
import { RULE_IDS, Severity } from './types';

function shown(v: LValue): string {
  if (v.kind === 'list') return 'a list';
  if (v.kind === 'map') return 'an object';
  const s = JSON.stringify(v.value);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

export interface ConfigProblem {
  message: string;
  range: SourceRange;
}

const FORM = '{"severity": {"dead-relu": "off"}, "deadRelu": {"share": 0.7}}';

/**
 * A rule config read from a located JSON tree: every problem with its range, and the config over
 * the defaults with the valid values applied.
 */
export function readRuleConfig(root: LValue): { config: RuleConfig; problems: ConfigProblem[] } {
  const config = structuredClone(DEFAULT_CONFIG) as RuleConfig;
  const problems: ConfigProblem[] = [];
  const problem = (message: string, range: SourceRange) => problems.push({ message, range });
  if (root.kind !== 'map') {
    problem(`a rule config is an object of rule settings like ${FORM}, not ${shown(root)}`, root.range);
    return { config, problems };
  }
  const keys = ['severity', ...THRESHOLD_GROUPS];
  for (const e of root.entries) {
    if (e.key === '$schema') continue;
    if (e.key === 'severity') readSeverities(e.value, config, problem);
    else if ((THRESHOLD_GROUPS as string[]).includes(e.key)) readGroup(e.key, e.value, config, problem);
    else problem(`unknown key '${e.key}'.${didYouMean(e.key, keys)} A rule config's keys are ${keys.join(', ')}`, e.keyRange);
  }
  return { config, problems };
}

type Report = (message: string, range: SourceRange) => void;

function readSeverities(v: LValue, config: RuleConfig, problem: Report): void {
  if (v.kind !== 'map') return problem(`severity maps rule ids to ${SEVERITY_SETTINGS.join(', ')}, like {"dead-relu": "off"}, not ${shown(v)}`, v.range);
  for (const e of (v as LMap).entries) {
    if (!(RULE_IDS as readonly string[]).includes(e.key)) {
      problem(`unknown rule '${e.key}'.${didYouMean(e.key, RULE_IDS)} The rules are ${RULE_IDS.join(', ')}`, e.keyRange);
      continue;
    }
    const value = e.value.kind === 'scalar' ? e.value.value : undefined;
    const why = severityProblem(value);
    if (why) {
      const hint = typeof value === 'string' ? didYouMean(value, SEVERITY_SETTINGS) : '';
      problem(`the severity of ${e.key} ${why} (got ${shown(e.value)}).${hint}`.replace(/\.$/, ''), e.value.range);
    } else if (value !== 'default') config.severity[e.key as (typeof RULE_IDS)[number]] = value as Severity | 'off';
  }
}

function readGroup(group: string, v: LValue, config: RuleConfig, problem: Report): void {
  const fields = Object.keys((DEFAULT_CONFIG as unknown as Record<string, Record<string, number>>)[group]);
  if (v.kind !== 'map') return problem(`${group} is an object of thresholds (${fields.join(', ')}), not ${shown(v)}`, v.range);
  const target = (config as unknown as Record<string, Record<string, number>>)[group];
  for (const e of v.entries) {
    if (!fields.includes(e.key)) {
      problem(`${group} has no threshold '${e.key}'.${didYouMean(e.key, fields)} Its thresholds are ${fields.join(', ')}`, e.keyRange);
      continue;
    }
    const value = e.value.kind === 'scalar' ? e.value.value : undefined;
    const why = thresholdProblem(group, e.key, value);
    if (why) problem(`${group}.${e.key} ${why} (got ${shown(e.value)})`, e.value.range);
    else target[e.key] = value as number;
  }
}
