/**
 * The cause of an OOM kill, from the evidence the launch gathers, in the wizard at 80×24 (stand-in vllm, dmesg and
 * tegrastats first on PATH, a copy of the fake Orin NX 16 GB board whose /proc the test changes while vLLM starts):
 * the planner's plan, with gigabytes predicted to spare, killed while another process (ollama, a fake
 * /proc/812/{comm,status,cmdline} whose VmRSS grows while MemAvailable falls) took the memory → the failure screen
 * names ollama, how much it took, and "stop it" (no KV-halving fix); the same kill read from the kernel's own report
 * (the dmesg stand-in prints an oom-kill task list once the stand-in vllm died); and a kill where vLLM itself grew
 * past its plan (the stand-in's "Model loading took 3.5 GiB") → the prediction was wrong by how much, and the
 * re-plan counts the measured figure; and a kill on the Orin NX whose RAM is full of page cache (a copy of
 * orin-nx-16gb-jp62-pagecache whose Cached grows while MemAvailable falls, no process growing) → the page cache is
 * named with its figure, and the fix is the drop-caches command and the same plan again.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GiB } from '../../src/shared/units.js';
import { ROOT, disposeAll, isBuilt, startCli, type CliSession } from './harness.js';
import { wizardArgs, launchFromReview, readStandinPid } from './wizard-session.js';

const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const BOARD_ROOT = path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62');
const PAGECACHE_ROOT = path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62-pagecache');
const TEST_TIMEOUT = 45_000;
const flat = (screen: string): string => screen.replace(/\s+/g, ' ');
const gib = (bytes: number): string => `${(bytes / GiB).toFixed(2)} GiB`;

let tmp = '';
beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist is not built: run `npm run build:bundle` (npm test does)');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'jv-oom-cause-'));
  return () => rmSync(tmp, { recursive: true, force: true });
});
afterEach(disposeAll);

let seq = 0;
/** A fresh copy of the fake Orin NX 16 GB board (or `from`), with ollama (pid 812) holding `rss` bytes. */
function copyBoard(ollamaBytes: number | null, from = BOARD_ROOT): string {
  seq += 1;
  const root = path.join(tmp, `board-${seq}`);
  cpSync(from, root, { recursive: true });
  if (ollamaBytes !== null) writeOllama(root, ollamaBytes);
  return root;
}

/** /proc/812 of ollama as the kernel shows it (comm, cmdline with its NULs, status with VmRSS in kB). */
function writeOllama(root: string, rssBytes: number): void {
  const dir = path.join(root, 'proc', '812');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'comm'), 'ollama\n');
  writeFileSync(path.join(dir, 'cmdline'), '/usr/local/bin/ollama\0serve\0');
  const kB = Math.round(rssBytes / 1024);
  writeFileSync(
    path.join(dir, 'status'),
    `Name:\tollama\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\nNgid:\t0\nPid:\t812\nPPid:\t1\nVmPeak:\t${kB + 4096} kB\nVmSize:\t${kB + 2048} kB\nVmHWM:\t${kB} kB\nVmRSS:\t${kB} kB\nThreads:\t18\n`,
  );
}

/** The root's meminfo with MemAvailable set (bytes); returns MemAvailable + SwapFree, what the launch samples. */
function setAvailable(root: string, memAvailableBytes: number | null): number {
  const file = path.join(root, 'proc', 'meminfo');
  let text = readFileSync(file, 'utf8');
  if (memAvailableBytes !== null)
    text = text.replace(/^MemAvailable:\s+\d+ kB$/m, `MemAvailable:   ${Math.round(memAvailableBytes / 1024)} kB`);
  writeFileSync(file, text);
  const kB = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
  return (kB('MemAvailable') + kB('SwapFree')) * 1024;
}

/** The root's meminfo with these lines set (kB); returns MemAvailable + SwapFree, what the launch samples. */
function setMeminfo(root: string, fields: Record<string, number>): number {
  const file = path.join(root, 'proc', 'meminfo');
  let text = readFileSync(file, 'utf8');
  for (const [field, kB] of Object.entries(fields)) {
    const line = new RegExp(`^${field.replace(/[()]/g, '\\$&')}:\\s+\\d+ kB$`, 'm');
    expect(text).toMatch(line);
    text = text.replace(line, `${`${field}:`.padEnd(16)}${String(kB).padStart(8)} kB`);
  }
  writeFileSync(file, text);
  return setAvailable(root, null);
}

