/**
 * Parameters grouped by module, so a model with 30–160 parameter tensors (a ResNet, a small GPT)
 * stays readable: one group per module, split one path segment deeper while a group is too big to
 * read as one chart ("h" of a GPT becomes h.0 … h.11). DOM-free, shared by the panel and the sidebar.
 */

import type { FlowBar } from './data';

export interface ModuleGroup {
  /** The module's path prefix ("encoder.layers.3"), or "" for parameters of the root module. */
  key: string;
  /** Parameter names, in the order given. */
  params: string[];
}

/** Most parameters one group (one chart, one sidebar section) holds before it is split. */
export const MAX_GROUP = 16;

/** The module a parameter belongs to at `depth` path segments: "encoder.0.weight" at 1 → "encoder". */
function prefix(name: string, depth: number): string {
  const parts = name.split('.');
  return parts.slice(0, Math.min(depth, parts.length - 1)).join('.');
}

/**
 * Groups `names` (in their order) by module, splitting a group deeper while it holds more than
 * `max` and a deeper split separates it. A flat Sequential's "0.weight … 40.bias" becomes runs of
 * consecutive layers instead, so no chart holds more than `max` lines.
 */
export function moduleGroups(names: readonly string[], max = MAX_GROUP): ModuleGroup[] {
  const out: ModuleGroup[] = [];
  const split = (params: string[], depth: number, key: string): void => {
    if (params.length <= max) {
      out.push({ key, params });
      return;
    }
    const byKey = new Map<string, string[]>();
    for (const p of params) {
      const k = prefix(p, depth);
      byKey.set(k, [...(byKey.get(k) ?? []), p]);
    }
    const deeper = [...byKey.entries()];
    if (deeper.length === 1 && deeper[0][0] === key) {
      // No deeper path separates them: consecutive runs of at most `max`.
      for (let i = 0; i < params.length; i += max) out.push({ key, params: params.slice(i, i + max) });
      return;
    }
    // Many small modules side by side (a flat Sequential): runs of consecutive modules.
    if (deeper.every(([, ps]) => ps.length <= max) && deeper.length > max) {
      let run: { keys: string[]; params: string[] } = { keys: [], params: [] };
      const flush = () => {
        if (run.params.length) out.push({ key: rangeKey(run.keys), params: run.params });
        run = { keys: [], params: [] };
      };
      for (const [k, ps] of deeper) {
        if (run.params.length + ps.length > max) flush();
        run.keys.push(k);
        run.params.push(...ps);
      }
      flush();
      return;
    }
    for (const [k, ps] of deeper) split(ps, depth + 1, k);
  };
  split([...names], 1, '');
  return out;
}

/** "3" or "3–7" for a run of sibling modules. */
function rangeKey(keys: string[]): string {
  return keys.length === 1 ? keys[0] : `${keys[0]}–${keys[keys.length - 1]}`;
}

/** How a group is named to the user. */
export function groupLabel(g: ModuleGroup): string {
  return g.key === '' ? 'model' : g.key;
}

/** What the flow chart needs of a bar to group it. */
type Bar = Omit<FlowBar, 'health'>;

/**
 * The gradient flow of a deep model by module depth: one bar per module group (in forward order),
 * the geometric mean of its layers' mean |∇| (the chart is on a log scale), a zero or NaN in a group
 * marking the whole group so it is not averaged away.
 */
export function flowByModule<B extends Bar>(bars: readonly B[], groups: readonly ModuleGroup[]): B[] {
  const out: B[] = [];
  for (const g of groups) {
    const members = bars.filter((b) => g.params.includes(b.param));
    if (!members.length) continue;
    const bad = members.find((b) => b.mark === 'non-finite') ?? members.find((b) => b.mark === 'zero');
    const finite = members.filter((b) => b.mark === 'value' && b.value > 0);
    const value = bad ? bad.value : Math.exp(finite.reduce((s, b) => s + Math.log(b.value), 0) / Math.max(1, finite.length));
    const label = `${groupLabel(g)} (${members.length} layer${members.length === 1 ? '' : 's'})`;
    out.push({
      ...members[0],
      label,
      layer: g.key,
      param: members.map((b) => b.param).join(', '),
      y: bad ? bad.y : value,
      value,
      norm: Math.sqrt(members.reduce((s, b) => s + b.norm * b.norm, 0)),
      mark: bad ? bad.mark : 'value',
      note: bad ? `${bad.param}: ${bad.note ?? bad.mark}` : `geometric mean over ${members.length} weights`,
    });
  }
  return out;
}
