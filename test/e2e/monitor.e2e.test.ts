/**
 * `jetson-vllm monitor` in a real terminal: the stand-in tegrastats on PATH replays a recorded line, the
 * stand-in vLLM serves /metrics; the panel shows the replayed values; killing tegrastats is survived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { disposeAll, isBuilt, isRunning, ROOT, startCli } from './harness.js';

const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
let server: ChildProcess | null = null;
let port = 0;

beforeAll(async () => {
  if (!isBuilt()) throw new Error('run npm run build:bundle first');
  port = 19000 + Math.floor(Math.random() * 900);
  server = spawn(path.join(BIN, 'vllm'), ['serve', 'Qwen/Qwen2.5-0.5B-Instruct', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve) => {
    server?.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('Uvicorn running')) resolve();
    });
  });
});

afterAll(() => {
  server?.kill('SIGTERM');
});

afterEach(async () => {
  expect(await disposeAll()).toEqual([]);
});

describe('monitor in a pty (80×24)', () => {
  it('shows the replayed tegrastats line and the stand-in vLLM figures; survives tegrastats dying; q quits cleanly', async () => {
    const pidDir = mkdtempSync(path.join(os.tmpdir(), 'jv-tegra-'));
    const pidFile = path.join(pidDir, 'pid');
    const session = startCli(
      ['monitor', '--url', `http://127.0.0.1:${port}`, '--poll-interval', '500', '--interval', '500'],
      {
        cols: 80,
        rows: 24,
        env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, TEGRASTATS_PIDFILE: pidFile },
      },
    );
    // The Orin Nano 8 GB JetPack 6 line of test/fixtures/recorded/tegrastats.json: RAM 3162/7620MB, 4 of 6 cores on.
    const screen = await session.waitFor((s) => s.includes('3.1/7.4 GiB') && s.includes('● healthy'), 15_000);
    expect(screen).toContain('jetson-vllm · tegrastats');
    expect(screen).toMatch(/CPU {2}0% avg, 4\/6 on @729 MHz {2}\[1 0 0 0 off off\]/);
    expect(screen).toContain('tj 62.8°C');
    expect(screen).toContain('PWR  3.9 W (avg 3.9 W)');
    expect(screen).toMatch(/running 1 {2}waiting 0 {2}KV cache 25%/);
    await session.waitFor((s) => /prompt \d+\.\d tok\/s/.test(s), 10_000);

    const tegraPid = Number(readFileSync(pidFile, 'utf8'));
    expect(isRunning(tegraPid)).toBe(true);
    process.kill(tegraPid, 'SIGKILL');
    const after = await session.waitFor('tegrastats stopped', 10_000);
    expect(after).toContain('● healthy');
    expect(after).toContain('3.1/7.4 GiB');

    session.press('q');
    expect((await session.exited).exitCode).toBe(0);
    expect(isRunning(session.pid)).toBe(false);
  });

  it('an endless /metrics body: the panel shows the server failing with one short reason and keeps running', async () => {
    const http = await import('node:http');
    const chunk = Buffer.from('vllm:num_requests_running 1\n'.repeat(2000));
    const endless = http.createServer((req, res) => {
      if (req.url === '/health') return res.end();
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const { port: endlessPort } = endless.address() as import('node:net').AddressInfo;
    try {
      const session = startCli(
        ['monitor', '--source', 'proc', '--url', `http://127.0.0.1:${endlessPort}`, '--poll-interval', '500'],
        { cols: 100, rows: 24 },
      );
      const screen = await session.waitFor('metrics body over 8 MiB', 15_000);
      expect(screen).toContain(`● down http://127.0.0.1:${endlessPort}: metrics body over 8 MiB`);
      expect(isRunning(session.pid)).toBe(true);
      session.press('q');
      expect((await session.exited).exitCode).toBe(0);
    } finally {
      endless.closeAllConnections();
      endless.close();
    }
  });

  it('labels a replay as a replay', async () => {
    const session = startCli(
      ['monitor', '--replay', path.join(ROOT, 'test', 'fixtures', 'tegrastats', 'all-real-lines.log'), '--speed', '0'],
      { cols: 80, rows: 24 },
    );
    const screen = await session.waitFor('REPLAY (recorded data)', 10_000);
    expect(screen).toContain('replay of');
    session.press('q');
    expect((await session.exited).exitCode).toBe(0);
  });
});
