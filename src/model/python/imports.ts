/**
 * The user's own modules a script imports (`from models import *`, `import model`, `from .vgg
 * import VGG`): where Python would find them and their text, read through the one interface the
 * caller supplies (the CLI reads the disk; the editor gives an open document's unsaved text).
 * Only the script's folder is searched, as Python's sys.path[0]; a library installed elsewhere
 * stays opaque. Plain path arithmetic: this runs wherever the front end does.
 */
import { dirname, join } from 'node:path';
import type { Range } from './ast';
import { parsePythonAnew } from './parse';
import type { ModuleAst } from './ast';

/** How the front end reads the user's other files. */
export interface PythonSources {
  /** The text of the file at this absolute path; null when there is none (a module that is not the user's). */
  read(path: string): string | null;
  /** Whether a folder is at this path: one without `__init__.py` is a namespace package (Python 3.3+). Without it, none is. */
  isFolder?(path: string): boolean;
}

/** A module file found for a dotted name. */
export interface ModuleFile {
  path: string;
  /** A package's `__init__.py`: its folder holds its submodules. */
  isPackage: boolean;
  /** A namespace package: `path` is its folder, there is no file to run. */
  namespace?: boolean;
}

/** One of the user's files read for an import. */
export interface ImportedFile {
  path: string;
  text: string;
  /** The import in the script that (directly or through other modules) read it: diagnostics in it are shown there too. */
  site: Range;
  /** Its tree once parsed (ranges naming the file): where a fix of a layer built there is written. */
  ast?: ModuleAst;
}

/** Bounds on what imports read, so a project of thousands of files stops with a message. */
export interface ImportLimits {
  maxFiles: number;
  /** The script and every file it imports together, in bytes of UTF-8. */
  maxBytes: number;
  /** The setting that raises `maxBytes`, named in the message. */
  bytesLimitName: string;
}

/** Where Python looks for module `part` in `folder`: a regular package first, then a module file. */
export function moduleCandidates(folder: string, part: string): ModuleFile[] {
  return [
    { path: join(folder, part, '__init__.py'), isPackage: true },
    { path: join(folder, `${part}.py`), isPackage: false },
  ];
}

/** A folder without `__init__.py` where no module file was found: Python imports it as a namespace package. */
export function namespacePackage(folder: string, part: string): ModuleFile {
  return { path: join(folder, part), isPackage: true, namespace: true };
}

/** The folder a module's submodules are in (a package's), else null. */
export function packageFolder(file: ModuleFile): string | null {
  if (file.namespace) return file.path;
  return file.isPackage ? dirname(file.path) : null;
}

/**
 * The absolute name a relative import means inside package `pkg` (a module's `__package__`):
 * `from ..x import Y` in `a.b.c` (package `a.b`) is `a.x`. Null past the top package, as Python's
 * "attempted relative import beyond top-level package".
 */
export function absoluteName(pkg: string, level: number, module: string): string | null {
  if (!pkg) return null;
  const parts = pkg.split('.');
  if (level - 1 >= parts.length) return null;
  const base = parts.slice(0, parts.length - (level - 1)).join('.');
  return module ? `${base}.${module}` : base;
}

/**
 * What names the files of the libraries Gradient Lens mirrors in Python (mirrored.ts) in their
 * ranges: never a path on disk, so nothing takes one for a user's file.
 */
export const MIRRORED_FILE_PREFIX = 'gradient-lens-mirrored:';

/** Whether a range is in a mirrored library's file (torchvision.models): the user never sees that text. */
export function isMirrored(r: Range): boolean {
  return r.file !== undefined && r.file.startsWith(MIRRORED_FILE_PREFIX);
}

/** The library a mirrored file is ('torchvision.models' for torchvision/models.py), in the user's words. */
export function mirroredModuleName(r: Range): string {
  return (r.file ?? '').slice(MIRRORED_FILE_PREFIX.length).replace(/\.py$/, '').replace(/\//g, '.');
}

/** A syntax error in an imported file: the parse's message at its place (the range names the file). */
export interface ImportSyntaxError {
  message: string;
  range: Range;
}

/**
 * An imported file parsed, every range in it naming the file, so that a layer built there, a
 * value Gradient Lens cannot follow there, or an exception raised there points at that file's line.
 */
export function parseImported(path: string, text: string): { ast: ModuleAst } | { error: ImportSyntaxError } {
  const parsed = parsePythonAnew(text);
  tagRanges(parsed.ast, path);
  const first = parsed.diagnostics.find((d) => d.severity === 'error');
  if (first) return { error: { message: first.message, range: { start: first.range.start, end: first.range.end, file: path } } };
  return { ast: parsed.ast };
}

/** Sets `file` on every range of a freshly parsed tree (a loop over its objects, not recursion: trees nest deeply). */
function tagRanges(root: object, file: string): void {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v) || v instanceof Set || v instanceof Map) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.start === 'number' && typeof o.end === 'number' && Object.keys(o).length === 2) {
      o.file = file;
      continue;
    }
    for (const k in o) stack.push(o[k]);
  }
}
