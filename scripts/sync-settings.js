#!/usr/bin/env node
/**
 * Writes the rule settings of package.json (`gradientLens.rules.<group>.<field>` and
 * `gradientLens.rules.severity.<rule-id>`) from the code: defaults from DEFAULT_CONFIG, bounds from
 * src/rules/config-check.ts, descriptions from the doc comments in src/rules/config.ts, rule titles
 * from RULES; and the limits (`gradientLens.timeLimitMs`, …) from LIMITS in src/limits.ts, the
 * definitions the CLI's flags read too. The other editor settings (debounce, quick trace, CodeLens)
 * are written by hand and kept. test/unit/extension/manifest.test.ts fails when
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
/** For thresholds whose field has no doc comment in config.ts. */
const FALLBACK = {
  'initialisation.minVariance': 'Weight variance below this is flagged: constant or near-zero weights (NeuraLint, DeepDiagnosis).',
  'initialisation.maxVariance': 'Weight variance above this is flagged.',
  'customGradient.relativeError': 'A hand-written backward is flagged when its relative error against float64 finite differences exceeds this (torch.autograd.gradcheck).',
};

function ruleSettings() {
  const docs = fieldDocs();
  const props = {};
  let order = 100;
  for (const [group, fields] of Object.entries(DEFAULT_CONFIG)) {
    if (group === 'severity') continue;
    for (const [field, value] of Object.entries(fields)) {
      const doc = docs[group]?.fields[field] || FALLBACK[`${group}.${field}`] || docs[group]?.doc || '';
      props[`gradientLens.rules.${group}.${field}`] = {
        type: 'number',
        default: value,
        ...thresholdBounds(group, field),
        markdownDescription: `**${title(group)}.** ${doc || `\`${field}\` threshold.`}`,
        scope: 'resource',
        order: order++,
      };
    }
  }
  for (const id of RULE_IDS) {
    props[`gradientLens.rules.severity.${id}`] = {
      type: 'string',
      default: 'default',
      enum: ['default', 'error', 'warning', 'info', 'off'],
      enumDescriptions: ["The rule's own choice (e.g. an error when every unit is dead)", 'Always an error', 'Always a warning', 'Always information', 'Do not run this rule'],
      markdownDescription: `Severity of \`${id}\` findings (${RULES[id].title}), or \`off\` to skip the rule.`,
      scope: 'resource',
      order: order++,
    };
  }
  return props;
}

function limitSetting(key) {
  const d = LIMITS[key];
  return { type: d.integer ? 'integer' : 'number', default: d.default, minimum: d.min, maximum: d.max, markdownDescription: d.description, scope: 'resource' };
}

/** The hand-written editor settings in their order, the limits after the quick trace's. */
function editorSettings(props) {
  const out = {};
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('gradientLens.rules.') || LIMIT_KEYS.some((l) => k === `gradientLens.${l}`)) continue;
    out[k] = v;
    if (k === 'gradientLens.quickTraceTimeLimitMs') for (const l of LIMIT_KEYS) out[`gradientLens.${l}`] = limitSetting(l);
  }
  return out;
}

const file = path.join(ROOT, 'package.json');
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
const props = pkg.contributes.configuration.properties;
pkg.contributes.configuration.properties = { ...editorSettings(props), ...ruleSettings() };
const out = JSON.stringify(pkg, null, 2) + '\n';
if (process.argv.includes('--check')) {
  if (out !== fs.readFileSync(file, 'utf8')) {
    console.error('package.json rule and limit settings are out of date: run node scripts/sync-settings.js');
    process.exit(1);
  }
} else fs.writeFileSync(file, out);
