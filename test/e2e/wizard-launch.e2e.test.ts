/**
 * The wizard's launch in a real pseudo-terminal, on the fake Orin NX 16 GB board, with the stand-in
 * `vllm` and `tegrastats` (test/fixtures/bin) first on PATH: Review → Launch → stages → ready →
 * predicted vs actual → the live panel → q asks → y stops the server; a killed start → the diagnosis
 * → r retries with the fix; SIGINT / SIGTERM / SIGHUP of the wizard leave no child (checked by pid);
 * a stand-in killed under the wizard is reported, not a crash; the watchdog fires on a fake root
 * whose MemAvailable drops.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIAGNOSES } from '../../src/launch/core/diagnosis/catalog.js';
import { diagnose } from '../../src/launch/core/diagnosis/diagnose.js';
import { buildKillEvidence } from '../../src/launch/core/diagnosis/kill.js';
import type { FailureKind } from '../../src/launch/core/diagnosis/types.js';
import { buildPlan } from '../../src/plan/core/plan.js';
import { resolvePlanRequest } from '../../src/plan/core/request.js';
import { markExited, parseLog } from '../../src/launch/core/log/reducer.js';
import { loadTestCatalog } from '../helpers/catalog.js';
import { followStandin } from '../helpers/standin.js';
import { ROOT, disposeAll, isBuilt, isRunning, pressAndWait, startCli, type CliSession } from './harness.js';
import { wizardArgs, launchFromReview, readStandinPid } from './wizard-session.js';

const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const BOARD_ROOT = path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62');
const TEST_TIMEOUT = 40_000;
const flat = (screen: string): string => screen.replace(/\s+/g, ' ');

let tmp = '';
beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist is not built: run `npm run build:bundle` (npm test does)');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'jv-wizard-launch-'));
  return () => rmSync(tmp, { recursive: true, force: true });
});
afterEach(disposeAll);

let portSeq = 0;
const portFor = (seq: number): number => 20000 + (process.pid % 500) * 20 + seq;
/** Starts the wizard at the budget screen for a small model, natively, with the stand-ins on PATH. */
function startWizard(env: Record<string, string> = {}, root = BOARD_ROOT): { s: CliSession; pidFile: string } {
  portSeq += 1;
  const port = portFor(portSeq);
  const pidFile = path.join(tmp, `vllm-${port}.pid`);
  const s = startCli(wizardArgs(port, root), {
    env: {
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      VLLM_STANDIN_PIDFILE: pidFile,
      XDG_DATA_HOME: path.join(tmp, `data-${port}`),
      ...env,
    },
  });
  return { s, pidFile };
}

