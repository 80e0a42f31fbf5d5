/**
 * Small synchronous reads of a machine's /proc (or a board root's copy of it, under --root): a few hundred
 * files served from kernel memory, read where a promise per file would cost more than the read. Every read
 * fails quietly (a process that exits between the listing and the read is no error).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Returns the text of `file`, or null when it cannot be read. */
export function readTextOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Returns the pids listed in `root`/proc (its numeric entries, unsorted), or none when it cannot be read. */
export function listProcPids(root: string): number[] {
  let names: string[];
  try {
    names = readdirSync(path.join(root, 'proc'));
  } catch {
    return [];
  }
  return names.filter((name) => /^\d+$/.test(name)).map(Number);
}
