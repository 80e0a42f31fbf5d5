/**
 * The launch logs kept under $XDG_STATE_HOME/jetson-vllm/logs/: one file per launch,
 * `<server name>-<UTC time>.log` (a `-<n>` before `.log` when two start in the same millisecond), the
 * newest few per server name kept. Pure: naming and choosing what to remove; src/launch/logs.ts writes.
 */

/** How many logs are kept per server name (the newest; a running detached server's is never removed). */
export const LOGS_KEPT = 5;

/** Returns the time as the file name carries it: 20250102T030405.678Z (sorts as it happened). */
export function formatLogTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

/** Returns a launch's log file name: `<name>-<time>.log`, or `<name>-<time>-<n>.log` for the n-th in the same ms. */
export function buildLogFileName(name: string, date: Date, n = 0): string {
  return `${name}-${formatLogTimestamp(date)}${n > 0 ? `-${n}` : ''}.log`;
}

const STAMP_RE = /^(\d{8}T\d{6}\.\d{3}Z)(?:-(\d+))?\.log$/;

/** Returns the file's time and number when it is a log of the server `name` (not of a name it is a prefix of), else null. */
export function parseLogFileName(file: string, name: string): { stamp: string; n: number } | null {
  if (!file.startsWith(`${name}-`)) return null;
  const m = STAMP_RE.exec(file.slice(name.length + 1));
  return m === null ? null : { stamp: m[1] ?? '', n: Number(m[2] ?? 0) };
}

/**
 * Returns the files of `name`'s logs to remove so that the newest `keep` stay; a file in `kept`
 * (a recorded detached server's, still written) is never removed and does not count.
 */
export function selectLogsToPrune(
  files: readonly string[],
  name: string,
  keep: number,
  kept: ReadonlySet<string> = new Set(),
): string[] {
  const logs = files
    .map((file) => ({ file, at: parseLogFileName(file, name) }))
    .filter((l): l is { file: string; at: { stamp: string; n: number } } => l.at !== null && !kept.has(l.file))
    .sort((a, b) => (a.at.stamp === b.at.stamp ? b.at.n - a.at.n : a.at.stamp < b.at.stamp ? 1 : -1));
  return logs.slice(Math.max(0, keep)).map((l) => l.file);
}
