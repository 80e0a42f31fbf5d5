/**
 * Whether a launch's port is free, and if not, what holds it and what to do: the sockets
 * /proc/net/tcp and /proc/net/tcp6 list (proc(5)), a container `docker ps` lists on the port, the
 * next free port. The shell (src/launch/ports.ts) reads the files and asks docker; this says what they
 * mean and what the refusal says. Pure.
 */

/** The last TCP port: there is no next one. */
export const LAST_PORT = 65_535;

/** The state proc(5) gives a listening socket (TCP_LISTEN in include/net/tcp_states.h). */
const LISTEN_STATE = '0A';

/** One socket of /proc/net/tcp or tcp6. */
export interface ProcSocket {
  family: 'ipv4' | 'ipv6';
  /** Its local address, dotted (IPv4) or as eight hex groups (IPv6). */
  address: string;
  port: number;
  /** Whether it listens (state 0A). */
  isListening: boolean;
  uid: number;
  /** The socket's inode: /proc/<pid>/fd/* of its owners link to `socket:[<inode>]`. */
  inode: number;
}

/** What holds a port, as far as this machine tells. */
export type PortHolder =
  /** A server `launch --detach` recorded (still running); `isWizards`: one a wizard launched and recorded. */
  | { kind: 'record'; name: string; place: string; isWizards?: boolean }
  /** A docker container with the port published, or one of ours on the host network. */
  | { kind: 'container'; name: string }
  /** A process whose socket listens there; `command` from its cmdline ('' when unreadable). */
  | { kind: 'pid'; pid: number; command: string }
  /** Something listens, but /proc does not say who (another user's process, a container's). */
  | { kind: 'unknown' };

/** Returns the address of a /proc/net/tcp field: each 32-bit word is in the kernel's (little-endian) order. */
function decodeAddress(hex: string): string | null {
  if (hex.length === 8) {
    const bytes = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return bytes.join('.');
  }
  if (hex.length !== 32) return null;
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    // A word's bytes reversed give its two groups in network order.
    const b = [6, 4, 2, 0].map((i) => word.slice(i, i + 2));
    groups.push(`${b[0]}${b[1]}`.toLowerCase(), `${b[2]}${b[3]}`.toLowerCase());
  }
  return groups.join(':');
}

const HEX_RE = /^[0-9A-Fa-f]+$/;

/** Returns the sockets of /proc/net/tcp (or tcp6) text; the header and lines that do not parse are skipped. */
export function parseProcNetTcp(text: string): ProcSocket[] {
  const sockets: ProcSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …"
    if (f.length < 10 || !/^\d+:$/.test(f[0] ?? '')) continue;
    const [addrHex, portHex] = (f[1] ?? '').split(':');
    const state = f[3] ?? '';
    if (addrHex === undefined || portHex === undefined || !HEX_RE.test(addrHex) || !HEX_RE.test(portHex)) continue;
    const address = decodeAddress(addrHex);
    const port = parseInt(portHex, 16);
    const uid = Number(f[7]);
    const inode = Number(f[9]);
    if (address === null || !HEX_RE.test(state) || !Number.isInteger(uid) || !Number.isInteger(inode)) continue;
    sockets.push({
      family: addrHex.length === 8 ? 'ipv4' : 'ipv6',
      address,
      port,
      isListening: state.toUpperCase() === LISTEN_STATE,
      uid,
      inode,
    });
  }
  return sockets;
}

/** Returns the listening sockets on `port` (any address: a listener on one address blocks 0.0.0.0 too). */
export function findListeners(sockets: readonly ProcSocket[], port: number): ProcSocket[] {
  return sockets.filter((s) => s.isListening && s.port === port);
}

/** Returns the ports something listens on. */
export function listListeningPorts(sockets: readonly ProcSocket[]): Set<number> {
  return new Set(sockets.filter((s) => s.isListening).map((s) => s.port));
}

/** Returns the first port after `port` not in `taken`, or null when none is left (65535 has no next port). */
export function chooseNextFreePort(port: number, taken: ReadonlySet<number>): number | null {
  for (let p = Math.max(port + 1, 1); p <= LAST_PORT; p++) if (!taken.has(p)) return p;
  return null;
}

