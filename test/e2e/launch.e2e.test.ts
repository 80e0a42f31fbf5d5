/**
 * `jetson-vllm launch --runtime native` in a real terminal, with the stand-in `vllm` on PATH:
 * stages → ready with predicted vs actual; SIGINT, SIGTERM and SIGHUP each stop the server (its pid is
 * gone, it got SIGTERM); SIGKILL after --stop-grace when it ignores SIGTERM; a server that crashes after
 * ready is reported, not a crash of the tool; the watchdog fires when the fake root's MemAvailable drops;
 * HF_TOKEN appears in no output, no file and no argv.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultWatchdogFloor } from '../../src/launch/core/watchdog.js';
import { MiB } from '../../src/shared/units.js';
import { runCli } from '../helpers/cli.js';
import { BIN, findFreePort, followCli, waitUntil } from '../helpers/standin.js';
import { disposeAll, isBuilt, isRunning, ROOT, startCli, type CliSession } from './harness.js';

const MODEL = ['--model', 'qwen2.5-0.5b-instruct', '--runtime', 'native'];
const pidFiles: string[] = [];

beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist/cli.js is missing: run npm run build:bundle first');
});
afterEach(async () => {
  expect(await disposeAll()).toEqual([]);
  // A failed test must not leave a stand-in behind either.
  for (const file of pidFiles.splice(0)) {
    const pid = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
    if (pid > 0 && isRunning(pid)) process.kill(pid, 'SIGKILL');
  }
});

interface Launched {
  session: CliSession;
  port: number;
  dir: string;
  pidFile: string;
  signalFile: string;
  /** The stand-in's pid, once it wrote it. */
  serverPid(): number;
  text(): string;
}

async function launch(extraArgs: string[], env: Record<string, string> = {}): Promise<Launched> {
  const port = await findFreePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-launch-e2e-'));
  const pidFile = path.join(dir, 'vllm.pid');
  const signalFile = path.join(dir, 'signals');
  pidFiles.push(pidFile);
  const session = startCli(['launch', ...MODEL, '--port', String(port), ...extraArgs], {
    cols: 160,
    rows: 30,
    env: {
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      VLLM_STANDIN_PIDFILE: pidFile,
      VLLM_STANDIN_SIGNALS: signalFile,
      XDG_DATA_HOME: path.join(dir, 'data'),
      ...env,
    },
  });
  return {
    session,
    port,
    dir,
    pidFile,
    signalFile,
    serverPid: () => Number(readFileSync(pidFile, 'utf8')),
    text: () => session.lines().join('\n'),
  };
}

const readSignals = (file: string): string[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[1] ?? '')
    : [];

describe.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s to jetson-vllm', (signal) => {
  it('stages → ready → stopped: the server got SIGTERM and its pid is gone', async () => {
    const l = await launch(['--device', 'orin-nx-16gb'], { VLLM_STANDIN_STARTUP_MS: '600' });
    await l.session.waitFor(`ready: http://127.0.0.1:${l.port} (/health 200, /v1/models answers)`, 15_000);
    const shown = l.session
      .lines()
      .map((line) => /^\[ *\d+\.\ds\] (.+)$/.exec(line)?.[1])
      .filter((s) => s !== undefined);
    expect(shown.slice(0, 7)).toEqual([
      'engine configured',
      'loading weights',
      'profiling memory',
      'allocating the KV cache',
      'starting the API server',
      'ready',
      `ready: http://127.0.0.1:${l.port} (/health 200, /v1/models answers)`,
    ]);
    // The stand-in logs "Model loading took 0.9328 GiB" and "GPU KV cache size: 61,152 tokens".
    expect(l.text()).toMatch(/^ {2}weights +plan 0\.92 GiB +vLLM 0\.93 GiB \(\+1\.\d %\)$/m);
    expect(l.text()).toMatch(/^ {2}KV cache tokens +plan 32768 +vLLM 61152 /m);
    const pid = l.serverPid();
    expect(isRunning(pid)).toBe(true);

    l.session.kill(signal);
    expect((await l.session.exited).exitCode).toBe(0);
    await l.session.waitFor('stopped', 5000); // what was written before the exit, parsed
    expect(l.text()).toMatch(/stopping the server\n\[ *\d+\.\ds\] stopped$/m);
    expect(isRunning(pid)).toBe(false);
    expect(readSignals(l.signalFile)).toEqual(['SIGTERM']);
  }, 30_000);
});

