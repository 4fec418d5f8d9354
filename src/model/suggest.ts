/** "Did you mean" for misspelt names: the closest known name by edit distance, ignoring case. */

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = new Array<number>(n + 1);
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n];
}

/** The known name nearest to `word`, when it is near enough to be a typo (about one edit in three letters). */
export function closest(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w.length > 64) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(w, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const limit = Math.max(1, Math.floor(w.length / 3));
  if (best !== undefined && bestD <= limit) return best;
  // A name cut short ('MSE' for 'MSELoss', 'Embed' for 'Embedding') when only one name starts so.
  const starts = w.length >= 3 ? known.filter((k) => k.toLowerCase().startsWith(w)) : [];
  return starts.length === 1 ? starts[0] : undefined;
}

/** " Did you mean 'Sigmoid'?" or "". */
export function didYouMean(word: string, known: readonly string[]): string {
  const c = closest(word, known);
  return c !== undefined && c !== word ? ` Did you mean '${c}'?` : '';
}
