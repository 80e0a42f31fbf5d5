/**
 * Detached servers (`launch --detach`): the record file `$XDG_STATE_HOME/jetson-vllm/servers.json`
 * (default ~/.local/state), whether a recorded server is still there, following its log again, and
 * stopping it.
 */
import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  addServer,
  buildCorruptPath,
  describeServerPlace,
  describeSetAside,
  emptyServerFile,
  readServerFileText,
  removeServers,
  serializeServerFile,
  type ServerFile,
  type ServerRecord,
} from './core/servers.js';
import { run } from '../process/exec.js';
import { spawnLines } from '../process/spawn-lines.js';
import { isGroupAlive, stopGroup } from '../process/process-group.js';
import { followFile } from './follow.js';
import { withFileLock } from './lock-file.js';
import { resolveJetsonVllmDir } from '../shared/xdg.js';

/** $XDG_STATE_HOME/jetson-vllm (default ~/.local/state/jetson-vllm): detached logs and the record. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.normalize(resolveJetsonVllmDir('state', env, os.homedir()));
}

export function serversFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'servers.json');
}

/** Where a line about the record file goes (one set aside): stderr, as the CLI's other warnings. */
export type RecordReport = (line: string) => void;
const reportToStderr: RecordReport = (line) => void process.stderr.write(`${line}\n`);

/** The records of the file as it is now; an unreadable one is set aside (the caller holds the lock). */
async function readOrSetAside(file: string, report: RecordReport): Promise<ServerFile> {
  const reading = readServerFileText(await readFile(file, 'utf8').catch(() => null));
  if (reading.ok) return reading.file;
  const aside = buildCorruptPath(file, new Date());
  if (
    await rename(file, aside).then(
      () => true,
      () => false,
    )
  )
    report(describeSetAside(file, aside, reading.why));
  return emptyServerFile();
}

/**
 * The recorded servers. A file that cannot be read is set aside as servers.json.corrupt-<time> and said
 * in one line (under the lock: a writer's good file is never the one set aside), not read as empty.
 */
export async function readServers(file = serversFile(), report: RecordReport = reportToStderr): Promise<ServerFile> {
  const reading = readServerFileText(await readFile(file, 'utf8').catch(() => null));
  if (reading.ok) return reading.file;
  return withFileLock(file, () => readOrSetAside(file, report));
}

/**
 * Read, change, write back, under the file's lock (parallel launches each add their record), through a
 * temporary file and a rename (never a half-written record).
 */
async function updateServers(
  change: (f: ServerFile) => Promise<ServerFile>,
  file: string,
  report: RecordReport,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await withFileLock(file, async () => {
    const next = await change(await readOrSetAside(file, report));
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, serializeServerFile(next), { mode: 0o600 });
    await rename(tmp, file);
  });
}

/** Whether two records are of the same server (its pid, or its container). */
const isSameServer = (a: ServerRecord, b: ServerRecord): boolean =>
  a.runtime === b.runtime && (a.runtime === 'docker' ? a.container === b.container : a.pid === b.pid);

/**
 * Records a server. A record of the same name for another server that still runs is kept (said in one
 * line): a start that raced past the port check must not make the running one untracked. Once the
 * server is ready (`isReady`: it answers on the port, checked to be this very process or container),
 * it replaces any record of its name: no other server can be serving there.
 */
export function recordServer(
  record: ServerRecord,
  file = serversFile(),
  report = reportToStderr,
  isReady = false,
): Promise<void> {
  return updateServers(
    async (f) => {
      const same = f.servers.find((s) => s.name === record.name);
      if (!isReady && same !== undefined && !isSameServer(same, record) && (await isServerAlive(same))) {
        report(
          `jetson-vllm: ${record.name} is already recorded for a server that runs (${describeServerPlace(same)}): the record stays`,
        );
        return f;
      }
      return addServer(f, record);
    },
    file,
    report,
  );
}

