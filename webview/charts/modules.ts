/**
 * Parameters grouped by module, so a model with 30–160 parameter tensors (a ResNet, a small GPT)
 * stays readable: one group per module, split one path segment deeper while a group is too big to
 * read as one chart ("h" of a GPT becomes h.0 … h.11). DOM-free, shared by the panel and the sidebar.
 */

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