/** The screen as one line: the terminal's wrapping does not split what is looked for. */
const flatText = (screen: string): string => screen.replace(/\s+/g, ' ');

describe('stopping and crashing', () => {
  it('a server that ignores SIGTERM gets SIGKILL after --stop-grace, and the launcher says so', async () => {
    const l = await launch(['--device', 'orin-nx-16gb', '--stop-grace', '1'], { VLLM_STANDIN_IGNORE_TERM: '1' });
    await l.session.waitFor('ready: http://', 15_000);
    const pid = l.serverPid();
    const sentAt = Date.now();
    l.session.kill('SIGTERM');
    expect((await l.session.exited).exitCode).toBe(0);
    await l.session.waitFor('stopped', 5000); // what was written before the exit, parsed
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1000);
    expect(l.text()).toMatch(
      /vLLM did not exit within 1 s of SIGTERM: killed it \(SIGKILL\)\n\[ *\d+\.\ds\] stopped$/m,
    );
    expect(isRunning(pid)).toBe(false);
    expect(readSignals(l.signalFile)).toEqual(['SIGTERM']);
  }, 30_000);

  it('--stop-grace that is not a number of seconds: one line, exit 2', () => {
    const r = runCli(['launch', '--device', 'orin-nx-16gb', ...MODEL, '--stop-grace', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'jetson-vllm: --stop-grace: "soon" is not a number of seconds (how long vLLM has to exit after SIGTERM; default 10)',
    );
  });

  it('a crash of the server after ready is reported (exit 1), not a crash of the tool', async () => {
    const l = await launch(['--device', 'orin-nx-16gb'], { VLLM_STANDIN_CRASH_AFTER_READY_MS: '1500' });
    await l.session.waitFor('ready: http://', 15_000);
    expect((await l.session.exited).exitCode).toBe(1);
    await l.session.waitFor(/died unexpectedly[\s\S]*died unexpectedly/, 5000); // what was written before the exit, parsed
    const text = l.text();
    expect(text).toMatch(/^\[ *\d+\.\ds\] vLLM died after it was ready \(exit code 1\)$/m);
    expect(text).toMatch(/^ {2}log: ERROR .*\[core_client\.py:564\] Engine core proc EngineCore_0 died unexpectedly/m);
    expect(text).toContain('Engine core proc EngineCore_0 died unexpectedly, shutting down client.');
    expect(text).toContain("  last lines of vLLM's log:");
    expect(text).toContain(
      'RuntimeError: [stand-in vllm for tests] crash requested by VLLM_STANDIN_CRASH_AFTER_READY_MS',
    );
    expect(text).not.toContain('internal error');
    expect(text).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m); // no JavaScript stack
    expect(text).not.toContain('failed to start');
    expect(isRunning(l.serverPid())).toBe(false);
  }, 30_000);
});

