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

function parseRecord(v: unknown): ServerRecord | null {
  if (!isObject(v)) return null;
  const name = str(v.name);
  const url = str(v.url);
  const runtime = v.runtime === 'docker' || v.runtime === 'native' ? v.runtime : null;
  if (name === null || name === '' || url === null || runtime === null || !isObject(v.plan)) return null;
  const p = v.plan;
  const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  const verdicts: readonly string[] = ['fits', 'tight', 'oom', 'max-len'];
  const record: ServerRecord = {
    name,
    runtime,
    url,
    pid: int(v.pid),
    container: str(v.container),
    logPath: str(v.logPath),
    startedAt: str(v.startedAt) ?? '',
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

/** The file's records (an unreadable, foreign or broken file reads as none; bad entries are dropped). */
export function parseServerFile(text: string | null): ServerFile {
  if (text === null || text.trim() === '') return emptyServerFile();
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return emptyServerFile();
  }
  if (!isObject(obj) || obj.version !== 1 || !Array.isArray(obj.servers)) return emptyServerFile();
  const servers = obj.servers.map(parseRecord).filter((r): r is ServerRecord => r !== null);
  return { version: 1, servers };
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

/** Where a recorded server runs, for a line about it: "container <name>" (docker) or "pid <pid>" (native). */
export function describeServerPlace(r: ServerRecord): string {
  return r.runtime === 'docker' ? `container ${r.container ?? r.name}` : `pid ${r.pid ?? '?'}`;
}
