/**
 * The stand-in `vllm` itself (test/fixtures/bin/vllm): it replays each recorded case of
 * test/fixtures/recorded/vllm-logs.json line for line with its timing and its real exit, serves only once
 * ready, fails in each catalogued way so that the log parser reads that very kind, and records signals.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSES } from '../../src/launch/core/diagnosis/catalog.js';
import type { FailureKind } from '../../src/launch/core/diagnosis/types.js';
import { markExited, parseLog } from '../../src/launch/core/log/reducer.js';
import { loadVllmLogCases, planFor } from '../helpers/catalog.js';
import { findFreePort, followStandin, isRunning, STANDIN, STANDIN_BANNER, waitUntil } from '../helpers/standin.js';

const cases = loadVllmLogCases();
const KINDS = Object.keys(DIAGNOSES) as FailureKind[];
const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'jv-standin-'));
/** The Orin NX plan's argv: what `launch` would run. */
const planArgv = planFor({ device: 'orin-nx-16gb', model: 'qwen2.5-0.5b-instruct', runtime: 'native' }).argv.slice(1);

describe('VLLM_STANDIN_CASE: a recorded case, replayed', () => {
  const failed = cases.map((c, i) => ({ c, i })).filter(({ c }) => c.outcome !== 'ready');
  const ready = cases.map((c, i) => ({ c, i })).filter(({ c }) => c.outcome === 'ready');

  it('has both kinds of case to replay', () => {
    expect(failed.length).toBeGreaterThan(0);
    expect(ready.length).toBeGreaterThan(0);
  });

  it.each(failed)(
    'case $i ($c.outcome): its exact lines, in order, then the exit the real process made',
    async ({ c, i }) => {
      const run = followStandin(['serve', 'm', '--port', String(await findFreePort())], {
        VLLM_STANDIN_CASE: String(i),
        VLLM_STANDIN_SPEED: '0',
      });
      const { code, signal } = await run.exited;
      expect(run.lines[0]?.text).toMatch(/^\[stand-in vllm for tests\] pid \d+: replaying case \d+ .*for tests only$/);
      expect(run.lines.slice(1).map((l) => l.text)).toEqual(c.log_lines);
      const last = c.log_lines.at(-1) ?? '';
      if (last === 'Killed') expect({ code, signal }).toEqual({ code: 137, signal: null });
      else if (/Got fatal signal from worker processes/.test(last)) expect(signal).toBe('SIGKILL');
      else expect({ code, signal }).toEqual({ code: 1, signal: null });
    },
  );

  it.each(ready)('case $i (ready): its exact lines, then uvicorn up; /health only from then on', async ({ c, i }) => {
    const port = await findFreePort();
    const run = followStandin(
      ['serve', 'Qwen/Qwen2.5-0.5B-Instruct', '--port', String(port), '--max-model-len', '2048'],
      {
        VLLM_STANDIN_CASE: String(i),
        VLLM_STANDIN_SPEED: '0',
      },
    );
    await run.waitForLine('Uvicorn running on');
    const texts = run.lines.map((l) => l.text);
    expect(texts.slice(1, 1 + c.log_lines.length)).toEqual(c.log_lines);
    expect(texts.slice(1 + c.log_lines.length)).toEqual([
      `INFO:     Started server process [${run.child.pid}]`,
      'INFO:     Waiting for application startup.',
      'INFO:     Application startup complete.',
      `INFO:     Uvicorn running on http://127.0.0.1:${port} (Press CTRL+C to quit)`,
    ]);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as {
      data: { id: string; max_model_len: number }[];
    };
    expect(models.data[0]).toMatchObject({ id: 'Qwen/Qwen2.5-0.5B-Instruct', max_model_len: 2048 });
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^vllm:num_requests_running\{/m);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });

  it('keeps the recorded gaps between timestamps, scaled by VLLM_STANDIN_SPEED', async () => {
    // jetson-containers#1568: 10:47:03 → 10:47:04 → 10:47:07 (three lines at :07): 1 s then 3 s; at 10× 100 then 300 ms.
    const i = cases.findIndex((c) => c.source_url.endsWith('jetson-containers/issues/1568'));
    const run = followStandin(['serve', 'm'], {
      VLLM_STANDIN_CASE: 'jetson-containers-1568',
      VLLM_STANDIN_SPEED: '10',
    });
    await run.exited;
    expect(run.lines.slice(1).map((l) => l.text)).toEqual(cases[i]?.log_lines);
    const at = run.lines.slice(1).map((l) => l.atMs);
    const gaps = at.slice(1).map((t, k) => t - (at[k] ?? 0));
    // Scaled, not real time (1000 and 3000 ms); loose upper bounds for a loaded CI machine.
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[0]).toBeLessThan(600);
    expect(gaps[1]).toBeGreaterThanOrEqual(280);
    expect(gaps[1]).toBeLessThan(1500);
    expect(Math.max(...gaps.slice(2))).toBeLessThan(gaps[0] ?? 0);
  });

  it('refuses a case that does not exist, listing the ids', async () => {
    const run = followStandin(['serve', 'm'], { VLLM_STANDIN_CASE: 'no-such-case' });
    expect((await run.exited).code).toBe(2);
    expect(run.text()).toContain('0 (jetson-containers-795)');
  });
});