let portSeq = 0;
/** The wizard at 80×24 on `root`, at the budget screen of a small model (natively), the stand-ins on PATH. */
function startWizard(
  root: string,
  env: Record<string, string>,
  withPidFile: (pidFile: string) => Record<string, string> = () => ({}),
): { s: CliSession; pidFile: string } {
  portSeq += 1;
  const port = 21000 + (process.pid % 400) * 20 + portSeq;
  const pidFile = path.join(tmp, `vllm-${port}.pid`);
  const s = startCli(wizardArgs(port, root), {
    cols: 80,
    rows: 24,
    env: {
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      VLLM_STANDIN_PIDFILE: pidFile,
      XDG_DATA_HOME: path.join(tmp, `data-${port}`),
      XDG_STATE_HOME: path.join(tmp, `state-${port}`),
      ...env,
      ...withPidFile(pidFile),
    },
  });
  return { s, pidFile };
}

/**
 * The wizard launched on `root` with a stand-in vLLM that prints three lines over 6 s and is then SIGKILLed while
 * loading the weights (before it printed any figure); resolves once "engine configured" shows, so the test can
 * change the board's files while it loads.
 */
async function launchKilledWhileLoading(root: string): Promise<CliSession> {
  const { s, pidFile } = startWizard(root, {
    VLLM_STANDIN_UNTIL: 'loading',
    VLLM_STANDIN_EXIT: 'SIGKILL',
    VLLM_STANDIN_STARTUP_MS: '6000',
  });
  await launchFromReview(s);
  await readStandinPid(pidFile);
  await s.waitFor(/… engine configured/, 10_000);
  return s;
}

/** The failure screen once the fix is shown; no line of it cut with "…". */
async function failureScreen(s: CliSession): Promise<string> {
  const failed = await s.waitFor(/^Failed: Killed/m, 20_000);
  for (const row of failed.split('\n')) {
    expect(row.length).toBeLessThanOrEqual(80);
    // The cause and the fix wrap; none is cut.
    expect(row).not.toMatch(/…$/);
  }
  return failed;
}

