#!/usr/bin/env node
/**
 * Writes package.json's settings, in sections (SECTIONS below), from the code: the rule settings
 * (`gradientLens.rules.<group>.<field>` and `gradientLens.rules.severity.<rule-id>`) with defaults
 * from DEFAULT_CONFIG, bounds from src/rules/config.ts, descriptions from the doc comments of
 * RuleConfig (every threshold must have one), rule titles from RULES; and the limits
 * (`gradientLens.timeLimitMs`, …) from LIMITS in src/limits.ts, the definitions the CLI's flags
 * read too. The other editor settings (CodeLens, debounce, quick trace) are written by hand in the
 * first section and kept. test/unit/extension/manifest.test.ts fails when
 * this needs running:  node scripts/sync-settings.js
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
require('esbuild-register/dist/node').register();

const ROOT = path.resolve(__dirname, '..');
const { DEFAULT_CONFIG } = require('../src/rules/config');
const { RULES } = require('../src/rules');
const { RULE_IDS } = require('../src/rules/types');
const { thresholdBounds } = require('../src/rules/config');
const { LIMITS, LIMIT_KEYS } = require('../src/limits');

/** group → field → doc comment, read from `interface RuleConfig`. */
function fieldDocs() {
  const file = path.join(ROOT, 'src/rules/config.ts');
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const docs = {};
  const text = (node) =>
    ts
      .getJSDocCommentsAndTags(node)
      .map((d) => (typeof d.comment === 'string' ? d.comment : ts.getTextOfJSDocComment(d.comment) ?? ''))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
  src.forEachChild((n) => {
    if (!ts.isInterfaceDeclaration(n) || n.name.text !== 'RuleConfig') return;
    for (const group of n.members) {
      if (!ts.isPropertySignature(group) || !group.type || !ts.isTypeLiteralNode(group.type)) continue;
      const g = (docs[group.name.getText(src)] = { doc: text(group), fields: {} });
      for (const field of group.type.members) if (ts.isPropertySignature(field)) g.fields[field.name.getText(src)] = text(field);
    }
  });
  return docs;
}

const title = (camel) =>
  camel
    .replace(/([A-Z])/g, ' $1')
    .replace(/^./, (c) => c.toUpperCase())
    .replace(/ ([A-Z])/g, (_, c) => ` ${c.toLowerCase()}`)
    .replace(/\brelu\b/i, 'ReLU');

/**
 * The Settings editor's sections, in order: what people change first (CodeLens, debounce, the
 * quick trace, time and memory), then watching training runs, then the file limits, then which
 * rules run and how loud, then the thresholds. The first section has the extension's own title, so
 * VS Code shows it at the top.
 */
const SECTIONS = {
  general: { id: 'gradientLens', title: 'Gradient Lens', order: 0 },
  runs: { id: 'gradientLens.runs', title: 'Training runs', order: 1 },
  limits: { id: 'gradientLens.limits', title: 'Limits', order: 2 },
  rules: { id: 'gradientLens.rules', title: 'Rules', order: 3 },
  thresholds: { id: 'gradientLens.thresholds', title: 'Rule thresholds', order: 4 },
};
/** The hand-written settings of training runs (Watch Training Run, Run Training Script), in their own section. */
const RUN_SETTINGS = ['runRefreshMs', 'runLogDir', 'offerToWatchRuns', 'pythonInterpreter'];
/** The limits people change, shown with the general settings after the hand-written ones. */
const GENERAL_LIMITS = ['timeLimitMs', 'memoryLimitMB'];

function severitySettings(order) {
  const props = {};
  for (const id of RULE_IDS) {
    props[`gradientLens.rules.severity.${id}`] = {
      type: 'string',
      default: 'default',
      enum: ['default', 'error', 'warning', 'info', 'off'],
      enumDescriptions: ["The rule's own choice (e.g. an error when every unit is dead)", 'Always an error', 'Always a warning', 'Always information', 'Do not run this rule'],
      markdownDescription: `Severity of the \`${id}\` rule's findings. ${RULES[id].title}. \`default\` keeps the rule's own choice; \`off\` skips the rule.`,
      scope: 'resource',
      order: order++,
    };
  }
  return props;
}

function thresholdSettings(order) {
  const docs = fieldDocs();
  const props = {};
  for (const [group, fields] of Object.entries(DEFAULT_CONFIG)) {
    if (group === 'severity') continue;
    for (const [field, value] of Object.entries(fields)) {
      const doc = docs[group]?.fields[field];
      if (!doc) throw new Error(`src/rules/config.ts: RuleConfig.${group}.${field} has no doc comment; it is the setting's description`);
      props[`gradientLens.rules.${group}.${field}`] = {
        type: 'number',
        default: value,
        ...thresholdBounds(group, field),
        markdownDescription: `**${title(group)}.** ${doc}`,
        scope: 'resource',
        order: order++,
      };
    }
  }
  return props;
}

function limitSetting(key, order) {
  const d = LIMITS[key];
  return { type: d.integer ? 'integer' : 'number', default: d.default, minimum: d.min, maximum: d.max, markdownDescription: d.description, scope: 'resource', order };
}

/** Every property of the manifest, whether it holds one section or several. */
function allProperties(configuration) {
  const sections = Array.isArray(configuration) ? configuration : [configuration];
  return Object.assign({}, ...sections.map((s) => s.properties));
}

/** The hand-written settings (neither a rule nor a limit) of one section, in their order in package.json. */
function handWritten(props, runs) {
  const out = {};
  let order = 1;
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('gradientLens.rules.') || LIMIT_KEYS.some((l) => k === `gradientLens.${l}`)) continue;
    if (RUN_SETTINGS.some((r) => k === `gradientLens.${r}`) !== runs) continue;
    out[k] = { ...v, order: order++ };
  }
  return out;
}

function configuration(props) {
  const general = handWritten(props, false);
  let order = Object.keys(general).length + 1;
  for (const l of GENERAL_LIMITS) general[`gradientLens.${l}`] = limitSetting(l, order++);
  const limits = {};
  order = 1;
  for (const l of LIMIT_KEYS) if (!GENERAL_LIMITS.includes(l)) limits[`gradientLens.${l}`] = limitSetting(l, order++);
  const section = (s, properties) => ({ ...s, properties });
  return [
    section(SECTIONS.general, general),
    section(SECTIONS.runs, handWritten(props, true)),
    section(SECTIONS.limits, limits),
    section(SECTIONS.rules, severitySettings(1)),
    section(SECTIONS.thresholds, thresholdSettings(1)),
  ];
}

const file = path.join(ROOT, 'package.json');
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
pkg.contributes.configuration = configuration(allProperties(pkg.contributes.configuration));
const out = JSON.stringify(pkg, null, 2) + '\n';
if (process.argv.includes('--check')) {
  if (out !== fs.readFileSync(file, 'utf8')) {
    console.error('package.json rule and limit settings are out of date: run node scripts/sync-settings.js');
    process.exit(1);
  }
} else fs.writeFileSync(file, out);
