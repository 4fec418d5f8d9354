/**
 * A short fingerprint of a file's text: whether the text a run read (in the worker) is the one an
 * editor shows now (in the extension host). A file of its own, so the host's bundle stays small.
 */
import { createHash } from 'node:crypto';

export function textDigest(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