async function gone(pid: number, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('wizard → launch (stand-in vllm, fake Orin NX 16 GB)', () => {
  it(
    'stages advance to ready with predicted vs actual; Enter opens the live panel; q asks; y stops the server',
    async () => {
      const { s, pidFile } = startWizard({ VLLM_STANDIN_STARTUP_MS: '1500' });
      const starting = await launchFromReview(s);
      expect(starting).toContain('Device › Model › Quantization › Budget › Review › Launch');
      expect(flat(starting)).toContain('$ vllm serve Qwen/Qwen2.5-0.5B-Instruct');
      const loading = await s.waitFor(/… (loading weights|profiling memory|allocating the KV cache)/);
      expect(loading).toMatch(/✓ engine configured/);
      const ready = await s.waitFor(/^Ready: http:\/\/127\.0\.0\.1:\d+$/m, 15_000);
      // The stand-in prints V1 figures: 0.9328 GiB of weights, 61,152 KV tokens, 14.93x concurrency.
      expect(ready).toContain('predicted vs actual:');
      expect(ready).toMatch(/weights\s+plan [\d.]+ GiB\s+vLLM 0\.93 GiB \([+-][\d.]+ %\)/);
      expect(ready).toMatch(/KV cache tokens\s+plan \d+\s+vLLM 61152/);
      expect(ready).toMatch(/max concurrency\s+plan \d+x\s+vLLM 14\.93x/);
      expect(ready).toMatch(/✓ ready: http:\/\/127\.0\.0\.1:\d+ \(\/health 200/);
      expect(ready).toContain('Enter live panel');
      const pid = await readStandinPid(pidFile);
      expect(isRunning(pid)).toBe(true);

      s.press('enter');
      // The server's metrics and tegrastats' first sample arrive independently: wait for both.
      const panel = await s.waitFor((screen) => /vLLM ● healthy/.test(screen) && /▲plan [\d.]+G/.test(screen), 10_000);
      expect(panel).toMatch(/^jetson-vllm · tegrastats/m);
      expect(panel).toMatch(/running 1\s+waiting 0/);
      expect(panel).toMatch(/▲plan [\d.]+G/);
      s.press('q');
      await s.waitFor('Stop the vLLM server and quit?');
      expect(isRunning(pid)).toBe(true);
      s.press('n');
      await s.waitFor((screen) => !screen.includes('Stop the vLLM server and quit?'));
      s.press('q');
      await s.waitFor('Stop the vLLM server and quit?');
      s.press('y');
      const exit = await s.exited;
      expect(exit.exitCode).toBe(0);
      expect(await gone(pid)).toBe(true);
      // No tegrastats child left either: nothing of this session's runs any more.
      expect(isRunning(s.pid)).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    'a killed start (exit 137) where vLLM grew past its plan: the prediction was wrong by how much; r retries the re-plan (attempt 2); q quits',
    async () => {
      const { s, pidFile } = startWizard({ VLLM_STANDIN_EXIT: '137' });
      await launchFromReview(s);
      const failed = await s.waitFor('r retries with the fix', 15_000);
      expect(failed).toMatch(/^Failed: Killed: the board ran out of memory$/m);
      expect(flat(failed)).toMatch(/cause: The log says "Killed" \(a SIGKILL\)\. On a Jetson that is almost always/);
      // The stand-in prints "Available KV cache memory: 1.75 GiB" where the plan reserved 0.38 GiB.
      expect(flat(failed)).toMatch(/vLLM grew past its plan: kv cache 1\.75 GiB against 0\.38 GiB predicted/);
      expect(flat(failed)).toMatch(/The prediction was wrong by 1\.\d\d GiB \(\+\d+ %/);
      expect(flat(failed)).not.toMatch(/vLLM's defaults|pinned swap/);
      expect(failed).toContain('log: Killed');
      const fix = /fix: (.+?) → (FITS|TIGHT)/.exec(flat(failed));
      expect(fix).not.toBeNull();
      const first = await readStandinPid(pidFile);
      expect(await gone(first)).toBe(true);
      writeFileSync(pidFile, '');

      s.press('r');
      const retried = await s.waitFor(/attempt 2/, 15_000);
      // The retried command carries the fixed flags.
      for (const flag of (fix?.[1] ?? '').split(/ (?=--)/)) {
        if (flag.startsWith('--')) expect(flat(retried)).toContain(flag.split(' ')[0]);
      }
      const second = await readStandinPid(pidFile);
      expect(second).not.toBe(first);
      await s.waitFor(/Failed \(attempt 2\)/, 15_000);
      s.press('q');
      const exit = await s.exited;
      expect(exit.exitCode).toBe(0);
      expect(await gone(second)).toBe(true);
    },
    TEST_TIMEOUT,
  );

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(
      `${signal} to the wizard while vLLM starts stops the server: no child left`,
      async () => {
        const { s, pidFile } = startWizard({ VLLM_STANDIN_STARTUP_MS: '20000' });
        await launchFromReview(s);
        const pid = await readStandinPid(pidFile);
        await s.waitFor(/✓ engine configured|… /);
        expect(isRunning(pid)).toBe(true);
        s.kill(signal);
        const exit = await s.exited;
        expect(exit.exitCode).toBe({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[signal]);
        expect(await gone(pid)).toBe(true);
      },
      TEST_TIMEOUT,
    );
  }

  it(
    'the stand-in killed under the wizard is reported on the launch screen; the wizard stays up and quits cleanly',
    async () => {
      const { s, pidFile } = startWizard({ VLLM_STANDIN_STARTUP_MS: '20000' });
      await launchFromReview(s);
      const pid = await readStandinPid(pidFile);
      process.kill(pid, 'SIGKILL');
      const reported = await s.waitFor(/^Failed: Killed/m, 10_000);
      // Killed before vLLM printed a figure, with gigabytes predicted to spare: doctor, then the same plan again.
      expect(reported).toContain('run: jetson-vllm doctor');
      expect(reported).toContain('r launches again once it is done');
      expect(s.hasExited()).toBe(false);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    'the watchdog stops vLLM when the fake board’s MemAvailable drops under the floor',
    async () => {
      const root = path.join(tmp, 'board');
      cpSync(BOARD_ROOT, root, { recursive: true });
      const meminfo = path.join(root, 'proc', 'meminfo');
      const { s, pidFile } = startWizard({ VLLM_STANDIN_STARTUP_MS: '20000' }, root);
      await launchFromReview(s);
      const pid = await readStandinPid(pidFile);
      await s.waitFor(/✓ engine configured|… /);
      // 100 MiB available and no swap: under the default floor (the larger of 256 MiB and 2 % of RAM).
      const text = readFileSync(meminfo, 'utf8')
        .replace(/^MemAvailable:\s+\d+ kB$/m, 'MemAvailable:     102400 kB')
        .replace(/^SwapFree:\s+\d+ kB$/m, 'SwapFree:              0 kB');
      writeFileSync(meminfo, text);
      const stopped = await s.waitFor(/watchdog: /, 10_000);
      expect(flat(stopped)).toMatch(/watchdog: .*(MiB|GiB)/);
      expect(await gone(pid)).toBe(true);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    'HF_TOKEN reaches the server through the environment and appears in no output, argv, recipe or history',
    async () => {
      const secret = `hf_wizard_secret_${process.pid}_never_shown`;
      const { s, pidFile } = startWizard({ HF_TOKEN: secret });
      await s.waitFor('Verdict:');
      await pressAndWait(s, 'enter', /^❯ Launch$/m);
      // Save the recipe, then launch.
      await pressAndWait(s, 'down', /^❯ Copy/m);
      await pressAndWait(s, 'down', /^❯ Save the recipe/m);
      s.press('enter');
      await s.waitFor('Recipe saved to');
      await pressAndWait(s, 'up', /^❯ Copy/m);
      await pressAndWait(s, 'up', /^❯ Launch$/m);
      s.press('enter');
      await s.waitFor(/^Ready: /m, 15_000);
      const pid = await readStandinPid(pidFile);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      expect(env.split('\0')).toContain(`HF_TOKEN=${secret}`); // it does reach vLLM…
      expect(argv).not.toContain(secret); // …but never on a command line
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
      expect(await gone(pid)).toBe(true);
      expect(s.raw()).not.toContain(secret);
      const port = /--port (\d+)/.exec(flat(s.raw()))?.[1] ?? '';
      const written = [
        ...filesUnder(s.configHome),
        ...filesUnder(s.home),
        ...filesUnder(path.join(tmp, `data-${port}`)),
      ];
      expect(written.some((f) => f.endsWith('.json'))).toBe(true); // the recipe
      expect(written.some((f) => f.endsWith('history.jsonl'))).toBe(true);
      for (const f of written) expect(readFileSync(f, 'utf8')).not.toContain(secret);
    },
    TEST_TIMEOUT,
  );
});

/** The wizard with --detach (native, stand-in vllm), its own state folder, pid file and port. */
function startDetachedWizard(env: Record<string, string> = {}): {
  w: CliSession;
  pidFile: string;
  port: number;
  name: string;
  stopWithCli: () => number | null;
} {
  const state = mkdtempSync(path.join(tmp, 'state-'));
  const pidFile = path.join(state, 'vllm.pid');
  portSeq += 1;
  const port = portFor(portSeq);
  const PATH = `${BIN}:${process.env.PATH ?? ''}`;
  const w = startCli(
    [
      ...['--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--quant', 'bf16'],
      ...['--runtime', 'native', '--port', String(port), '--detach', '--root', BOARD_ROOT],
    ],
    {
      env: {
        PATH,
        VLLM_STANDIN_PIDFILE: pidFile,
        XDG_STATE_HOME: state,
        XDG_DATA_HOME: path.join(state, 'data'),
        ...env,
      },
    },
  );
  const name = `jetson-vllm-qwen2.5-0.5b-instruct-${port}`;
  // `jetson-vllm launch --stop <name>` with the same state folder: its exit code.
  const stopWithCli = (): number | null =>
    spawnSync(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), 'launch', '--stop', name], {
      env: { PATH, XDG_STATE_HOME: state, HOME: tmp },
      encoding: 'utf8',
    }).status;
  return { w, pidFile, port, name, stopWithCli };
}

describe('wizard → launch on a machine that is not the board planned for', () => {
  it(
    'planning for the Orin NX on a plain x86 machine is fine; launching its plan there is refused with why',
    async () => {
      const { s, pidFile } = startWizard({}, path.join(ROOT, 'test', 'fixtures', 'roots', 'x86-plain'));
      await s.waitFor('Verdict:');
      await pressAndWait(s, 'enter', /^❯ Launch$/m);
      s.press('enter');
      const refused = await s.waitFor(/Not launched: this plan is for orin-nx-16gb/);
      expect(flat(refused)).toMatch(
        /Not launched: this plan is for orin-nx-16gb, and this machine is .+\. Copy the command or save the recipe to run it on that board\./,
      );
      // The x86 box has no "This device" row: it is not offered.
      expect(flat(refused)).not.toContain('This device');
      expect(flat(refused)).toMatch(/Copy the command or save the recipe to run it on that board\./);
      expect(refused).toMatch(/^❯ Launch$/m);
      expect(existsSync(pidFile)).toBe(false);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );
});

describe('wizard → launch --detach', () => {
  it(
    'the server outlives the wizard: q quits at once, says how to watch and stop it; launch --stop ends it',
    async () => {
      const { w, pidFile, port, name, stopWithCli } = startDetachedWizard();
      await launchFromReview(w);
      const ready = await w.waitFor(/^Ready: /m, 15_000);
      expect(flat(ready)).toContain(`q quit (it keeps running: jetson-vllm launch --stop ${name})`);
      const pid = await readStandinPid(pidFile);
      w.press('q');
      expect((await w.exited).exitCode).toBe(0);
      expect(w.lines().join('\n')).toContain(`left running: ${name} at http://127.0.0.1:${port}`);
      expect(isRunning(pid)).toBe(true);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(stopWithCli()).toBe(0);
      expect(await gone(pid)).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    'the SSH session drops while it starts: SIGHUP lets go of the server, it comes up by itself, and launch --stop ends it',
    async () => {
      const { w, pidFile, port, stopWithCli } = startDetachedWizard({ VLLM_STANDIN_STARTUP_MS: '3000' });
      await launchFromReview(w);
      const pid = await readStandinPid(pidFile);
      await w.waitFor(/✓ engine configured|… /);
      w.kill('SIGHUP');
      expect((await w.exited).exitCode).toBe(129);
      expect(isRunning(pid)).toBe(true);
      // It finishes starting on its own.
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      expect(stopWithCli()).toBe(0);
      expect(await gone(pid)).toBe(true);
    },
    TEST_TIMEOUT,
  );
});

/**
 * A wizard on the Orin NX fixture board planning Qwen2.5-0.5B in docker, with a sandbox of its own for the stand-in
 * docker (its state, the calls it got), the stand-in vLLM's pid file and the XDG folders; `extra` adds CLI words.
 */
function startDockerWizard(
  prefix: string,
  o: { extra?: string[]; cols?: number; env?: NodeJS.ProcessEnv } = {},
): { s: ReturnType<typeof startCli>; port: number; pidFile: string; readCalls: () => string[][] } {
  portSeq += 1;
  const dir = mkdtempSync(path.join(tmp, prefix));
  const calls = path.join(dir, 'calls.jsonl');
  const pidFile = path.join(dir, 'vllm.pid');
  const s = startCli(
    [
      ...['--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--quant', 'bf16'],
      ...(o.extra ?? []),
      ...['--port', String(portFor(portSeq)), '--root', BOARD_ROOT],
    ],
    {
      ...(o.cols !== undefined ? { cols: o.cols } : {}),
      env: {
        PATH: `${BIN}:${process.env.PATH ?? ''}`,
        DOCKER_STANDIN_STATE: path.join(dir, 'state'),
        DOCKER_STANDIN_CALLS: calls,
        VLLM_STANDIN_PIDFILE: pidFile,
        XDG_DATA_HOME: path.join(dir, 'data'),
        XDG_STATE_HOME: path.join(dir, 'xdg-state'),
        ...o.env,
      },
    },
  );
  const readCalls = (): string[][] =>
    readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
  return { s, port: portFor(portSeq), pidFile, readCalls };
}

describe('wizard → launch in docker (the default on a Jetson; stand-in docker)', () => {
  it(
    'pulls the image with progress, starts the named container, gets ready; q stops it with docker stop',
    async () => {
      const { s, port, pidFile, readCalls } = startDockerWizard('docker-');
      await s.waitFor('Verdict:');
      const review = await pressAndWait(s, 'enter', /^❯ Launch$/m);
      expect(flat(review)).toContain('docker run');
      s.press('enter');
      // The pull's progress is in the log tail while it runs (the stand-in pulls 5 layers).
      await s.waitFor(/pull: \d+\/\d+ layers/, 15_000, { settleMs: 0 });
      const ready = await s.waitFor(/^Ready: http:\/\/127\.0\.0\.1:\d+$/m, 20_000);
      // Every stage was drawn on its way (the ready screen keeps the latest ones).
      for (const stage of ['pulling the image', 'starting the container', 'loading weights', 'starting the API server'])
        expect(s.raw()).toContain(`✓ ${stage}`);
      expect(ready).toContain('predicted vs actual:');
      const recorded = readCalls();
      const run = recorded.find((c) => c[0] === 'run' && c.includes('--name'));
      const name = run?.[run.indexOf('--name') + 1] ?? '';
      expect(name).toBe(`jetson-vllm-qwen2.5-0.5b-instruct-${port}`);
      expect(recorded.some((c) => c[0] === 'pull')).toBe(true);
      const vllm = await readStandinPid(pidFile);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
      expect(readCalls()).toContainEqual(['stop', '-t', '10', name]);
      expect(await gone(vllm)).toBe(true);
    },
    TEST_TIMEOUT,
  );
});

describe('wizard → launch in docker of a moving tag pulled for it (stand-in docker)', () => {
  it(
    'reads the vLLM the pulled image carries before its container starts: re-planned, said in the log tail, the re-made command shown',
    async () => {
      const planned = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin';
      // Wide enough for the note on its row of the log tail (the row is cut at the screen's width).
      const { s, pidFile, readCalls } = startDockerWizard('docker-pulled-', {
        cols: 160,
        env: { VLLM_STANDIN_VERSION: '0.9.2' },
      });
      await s.waitFor('Verdict:');
      const review = await pressAndWait(s, 'enter', /^❯ Launch$/m);
      // Reviewed: the plan for the version the tag is listed with (0.11.2 sizes the KV cache in bytes).
      expect(flat(review)).toContain('--kv-cache-memory-bytes');
      s.press('enter');
      const ready = await s.waitFor(/^Ready: http:\/\/127\.0\.0\.1:\d+$/m, 25_000);
      // The same note `jetson-vllm launch` prints, drawn in the launch's log tail.
      expect(s.raw()).toContain(`jetson-vllm: ${planned} carries vLLM 0.9.2, not the 0.11.2 its tag was listed with`);
      // The command shown is the one that runs: 0.9.2's plan.
      expect(flat(ready)).toMatch(/\$ docker run .*ghcr\.io\/nvidia-ai-iot\/vllm:latest-jetson-orin vllm serve/);
      expect(flat(ready)).not.toContain('--kv-cache-memory-bytes');
      expect(ready).toContain('predicted vs actual:');
      const recorded = readCalls();
      const pulled = recorded.findIndex((c) => c[0] === 'pull');
      const read = recorded.findIndex((c) => c[0] === 'run' && c.includes('--entrypoint'));
      const run = recorded.findIndex((c) => c[0] === 'run' && c.includes('--name'));
      expect(pulled).toBeGreaterThanOrEqual(0);
      expect(read).toBeGreaterThan(pulled);
      expect(run).toBeGreaterThan(read);
      expect(recorded[run]).not.toContain('--kv-cache-memory-bytes');
      const vllm = await readStandinPid(pidFile);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
      expect(await gone(vllm)).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    'a pulled moving tag whose vLLM the plan would not fit: no container started, the screen says why',
    async () => {
      const { s, readCalls } = startDockerWizard('docker-pulled-refused-', {
        extra: ['--gpu-memory-utilization', '0.9'],
        cols: 160,
        env: { VLLM_STANDIN_VERSION: '0.9.2' },
      });
      await s.waitFor('Verdict:');
      await pressAndWait(s, 'enter', /^❯ Launch$/m);
      s.press('enter');
      const refused = await s.waitFor(/not launched: the plan for vLLM 0\.9\.2 would not fit \(OOM: /, 25_000);
      expect(flat(refused)).toContain('carries vLLM 0.9.2, not the 0.11.2 its tag was listed with');
      const recorded = readCalls();
      expect(recorded.some((c) => c[0] === 'pull')).toBe(true);
      expect(recorded.some((c) => c[0] === 'run' && c.includes('--name'))).toBe(false);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );
});

describe('wizard → launch in docker with an image already here (stand-in docker)', () => {
  it(
    'takes the present image of the rule instead of pulling the plan’s, says so in the log tail, re-planned for its vLLM',
    async () => {
      const planned = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin';
      const other = 'dustynv/vllm:0.8.6-r36.4-cu128-24.04';
      // Wide enough for the note's start on its row of the log tail (the row is cut at the screen's width).
      const { s, pidFile, readCalls } = startDockerWizard('docker-present-', {
        cols: 120,
        env: { DOCKER_STANDIN_IMAGES: `${other},vllm/vllm-openai:latest`, VLLM_STANDIN_VERSION: '0.8.6' },
      });
      await s.waitFor('Verdict:');
      const review = await pressAndWait(s, 'enter', /^❯ Launch$/m);
      expect(flat(review)).toContain(planned);
      s.press('enter');
      const ready = await s.waitFor(/^Ready: http:\/\/127\.0\.0\.1:\d+$/m, 20_000);
      // The command shown is the one that runs: the present image, not the plan's.
      expect(flat(ready)).toMatch(/\$ docker run .*dustynv\/vllm:0\.8\.6-r36\.4-cu128-24\.04/);
      expect(flat(ready)).not.toContain(planned);
      // The same note `jetson-vllm launch` prints, drawn in the launch's log tail.
      expect(s.raw()).toContain(`jetson-vllm: ${other} is here already: using it instead of pulling`);
      expect(s.raw()).toContain(`jetson-vllm: image ${other} is here (no pull)`);
      const recorded = readCalls();
      expect(recorded).toContainEqual(['images', '--format', '{{json .}}']);
      expect(recorded.some((c) => c[0] === 'pull')).toBe(false);
      const run = recorded.find((c) => c[0] === 'run' && c.includes('--name')) ?? [];
      expect(run).toContain(other);
      expect(run).not.toContain(planned);
      // 0.8.6 has no --kv-cache-memory-bytes: the plan was made again for that version.
      expect(run).not.toContain('--kv-cache-memory-bytes');
      const vllm = await readStandinPid(pidFile);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
      expect(await gone(vllm)).toBe(true);
    },
    TEST_TIMEOUT,
  );
});

describe('wizard → launch: each catalogued failure → its diagnosis and its retry', () => {
  const catalog = loadTestCatalog();
  for (const kind of Object.keys(DIAGNOSES) as FailureKind[]) {
    it(
      kind,
      async () => {
        // The plan the wizard makes for these flags, and what the stand-in prints for it, diagnosed.
        const port = portFor(portSeq + 1);
        const resolved = resolvePlanRequest(
          {
            device: 'orin-nx-16gb',
            model: 'qwen2.5-0.5b-instruct',
            quant: 'bf16',
            runtime: 'native',
            port: String(port),
          },
          catalog,
          { detected: null, described: null, hfCacheDir: '/hf', workDir: ROOT },
        );
        if (!resolved.ok) throw new Error(resolved.message);
        const built = buildPlan(resolved.request, catalog);
        if (!built.ok) throw new Error(built.message);
        const alone = followStandin(built.plan.argv.slice(1), { VLLM_STANDIN_FAIL: kind });
        const ended = await alone.exited;
        const state = markExited(parseLog(alone.lines.map((l) => l.text)), ended.code, ended.signal, 0);
        const failure = state.failure;
        if (failure === null) throw new Error(`the stand-in did not fail as ${kind}`);
        // With what the launcher saw of the start (vLLM's figures, its stage) as the evidence of a kill.
        const evidence = buildKillEvidence(state, null);
        const d = diagnose({ ...failure, evidence }, resolved.request, built.plan, catalog);

        const { s } = startWizard({ VLLM_STANDIN_FAIL: kind });
        await launchFromReview(s);
        const failed = await s.waitFor(/^Failed: /m, 15_000);
        expect(flat(failed)).toContain(`Failed: ${d.title}`.slice(0, 70));
        expect(flat(failed)).toContain(`cause: ${d.cause}`.slice(0, 200));
        switch (d.fix.kind) {
          case 'replan': {
            expect(flat(failed)).toContain(
              `fix: ${d.fix.changedFlags.join(' ')} → ${d.fix.plan.verdict.toUpperCase()}`,
            );
            expect(failed).toContain('r retries with the fix');
            s.press('r');
            // The second attempt runs the re-planned command, shown whole.
            const second = await s.waitFor(/\(attempt 2\)/, 15_000);
            expect(flat(second)).toContain(`$ ${d.fix.plan.command}`);
            break;
          }
          case 'command':
            expect(flat(failed)).toContain(`run: ${d.fix.command}`);
            break;
          case 'none':
            expect(flat(failed)).toContain(d.fix.explanation.slice(0, 120));
            expect(failed).toContain('r launches again');
            break;
          default: {
            const unreachable: never = d.fix;
            throw new Error(`unknown fix ${String(unreachable)}`);
          }
        }
        expect(s.hasExited()).toBe(false);
        // The whole screen fits the terminal: the step bar is still on its first row.
        expect(s.screen().split('\n')[0]).toContain('Review › Launch');
        s.press('q');
        expect((await s.exited).exitCode).toBe(0);
      },
      TEST_TIMEOUT,
    );
  }
});
