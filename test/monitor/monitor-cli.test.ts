/** `jetson-vllm monitor` without a terminal: JSON lines and text, replay, stand-in tegrastats and vLLM. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/catalog.js';
import { runCli } from '../helpers/cli.js';

const REAL = path.join(ROOT, 'test', 'fixtures', 'tegrastats', 'all-real-lines.log');
const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');

interface JsonSample {
  time: string | null;
  source: string;
  ram: { usedMiB: number; totalMiB: number } | null;
  cpu: ({ loadPct: number | null; freqMHz: number | null } | null)[];
  gpu: { loadPct: number | null; freqMHz: number | null } | null;
  vllm: unknown;
}

describe('jetson-vllm monitor (built CLI, no terminal)', () => {
  it('--replay --speed 0 --json prints every recorded line as one sample and exits 0 at the end', () => {
    const r = runCli(['monitor', '--replay', REAL, '--speed', '0', '--json']);
    expect(r.code).toBe(0);
    const samples = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JsonSample);
    expect(samples).toHaveLength(8);
    expect(samples.every((s) => s.source === 'replay')).toBe(true);
    // The first line of test/fixtures/recorded/tegrastats.json: AGX Orin 64 GB, JetPack 5.
    expect(samples[0]).toMatchObject({
      time: '2025-04-11T10:36:27',
      ram: { usedMiB: 4321, totalMiB: 62801 },
      gpu: { loadPct: 0, freqMHz: 0 },
      vllm: null,
    });
    expect(samples[0]?.cpu).toHaveLength(12);
    expect(r.stderr).toContain('end of the replayed file');
  });

  it('--record appends the samples as JSON lines', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const os = await import('node:os');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'jv-rec-')), 'samples.jsonl');
    runCli(['monitor', '--replay', REAL, '--speed', '0', '--json', '--record', file]);
    // appendFile is asynchronous but the CLI waits for the replay to end; the lines are there.
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(7);
    expect((JSON.parse(lines[0] ?? '{}') as JsonSample).source).toBe('replay');
  });

  it.each([
    [['monitor', '--source', 'jtop'], /--source: "jtop" is not one of auto, tegrastats, nvidia-smi, proc/],
    [['monitor', '--interval', 'fast'], /--interval: "fast" is not a whole number of milliseconds/],
    [['monitor', '--url', 'localhost:8000'], /--url: "localhost:8000" is not an http\(s\) URL/],
    [['monitor', '--speed=-1'], /--speed: "-1" is not a number/],
  ])('bad input %j → one line, exit 2', (args, pattern) => {
    const r = runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  });

  it('with the stand-in tegrastats on PATH and the stand-in vLLM: JSON lines carry both; SIGTERM stops it and its child', async () => {
    const port = 18000 + Math.floor(Math.random() * 1000);
    const server = spawn(path.join(BIN, 'vllm'), ['serve', 'Qwen/Qwen2.5-0.5B-Instruct', '--port', String(port)], {
      stdio: 'ignore',
    });
    const env = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}` };
    const monitor = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'jetson-vllm.js'),
        'monitor',
        '--json',
        '--interval',
        '200',
        '--poll-interval',
        '250',
        '--url',
        `http://127.0.0.1:${port}`,
      ],
      { env },
    );
    let out = '';
    monitor.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      // Wait (polling, bounded) for a sample that carries vLLM figures.
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !/"running":1/.test(out)) await new Promise((r) => setTimeout(r, 50));
      const samples = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as JsonSample);
      expect(samples.length).toBeGreaterThan(0);
      expect(samples[0]).toMatchObject({ source: 'tegrastats', ram: { usedMiB: 3162, totalMiB: 7620 } });
      expect(samples.some((s) => (s.vllm as { running?: number } | null)?.running === 1)).toBe(true);
    } finally {
      const exited = new Promise<number | null>((resolve) => monitor.on('exit', (code) => resolve(code)));
      monitor.kill('SIGTERM');
      expect(await exited).toBe(0);
      server.kill('SIGTERM');
    }
    // The monitor stopped its tegrastats child.
    const { execFileSync } = await import('node:child_process');
    const left = (() => {
      try {
        return execFileSync('pgrep', ['-f', `${BIN}/tegrastats --interval 200`], { encoding: 'utf8' });
      } catch {
        return '';
      }
    })();
    expect(left.trim()).toBe('');
  });
});
