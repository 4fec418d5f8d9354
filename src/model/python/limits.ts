/**
 * Bounds on evaluating a file, so a hostile or runaway one always ends quickly: the worker's time
 * limit is the last resort, these come first and say where it stopped.
 */
export interface Limits {
  /** Statements and expressions evaluated, over the whole run (model building and every traced step). */
  maxSteps: number;
  /** Nested Python calls (CPython's default recursion limit is 1000; model code needs a few dozen). */
  maxDepth: number;
  /** Elements in one list, tuple, dict or set, characters in one str. */
  maxLength: number;
  /** Bits in one int (10**30000 has about 100,000). */
  maxIntBits: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxSteps: 20_000_000,
  maxDepth: 200,
  maxLength: 1_000_000,
  maxIntBits: 100_000,
};