describe('VLLM_STANDIN_FAIL: each catalogued failure', () => {
  /** How vLLM (or docker) ends for each kind. */
  const exitOf = (kind: FailureKind): { code: number | null; signal: NodeJS.Signals | null } => {
    if (kind === 'cuda-oom') return { code: null, signal: 'SIGKILL' };
    if (kind === 'unknown-argument') return { code: 2, signal: null };
    if (kind === 'image-driver-mismatch' || kind === 'unknown-runtime') return { code: 125, signal: null };
    return { code: 1, signal: null };
  };

  it('knows exactly the kinds of the diagnosis catalog', async () => {
    const run = followStandin(['serve', 'm'], { VLLM_STANDIN_FAIL: 'not-a-kind' });
    expect((await run.exited).code).toBe(2);
    const listed = /kinds: (.*)$/.exec(run.text())?.[1]?.split(', ');
    expect(listed?.sort()).toEqual([...KINDS].sort());
  });

  it.each(KINDS)('%s: the log parser reads that kind from what it prints, and it exits as vLLM does', async (kind) => {
    const run = followStandin(planArgv, { VLLM_STANDIN_FAIL: kind, VLLM_STANDIN_STARTUP_MS: '0' });
    const exit = await run.exited;
    expect(exit).toEqual(exitOf(kind));
    expect(run.lines[0]?.text).toBe(
      `${STANDIN_BANNER} pid ${run.child.pid}: failing as ${kind}; not vLLM, for tests only`,
    );
    const log = markExited(parseLog(run.lines.map((l) => l.text)), exit.code, exit.signal, 1e6);
    expect(log.stage).toBe('failed');
    expect(log.failure?.kind).toBe(kind);
  });

  it('figures in the messages come from the argv: max-len halves --max-model-len, cuda-oom warms --max-num-seqs', async () => {
    const maxLen = followStandin(['serve', 'm', '--max-model-len', '8192', '--kv-cache-memory-bytes', '402653184'], {
      VLLM_STANDIN_FAIL: 'max-len',
    });
    await maxLen.exited;
    expect(maxLen.text()).toContain(
      "ValueError: To serve at least one request with the models's max seq len (8192), (0.75 GiB KV cache is needed, which is larger than the available KV cache memory (0.38 GiB). Based on the available memory, the estimated maximum model length is 4096.",
    );
    const oom = followStandin(['serve', 'm', '--max-num-seqs', '4'], { VLLM_STANDIN_FAIL: 'cuda-oom' });
    await oom.exited;
    expect(oom.text()).toContain('CUDA out of memory occurred when warming up sampler with 4 dummy requests.');
  });
});

