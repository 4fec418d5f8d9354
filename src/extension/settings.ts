/**
 * The settings' names, shape and defaults, without `vscode`, so plain-node tests can hold them
 * against package.json's `contributes.configuration`.
 */
import { LIMITS, limitsFrom, type Limits } from '../limits';
import { DEFAULT_CONFIG, severityProblem, thresholdProblem, type RuleConfig } from '../rules/config';
import { RULE_IDS, type Severity } from '../rules/types';

export const SECTION = 'gradientLens';

export interface ExtensionConfig {
  /** Quiet time after the last keystroke before the quick trace runs. */
  debounceMs: number;
  /** Optimiser steps of the quick trace run while typing. */
  quickTraceSteps: number;
  /** Budget of a quick trace; past it the trace stops (and the thread is ended if a step overruns). */
  quickTraceTimeLimitMs: number;
  codeLens: boolean;
  /** Least time between two reads of a watched training run's log, in ms. */
  runRefreshMs: number;
  /** Where "Run Training Script with Gradient Lens" writes the log, relative to the workspace folder. */
  runLogDir: string;
  /** Offer to watch a training run when its log appears in the workspace. */
  offerToWatchRuns: boolean;
  /** The Python that runs training scripts; empty: the Python extension's active environment, else python3. */
  pythonInterpreter: string;
  rules: RuleConfig;
  /** The limits shared with the CLI (`gradientLens.timeLimitMs`, `memoryLimitMB`, …): see src/limits.ts. */
  limits: Limits;
}

export const DEFAULT_SETTINGS: Omit<ExtensionConfig, 'rules' | 'limits'> = {
  debounceMs: 150,
  quickTraceSteps: 5,
  quickTraceTimeLimitMs: 2000,
  codeLens: true,
  runRefreshMs: 1000,
  runLogDir: 'runs/gl',
  offerToWatchRuns: true,
  pythonInterpreter: '',
};

/** Reads of a growing log closer than this would only cost the editor time. */
export const MIN_RUN_REFRESH_MS = 100;

export interface ReadSettings {
  config: ExtensionConfig;
  /** Settings that were ignored (wrong type or out of range), for the log. */
  problems: string[];
}

/**
 * Settings from a getter of `gradientLens.*` keys (VS Code's `WorkspaceConfiguration.get`, or a
 * plain object in tests). A value of the wrong type or out of range falls back to its default and
 * is reported: a typo must not silently switch a rule off.
 */
export function settingsFrom(get: (key: string) => unknown): ReadSettings {
  const problems: string[] = [];
  const positive = (key: string, fallback: number): number => {
    const v = get(key);
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
    problems.push(`${SECTION}.${key} = ${JSON.stringify(v)} is not a positive number; using ${fallback}`);
    return fallback;
  };
  const rules = structuredClone(DEFAULT_CONFIG) as RuleConfig;
  for (const [group, fields] of Object.entries(rules as unknown as Record<string, Record<string, unknown>>)) {
    if (group === 'severity') continue;
    for (const [field, fallback] of Object.entries(fields)) {
      const key = `rules.${group}.${field}`;
      const v = get(key);
      if (v === undefined) continue;
      const why = thresholdProblem(group, field, v);
      if (why) problems.push(`${SECTION}.${key} = ${JSON.stringify(v)} ${why}; using ${fallback}`);
      else fields[field] = v;
    }
  }
  for (const id of RULE_IDS) {
    const v = get(`rules.severity.${id}`) ?? 'default';
    const why = severityProblem(v);
    if (why) problems.push(`${SECTION}.rules.severity.${id} = ${JSON.stringify(v)} ${why}; keeping the rule's own severity`);
    else if (v !== 'default') rules.severity[id] = v as Severity | 'off';
  }
  const limits = limitsFrom((key) => get(key));
  for (const p of limits.problems) problems.push(`${SECTION}.${p.key} = ${JSON.stringify(p.value)} ${p.message}; using ${LIMITS[p.key].default}`);
  const d = DEFAULT_SETTINGS;
  const debounce = get('debounceMs');
  let debounceMs = d.debounceMs;
  if (typeof debounce === 'number' && Number.isFinite(debounce) && debounce >= 0) debounceMs = debounce;
  else if (debounce !== undefined) problems.push(`${SECTION}.debounceMs = ${JSON.stringify(debounce)} is not a number ≥ 0; using ${d.debounceMs}`);
  const text = (key: 'runLogDir' | 'pythonInterpreter', fallback: string, emptyOk: boolean): string => {
    const v = get(key);
    if (v === undefined) return fallback;
    if (typeof v === 'string' && (emptyOk || v.trim())) return v.trim();
    problems.push(`${SECTION}.${key} = ${JSON.stringify(v)} is not ${emptyOk ? 'a string' : 'a folder name'}; using ${JSON.stringify(fallback)}`);
    return fallback;
  };
  let runRefreshMs = d.runRefreshMs;
  const refresh = get('runRefreshMs');
  if (typeof refresh === 'number' && Number.isFinite(refresh) && refresh >= MIN_RUN_REFRESH_MS) runRefreshMs = refresh;
  else if (refresh !== undefined) problems.push(`${SECTION}.runRefreshMs = ${JSON.stringify(refresh)} is not a number ≥ ${MIN_RUN_REFRESH_MS}; using ${d.runRefreshMs}`);
  const config: ExtensionConfig = {
    debounceMs,
    quickTraceSteps: Math.max(1, Math.round(positive('quickTraceSteps', d.quickTraceSteps))),
    quickTraceTimeLimitMs: positive('quickTraceTimeLimitMs', d.quickTraceTimeLimitMs),
    codeLens: get('codeLens') !== false,
    runRefreshMs,
    runLogDir: text('runLogDir', d.runLogDir, false),
    offerToWatchRuns: get('offerToWatchRuns') !== false,
    pythonInterpreter: text('pythonInterpreter', d.pythonInterpreter, true),
    rules,
    limits: limits.limits,
  };
  return { config, problems };
}

