/** A small argv parser: positionals, `--flag value`, `--flag=value`, boolean switches, and the words after `--` (a script's own). */
import { oneLine } from '../escape';
import { LIMIT_KEYS, LIMITS, limitsFrom, type Limits } from '../limits';

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string>;
  switches: Set<string>;
  /** The words after `--`: a PyTorch script's own command-line arguments; null when there is no `--`. */
  scriptArgs: string[] | null;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `valued` lists the options that take a value; anything else starting with `--` is a switch. */
export function parseArgs(argv: readonly string[], valued: readonly string[], switches: readonly string[] = []): ParsedArgs {
  const out: ParsedArgs = { positionals: [], options: new Map(), switches: new Set(), scriptArgs: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.scriptArgs = argv.slice(i + 1);
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    if (valued.includes(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      out.options.set(name, value);
    } else if (switches.includes(name)) {
      out.switches.add(name);
    } else {
      throw new UsageError(`unknown option ${a}`);
    }
  }
  return out;
}

/** The words after `--` are a PyTorch script's own arguments: any other file refuses them. */
export function refuseScriptArgs(args: ParsedArgs, file: string): void {
  if (args.scriptArgs) throw new UsageError(`the words after -- are a PyTorch script's command-line arguments, and ${oneLine(file)} is not a Python file, notebook or sidecar`);
}

export function choice<T extends string>(value: string | undefined, allowed: readonly T[], name: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

export function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** The limit flags (`--time-limit-ms`, …), one per limit of src/limits.ts. */
export const LIMIT_OPTIONS = LIMIT_KEYS.map((k) => LIMITS[k].flag);

/** The limits from their flags over the defaults; a bad value is a usage error naming the range. */
export function limitsFromArgs(args: ParsedArgs): Limits {
  const { limits, problems } = limitsFrom((key) => {
    const v = args.options.get(LIMITS[key].flag);
    return v === undefined ? undefined : v.trim() === '' ? NaN : Number(v);
  });
  if (problems.length) {
    const p = problems[0];
    throw new UsageError(`--${LIMITS[p.key].flag} ${p.message}, got "${args.options.get(LIMITS[p.key].flag)}"`);
  }
  return limits;
}