describe('VLLM_STANDIN_V0=1: the V0 format of each failure vLLM < 0.8 had', () => {
  const V0_KINDS = KINDS.filter((k) => k !== 'startup-free-memory' && k !== 'engine-failed');
  const exitOfV0 = (kind: FailureKind): { code: number | null; signal: NodeJS.Signals | null } => {
    if (kind === 'oom-killed') return { code: 137, signal: null };
    if (kind === 'unknown-argument') return { code: 2, signal: null };
    if (kind === 'image-driver-mismatch' || kind === 'unknown-runtime') return { code: 125, signal: null };
    return { code: 1, signal: null };
  };

  it.each(V0_KINDS)('%s: V0 lines (no EngineCore), the log parser reads that kind', async (kind) => {
    const run = followStandin(['serve', 'm', '--max-model-len', '8192'], {
      VLLM_STANDIN_FAIL: kind,
      VLLM_STANDIN_V0: '1',
      VLLM_STANDIN_VERSION: '0.6.3',
    });
    const exit = await run.exited;
    expect(exit).toEqual(exitOfV0(kind));
    expect(run.text()).not.toMatch(/EngineCore|V1 LLM engine|\[core\.py/);
    const log = markExited(parseLog(run.lines.map((l) => l.text)), exit.code, exit.signal, 1e6);
    expect(log.failure?.kind).toBe(kind);
  });

  it("V0's own lines: the engine config, the weights in GB, the GPU blocks", async () => {
    const run = followStandin(['serve', 'm', '--max-model-len', '8192'], {
      VLLM_STANDIN_FAIL: 'oom-killed',
      VLLM_STANDIN_V0: '1',
      VLLM_STANDIN_VERSION: '0.6.3',
    });
    await run.exited;
    expect(run.text()).toMatch(
      /^INFO \d\d-\d\d \d\d:\d\d:\d\d llm_engine\.py:237\] Initializing an LLM engine \(v0\.6\.3\) with config: model='m'.*max_seq_len=8192/m,
    );
    expect(run.text()).toMatch(/model_runner\.py:1071\] Loading model weights took 0\.9328 GB$/m);
    expect(run.text()).toMatch(/gpu_executor\.py:122\] # GPU blocks: 3822, # CPU blocks: 0$/m);
    expect(run.lines.at(-1)?.text).toBe('Killed');
  });

  it('refuses the V1-only kinds', async () => {
    for (const kind of ['startup-free-memory', 'engine-failed']) {
      const run = followStandin(['serve', 'm'], { VLLM_STANDIN_FAIL: kind, VLLM_STANDIN_V0: '1' });
      expect((await run.exited).code).toBe(2);
    }
  });
});

describe('VLLM_STANDIN_UNTIL and VLLM_STANDIN_WEIGHTS_GIB: a start cut short, vLLM past its plan', () => {
  it('prints the default log through the stage, then dies of VLLM_STANDIN_EXIT', async () => {
    const run = followStandin(['serve', 'm'], {
      VLLM_STANDIN_UNTIL: 'loaded',
      VLLM_STANDIN_WEIGHTS_GIB: '3.5',
      VLLM_STANDIN_EXIT: 'SIGKILL',
    });
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(run.lines.at(-1)?.text).toMatch(/Model loading took 3\.5000 GiB and 3\.100000 seconds$/);
    expect(run.text()).not.toContain('Available KV cache memory');
  });

  it('refuses a stage it does not know, listing them', async () => {
    const run = followStandin(['serve', 'm'], { VLLM_STANDIN_UNTIL: 'nope' });
    expect((await run.exited).code).toBe(2);
    expect(run.text()).toContain('stages: banner, config, loading, loaded, kv, engine, server');
  });
});

describe('the stand-in dmesg (test/fixtures/bin/dmesg)', () => {
  const DMESG = path.join(path.dirname(STANDIN), 'dmesg');
  it('boot lines; the recorded kill only once the pid in DMESG_STANDIN_PIDFILE is gone, {pid} filled in; denied', async () => {
    const dir = tmp();
    const lines = path.join(dir, 'oom.log');
    writeFileSync(lines, 'Out of memory: Killed process {pid} (python3) total-vm:1kB, anon-rss:2048kB, file-rss:0kB\n');
    const pidFile = path.join(dir, 'pid');
    const alive = followStandin(['serve', 'm'], { VLLM_STANDIN_STARTUP_MS: '20000', VLLM_STANDIN_PIDFILE: pidFile });
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
    const env = { PATH: process.env.PATH, DMESG_STANDIN_LINES: lines, DMESG_STANDIN_PIDFILE: pidFile };
    const before = spawnSync(process.execPath, [DMESG], { encoding: 'utf8', env });
    expect(before.stdout.trim().split('\n')).toHaveLength(2);
    alive.child.kill('SIGKILL');
    await alive.exited;
    const after = spawnSync(process.execPath, [DMESG], { encoding: 'utf8', env });
    expect(after.stdout.trim().split('\n').at(-1)).toBe(
      `Out of memory: Killed process ${alive.child.pid} (python3) total-vm:1kB, anon-rss:2048kB, file-rss:0kB`,
    );
    const denied = spawnSync(process.execPath, [DMESG], { encoding: 'utf8', env: { DMESG_STANDIN_DENY: '1' } });
    expect(denied.status).toBe(1);
    expect(denied.stderr).toBe('dmesg: read kernel buffer failed: Operation not permitted\n');
  });
});

