/**
 * Containers a skipped loop may have filled. A loop over what the trace cannot follow (a file's
 * lines: `for line in f: self.dictionary.add_word(word)`, a language model's vocabulary read by
 * its data helper) is skipped, so the lists, dicts and sets it reaches hold what was there before
 * it, often nothing. Their size and items are then unknown, not none: len() of one, or a loop over
 * it (`sorted(set(words))`), is the loop's "can't follow" (at what the loop could not iterate),
 * never an Embedding of 0 words guessed from an empty dict.
 */
import type { CantFollow } from './errors';
import { PyDict, PyInstance, PyList, PySet, type Value } from './values';

/** How far from a name the loop uses (`self` → `self.dictionary` → its `word2idx`) a container is looked for. */
const DEPTH = 3;

export class Unfilled {
  private readonly causes = new WeakMap<object, CantFollow>();

  /** The containers held by these values (the loop's names), to DEPTH attributes and items deep. */
  mark(values: readonly Value[], cause: CantFollow): void {
    const seen = new Set<object>();
    const visit = (v: Value, depth: number) => {
      if (typeof v !== 'object' || v === null || seen.has(v) || depth > DEPTH) return;
      seen.add(v);
      if (v instanceof PyList || v instanceof PyDict || v instanceof PySet) {
        if (!this.causes.has(v)) this.causes.set(v, cause);
        if (v instanceof PyList) for (const x of v.items) visit(x, depth + 1);
      } else if (v instanceof PyInstance) {
        for (const x of v.dict.values()) visit(x, depth + 1);
      }
    };
    for (const v of values) visit(v, 0);
  }

  /** Why a container's size is unknown, if a skipped loop may have filled it. */
  causeOf(v: Value): CantFollow | undefined {
    return typeof v === 'object' && v !== null ? this.causes.get(v) : undefined;
  }
}
