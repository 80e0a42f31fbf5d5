/**
 * `jetson-vllm monitor`'s own options, read from the command line's strings: the source, the intervals,
 * a server to poll, a replay and its speed, a file to record to. Pure.
 */
import { UserError } from '../../shared/errors.js';

/** Where samples come from ('auto': tegrastats, else nvidia-smi, else /proc). */
export type MonitorSourceChoice = 'auto' | 'tegrastats' | 'nvidia-smi' | 'proc';

/** What the command line says about the monitor itself. */
export interface MonitorSettings {
  source: MonitorSourceChoice;
  intervalMs: number;
  url: string | null;
  pollMs: number;
  replay: string | null;
  speed: number;
  record: string | null;
}

/** Returns monitor's own options (strings from the command line) checked; throws a UserError on a bad one. */
export function parseMonitorOptions(raw: Record<string, string | undefined>): MonitorSettings {
  const source = raw.source ?? 'auto';
  if (!['auto', 'tegrastats', 'nvidia-smi', 'proc'].includes(source)) {
    throw new UserError(`--source: "${source}" is not one of auto, tegrastats, nvidia-smi, proc`);
  }
  const int = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UserError(`--${name}: "${value}" is not a whole number of milliseconds from ${min} to ${max}`);
    return n;
  };
  const speed = raw.speed === undefined ? 1 : Number(raw.speed);
  if (!Number.isFinite(speed) || speed < 0 || speed > 1000)
    throw new UserError(`--speed: "${raw.speed ?? ''}" is not a number from 0 (as fast as possible) to 1000`);
  const url = raw.url ?? null;
  if (url !== null && !/^https?:\/\/[^\s/]+/.test(url))
    throw new UserError(`--url: "${url}" is not an http(s) URL (e.g. http://localhost:8000)`);
  return {
    source: source as MonitorSourceChoice,
    intervalMs: int('interval', raw.interval, 1000, 100, 60_000),
    url,
    pollMs: int('poll-interval', raw.pollInterval, 2000, 250, 60_000),
    replay: raw.replay ?? null,
    speed,
    record: raw.record ?? null,
  };
}

/** Returns a file error's reason in words ("no such file", "no space left on device"), the code after it. */
export function describeFileError(code: string | undefined, message: string): string {
  switch (code ?? '') {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EISDIR':
      return 'is a folder';
    case 'ENOSPC':
      return 'no space left on device (ENOSPC)';
    case 'EDQUOT':
      return 'disk quota exceeded (EDQUOT)';
    case 'EROFS':
      return 'read-only file system (EROFS)';
    case 'EIO':
      return 'input/output error (EIO)';
    default:
      // "EXDEV: cross-device link not permitted, open '/x'" → "cross-device link not permitted (EXDEV)".
      return code !== undefined && code !== ''
        ? `${message.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+ '.*'$/, '')} (${code})`
        : message;
  }
}

/** What kind of file a path is, as far as --replay cares. */
export type FileKind = 'file' | 'folder' | 'fifo' | 'device' | 'socket' | 'other';

/** Returns why --replay refuses a path of this kind ("is a folder"), or null for a regular file. */
export function describeReplayRefusal(kind: FileKind): string | null {
  switch (kind) {
    case 'file':
      return null;
    case 'folder':
      return 'is a folder, not a file';
    case 'fifo':
      return 'is a FIFO (named pipe), not a regular file';
    case 'device':
      return 'is a device, not a regular file';
    case 'socket':
      return 'is a socket, not a regular file';
    case 'other':
      return 'is not a regular file';
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown file kind ${String(unreachable)}`);
    }
  }
}
