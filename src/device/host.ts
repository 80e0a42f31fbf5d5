/**
 * The host the probes read the device through: files (under --root), commands, the environment.
 * Tests give the probes a recorded host; the CLI gives them the real one.
 */
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandResult } from '../process/exec.js';

export type FileRead =
  { ok: true; text: string } | { ok: false; reason: 'missing' | 'denied' | 'error'; detail: string };

export interface ProbeHost {
  /** The folder the device's files are read under ("/" on the device). */
  root: string;
  /** Reads a file of the examined system by its absolute path on that system. */
  readFile(file: string): Promise<FileRead>;
  /** Whether a path exists (readable or not). */
  exists(file: string): Promise<boolean>;
  /** Lists a folder; null when it cannot be read. */
  listDir(dir: string): Promise<string[] | null>;
  /** The target of a symlink (or the text of a file standing in for one); null when neither. */
  readLink(file: string): Promise<string | null>;
  /** False with --root: commands are not run. */
  runsCommands: boolean;
  /** Runs a command; null when commands are not run (--root). */
  run(cmd: string, args: string[]): Promise<CommandResult | null>;
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home folder on the examined system. */
  home: string;
}

function classify(error: unknown): FileRead {
  const code = (error as { code?: string }).code;
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, reason: 'missing', detail };
  if (code === 'EACCES' || code === 'EPERM') return { ok: false, reason: 'denied', detail };
  return { ok: false, reason: 'error', detail };
}

/** Files read under `root`; commands run by `runner` (null: not run). */
export function createFileHost(
  root: string,
  runner: ((cmd: string, args: string[]) => Promise<CommandResult>) | null,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): ProbeHost {
  const at = (p: string): string => path.join(root, p);
  return {
    root,
    async readFile(file) {
      try {
        return { ok: true, text: await readFile(at(file), 'utf8') };
      } catch (error) {
        return classify(error);
      }
    },
    async exists(file) {
      try {
        await stat(at(file));
        return true;
      } catch {
        return false;
      }
    },
    async listDir(dir) {
      try {
        return await readdir(at(dir));
      } catch {
        return null;
      }
    },
    async readLink(file) {
      try {
        return await readlink(at(file));
      } catch {
        try {
          const text = (await readFile(at(file), 'utf8')).trim();
          return text.length > 0 && text.length < 256 && !text.includes('\n') ? text : null;
        } catch {
          return null;
        }
      }
    },
    runsCommands: runner !== null,
    run: runner === null ? () => Promise.resolve(null) : runner,
    env,
    home,
  };
}
