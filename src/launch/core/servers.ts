/**
 * The record of detached servers (`launch --detach`), kept in `$XDG_STATE_HOME/jetson-vllm/servers.json`:
 * one entry per server, by its known name. Pure: parsing (a broken or foreign file reads as empty),
 * adding (a new record replaces one of the same name) and removing.
 */
import type { Plan } from '../../plan/core/plan.js';

export interface ServerRecord {
  name: string;
  runtime: 'docker' | 'native';
  url: string;
  /** The server's pid (native: the session leader `setsid` made; docker: null). */
  pid: number | null;
  /** The container's name (docker), else null. */
  container: string | null;
  /** Where its log goes (native: the file; docker: null, read with `docker logs`). */
  logPath: string | null;
  startedAt: string;
  plan: ServerPlanSummary;
  /**
   * The pid of the wizard that launched it and still holds it (it stops the server on its own exit): recorded at
   * the start so a wizard killed with SIGKILL leaves a server `launch --stop` and `monitor --server` can find.
   * Absent once the server is the user's (--detach, or the wizard's `l`).
   */
  heldBy?: number;
}

/** What the monitor needs of the plan (its prediction on the RAM bar, KV blocks in bytes) and a reminder. */
export interface ServerPlanSummary {
  device: string;
  model: string;
  quant: string;
  vllmVersion: string;
  image: string | null;
  verdict: Plan['verdict'];
  totalBytes: number;
  bytesPerBlock: number;
  command: string;
}

export interface ServerFile {
  version: 1;
  servers: ServerRecord[];
}

export function emptyServerFile(): ServerFile {
  return { version: 1, servers: [] };
}

export function summarizePlan(plan: Plan): ServerPlanSummary {
  return {
    device: plan.device.id,
    model: plan.model.id,
    quant: plan.quant.id,
    vllmVersion: plan.vllm.version,
    image: plan.image,
    verdict: plan.verdict,
    totalBytes: plan.budget.totalBytes,
    bytesPerBlock: plan.kvCache.bytesPerBlock,
    command: plan.command,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);

/** The holder's pid as a record field: none when absent or not a pid. */
const heldBy = (v: unknown): { heldBy?: number } => {
  const pid = int(v);
  return pid === null ? {} : { heldBy: pid };
};

function parseRecord(v: unknown): ServerRecord | null {
  if (!isObject(v)) return null;
  const name = str(v.name);
  const url = str(v.url);
  const runtime = v.runtime === 'docker' || v.runtime === 'native' ? v.runtime : null;
  if (name === null || name === '' || url === null || runtime === null || !isObject(v.plan)) return null;
  const p = v.plan;
  const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  const verdicts: readonly string[] = ['fits', 'tight', 'oom', 'max-len', 'startup-check', 'unsupported'];
  const record: ServerRecord = {
    name,
    runtime,
    url,
    pid: int(v.pid),
    container: str(v.container),
    logPath: str(v.logPath),
    startedAt: str(v.startedAt) ?? '',
    ...heldBy(v.heldBy),
    plan: {
      device: str(p.device) ?? '',
      model: str(p.model) ?? '',
      quant: str(p.quant) ?? '',
      vllmVersion: str(p.vllmVersion) ?? '',
      image: str(p.image),
      verdict: (verdicts.includes(str(p.verdict) ?? '') ? p.verdict : 'fits') as Plan['verdict'],
      totalBytes: num(p.totalBytes),
      bytesPerBlock: num(p.bytesPerBlock),
      command: str(p.command) ?? '',
    },
  };
  // A record must say how to find its server.
  if (runtime === 'docker' && record.container === null) return null;
  if (runtime === 'native' && record.pid === null) return null;
  return record;
}

/** What the record file holds: its records (none for a missing or empty file), or why it cannot be read. */
export type ServerFileReading = { ok: true; file: ServerFile } | { ok: false; why: string };

/**
 * Returns the file's records, or why they cannot be read (broken or truncated JSON, another format):
 * such a file is set aside by the shell, never read as empty and overwritten. Bad entries are dropped.
 */
export function readServerFileText(text: string | null): ServerFileReading {
  if (text === null || text.trim() === '') return { ok: true, file: emptyServerFile() };
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (error) {
    return { ok: false, why: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (!isObject(obj) || obj.version !== 1 || !Array.isArray(obj.servers))
    return { ok: false, why: 'not a jetson-vllm record file (version 1 with a list of servers)' };
  const servers = obj.servers.map(parseRecord).filter((r): r is ServerRecord => r !== null);
  return { ok: true, file: { version: 1, servers } };
}

/** The file's records (an unreadable, foreign or broken file reads as none; bad entries are dropped). */
export function parseServerFile(text: string | null): ServerFile {
  const reading = readServerFileText(text);
  return reading.ok ? reading.file : emptyServerFile();
}

/** Returns where an unreadable record file is set aside: `<file>.corrupt-<UTC time>` (20250102T030405.678Z). */
export function buildCorruptPath(file: string, date: Date): string {
  return `${file}.corrupt-${date.toISOString().replace(/[-:]/g, '')}`;
}

/** Returns the one line that says an unreadable record file was set aside. */
export function describeSetAside(file: string, aside: string, why: string): string {
  return `jetson-vllm: ${file} could not be read (${why}): kept as ${aside}; the servers it listed are no longer recorded (jetson-vllm launch finds one still holding its port)`;
}

/** Returns the port of a record's URL (http://127.0.0.1:8000), or null. */
export function findRecordPort(record: ServerRecord): number | null {
  const m = /:(\d+)(?:\/|$)/.exec(record.url.replace(/^[a-z]+:\/\//, ''));
  const port = m === null ? NaN : Number(m[1]);
  return Number.isInteger(port) && port >= 1 && port <= 65_535 ? port : null;
}

export function addServer(file: ServerFile, record: ServerRecord): ServerFile {
  return { version: 1, servers: [...file.servers.filter((s) => s.name !== record.name), record] };
}

export function removeServers(file: ServerFile, names: readonly string[]): ServerFile {
  return { version: 1, servers: file.servers.filter((s) => !names.includes(s.name)) };
}

export function serializeServerFile(file: ServerFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** What is said about a detached server left running: where it is, how to watch it, how to stop it. */
export function describeLeftRunning(name: string, url: string, detail: string | null = null, isReady = true): string[] {
  return [
    `left running${isReady ? '' : ' (not ready yet)'}: ${name}${detail !== null ? ` (${detail})` : ''} at ${url}`,
    `  watch it: jetson-vllm monitor --server ${name}`,
    `  stop it:  jetson-vllm launch --stop ${name}`,
  ];
}

/**
 * Returns where a recorded server runs, for a line about it: "container <name>" (docker) or "pid <pid>" (native);
 * with whose it is when a wizard holds it (`isHolderAlive`: whether that wizard's pid still lives).
 */
export function describeServerPlace(r: ServerRecord, isHolderAlive?: boolean): string {
  const place = r.runtime === 'docker' ? `container ${r.container ?? r.name}` : `pid ${r.pid ?? '?'}`;
  if (r.heldBy === undefined || isHolderAlive === undefined) return place;
  return isHolderAlive
    ? `${place}, held by the wizard pid ${r.heldBy}`
    : `${place}, left behind by a wizard that died (pid ${r.heldBy})`;
}
