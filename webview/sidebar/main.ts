/**
 * The "Gradients" sidebar view: one row per parameter of the active model (trouble first), the
 * findings, and buttons to re-trace and open the chart panel. Rows are focusable; Enter or a click
 * reveals the layer in the editor; ↑/↓ move between rows.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { completeTraceMessage, type FindingView, type RangeView, type TraceMessage } from '../../src/protocol';
import { groupLabel, MAX_GROUP, moduleGroups } from '../charts/modules';
import { formatNumber, h, svg } from '../shared/dom';
import { HEALTH_LABEL, paramRows, sparkline, type Health, type ParamRow } from '../shared/param-health';
import { stepSpan } from '../shared/run-facts';
import { connect } from '../shared/vscode-api';


interface SidebarState {
  /** Sections the user collapsed. */
  collapsed: string[];
  /** The parameter filter of a big model. */
  filter?: string;
}

const HEALTH_ICON: Record<Health, string> = {
  nan: 'error',
  zero: 'circle-slash',
  exploding: 'flame',
  vanishing: 'arrow-down',
  healthy: 'pass',
};

const SEVERITY_ICON: Record<FindingView['severity'], string> = { error: 'error', warning: 'warning', info: 'info' };

const host = connect<SidebarState>();
const app = document.getElementById('app') as HTMLElement;
let state: SidebarState = host.state() ?? { collapsed: [] };
let current: TraceMessage | null = null;
let emptyMessage = '';
/** The active model file when it has no trace yet, else ''. */
let emptyFile = '';
let status: { state: 'idle' | 'running' | 'error'; message: string } = { state: 'idle', message: '' };

host.listen((msg) => {
  if (msg.type === 'trace') {
    // A training run's update brings only its new steps; a page that lacks what they follow asks for everything.
    const trace = completeTraceMessage(current, msg);
    if (!trace) return host.post({ type: 'ready' });
    current = trace;
  } else if (msg.type === 'empty') {
    current = null;
    emptyMessage = msg.message;
    emptyFile = msg.file ?? '';
  } else if (msg.type === 'status') status = { state: msg.state, message: msg.message };
  render();
});

