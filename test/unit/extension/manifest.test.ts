/** package.json's contributions agree with the code that reads them (settings, commands, files). */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTIVE_MODEL_CONTEXT, CommandId } from '../../../src/extension/commands';
import { DEFAULT_SETTINGS, settingsFrom } from '../../../src/extension/settings';
import { DEFAULT_LIMITS, LIMIT_KEYS, LIMITS } from '../../../src/limits';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { thresholdBounds } from '../../../src/rules/config';
import { RULE_IDS } from '../../../src/rules/types';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
type Setting = { type: string; default: unknown; enum?: string[]; scope?: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; markdownDescription?: string; order?: number };
const sections: { id: string; title: string; order: number; properties: Record<string, Setting> }[] = pkg.contributes.configuration;
const props: Record<string, Setting> = Object.assign({}, ...sections.map((s) => s.properties));

describe('extension manifest', () => {
  it('has a setting for every rule threshold, with the rules\' default', () => {
    const expected: string[] = [];
    for (const [group, fields] of Object.entries(DEFAULT_CONFIG)) {
      if (group === 'severity') continue;
      for (const [field, value] of Object.entries(fields as Record<string, number>)) {
        const key = `gradientLens.rules.${group}.${field}`;
        expected.push(key);
        assert.ok(props[key], `missing setting ${key}`);
        assert.equal(props[key].type, 'number', key);
        assert.equal(props[key].default, value, key);
        const b = thresholdBounds(group, field);
        assert.equal(props[key].exclusiveMinimum, b.exclusiveMinimum, key);
        assert.equal(props[key].maximum, b.maximum, key);
      }
    }
    const listed = Object.keys(props).filter((k) => k.startsWith('gradientLens.rules.') && !k.startsWith('gradientLens.rules.severity.'));
    assert.deepEqual(listed.sort(), expected.sort(), 'no setting without a RuleConfig field');
  });

  it('has a severity setting for every rule, default/error/warning/info/off', () => {
    const listed = Object.keys(props).filter((k) => k.startsWith('gradientLens.rules.severity.'));
    assert.deepEqual(listed.sort(), RULE_IDS.map((id) => `gradientLens.rules.severity.${id}`).sort());
    for (const k of listed) {
      assert.deepEqual(props[k].enum, ['default', 'error', 'warning', 'info', 'off'], k);
      assert.equal(props[k].default, 'default', k);
    }
  });

  it('has the editor settings with the defaults the code uses', () => {
    for (const [k, v] of Object.entries(DEFAULT_SETTINGS)) assert.equal(props[`gradientLens.${k}`]?.default, v, `gradientLens.${k}`);
    const own = Object.keys(props).filter((k) => !k.startsWith('gradientLens.rules.'));
    assert.deepEqual(own.sort(), [...Object.keys(DEFAULT_SETTINGS), ...LIMIT_KEYS].map((k) => `gradientLens.${k}`).sort());
  });

  it('shows the settings people change first, and the rule thresholds in a section of their own', () => {
    assert.ok(Array.isArray(sections), 'contributes.configuration is a list of sections');
    assert.deepEqual(
      sections.map((s) => s.order),
      sections.map((_, i) => i),
      'sections in their order',
    );
    // The first section has the extension's title, so the Settings editor shows it at the top.
    assert.equal(sections[0].title, pkg.displayName);
    const first = Object.keys(sections[0].properties).sort((a, b) => sections[0].properties[a].order! - sections[0].properties[b].order!);
    assert.deepEqual(first, ['codeLens', 'debounceMs', 'quickTraceSteps', 'quickTraceTimeLimitMs', 'timeLimitMs', 'memoryLimitMB'].map((k) => `gradientLens.${k}`));
    const runs = sections.find((s) => s.title === 'Training runs');
    assert.deepEqual(Object.keys(runs?.properties ?? {}), ['runRefreshMs', 'runLogDir', 'offerToWatchRuns', 'pythonInterpreter'].map((k) => `gradientLens.${k}`));
    const thresholds = sections.find((s) => s.title === 'Rule thresholds');
    const severities = sections.find((s) => s.title === 'Rules');
    assert.ok(thresholds && severities);
    for (const s of sections) {
      for (const key of Object.keys(s.properties)) {
        const isThreshold = key.startsWith('gradientLens.rules.') && !key.startsWith('gradientLens.rules.severity.');
        assert.equal(s === thresholds, isThreshold, `${key} in section ${s.title}`);
        if (key.startsWith('gradientLens.rules.severity.')) assert.equal(s, severities, key);
      }
      const orders = Object.values(s.properties).map((p) => p.order);
      assert.deepEqual(orders, orders.map((_, i) => i + 1), `settings of ${s.title} in their order`);
    }
  });

  it('is what scripts/sync-settings.js writes from the code (descriptions from RuleConfig\'s doc comments)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'sync-settings.js'), '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('describes every setting in plain words first, a formula at most as a second sentence', () => {
    for (const [key, p] of Object.entries(props)) {
      const text = (p.markdownDescription ?? '').replace(/^\*\*[^*]+\.\*\* /, '');
      assert.ok(text.length > 20, `${key} has a description`);
      // A description that continues in another setting ("…and below this") cannot be read alone.
      assert.doesNotMatch(text, /^…|…$/, `${key} is not half of a sentence split across settings`);
      const firstSentence = text.split(/(?<=[a-z)])\. /)[0];
      assert.match(firstSentence, /^[A-Z`"]/, `${key} starts with a word: ${text}`);
      assert.doesNotMatch(firstSentence.slice(0, 12), /[‖∇Δ|<>]/, `${key} opens with words, not a formula: ${text}`);
    }
  });

  it('has one setting per limit, with the definition the CLI flag reads', () => {
    for (const k of LIMIT_KEYS) {
      const p = props[`gradientLens.${k}`];
      const d = LIMITS[k];
      assert.deepEqual(
        { type: p.type, default: p.default, minimum: p.minimum, maximum: p.maximum, markdownDescription: p.markdownDescription },
        { type: d.integer ? 'integer' : 'number', default: d.default, minimum: d.min, maximum: d.max, markdownDescription: d.description },
        k,
      );
    }
  });

  it('contributes exactly the commands of CommandId', () => {
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, Object.values(CommandId).sort());
    for (const c of pkg.contributes.commands) assert.equal(c.category, 'Gradient Lens');
    const hidden = pkg.contributes.menus.commandPalette.find((m: { command: string }) => m.command === CommandId.RevealLayer);
    assert.equal(hidden?.when, 'false', 'revealLayer is internal');
    // Trace Gradients in the editor's title bar and context menu for every kind of model file.
    for (const where of ['editor/title', 'editor/context']) {
      const item = pkg.contributes.menus[where].find((m: { command: string }) => m.command === CommandId.TraceGradients);
      assert.ok(item?.when.includes(ACTIVE_MODEL_CONTEXT), where);
    }
  });

  it('activates lazily and declares limited support in untrusted workspaces', () => {
    assert.equal(pkg.main, './dist/extension.js');
    assert.ok(!pkg.activationEvents.includes('*') && !pkg.activationEvents.includes('onStartupFinished'));
    assert.ok(pkg.activationEvents.some((e: string) => e.startsWith('workspaceContains:') && e.includes('*.grad.')));
    // VS Code opens settings.json as a document at start-up: onLanguage:json would activate us in every window.
    assert.ok(!pkg.activationEvents.includes('onLanguage:json'));
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(pkg.capabilities.untrustedWorkspaces.description.length > 20);
  });

  it('declares the view container, the Gradients view and the files it points at', () => {
    assert.deepEqual(pkg.contributes.viewsContainers.activitybar.map((c: { id: string }) => c.id), ['gradientLens']);
    assert.equal(pkg.contributes.views.gradientLens[0].id, 'gradientLens.gradients');
    assert.equal(pkg.contributes.views.gradientLens[0].type, 'webview');
    assert.ok(existsSync(join(ROOT, pkg.contributes.viewsContainers.activitybar[0].icon)));
    for (const step of pkg.contributes.walkthroughs[0].steps) assert.ok(existsSync(join(ROOT, step.media.markdown)), step.media.markdown);
    // Completion, hover and every check of a spec are the extension's own: a schema registered for
    // *.grad.json (or the YAML extension's) would report each problem a second time, with its own docs.
    assert.equal(pkg.contributes.jsonValidation, undefined);
    assert.equal(pkg.contributes.yamlValidation, undefined);
    assert.ok(existsSync(join(ROOT, 'schema', 'grad-spec.schema.json')), 'the schema stays for other tools');
  });

  it('runs the extension tests from npm test, after setting up VS Code', () => {
    assert.match(pkg.scripts.test, /npm run test:ext/);
    assert.match(pkg.scripts['pretest:ext'], /setup-vscode-test\.js/);
    assert.match(pkg.scripts['pretest:ui'], /setup-vscode-test\.js/);
    assert.ok(pkg.scripts['test:electron'] && pkg.scripts.package);
  });

  it('installs the VS Code test toolchain inside the clone, where no earlier run can leave it for CI', () => {
    const script = join(ROOT, 'scripts', 'toolchain.js');
    const r = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(script)}).DIR)`], {
      encoding: 'utf8',
      env: { ...process.env, GL_TOOLCHAIN_DIR: '' },
    });
    assert.equal(r.stdout, join(ROOT, '.vscode-test', 'toolchain'));
    assert.match(readFileSync(join(ROOT, '.gitignore'), 'utf8'), /^\.vscode-test\/$/m);
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    assert.match(ci, /^unset GL_TOOLCHAIN_DIR$/m, '.ci/run never uses a shared install');
    assert.match(ci, /^export GL_REQUIRE_TORCH=1$/m, '.ci/run never skips the PyTorch comparisons');
    assert.match(ci, /^npm ci\b/m, '.ci/run runs the README\'s install command');
    assert.match(ci, /^npm test$/m, '.ci/run runs the README\'s test command');
  });
});

describe('settingsFrom', () => {
  it('gives the defaults when nothing is set', () => {
    const { config, problems } = settingsFrom(() => undefined);
    assert.deepEqual(problems, []);
    assert.deepEqual(config.rules, DEFAULT_CONFIG);
    assert.equal(config.debounceMs, DEFAULT_SETTINGS.debounceMs);
  });

  it('reads thresholds and severities, and ignores bad values with a reason', () => {
    const set: Record<string, unknown> = {
      'rules.saturatedActivation.share': 0.8,
      'rules.deadRelu.share': -1,
      'rules.vanishingGradient.ratio': 'small',
      'rules.severity.dead-relu': 'off',
      'rules.severity.underflow': 'loud',
      debounceMs: 0,
      quickTraceSteps: 2.6,
    };
    const { config, problems } = settingsFrom((k) => set[k]);
    assert.equal(config.rules.saturatedActivation.share, 0.8);
    assert.equal(config.rules.deadRelu.share, DEFAULT_CONFIG.deadRelu.share);
    assert.equal(config.rules.vanishingGradient.ratio, DEFAULT_CONFIG.vanishingGradient.ratio);
    assert.equal(config.rules.severity['dead-relu'], 'off');
    assert.equal(config.rules.severity.underflow, undefined);
    assert.equal(config.debounceMs, 0, 'no debounce is allowed');
    assert.equal(config.quickTraceSteps, 3);
    assert.equal(problems.length, 3);
    assert.ok(problems.some((p) => p.includes('rules.deadRelu.share')));
    assert.ok(problems.some((p) => p.includes('rules.severity.underflow')));
    assert.equal(DEFAULT_CONFIG.deadRelu.share, 0.7, 'the defaults are not mutated');
  });

  it('never lets a wrong value switch a rule off: a typo keeps the rule at its own severity, with a reason', () => {
    const { config, problems } = settingsFrom((k) => ({ 'rules.severity.saturated-activation': 'eror', 'rules.saturatedActivation.share': 1.5 })[k]);
    assert.equal(config.rules.severity['saturated-activation'], undefined);
    assert.equal(config.rules.saturatedActivation.share, DEFAULT_CONFIG.saturatedActivation.share);
    assert.deepEqual(problems, [
      'gradientLens.rules.saturatedActivation.share = 1.5 must be a number in (0, 1]; using 0.5',
      `gradientLens.rules.severity.saturated-activation = "eror" must be one of default, error, warning, info, off; keeping the rule's own severity`,
    ]);
  });

  it('reads the limits through their one definition, keeping the default for a wrong value', () => {
    const set: Record<string, unknown> = { timeLimitMs: 500, maxDepth: 2.5, maxSteps: 0, memoryLimitMB: 'lots' };
    const { config, problems } = settingsFrom((k) => set[k]);
    assert.deepEqual(config.limits, { ...DEFAULT_LIMITS, timeLimitMs: 500 });
    assert.deepEqual(problems, [
      'gradientLens.memoryLimitMB = "lots" must be a number from 1 to 1048576; using 512',
      'gradientLens.maxDepth = 2.5 must be an integer from 2 to 500; using 64',
      'gradientLens.maxSteps = 0 must be an integer from 1 to 1000000; using 10000',
    ]);
  });
});