describe('serving, signals and crashes', () => {
  it('answers nothing before ready, then /health, /version, /v1/models and /metrics', async () => {
    const port = await findFreePort();
    const run = followStandin(['serve', 'm', '--port', String(port)], { VLLM_STANDIN_STARTUP_MS: '600' });
    await run.waitForLine('Starting to load model');
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    await run.waitForLine('Uvicorn running on');
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-stand-in')).toBe('vllm for tests');
    expect(await (await fetch(`http://127.0.0.1:${port}/version`)).json()).toEqual({ version: '0.11.2' });
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });

  it('records SIGINT / SIGTERM with a timestamp and exits 0 after VLLM_STANDIN_SHUTDOWN_MS with uvicorn shutdown lines', async () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const file = path.join(tmp(), 'signals');
      const port = await findFreePort();
      const run = followStandin(['serve', 'm', '--port', String(port)], {
        VLLM_STANDIN_SIGNALS: file,
        VLLM_STANDIN_SHUTDOWN_MS: '300',
      });
      await run.waitForLine('Uvicorn running on');
      const sentAt = performance.now();
      run.child.kill(sig);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(performance.now() - sentAt).toBeGreaterThanOrEqual(290);
      expect(readFileSync(file, 'utf8')).toMatch(
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${sig} pid=${run.child.pid}\\n$`),
      );
      expect(run.text()).toContain('INFO:     Application shutdown complete.');
    }
  });

  it('SIGHUP is recorded, then ends it the way it ends Python (the signal)', async () => {
    const file = path.join(tmp(), 'signals');
    const run = followStandin(['serve', 'm', '--port', String(await findFreePort())], { VLLM_STANDIN_SIGNALS: file });
    await run.waitForLine('Uvicorn running on');
    run.child.kill('SIGHUP');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGHUP' });
    expect(readFileSync(file, 'utf8')).toMatch(/ SIGHUP pid=\d+\n$/);
  });

  it('VLLM_STANDIN_IGNORE_TERM=1 survives SIGTERM (recorded); only SIGKILL ends it', async () => {
    const file = path.join(tmp(), 'signals');
    const run = followStandin(['serve', 'm', '--port', String(await findFreePort())], {
      VLLM_STANDIN_SIGNALS: file,
      VLLM_STANDIN_IGNORE_TERM: '1',
      VLLM_STANDIN_SHUTDOWN_MS: '0',
    });
    await run.waitForLine('Uvicorn running on');
    run.child.kill('SIGTERM');
    await run.waitForLine('ignoring SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect(isRunning(run.child.pid ?? 0)).toBe(true);
    run.child.kill('SIGKILL');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('VLLM_STANDIN_CRASH_AFTER_READY_MS: serves, then an engine-core crash and exit 1', async () => {
    const port = await findFreePort();
    const run = followStandin(['serve', 'm', '--port', String(port)], { VLLM_STANDIN_CRASH_AFTER_READY_MS: '300' });
    await run.waitForLine('Uvicorn running on');
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.text()).toContain('Engine core proc EngineCore_0 died unexpectedly, shutting down client.');
    expect(run.text()).toContain(
      `RuntimeError: ${STANDIN_BANNER} crash requested by VLLM_STANDIN_CRASH_AFTER_READY_MS`,
    );
  });

  it('a taken port ends it as vLLM ends: OSError Address already in use, exit 1', async () => {
    const port = await findFreePort();
    const first = followStandin(['serve', 'm', '--port', String(port)]);
    await first.waitForLine('Uvicorn running on');
    const second = followStandin(['serve', 'm', '--port', String(port)]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.text()).toContain('OSError: [Errno 98] Address already in use');
    first.child.kill('SIGTERM');
    await first.exited;
  });

  it('VLLM_STANDIN_EXIT=137 still prints "Killed" and exits 137; the pid file holds its pid', async () => {
    const pidFile = path.join(tmp(), 'pid');
    const run = followStandin(['serve', 'm'], { VLLM_STANDIN_EXIT: '137', VLLM_STANDIN_PIDFILE: pidFile });
    expect(await run.exited).toEqual({ code: 137, signal: null });
    expect(run.lines.at(-1)).toMatchObject({ text: 'Killed', stream: 'stderr' });
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe(run.child.pid);
    expect(await waitUntil(() => !isRunning(run.child.pid ?? 0))).toBe(true);
  });
});