function render(): void {
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.key;
  app.replaceChildren(statusLine(), ...(current ? traceView(current) : [emptyView()]));
  applyFilter();
  app.setAttribute('aria-busy', String(status.state === 'running'));
  // Keep the keyboard where it was across re-renders (a re-trace re-sorts the rows). The rows sit
  // in collapsible sections, which render their slot asynchronously: focus once they have.
  if (focused) {
    const sections = [...app.querySelectorAll('vscode-collapsible')].map((s) => (s as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete);
    void Promise.all(sections).then(() => (app.querySelector(`[data-key="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus());
  }
}

function statusLine(): HTMLElement {
  const line = h('div', { class: `status status-${status.state}`, role: 'status', 'aria-live': 'polite' });
  if (status.state === 'running') line.append(h('vscode-progress-ring', { class: 'ring' }));
  else if (status.state === 'error') line.append(icon('error', 'error'));
  if (status.message) line.append(h('span', {}, status.message));
  return line;
}

/**
 * Nothing traced. The active model file without a trace yet is named, with where its problems are;
 * with no model in the active editor, the view says so and offers the ways to get one.
 */
function emptyView(): HTMLElement {
  if (emptyFile) {
    return h('div', { class: 'untraced' }, h('header', { class: 'model' }, h('span', { class: 'file', title: emptyFile }, baseName(emptyFile))), h('p', {}, emptyMessage));
  }
  const button = (id: string, icon: string, label: string, command: 'newModelFile' | 'openExample' | 'startWalkthrough', secondary: boolean) => {
    const b = h('vscode-button', { id, icon, secondary, title: label }, label);
    b.addEventListener('click', () => host.post({ type: 'run', command }));
    return b;
  };
  return h(
    'div',
    { class: 'welcome' },
    h('p', {}, emptyMessage || 'Open a model file to see the gradient of every parameter.'),
    h(
      'div',
      { class: 'welcome-actions', role: 'group', 'aria-label': 'Get started' },
      button('new-model', 'new-file', 'New model file', 'newModelFile', false),
      button('open-example', 'file-code', 'Open example', 'openExample', true),
      button('start-walkthrough', 'book', 'Start walkthrough', 'startWalkthrough', true),
    ),
    h('p', { class: 'muted' }, 'Model files are *.grad.yaml or *.grad.json specs, TypeScript files with @model classes, or PyTorch .py files.'),
  );
}

function traceView(msg: TraceMessage): HTMLElement[] {
  const rows = paramRows(msg.trace, msg.findings, msg.health, msg.layers);
  paramIndexOf = new Map(msg.trace.params.map((p, i) => [p.name, i]));
  const steps = msg.trace.steps.length;
  const header = h(
    'header',
    { class: 'model' },
    h('span', { class: 'file', title: msg.fileName }, baseName(msg.fileName)),
    h('span', { class: 'muted' }, msg.trace.run ? `training run · ${stepSpan(msg.trace)}${msg.trace.run.ended ? '' : ' · live'}` : `${msg.quick ? 'quick trace' : 'full trace'} · ${steps} step${steps === 1 ? '' : 's'}`),
  );
  // A training run is read from its log as it grows: there is nothing to run again.
  const retrace = msg.trace.run ? null : h('vscode-button', { id: 'retrace', icon: 'refresh', title: `Run the full trace of ${baseName(msg.fileName)} again` }, 'Re-trace');
  retrace?.addEventListener('click', () => host.post({ type: 'retrace' }));
  const open = h('vscode-button', { id: 'open-panel', icon: 'graph-line', secondary: true, title: 'Open the chart panel' }, 'Open chart panel');
  open.addEventListener('click', () => host.post({ type: 'openPanel' }));
  const actions = h('div', { class: 'actions' }, retrace, open);

  const trouble = rows.filter((r) => r.health !== 'healthy' || r.findings.length).length;
  const big = rows.length > MAX_GROUP;
  const params = big
    ? moduleSections(msg.uri, rows)
    : [
        section(
          'parameters',
          'Parameters',
          `${rows.length}`,
          trouble,
          rows.length
            ? h('ul', { class: 'params', role: 'list', 'aria-label': 'Parameters, trouble first' }, ...rows.map((r) => paramItem(msg.uri, r)))
            : h('p', { class: 'placeholder' }, 'This model has no parameters.'),
        ),
      ];
  const findings = section(
    'findings',
    'Findings',
    `${msg.findings.length}`,
    msg.findings.length,
    msg.findings.length
      ? h('ul', { class: 'findings', role: 'list', 'aria-label': 'Findings' }, ...msg.findings.map((f, i) => findingItem(msg.uri, f, i)))
      : h('p', { class: 'placeholder' }, 'No findings: every gradient is within the thresholds.'),
  );
  return [header, actions, ...(big ? [filterBox()] : []), ...params, findings];
}

/** A big model: one collapsible section per module (worst module first, worst rows first within). */
function moduleSections(uri: string, rows: ParamRow[]): HTMLElement[] {
  const order = new Map(rows.map((r, i) => [r.name, i]));
  const byName = new Map(rows.map((r) => [r.name, r]));
  // Modules in model order, then the one holding the worst row first.
  const groups = moduleGroups(
    [...rows].sort((a, b) => modelIndex(a) - modelIndex(b)).map((r) => r.name),
  ).sort((a, b) => Math.min(...a.params.map((p) => order.get(p)!)) - Math.min(...b.params.map((p) => order.get(p)!)));
  return groups.map((g) => {
    const members = g.params.map((p) => byName.get(p)!).sort((a, b) => order.get(a.name)! - order.get(b.name)!);
    const trouble = members.filter((r) => r.health !== 'healthy' || r.findings.length).length;
    const id = `module:${g.key}`;
    const el = section(id, groupLabel(g), `${members.length}`, trouble, h('ul', { class: 'params', role: 'list', 'aria-label': `Parameters of ${groupLabel(g)}, trouble first` }, ...members.map((r) => paramItem(uri, r))));
    el.dataset.module = g.key;
    return el;
  });
}

let paramIndexOf = new Map<string, number>();
const modelIndex = (r: ParamRow) => paramIndexOf.get(r.name) ?? 0;

function filterBox(): HTMLElement {
  const input = h('input', { id: 'filter', type: 'search', placeholder: 'Filter parameters', 'aria-label': 'Filter parameters by name', value: state.filter ?? '' });
  input.addEventListener('input', () => {
    state = { ...state, filter: input.value };
    host.saveState(state);
    applyFilter();
  });
  return h('div', { class: 'filter' }, input);
}

function applyFilter(): void {
  const f = (state.filter ?? '').trim().toLowerCase();
  for (const row of app.querySelectorAll<HTMLElement>('.param-row')) row.hidden = !!f && !(row.dataset.param ?? '').toLowerCase().includes(f);
  for (const s of app.querySelectorAll<HTMLElement>('vscode-collapsible[data-module]')) s.hidden = ![...s.querySelectorAll<HTMLElement>('.param-row')].some((r) => !r.hidden);
}

function section(id: string, heading: string, description: string, count: number, body: HTMLElement): HTMLElement {
  const el = h('vscode-collapsible', { id: `section-${id}`, heading, description, open: !state.collapsed.includes(id) });
  if (count > 0) el.append(h('vscode-badge', { slot: 'decorations', variant: 'counter' }, String(count)));
  el.append(body);
  el.addEventListener('vsc-collapsible-toggle', (e) => {
    const open = (e as CustomEvent<{ open: boolean }>).detail.open;
    state = { collapsed: open ? state.collapsed.filter((c) => c !== id) : [...new Set([...state.collapsed, id])] };
    host.saveState(state);
  });
  return el;
}

function paramItem(uri: string, r: ParamRow): HTMLElement {
  const shape = `[${r.shape.join(', ')}]`;
  const onLayer = r.findings.length ? `; ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} on layer ${r.layer}` : '';
  const label = `${r.name}, shape ${shape}, gradient norm ${formatNumber(r.norm)}, ${HEALTH_LABEL[r.health]}${r.health === 'healthy' ? '' : ': ' + r.reason}${onLayer}`;
  // One status per row: a gradient that looks healthy on a layer with a finding (its init, say)
  // shows the finding's icon, never a green check beside a warning.
  const worst = worstOf(r);
  const status = r.health === 'healthy' && worst ? icon(SEVERITY_ICON[worst.severity], `health-finding severity-${worst.severity}`) : icon(HEALTH_ICON[r.health], `health-${r.health}`);
  const statusTitle = r.health === 'healthy' && worst ? `${worst.severity}: ${worst.message}` : `${HEALTH_LABEL[r.health]}: ${r.reason}`;
  const row = h(
    'li',
    {
      class: `param-row health-${r.health}`,
      tabindex: 0,
      role: 'button',
      'aria-label': label,
      title: statusTitle,
      'data-key': `param:${r.name}`,
      'data-param': r.name,
      'data-health': r.health,
    },
    status,
    h('span', { class: 'name' }, r.name, r.health === 'healthy' ? null : findingMark(r)),
    h('span', { class: 'norm', title: `Gradient L2 norm ‖∇‖ of ${r.name} at the last step: ${r.norm}` }, h('span', { class: 'muted' }, '‖∇‖ '), formatNumber(r.norm)),
    h('span', { class: 'shape muted' }, shape),
    sparklineSvg(r.norms),
  );
  onActivate(row, () => reveal(r.uri ?? uri, r.range));
  return row;
}

function findingItem(uri: string, f: FindingView, i: number): HTMLElement {
  const row = h(
    'li',
    {
      class: `finding-row severity-${f.severity}`,
      tabindex: 0,
      role: 'button',
      'aria-label': `${f.severity}: ${f.message} (${f.rule})`,
      'data-key': `finding:${i}:${f.rule}:${f.layer}`,
      'data-rule': f.rule,
    },
    icon(SEVERITY_ICON[f.severity], `severity-${f.severity}`),
    h('span', { class: 'message' }, f.message),
    h('span', { class: 'rule muted' }, f.rule),
  );
  onActivate(row, () => reveal(f.uri ?? uri, f.range));
  return row;
}

function worstOf(r: ParamRow): FindingView | undefined {
  return r.findings.slice().sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity))[0];
}

/** A finding on the layer of a parameter whose gradient is in trouble too (its cause, say). */
function findingMark(r: ParamRow): HTMLElement | null {
  const worst = worstOf(r);
  if (!worst) return null;
  return h(
    'span',
    { class: `finding-mark severity-${worst.severity}`, title: r.findings.map((f) => f.message).join('\n') },
    icon(SEVERITY_ICON[worst.severity], `severity-${worst.severity}`),
  );
}

const SEVERITY_ORDER: FindingView['severity'][] = ['error', 'warning', 'info'];

function sparklineSvg(norms: number[]): SVGElement {
  const w = 64;
  const hgt = 16;
  const { points, marks } = sparkline(norms, w, hgt);
  return svg(
    'svg',
    { class: 'spark', viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, 'aria-hidden': 'true' },
    svg('polyline', { points }),
    ...marks.map((m) => svg('circle', { class: 'zero-mark', cx: m.x, cy: m.y, r: 1.6 })),
  );
}

function icon(name: string, cls: string): HTMLElement {
  return h('vscode-icon', { name, class: cls, 'aria-hidden': 'true' });
}

function reveal(uri: string, range: RangeView | null): void {
  if (range) host.post({ type: 'reveal', uri, range });
}

/** Click or Enter/Space reveals; ↑/↓ walk the list like a tree. */
function onActivate(row: HTMLElement, act: () => void): void {
  row.addEventListener('click', act);
  row.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      act();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      (next as HTMLElement | null)?.focus();
    }
  });
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

render();