describe('the cause of an OOM kill, from evidence (wizard, 80×24)', () => {
  it(
    'another process took the memory: the failure names ollama and how much it took, and offers "stop it", not a smaller KV cache',
    async () => {
      const root = copyBoard(0.3 * GiB);
      const firstAvailable = setAvailable(root, null);
      const s = await launchKilledWhileLoading(root);
      // ollama grows by 6.2 GiB while MemAvailable falls by as much (still over the watchdog's floor).
      writeOllama(root, 3 * GiB);
      setAvailable(root, 9 * GiB);
      await new Promise((r) => setTimeout(r, 300));
      writeOllama(root, 6.5 * GiB);
      const lowest = setAvailable(root, 6.5 * GiB);
      const failed = await failureScreen(s);
      const text = flat(failed);
      expect(text).toMatch(/This plan predicted [\d.]+ GiB of 15\.29 GiB, [\d.]+ GiB to spare/);
      expect(text).toContain("vLLM's settings are not what ran out.");
      expect(text).toContain(
        `Something else took the memory (available memory fell from ${gib(firstAvailable)} to ${gib(lowest)}): ollama (pid 812) grew by 6.20 GiB to 6.50 GiB.`,
      );
      expect(text).toContain('run: jetson-vllm doctor');
      expect(text).toMatch(/stop ollama \(kill 812, or sudo systemctl stop <its service>\), then launch the same plan/);
      // Not a shrink of the plan: no re-planned flags, no halving.
      expect(text).not.toMatch(/fix: --|--max-num-seqs \d+ → |r retries with the fix/);
      expect(text).not.toMatch(/vLLM's defaults|pinned swap/);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    'the page cache held more than the plan left to spare: named with its figure; the fix drops the caches, the same plan again',
    async () => {
      const root = copyBoard(null, PAGECACHE_ROOT);
      const firstAvailable = setAvailable(root, null);
      const s = await launchKilledWhileLoading(root);
      // The weights' reads fill the page cache further (Cached + Buffers − Shmem = 12.00 GiB: 12582912 kB) while
      // MemFree and MemAvailable fall; no process grows.
      setMeminfo(root, { MemFree: 2_000_000, MemAvailable: 12_900_000, Cached: 11_800_000 });
      await new Promise((r) => setTimeout(r, 300));
      const lowest = setMeminfo(root, {
        MemFree: 310_000,
        MemAvailable: 11_200_000,
        Cached: 12_582_912 - 41_908 + 21_476,
        'Inactive(file)': 11_900_000,
      });
      const failed = await failureScreen(s);
      const text = flat(failed);
      const predicted = /This plan predicted [\d.]+ GiB of 15\.29 GiB, ([\d.]+) GiB to spare/.exec(text);
      expect(predicted, text).not.toBeNull();
      expect(text).toContain(
        `vLLM stayed within it and no other process grew (available memory fell from ${gib(firstAvailable)} to ${gib(lowest)}). The page cache held 12.00 GiB when vLLM was killed, more than the ${predicted?.[1]} GiB to spare; a Jetson's GPU allocations do not wait for it to be reclaimed.`,
      );
      expect(text).toContain('run: sync && echo 3 | sudo tee /proc/sys/vm/drop_caches');
      expect(text).toContain('free the page cache (12.00 GiB), then launch the same plan again');
      // Not a shrink of the plan, not another process.
      expect(text).not.toMatch(/fix: --|--max-num-seqs \d+ → |r retries with the fix/);
      expect(text).not.toMatch(/Something else took the memory|the memory went elsewhere/);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "the kernel's own report: the dmesg stand-in's oom-kill task list names ollama and what it held",
    async () => {
      const root = copyBoard(null);
      const kernelLines = path.join(tmp, 'oom-kill.log');
      // linux mm/oom_kill.c dump_task (rss in 4 KiB pages: 1703936 pages = 6.50 GiB) and __oom_kill_process.
      writeFileSync(
        kernelLines,
        [
          '[ 8112.041237] python3 invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=0',
          '[ 8112.041470] Tasks state (memory values in pages):',
          '[ 8112.041473] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name',
          '[ 8112.041500] [    812]   998   812  2457612  1703936  14254080        0             0 ollama',
          '[ 8112.041512] [   1045]  1000  1045   120003     9120    409600        0             0 gnome-shell',
          '[ 8112.041530] [  {pid}]  1000 {pid}  9876543   262144  20480000        0             0 python3',
          '[ 8112.041800] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=python3,pid={pid},uid=1000',
          '[ 8112.041900] Out of memory: Killed process {pid} (python3) total-vm:39506172kB, anon-rss:1048576kB, file-rss:1024kB, shmem-rss:0kB, UID:1000 pgtables:20000kB oom_score_adj:0',
        ].join('\n'),
      );
      // The dmesg stand-in prints the kill once the stand-in vllm (its pid file) is gone.
      const { s } = startWizard(
        root,
        {
          VLLM_STANDIN_UNTIL: 'loading',
          VLLM_STANDIN_EXIT: 'SIGKILL',
          VLLM_STANDIN_STARTUP_MS: '1500',
          DMESG_STANDIN_LINES: kernelLines,
        },
        (pidFile) => ({ DMESG_STANDIN_PIDFILE: pidFile }),
      );
      await launchFromReview(s);
      const failed = await failureScreen(s);
      const text = flat(failed);
      expect(text).toContain('Something else took the memory');
      expect(text).toContain(`ollama (pid 812) held ${gib(1703936 * 4096)}`);
      expect(text).toMatch(/stop ollama \(kill 812/);
      expect(text).not.toMatch(/gnome-shell/);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    'vLLM grew past its plan: the cause says the prediction was wrong by how much; the re-plan counts the measured figure',
    async () => {
      const root = copyBoard(0.3 * GiB);
      const { s } = startWizard(root, {
        VLLM_STANDIN_UNTIL: 'loaded',
        VLLM_STANDIN_WEIGHTS_GIB: '3.5',
        VLLM_STANDIN_EXIT: 'SIGKILL',
        VLLM_STANDIN_STARTUP_MS: '1500',
      });
      await launchFromReview(s);
      const failed = await failureScreen(s);
      const text = flat(failed);
      const over =
        /vLLM grew past its plan while profiling memory: model weights 3\.50 GiB against ([\d.]+) GiB predicted\./.exec(
          text,
        );
      expect(over, text).not.toBeNull();
      const wrongBy = 3.5 - Number(over?.[1]);
      expect(text).toMatch(
        new RegExp(
          `The prediction was wrong by ${wrongBy.toFixed(2)} GiB \\(\\+\\d+ % of the [\\d.]+ GiB predicted for vLLM\\)`,
        ),
      );
      expect(text).toContain(
        `The fix is re-planned for this board counting the ${wrongBy.toFixed(2)} GiB vLLM took beyond its plan.`,
      );
      // The re-plan gives vLLM less of the board than the plan that was killed.
      const util = /fix: --gpu-memory-utilization ([\d.]+) → (FITS|TIGHT)/.exec(text);
      expect(util, text).not.toBeNull();
      expect(Number(util?.[1])).toBeLessThan(0.88);
      expect(text).not.toMatch(/Something else took the memory/);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );
});
