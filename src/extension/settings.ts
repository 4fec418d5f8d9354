/**
 * The settings' names, shape and defaults, without `vscode`, so plain-node tests can hold them
 * against package.json's `contributes.configuration`.
 */
import { DEFAULT_CONFIG, type RuleConfig } from '../rules/config';
import { RULE_IDS, type Severity } from '../rules/types';

export const SECTION = 'gradientLens';

export interface ExtensionConfig {
  /** Quiet time after the last keystroke before the quick trace runs. */
  debounceMs: number;
  /** Optimiser steps of the quick trace run while typing. */
  quickTraceSteps: number;
  /** Budget of a quick trace; past it the trace stops (and the thread is ended if a step overruns). */
  quickTraceTimeLimitMs: number;
  /** Budget of a full "Trace Gradients" run. */
  timeLimitMs: number;
  /** Cap on tensor memory per step and on the worker's heap. */
  memoryLimitMB: number;
  codeLens: boolean;
  rules: RuleConfig;
}

export const DEFAULT_SETTINGS: Omit<ExtensionConfig, 'rules'> = {
  debounceMs: 150,
  quickTraceSteps: 5,
  quickTraceTimeLimitMs: 2000,
  timeLimitMs: 30000,
  memoryLimitMB: 512,
  codeLens: true,
};

const SEVERITIES = new Set<string>(['default', 'error', 'warning', 'info', 'off']);

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
    for (const [field, fallback] of Object.entries(fields)) fields[field] = positive(`rules.${group}.${field}`, fallback as number);
  }
  for (const id of RULE_IDS) {
    const v = get(`rules.severity.${id}`) ?? 'default';
    if (typeof v !== 'string' || !SEVERITIES.has(v)) problems.push(`${SECTION}.rules.severity.${id} = ${JSON.stringify(v)} is not one of default, error, warning, info, off`);
    else if (v !== 'default') rules.severity[id] = v as Severity | 'off';
  }
  const d = DEFAULT_SETTINGS;
  const debounce = get('debounceMs');
  let debounceMs = d.debounceMs;
  if (typeof debounce === 'number' && Number.isFinite(debounce) && debounce >= 0) debounceMs = debounce;
  else if (debounce !== undefined) problems.push(`${SECTION}.debounceMs = ${JSON.stringify(debounce)} is not a number ≥ 0; using ${d.debounceMs}`);
  const config: ExtensionConfig = {
    debounceMs,
    quickTraceSteps: Math.max(1, Math.round(positive('quickTraceSteps', d.quickTraceSteps))),
    quickTraceTimeLimitMs: positive('quickTraceTimeLimitMs', d.quickTraceTimeLimitMs),
    timeLimitMs: positive('timeLimitMs', d.timeLimitMs),
    memoryLimitMB: positive('memoryLimitMB', d.memoryLimitMB),
    codeLens: get('codeLens') !== false,
    rules,
  };
  return { config, problems };
}