/** Forgets the named records, except of a server that still runs (never untracked while it serves). */
export function forgetServers(names: string[], file = serversFile(), report = reportToStderr): Promise<void> {
  return updateServers(
    async (f) => {
      const alive: string[] = [];
      for (const s of f.servers) if (names.includes(s.name) && (await isServerAlive(s))) alive.push(s.name);
      return removeServers(
        f,
        names.filter((n) => !alive.includes(n)),
      );
    },
    file,
    report,
  );
}

/** A live process (a zombie, ended but not yet reaped, does not count). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …" — the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Whether the wizard holding a recorded server still lives (undefined: no wizard holds it). */
export function isHolderAlive(record: ServerRecord): boolean | undefined {
  return record.heldBy === undefined ? undefined : isPidAlive(record.heldBy);
}

/** Whether the recorded server still runs: its container is running, or its pid is a live vLLM. */
export async function isServerAlive(record: ServerRecord, docker = 'docker'): Promise<boolean> {
  if (record.runtime === 'docker') {
    const r = await run(docker, ['inspect', '--format', '{{.State.Running}}', record.container ?? record.name], {
      timeoutMs: 10_000,
    });
    return r.exitCode === 0 && r.stdout.trim() === 'true';
  }
  if (record.pid === null || !isPidAlive(record.pid)) return false;
  // A pid can be reused: where /proc tells, it must still be a vLLM.
  const cmdline = await readFile(`/proc/${record.pid}/cmdline`, 'utf8').catch(() => null);
  return cmdline === null || cmdline.includes('vllm');
}

/** Follows a recorded server's log: `docker logs -f` or its log file, from the last `tailLines` lines. */
export function followServerLog(
  record: ServerRecord,
  onLine: (line: string) => void,
  tailLines = 50,
  docker = 'docker',
): { stop: () => Promise<void> } {
  if (record.runtime === 'docker') {
    const child = spawnLines(
      docker,
      ['logs', '-f', '--tail', String(tailLines), record.container ?? record.name],
      (l) => onLine(l),
    );
    return { stop: () => child.stop(2000) };
  }
  if (record.logPath === null) return { stop: () => Promise.resolve() };
  return followFile(record.logPath, onLine, { tailLines });
}

/**
 * Stops a recorded server: docker stop → kill → rm; native: SIGTERM to its whole process group (a
 * detached vLLM leads its own session, so its engine core and workers are in it), SIGKILL to the group
 * after `graceMs`. A group whose leader already ended but whose engine core still runs is stopped too.
 * Resolves once nothing of it is left, with whether SIGKILL was needed.
 */
export async function stopServer(
  record: ServerRecord,
  graceMs = 10_000,
  docker = 'docker',
): Promise<{ isKilled: boolean }> {
  if (record.runtime === 'docker') {
    const name = record.container ?? record.name;
    const grace = String(Math.max(1, Math.round(graceMs / 1000)));
    const stopped = await run(docker, ['stop', '-t', grace, name], { timeoutMs: graceMs + 15_000 });
    const isKilled = stopped.exitCode !== 0 || stopped.isTimedOut;
    if (isKilled) await run(docker, ['kill', name], { timeoutMs: 15_000 });
    await run(docker, ['rm', '-f', name], { timeoutMs: 15_000 });
    return { isKilled };
  }
  const pid = record.pid;
  if (pid === null || !(await isServerTreeAlive(record))) return { isKilled: false };
  return stopGroup(pid, graceMs).done;
}

/**
 * Whether anything of a recorded native server runs: its vLLM (isServerAlive), or — its leader gone —
 * processes of its group (an engine core left behind). Linux does not reuse a pid while a group has it
 * as its id, so such a group can only be the server's.
 */
export async function isServerTreeAlive(record: ServerRecord, docker = 'docker'): Promise<boolean> {
  if (await isServerAlive(record, docker)) return true;
  return record.runtime === 'native' && record.pid !== null && !isPidAlive(record.pid) && isGroupAlive(record.pid);
}
