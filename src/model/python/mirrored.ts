/**
 * The Python source of the libraries Gradient Lens mirrors in Python (mirrored/, e.g.
 * torchvision/models.py): written for Gradient Lens, run by the interpreter as a user's module is,
 * so every layer they build is a real traced layer. The build copies the folder next to the bundles
 * in dist/ (the CLI, the trace worker, the VSIX); from sources (tests) it is read where it is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModuleAst } from './ast';
import { MIRRORED_FILE_PREFIX, parseImported } from './imports';

/** The folder's name in src/model/python and in dist/. */
export const MIRRORED_DIR = 'mirrored';

const trees = new Map<string, ModuleAst>();

/**
 * A mirrored file (`torchvision/models.py`): the name its ranges carry and its tree, read and parsed
 * once per process (torchvision/models.py takes tens of ms to parse, on every run that imports
 * torchvision otherwise). Sharing the tree between runs is safe as the user's own script's tree is
 * shared (parse.ts keeps the last one): the interpreter never writes into a tree.
 */
export function mirroredTree(relPath: string): { path: string; ast: ModuleAst } {
  const path = MIRRORED_FILE_PREFIX + relPath;
  let ast = trees.get(relPath);
  if (ast === undefined) {
    const file = join(__dirname, MIRRORED_DIR, ...relPath.split('/'));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`Gradient Lens is missing its own ${relPath} (${file}): ${(e as Error).message}; rebuild (npm run build)`);
    }
    const parsed = parseImported(path, text);
    if ('error' in parsed) throw new Error(`Gradient Lens's own ${relPath} does not parse: ${parsed.error.message}`);
    ast = parsed.ast;
    trees.set(relPath, ast);
  }
  return { path, ast };
}
