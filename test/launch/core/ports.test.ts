/** src/launch/core/ports.ts: /proc/net/tcp{,6} read back, what holds a port, the next free port and the refusal. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseNextFreePort,
  findContainerOnPort,
  findListeners,
  formatCmdline,
  formatPortRefusal,
  isVllmCommand,
  LAST_PORT,
  listListeningPorts,
  parseParentPid,
  parseProcNetTcp,
  parseSocketLink,
  type PortHolder,
} from '../../../src/launch/core/ports.js';

// Lines as the kernel prints them (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock).
const HEADER4 =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ';
const TCP4 = [
  HEADER4,
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0',
  '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0',
  '   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 20 4 30 10 -1',
  '   3: 0100007F:FFFF 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 65535 1 0000000000000000 100 0 0 10 0',
].join('\n');
const TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 888 1 0000000000000000 100 0 0 10 0',
  '   1: 00000000000000000000000000000000:0001 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0',
].join('\n');

describe('parseProcNetTcp', () => {
  it('reads IPv4 sockets: address, port, listening, uid, inode; the header is skipped', () => {
    const sockets = parseProcNetTcp(TCP4);
    expect(sockets).toHaveLength(4);
    expect(sockets[0]).toEqual({
      family: 'ipv4',
      address: '127.0.0.1',
      port: 8080,
      isListening: true,
      uid: 1000,
      inode: 123456,
    });
    expect(sockets[1]).toMatchObject({ address: '0.0.0.0', port: 22, uid: 0 });
    // An established connection from the same port does not listen.
    expect(sockets[2]).toMatchObject({ port: 8080, isListening: false, inode: 777 });
    expect(sockets[3]).toMatchObject({ port: 65_535, isListening: true });
  });

  it('reads IPv6 sockets (four little-endian words): ::1 and ::', () => {
    const sockets = parseProcNetTcp(TCP6);
    expect(sockets[0]).toEqual({
      family: 'ipv6',
      address: '0000:0000:0000:0000:0000:0000:0000:0001',
      port: 8080,
      isListening: true,
      uid: 1000,
      inode: 888,
    });
    expect(sockets[1]).toMatchObject({ address: '0000:0000:0000:0000:0000:0000:0000:0000', port: 1 });
  });

  it.each([
    ['empty', ''],
    ['the header only', HEADER4],
    ['too few fields', '   0: 0100007F:1F90 00000000:0000 0A'],
    ['no "sl:"', 'x 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 1 1'],
    ['an address that is not hex', '   0: 0100007G:1F90 00000000:0000 0A 0:0 00:0 0 1000 0 1 1'],
    ['an address of the wrong length', '   0: 0100:1F90 00000000:0000 0A 0:0 00:0 0 1000 0 1 1'],
    ['a port that is not hex', '   0: 0100007F:1Z90 00000000:0000 0A 0:0 00:0 0 1000 0 1 1'],
    ['an inode that is not a number', '   0: 0100007F:1F90 00000000:0000 0A 0:0 00:0 0 1000 0 x 1'],
  ])('skips %s', (_, text) => {
    expect(parseProcNetTcp(text)).toEqual([]);
  });

  it('property: any socket printed as the kernel prints it is read back', () => {
    const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');
    // The kernel prints each 32-bit word of the address in host (little-endian) byte order.
    const word = (bytes: number[]): string =>
      hex(bytes[3] ?? 0, 2) + hex(bytes[2] ?? 0, 2) + hex(bytes[1] ?? 0, 2) + hex(bytes[0] ?? 0, 2);
    const socket = fc.record({
      v6: fc.boolean(),
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }),
      port: fc.integer({ min: 0, max: 65_535 }),
      state: fc.integer({ min: 1, max: 12 }),
      uid: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      inode: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    });
    fc.assert(
      fc.property(fc.array(socket, { maxLength: 20 }), (list) => {
        const lines = list.map((s, i) => {
          const words = s.v6 ? [0, 4, 8, 12].map((o) => word(s.bytes.slice(o, o + 4))) : [word(s.bytes.slice(0, 4))];
          return `${String(i).padStart(4)}: ${words.join('')}:${hex(s.port, 4)} 00000000:0000 ${hex(s.state, 2)} 00000000:00000000 00:00000000 00000000 ${String(s.uid).padStart(5)}        0 ${s.inode} 1 0000000000000000 100 0 0 10 0`;
        });
        const parsed = parseProcNetTcp([HEADER4, ...lines].join('\n'));
        expect(parsed).toHaveLength(list.length);
        parsed.forEach((p, i) => {
          const s = list[i];
          if (s === undefined) throw new Error('missing');
          expect(p.port).toBe(s.port);
          expect(p.inode).toBe(s.inode);
          expect(p.uid).toBe(s.uid);
          expect(p.isListening).toBe(s.state === 0x0a);
          expect(p.family).toBe(s.v6 ? 'ipv6' : 'ipv4');
          if (!s.v6) expect(p.address).toBe(s.bytes.slice(0, 4).join('.'));
          else
            expect(p.address).toBe(
              [0, 2, 4, 6, 8, 10, 12, 14]
                .map((o) => hex(s.bytes[o] ?? 0, 2) + hex(s.bytes[o + 1] ?? 0, 2))
                .join(':')
                .toLowerCase(),
            );
        });
      }),
    );
  });
});

describe('listeners and the next free port', () => {
  const sockets = [...parseProcNetTcp(TCP4), ...parseProcNetTcp(TCP6)];

  it('finds the listening sockets on a port, IPv4 and IPv6, not connections from it', () => {
    expect(findListeners(sockets, 8080).map((s) => s.inode)).toEqual([123456, 888]);
    expect(findListeners(sockets, 8081)).toEqual([]);
    expect([...listListeningPorts(sockets)].sort((a, b) => a - b)).toEqual([1, 22, 8080, 65_535]);
  });

  it.each([
    [8000, [], 8001],
    [8000, [8001, 8002], 8003],
    [1, [], 2],
    [1, [2, 3], 4],
    [0, [1], 2],
    [65_534, [], 65_535],
    [65_534, [65_535], null],
    [LAST_PORT, [], null],
    [65_530, [65_531, 65_532, 65_533, 65_534, 65_535], null],
  ])('after %i with %j taken: %s', (port, taken, next) => {
    expect(chooseNextFreePort(port, new Set(taken))).toBe(next);
  });
});

describe('/proc/<pid> details', () => {
  it.each([
    ['socket:[123456]', 123456],
    ['socket:[0]', 0],
    ['pipe:[123]', null],
    ['/dev/null', null],
    ['socket:[12a]', null],
  ])('a fd link %s → %s', (link, inode) => {
    expect(parseSocketLink(link)).toBe(inode);
  });

  it.each([
    ['4242 (vllm) S 4200 4242 4242 0 -1', 4200],
    ['4242 (python3 -m x) S 1 4242', 1],
    ['4242 (a) b) c) R 77 1', 77],
    ['garbage', null],
  ])('the parent pid of %j → %s', (stat, ppid) => {
    expect(parseParentPid(stat)).toBe(ppid);
  });

  it('a cmdline: NUL-separated, cut at 120 characters', () => {
    expect(formatCmdline(['vllm', 'serve', 'Qwen/Qwen2.5-0.5B-Instruct', '--port', '8000', ''].join('\0'))).toBe(
      'vllm serve Qwen/Qwen2.5-0.5B-Instruct --port 8000',
    );
    expect(formatCmdline('')).toBe('');
    const long = formatCmdline(`node\0${'x'.repeat(200)}`);
    expect(long).toHaveLength(120);
    expect(long.endsWith('…')).toBe(true);
  });

  it.each([
    ['vllm serve m', true],
    ['/opt/venv/bin/python3 /opt/venv/bin/vllm serve m', true],
    ['python -m vllm.entrypoints.openai.api_server', true],
    ['node server.js', false],
    ['vllmx', false],
  ])('%j looks like vLLM: %s', (command, is) => {
    expect(isVllmCommand(command)).toBe(is);
  });
});

describe('findContainerOnPort', () => {
  it.each([
    ['published on IPv4 and IPv6', 'web\t0.0.0.0:8000->8000/tcp, :::8000->8000/tcp', 8000, 'web'],
    ['published on [::]', 'web\t[::]:8000->8000/tcp', 8000, 'web'],
    ['another host port mapped to the same container port', 'web\t0.0.0.0:9000->8000/tcp', 8000, null],
    ['a port that ends the same (8080 is not 80)', 'web\t0.0.0.0:8080->8080/tcp', 80, null],
    ['ours on the host network (no ports)', 'jetson-vllm-qwen-8000\t', 8000, 'jetson-vllm-qwen-8000'],
    ['ours on the host network, another port', 'jetson-vllm-qwen-8001\t', 8000, null],
    ['not ours, host network', 'other-8000\t', 8000, null],
    ['nothing running', '', 8000, null],
    ['at port 65535', 'edge\t0.0.0.0:65535->80/tcp', 65_535, 'edge'],
    ['at port 1', 'low\t0.0.0.0:1->1/tcp', 1, 'low'],
  ])('%s', (_, text, port, name) => {
    expect(findContainerOnPort(text, port)).toBe(name);
  });

  it('a published port wins over a name', () => {
    expect(findContainerOnPort('jetson-vllm-a-8000\t\nweb\t0.0.0.0:8000->80/tcp', 8000)).toBe('web');
  });
});

describe('formatPortRefusal', () => {
  const holders: [PortHolder, string, string][] = [
    [
      { kind: 'record', name: 'jetson-vllm-q-8000', place: 'pid 42' },
      'jetson-vllm-q-8000, a server of ours launched with --detach (pid 42)',
      'stop it: jetson-vllm launch --stop jetson-vllm-q-8000',
    ],
    [{ kind: 'container', name: 'web' }, 'the docker container web', 'stop it: docker stop web'],
    [
      { kind: 'pid', pid: 42, command: 'vllm serve m --port 8000' },
      'pid 42 (vllm serve m --port 8000), a vLLM no launch recorded (left by a launch that was killed?)',
      'stop it: kill 42',
    ],
    [{ kind: 'pid', pid: 42, command: 'node server.js' }, 'pid 42 (node server.js)', 'stop it: kill 42'],
    [{ kind: 'pid', pid: 42, command: '' }, 'pid 42', 'stop it: kill 42'],
    [
      { kind: 'unknown' },
      'a process this user cannot see (another user’s, or a container’s)',
      "find it: sudo ss -ltnp 'sport = :8000'",
    ],
  ];
  it.each(holders)('%j: named, with how to stop it and the next free port', (holder, what, stop) => {
    expect(formatPortRefusal(8000, holder, 8001)).toBe(
      `not launched: port 8000 is taken by ${what}; ${stop}, or launch on the next free port: --port 8001`,
    );
  });

  it('at port 65535 there is no next port: it says so', () => {
    const text = formatPortRefusal(LAST_PORT, { kind: 'pid', pid: 7, command: 'x' }, null);
    expect(text).toBe(
      'not launched: port 65535 is taken by pid 7 (x); stop it: kill 7 (port 65535 is the last one: there is no next port; choose a free one below it with --port)',
    );
    expect(text).not.toContain('65536');
  });

  it('at 65534 the next free port is 65535; with none free above it, it says so', () => {
    expect(formatPortRefusal(65_534, { kind: 'unknown' }, 65_535)).toMatch(/--port 65535$/);
    expect(formatPortRefusal(65_534, { kind: 'unknown' }, null)).toMatch(
      /\(no port above 65534 is free: choose a free one below it with --port\)$/,
    );
  });

  it('at port 1 the next is 2', () => {
    expect(formatPortRefusal(1, { kind: 'unknown' }, chooseNextFreePort(1, new Set()))).toMatch(/--port 2$/);
  });
});