/** Returns the inode of a /proc/<pid>/fd link to a socket (`socket:[12345]`), else null. */
export function parseSocketLink(link: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m === null ? null : Number(m[1]);
}

/** Returns the parent pid of a /proc/<pid>/stat line ("pid (comm) S ppid …"; comm may hold spaces and ')'). */
export function parseParentPid(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : null;
}

/** Returns a /proc/<pid>/cmdline (NUL-separated) as a command line, cut at 120 characters. */
export function formatCmdline(raw: string): string {
  const text = raw
    .split('\0')
    .filter((a) => a !== '')
    .join(' ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/**
 * Returns the container holding `port` from `docker ps --format '{{.Names}}\t{{.Ports}}'` lines: one
 * publishing it (`0.0.0.0:8000->8000/tcp`, `[::]:8000->…`, `:::8000->…`), else one of ours on the host
 * network, which docker shows no ports for (named `jetson-vllm-…-<port>`, core/docker.ts serverName).
 */
export function findContainerOnPort(psText: string, port: number): string | null {
  const rows = psText
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((r) => (r[0] ?? '').trim() !== '');
  const published = new RegExp(`(?:^|[\\s,\\]:])${port}->`);
  const byPorts = rows.find((r) => published.test(r[1] ?? ''));
  if (byPorts !== undefined) return (byPorts[0] ?? '').trim();
  const ours = rows.find((r) => {
    const name = (r[0] ?? '').trim();
    return name.startsWith('jetson-vllm-') && name.endsWith(`-${port}`) && (r[1] ?? '').trim() === '';
  });
  return ours === undefined ? null : (ours[0] ?? '').trim();
}

/** Whether a command line looks like vLLM's server (`vllm serve …`, `python -m vllm.entrypoints…`). */
export function isVllmCommand(command: string): boolean {
  return /\bvllm\b/.test(command);
}

/** Returns what holds the port, as said after "port N is taken by". */
function describeHolder(holder: PortHolder): string {
  switch (holder.kind) {
    case 'record':
      return `${holder.name}, a server of ours launched ${holder.isWizards === true ? 'by the wizard' : 'with --detach'} (${holder.place})`;
    case 'container':
      return `the docker container ${holder.name}`;
    case 'pid':
      if (holder.command === '') return `pid ${holder.pid}`;
      return isVllmCommand(holder.command)
        ? `pid ${holder.pid} (${holder.command}), a vLLM no launch recorded (left by a launch that was killed?)`
        : `pid ${holder.pid} (${holder.command})`;
    case 'unknown':
      return 'a process this user cannot see (another user’s, or a container’s)';
    default: {
      const unreachable: never = holder;
      throw new Error(`unknown port holder ${String(unreachable)}`);
    }
  }
}

/** Returns how to free the port from what holds it. */
function describeStop(holder: PortHolder, port: number): string {
  switch (holder.kind) {
    case 'record':
      return `stop it: jetson-vllm launch --stop ${holder.name}`;
    case 'container':
      return `stop it: docker stop ${holder.name}`;
    case 'pid':
      return `stop it: kill ${holder.pid}`;
    case 'unknown':
      return `find it: sudo ss -ltnp 'sport = :${port}'`;
    default: {
      const unreachable: never = holder;
      throw new Error(`unknown port holder ${String(unreachable)}`);
    }
  }
}

/**
 * Returns the one-line refusal of a launch whose port is taken: what holds it and the two ways on —
 * stop it, or launch on the next free port (at 65535, or with none free above, it says there is none).
 */
export function formatPortRefusal(port: number, holder: PortHolder, nextFree: number | null): string {
  const head = `not launched: port ${port} is taken by ${describeHolder(holder)}; ${describeStop(holder, port)}`;
  if (nextFree !== null) return `${head}, or launch on the next free port: --port ${nextFree}`;
  return port >= LAST_PORT
    ? `${head} (port ${LAST_PORT} is the last one: there is no next port; choose a free one below it with --port)`
    : `${head} (no port above ${port} is free: choose a free one below it with --port)`;
}
