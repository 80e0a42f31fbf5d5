/**
 * The stand-in `vllm`'s V1 mode (VLLM_STANDIN_V1=1): an API server that binds its port before loading and
 * an EngineCore_0 child that inherits its stdout/stderr (lines prefixed `(EngineCore_0 pid=N)`); the
 * switches that make the engine outlive its parent, the tree ignore SIGTERM, and a line without a newline.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, followStandin, waitUntil } from '../helpers/standin.js';
import { isLive } from '../helpers/procs.js';

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'jv-standin-v1-'));
const left: number[] = [];
afterEach(() => {
  for (const pid of left.splice(0))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
});

async function startV1(env: Record<string, string> = {}, port?: number) {
  const dir = tmp();
  const pidFile = path.join(dir, 'pid');
  const p = port ?? (await findFreePort());
  const run = followStandin(['serve', 'm', '--port', String(p)], {
    VLLM_STANDIN_V1: '1',
    VLLM_STANDIN_PIDFILE: pidFile,
    VLLM_STANDIN_SIGNALS: path.join(dir, 'signals'),
    ...env,
  });
  left.push(run.child.pid ?? 0);
  const enginePid = async (): Promise<number> => {
    expect(await waitUntil(() => existsSync(`${pidFile}.engine`))).toBe(true);
    const pid = Number(readFileSync(`${pidFile}.engine`, 'utf8'));
    left.push(pid);
    return pid;
  };
  return { run, port: p, pidFile, dir, enginePid };
}

describe('VLLM_STANDIN_V1=1', () => {
  it('binds the port first (reset before ready), starts EngineCore_0 with prefixed lines, then serves', async () => {
    const { run, port, pidFile, enginePid } = await startV1({ VLLM_STANDIN_STARTUP_MS: '800' });
    await run.waitForLine('Starting to load model');
    const engine = await enginePid();
    // Bound and accepting, but not answering: the connection is reset.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    await run.waitForLine('Uvicorn running on');
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe(run.child.pid);
    const texts = run.lines.map((l) => l.text);
    expect(texts[0]).toMatch(/^\[stand-in vllm for tests\] pid \d+: a V1 start-up log \(V1 process tree\);/);
    expect(texts[1]).toMatch(/^INFO .* \[api_server\.py:\d+\] vLLM API server version /);
    const engineLines = texts.filter((t) => t.startsWith(`(EngineCore_0 pid=${engine}) INFO `));
    expect(engineLines.map((t) => /\] (.+)$/.exec(t)?.[1]?.split(' ').slice(0, 3).join(' '))).toEqual([
      'Initializing a V1',
      'Starting to load',
      'Model loading took',
      'Available KV cache',
      'GPU KV cache',
      'Maximum concurrency for',
      'init engine (profile,',
    ]);
    // The engine is the API server's child (and inherited its pipes).
    const stat = readFileSync(`/proc/${engine}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(run.child.pid);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(await waitUntil(() => !isLive(engine))).toBe(true);
  });

  it('a taken port fails at once with vLLM’s OSError, exit 1, before any engine', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => {
        const a = blocker.address();
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      }),
    );
    try {
      const { run, pidFile } = await startV1({ VLLM_STANDIN_STARTUP_MS: '5000' }, port);
      const started = Date.now();
      expect(await run.exited).toEqual({ code: 1, signal: null });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(run.text()).toContain('OSError: [Errno 98] Address already in use');
      expect(run.text()).not.toContain('EngineCore_0');
      expect(existsSync(`${pidFile}.engine`)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('the engine exits when its parent dies; VLLM_STANDIN_ORPHAN_ENGINE=1 keeps it (and the pipe)', async () => {
    const plain = await startV1();
    await plain.run.waitForLine('Uvicorn running on');
    const engine = await plain.enginePid();
    plain.run.child.kill('SIGKILL');
    expect(await waitUntil(() => !isLive(engine), 3000)).toBe(true);

    const orphan = await startV1({ VLLM_STANDIN_ORPHAN_ENGINE: '1' });
    await orphan.run.waitForLine('Uvicorn running on');
    const kept = await orphan.enginePid();
    orphan.run.child.kill('SIGTERM'); // the API server leaves its engine behind
    await new Promise((r) => setTimeout(r, 600));
    expect(isLive(orphan.run.child.pid ?? 0)).toBe(false);
    expect(isLive(kept)).toBe(true);
    // The orphan still holds stdout: the reader's pipes have not closed.
    let isClosed = false;
    void orphan.run.exited.then(() => (isClosed = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(isClosed).toBe(false);
    process.kill(kept, 'SIGKILL');
    await orphan.run.exited;
  });

  it('VLLM_STANDIN_IGNORE_SIGTERM=1: API server and engine both record SIGTERM and keep running', async () => {
    const { run, dir, enginePid } = await startV1({ VLLM_STANDIN_IGNORE_SIGTERM: '1' });
    await run.waitForLine('Uvicorn running on');
    const engine = await enginePid();
    const api = run.child.pid ?? 0;
    process.kill(api, 'SIGTERM');
    process.kill(engine, 'SIGTERM');
    const signals = path.join(dir, 'signals');
    expect(await waitUntil(() => existsSync(signals) && readFileSync(signals, 'utf8').split('\n').length > 2)).toBe(
      true,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(isLive(api) && isLive(engine)).toBe(true);
    expect(
      readFileSync(signals, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ').slice(1).join(' '))
        .sort(),
    ).toEqual([`SIGTERM pid=${api}`, `SIGTERM pid=${engine}`].sort());
    process.kill(engine, 'SIGKILL');
    process.kill(api, 'SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
  });

  it('an engine crash after ready: the API server reports EngineCore_0 died and exits 1', async () => {
    const { run } = await startV1({ VLLM_STANDIN_CRASH_AFTER_READY_MS: '200' });
    await run.waitForLine('Uvicorn running on');
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.text()).toContain('Engine core proc EngineCore_0 died unexpectedly, shutting down client.');
    expect(run.text()).toMatch(/^\(EngineCore_0 pid=\d+\) ERROR .*EngineCore encountered a fatal error\.$/m);
  });

  it('refuses VLLM_STANDIN_FAIL and VLLM_STANDIN_CASE (exit 2)', async () => {
    const { run } = await startV1({ VLLM_STANDIN_FAIL: 'oom-killed' });
    expect(await run.exited).toEqual({ code: 2, signal: null });
    expect(run.text()).toContain('VLLM_STANDIN_V1=1 runs the default log or VLLM_STANDIN_LOG only');
  });
});

describe('VLLM_STANDIN_NO_NEWLINE_BYTES', () => {
  it.each([
    ['the default mode', {}],
    ['V1', { VLLM_STANDIN_V1: '1' }],
  ])('%s: that many bytes as one line after the first line, then the usual start-up', async (_, env) => {
    const run = followStandin(['serve', 'm', '--port', String(await findFreePort())], {
      VLLM_STANDIN_NO_NEWLINE_BYTES: String(3 * 2 ** 20 + 5),
      ...env,
    });
    await run.waitForLine('Uvicorn running on');
    const long = run.lines.filter((l) => /^x+$/.test(l.text));
    expect(long.map((l) => l.text.length)).toEqual([3 * 2 ** 20 + 5]);
    run.child.kill('SIGTERM');
    await run.exited;
  });
});
