/**
 * The launch's port on this machine: whether something already listens there (a connection to the
 * IPv4 and IPv6 loopback, and the listening sockets of /proc/net/tcp and tcp6), what holds it — a
 * server of ours recorded by `launch --detach`, a docker container, a process found by its socket's
 * inode in /proc/<pid>/fd — and whether the server answering there is the one this launch started.
 * Under --root the /proc files are read under the root when it has them (a recorded board), else here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { run } from '../process/exec.js';
import {
  chooseNextFreePort,
  findContainerOnPort,
  findListeners,
  formatCmdline,
  formatPortRefusal,
  listListeningPorts,
  parseParentPid,
  parseProcNetTcp,
  parseSocketLink,
  type PortHolder,
  type ProcSocket,
} from './core/ports.js';
import { classifyListener, type ListenerOwner } from './core/readiness.js';
import { describeServerPlace, findRecordPort } from './core/servers.js';
import { isHolderAlive, isServerAlive, readServers } from './detached.js';

/** The /proc to read: the root's when it has the socket tables, else this machine's. */
function chooseProcDir(root: string | undefined): string {
  if (root !== undefined && existsSync(path.join(root, 'proc', 'net', 'tcp'))) return path.join(root, 'proc');
  return '/proc';
}

/** The sockets of /proc/net/tcp and tcp6 (none when unreadable). */
async function readSockets(procDir: string): Promise<ProcSocket[]> {
  const texts = await Promise.all(
    ['tcp', 'tcp6'].map((f) => readFile(path.join(procDir, 'net', f), 'utf8').catch(() => '')),
  );
  return texts.flatMap(parseProcNetTcp);
}

/** Whether something accepts a connection on host:port within half a second. */
function isAnswering(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether something answers on the port on 127.0.0.1 or ::1 (vLLM binds 0.0.0.0 by default: either blocks it). */
async function isPortAnswering(port: number): Promise<boolean> {
  const [v4, v6] = await Promise.all([isAnswering('127.0.0.1', port), isAnswering('::1', port)]);
  return v4 || v6;
}

/** The pids with an open fd on one of the sockets (processes whose fds this user cannot read are skipped). */
async function findSocketOwners(procDir: string, inodes: ReadonlySet<number>): Promise<number[]> {
  if (inodes.size === 0) return [];
  const pids = (await readdir(procDir).catch(() => [] as string[])).filter((e) => /^\d+$/.test(e));
  const owned = await Promise.all(
    pids.map(async (pid) => {
      const fdDir = path.join(procDir, pid, 'fd');
      const fds = await readdir(fdDir).catch(() => [] as string[]);
      for (const fd of fds) {
        const inode = parseSocketLink(await readlink(path.join(fdDir, fd)).catch(() => ''));
        if (inode !== null && inodes.has(inode)) return Number(pid);
      }
      return null;
    }),
  );
  return owned.filter((p): p is number => p !== null);
}

/** What holds the port: a recorded server of ours, a container, a process, or someone /proc does not show. */
async function findPortHolder(
  port: number,
  listeners: readonly ProcSocket[],
  procDir: string,
  docker: string,
): Promise<PortHolder> {
  const { servers } = await readServers();
  for (const record of servers) {
    if (findRecordPort(record) === port && (await isServerAlive(record, docker)))
      return {
        kind: 'record',
        name: record.name,
        place: describeServerPlace(record, isHolderAlive(record)),
        ...(record.heldBy !== undefined ? { isWizards: true } : {}),
      };
  }
  const ps = await run(docker, ['ps', '--format', '{{.Names}}\t{{.Ports}}'], { timeoutMs: 5000 });
  const container = ps.exitCode === 0 ? findContainerOnPort(ps.stdout, port) : null;
  if (container !== null) return { kind: 'container', name: container };
  const owners = await findSocketOwners(procDir, new Set(listeners.map((l) => l.inode)));
  const pid = owners.length > 0 ? Math.min(...owners) : null;
  if (pid !== null) {
    const cmdline = await readFile(path.join(procDir, String(pid), 'cmdline'), 'utf8').catch(() => '');
    return { kind: 'pid', pid, command: formatCmdline(cmdline) };
  }
  return { kind: 'unknown' };
}

/** The next port after `port` nothing listens on (checked by connecting, a few tries), or null. */
async function findNextFreePort(port: number, sockets: readonly ProcSocket[]): Promise<number | null> {
  const taken = listListeningPorts(sockets);
  for (const record of (await readServers()).servers) {
    const p = findRecordPort(record);
    if (p !== null) taken.add(p);
  }
  for (let tries = 0; tries < 20; tries++) {
    const next = chooseNextFreePort(port, taken);
    if (next === null || !(await isPortAnswering(next))) return next;
    taken.add(next);
  }
  return null;
}

/**
 * Null when nothing listens on the port; else the one-line refusal: what holds it (by name, container
 * or pid) and the fix (stop it, or the next free port — none after 65535).
 */
export async function checkPortFree(port: number, root: string | undefined, docker = 'docker'): Promise<string | null> {
  const procDir = chooseProcDir(root);
  const sockets = await readSockets(procDir);
  const listeners = findListeners(sockets, port);
  if (listeners.length === 0 && !(await isPortAnswering(port))) return null;
  const holder = await findPortHolder(port, listeners, procDir, docker);
  return formatPortRefusal(port, holder, await findNextFreePort(port, sockets));
}

/** Whether the process listening on the port is `pid` or a child of it, another one, or /proc cannot tell. */
export async function findListenerOwner(port: number, pid: number, root: string | undefined): Promise<ListenerOwner> {
  const procDir = chooseProcDir(root);
  const listeners = findListeners(await readSockets(procDir), port);
  const owners = await findSocketOwners(procDir, new Set(listeners.map((l) => l.inode)));
  return classifyListener(pid, owners, (p) => {
    try {
      return parseParentPid(readFileSync(path.join(procDir, String(p), 'stat'), 'utf8'));
    } catch {
      return null;
    }
  });
}
