/**
 * The monitor's bounds, through the built CLI: --replay refuses what is not a regular file (one line, exit 2)
 * and streams a large file in constant memory; --record writes every sample in order and fails with one line
 * and exit 1 when it cannot write (children stopped first); an endless /metrics body leaves the monitor running
 * with peak RSS (VmHWM) under 150 MiB.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/catalog.js';
import { runCli, runCliAsync } from '../helpers/cli.js';

const CLI = path.join(ROOT, 'bin', 'jetson-vllm.js');
const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tegrastats line whose RAM used is `i` MiB (the order of the recorded samples is read back from it). */
const lineOf = (i: number): string =>
  `RAM ${i}/62801MB (lfb 1759x4MB) SWAP 19/31400MB (cached 0MB) CPU [0%@729,0%@729] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[0,0] tj@44.343C VDD_GPU_SOC 2340mW/2340mW\n`;

/** A preload that writes the process's peak RSS (VmHWM, KiB) to $HWM_FILE as it exits. */
const HOOK = path.join(dir, 'hwm-hook.cjs');
writeFileSync(
  HOOK,
  `process.on('exit', () => { const fs = require('fs'); fs.writeFileSync(process.env.HWM_FILE, /VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); });\n`,
);

const MiB = 1024 * 1024;

describe('monitor --replay: only a regular file', () => {
  it('a missing file → one clear line, exit 2, no raw ENOENT', () => {
    const r = runCli(['monitor', '--replay', 'missing.log']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('jetson-vllm: --replay: missing.log: no such file\n');
    expect(r.stdout).toBe('');
  });

  it.each([
    ['a folder', () => dir, 'is a folder, not a file'],
    [
      'a FIFO',
      () => {
        const fifo = path.join(dir, 'fifo');
        execFileSync('mkfifo', [fifo]);
        return fifo;
      },
      'is a FIFO (named pipe), not a regular file',
    ],
    ['a device', () => '/dev/zero', 'is a device, not a regular file'],
  ])('%s is refused: one line, exit 2', (_name, make, reason) => {
    const file = make();
    const r = runCli(['monitor', '--replay', file, '--speed', '0', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`jetson-vllm: --replay: ${file}: ${reason}\n`);
  });

  it('a line with no end is cut at 64 KiB, counted, and the replay goes on', () => {
    const file = path.join(dir, 'long-line.log');
    writeFileSync(file, `${lineOf(1)}${'x'.repeat(5 * MiB)}\n${lineOf(2)}`);
    const r = runCli(['monitor', '--replay', file, '--speed', '0', '--json']);
    expect(r.code).toBe(0);
    const rams = r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { ram: { usedMiB: number } }).ram.usedMiB);
    expect(rams).toEqual([1, 2]);
    expect(r.stderr).toContain('end of the replayed file (1 line(s) over 64 KiB cut)');
  });

  it('a 50 MB file streams in constant memory: peak RSS under 150 MiB', async () => {
    const file = path.join(dir, 'big.log');
    const out = createWriteStream(file);
    const block = Array.from({ length: 1000 }, (_, i) => lineOf(i)).join('');
    for (let written = 0; written < 50 * 1000 * 1000; written += block.length) {
      if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise((resolve) => out.end(resolve));
    const hwm = path.join(dir, 'hwm-replay');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['-r', HOOK, CLI, 'monitor', '--replay', file, '--speed', '0', '--json'], {
        env: { PATH: process.env.PATH, HOME: dir, HWM_FILE: hwm },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('end of the replayed file');
    const peakMiB = Number(readFileSync(hwm, 'utf8')) / 1024;
    expect(peakMiB).toBeLessThan(150);
    rmSync(file);
  }, 120_000);
});

describe('monitor --record', () => {
  it('20 000 samples from a replay are all recorded, in order', () => {
    const file = path.join(dir, '20k.log');
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => lineOf(i)).join(''));
    const rec = path.join(dir, '20k.jsonl');
    // stdout to /dev/null: spawnSync's 1 MiB buffer would cut the 6 MB of JSON lines short.
    const r = spawnSync(
      process.execPath,
      [CLI, 'monitor', '--replay', file, '--speed', '0', '--json', '--record', rec],
      {
        env: { PATH: process.env.PATH, HOME: dir },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    expect(r.status).toBe(0);
    const rams = readFileSync(rec, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { ram: { usedMiB: number } }).ram.usedMiB);
    expect(rams).toHaveLength(20_000);
    expect(rams.every((v, i) => v === i)).toBe(true);
  });

  it('an unwritable path → one line, exit 1, nothing started', () => {
    const r = runCli(['monitor', '--record', '/nonexistent/x.jsonl', '--source', 'proc', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('jetson-vllm: --record: /nonexistent/x.jsonl: its folder does not exist\n');
    expect(r.stdout).toBe('');
  });

  it('a full disk (ENOSPC, /dev/full) while recording a replay → one line, exit 1', () => {
    const replay = path.join(ROOT, 'test', 'fixtures', 'tegrastats', 'all-real-lines.log');
    const r = runCli(['monitor', '--replay', replay, '--speed', '0', '--json', '--record', '/dev/full']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('jetson-vllm: --record: /dev/full: no space left on device (ENOSPC)\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a full disk while recording the stand-in tegrastats → tegrastats stopped, one line, exit 1', async () => {
    const pidFile = path.join(dir, 'tegra-pid');
    const r = await runCliAsync(['monitor', '--json', '--interval', '200', '--record', '/dev/full'], {
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      TEGRASTATS_PIDFILE: pidFile,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('jetson-vllm: --record: /dev/full: no space left on device (ENOSPC)\n');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('monitor --url with an endless /metrics body', () => {
  it('keeps running, polls again and again, peak RSS under 150 MiB', async () => {
    let metricsGets = 0;
    let closed = 0;
    const chunk = Buffer.from('vllm:num_requests_running{engine="0"} 1\n'.repeat(1000));
    const server = http.createServer((req, res) => {
      if (req.url === '/health') return res.end();
      metricsGets++;
      res.on('close', () => closed++);
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const child = spawn(
      process.execPath,
      [CLI, 'monitor', '--url', url, '--json', '--source', 'proc', '--poll-interval', '250', '--interval', '500'],
      { env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(child.exitCode).toBeNull();
      const status = readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8');
      const peakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
      expect(peakMiB).toBeLessThan(150);
      expect(metricsGets).toBeGreaterThanOrEqual(2);
      expect(closed).toBeGreaterThanOrEqual(1);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      server.closeAllConnections();
      server.close();
    }
    expect(stderr).toBe('');
  }, 20_000);
});
