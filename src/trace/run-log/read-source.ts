/**
 * Reading a training run's .py files from the disk, for positions. Apart from sources.ts so that
 * what imports the analyse step (the TypeScript runner's child process) does not import the file
 * readers with it.
 */
import { readUserFile } from '../../user-files';

/** Largest source file read for positions; bigger ones get the stand-in text. */
const MAX_SOURCE_BYTES = 16 << 20;

/** A source file's text; undefined when it is not a readable regular file of at most 16 MiB. */
export function readSource(path: string): string | undefined {
  try {
    return readUserFile(path, { maxBytes: MAX_SOURCE_BYTES, limit: 'maxDataMB', what: 'Python source' });
  } catch {
    return undefined;
  }
}