describe('the watchdog', () => {
  it('fires when MemAvailable in the fake root (--root) drops under the floor while vLLM starts', async () => {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'jv-wd-root-')), 'board');
    cpSync(path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62'), root, { recursive: true });
    // The device is detected from the root (no --device), and the default floor applies.
    const planned = runCli(['plan', '--json', '--root', root, ...MODEL]);
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout) as { device: { id: string; memTotalBytes: number; source: string } };
    expect(plan.device).toMatchObject({ id: 'orin-nx-16gb', source: 'detected' });
    const floorMiB = Math.round(defaultWatchdogFloor(plan.device.memTotalBytes) / MiB);

    const l = await launch(['--root', root], { VLLM_STANDIN_STARTUP_MS: '8000' });
    await l.session.waitFor('loading weights', 15_000);
    expect(l.text()).not.toContain('watchdog');
    const meminfo = path.join(root, 'proc', 'meminfo');
    // The board runs out while the model loads: 100 MiB available and no free swap.
    writeFileSync(
      meminfo,
      readFileSync(meminfo, 'utf8')
        .replace(/^MemAvailable:\s+\d+ kB$/m, `MemAvailable:   ${100 * 1024} kB`)
        .replace(/^SwapFree:\s+\d+ kB$/m, 'SwapFree:              0 kB'),
    );
    expect((await l.session.exited).exitCode).toBe(1);
    await l.session.waitFor('run: jetson-vllm doctor', 5000); // what was written before the exit, parsed
    const text = l.text();
    expect(text).toContain(
      `watchdog: available memory stayed under the ${floorMiB} MiB floor for 750 ms (lowest 100 MiB): vLLM was stopped before the kernel froze the board`,
    );
    expect(text).toMatch(/^\[ *\d+\.\ds\] stopped by the watchdog$/m);
    // A 0.5B plan with gigabytes to spare: the memory went elsewhere; doctor, not a smaller KV cache.
    expect(flatText(text)).toMatch(/the memory went elsewhere/);
    expect(flatText(text)).toMatch(/The watchdog stopped vLLM before the kernel killed it/);
    expect(flatText(text)).toMatch(/ run: jetson-vllm doctor/);
    expect(flatText(text)).not.toMatch(/retry: vllm serve/);
    expect(text).not.toContain('ready: http://');
    expect(isRunning(l.serverPid())).toBe(false);
    expect(readSignals(l.signalFile)).toEqual(['SIGTERM']);
  }, 30_000);
});

/** Every file under `dir` (recursively). */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** The process and all its descendants (from /proc/<pid>/stat's ppid field). */
function listProcessTree(rootPid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parentOf) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

describe('HF_TOKEN', () => {
  it('reaches vLLM through its environment only: in no output, no saved file and no argv', async () => {
    const secret = `hf_${Math.random().toString(36).slice(2)}NeverShown${Date.now()}`;
    const stateHome = mkdtempSync(path.join(os.tmpdir(), 'jv-state-'));
    const l = await launch(['--device', 'orin-nx-16gb'], { HF_TOKEN: secret, XDG_STATE_HOME: stateHome });
    await l.session.waitFor('ready: http://', 15_000);
    const serverPid = l.serverPid();
    // The token is in the server's environment (it needs it), never on a command line.
    expect(readFileSync(`/proc/${serverPid}/environ`, 'utf8').split('\0')).toContain(`HF_TOKEN=${secret}`);
    const tree = listProcessTree(l.session.pid);
    expect(tree).toContain(serverPid);
    for (const pid of tree) expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(secret);
    l.session.kill('SIGTERM');
    expect((await l.session.exited).exitCode).toBe(0);
    await l.session.waitFor('stopped', 5000); // what was written before the exit, parsed
    expect(l.session.raw()).not.toContain(secret);
    expect(l.text()).not.toContain(secret);
    expect(l.session.screen()).not.toContain(secret);

    // The same with stdout and stderr apart, through a failure whose fix is about the token.
    const gated = followCli(['launch', '--device', 'orin-nx-16gb', ...MODEL, '--port', String(await findFreePort())], {
      HF_TOKEN: secret,
      VLLM_STANDIN_FAIL: 'gated-model',
      HOME: l.session.home,
      XDG_CONFIG_HOME: l.session.configHome,
      XDG_DATA_HOME: path.join(l.dir, 'data'),
      XDG_STATE_HOME: stateHome,
    });
    expect((await gated.exited).code).toBe(1);
    const out = gated.lines.filter((x) => x.stream === 'stdout').map((x) => x.text);
    const err = gated.lines.filter((x) => x.stream === 'stderr').map((x) => x.text);
    expect(out.join('\n')).toContain("read -rsp 'Hugging Face token: ' HF_TOKEN");
    expect(out.join('\n')).not.toContain(secret);
    expect(err.join('\n')).not.toContain(secret);

    // Files: the history (written: both launches), the XDG state and config folders, HOME.
    const files = [l.dir, stateHome, l.session.home, l.session.configHome].flatMap(listFiles);
    const history = path.join(l.dir, 'data', 'jetson-vllm', 'history.jsonl');
    expect(files).toContain(history);
    expect(readFileSync(history, 'utf8').trim().split('\n')).toHaveLength(2);
    for (const file of files) expect(readFileSync(file, 'utf8'), file).not.toContain(secret);
    expect(await waitUntil(() => !isRunning(serverPid))).toBe(true);
  }, 30_000);
});
