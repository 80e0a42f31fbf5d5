/**
 * `jetson-vllm launch --runtime native` with the stand-in `vllm` (test/fixtures/bin/vllm): stages, ready,
 * predicted vs actual, the diagnosis of a failure, a clean stop on SIGTERM, and HF_TOKEN never printed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/catalog.js';
import { runCliAsync } from '../helpers/cli.js';

const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const SECRET = 'hf_never_print_this_token_123';
const base = ['launch', '--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--runtime', 'native'];
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('jetson-vllm launch --runtime native (stand-in vllm)', () => {
  it('follows the stages to ready, shows predicted vs actual, stops the server on SIGTERM, never prints HF_TOKEN', async () => {
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'jv-launch-')), 'pid');
    const dataHome = mkdtempSync(path.join(os.tmpdir(), 'jv-data-'));
    const port = 19500 + Math.floor(Math.random() * 400);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), ...base, '--port', String(port)], {
      env: {
        PATH: `${BIN}:${process.env.PATH ?? ''}`,
        HOME: os.tmpdir(),
        HF_TOKEN: SECRET,
        VLLM_STANDIN_PIDFILE: pidFile,
        XDG_DATA_HOME: dataHome,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    // The ready line and the predicted-vs-actual rows after it are separate writes: wait for the last row.
    while (Date.now() < deadline && !/ready: http:\/\/127\.0\.0\.1[^]*max concurrency .*\n/.test(out))
      await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain(`ready: http://127.0.0.1:${port} (/health 200, /v1/models answers)`);
    for (const stage of ['engine configured', 'loading weights', 'allocating the KV cache', 'starting the API server'])
      expect(out).toContain(stage);
    // The stand-in logs "Model loading took 0.9328 GiB": held against the plan's weights.
    expect(out).toMatch(/weights +plan 0\.92 GiB +vLLM 0\.93 GiB \(\+1\.\d %\)/);
    const serverPid = Number(readFileSync(pidFile, 'utf8'));
    expect(isRunning(serverPid)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped');
    expect(isRunning(serverPid)).toBe(false);
    expect(out).not.toContain(SECRET);
    // The launch is recorded, and doctor reports how far this board's plans were off.
    const history = readFileSync(path.join(dataHome, 'jetson-vllm', 'history.jsonl'), 'utf8');
    expect(history).not.toContain(SECRET);
    expect(history.trim().split('\n')).toHaveLength(1);
    const doctor = await runCliAsync(
      ['doctor', '--json', '--root', path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62')],
      {
        XDG_DATA_HOME: dataHome,
      },
    );
    const check = (
      JSON.parse(doctor.stdout) as { checks: { id: string; status: string; summary: string }[] }
    ).checks.find((c) => c.id === 'predictions');
    expect(check?.summary).toMatch(
      /^1 launch\(es\) recorded: weights \+1\.\d %, KV cache tokens \+\d+\.\d % against the plans/,
    );
  });

  it('a reader that goes away (`launch | head -2`) stops the server: exit 0, nothing left behind', async () => {
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'jv-launch-pipe-')), 'pid');
    const port = 19500 + Math.floor(Math.random() * 400);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), ...base, '--port', String(port)], {
      env: {
        PATH: `${BIN}:${process.env.PATH ?? ''}`,
        HOME: os.tmpdir(),
        VLLM_STANDIN_PIDFILE: pidFile,
        VLLM_STANDIN_STARTUP_MS: '4000',
        XDG_DATA_HOME: mkdtempSync(path.join(os.tmpdir(), 'jv-data-')),
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Read the first two lines, then close the pipe, as `head -2` does.
    let got = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.split('\n').length > 2) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !existsSync(pidFile)) await new Promise((r) => setTimeout(r, 25));
    const serverPid = Number(readFileSync(pidFile, 'utf8'));
    expect(await exited).toBe(0);
    expect(isRunning(serverPid)).toBe(false);
  });

  it('a stage that lasts past --stage-timeout is said to look stuck, once, and the launch keeps waiting', async () => {
    const port = 19500 + Math.floor(Math.random() * 400);
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'jetson-vllm.js'), ...base, '--port', String(port), '--stage-timeout', '1'],
      {
        env: {
          PATH: `${BIN}:${process.env.PATH ?? ''}`,
          HOME: os.tmpdir(),
          // 11 lines over 22 s: each stage lasts about 2 s, past the 1 s timeout.
          VLLM_STANDIN_STARTUP_MS: '22000',
          XDG_DATA_HOME: mkdtempSync(path.join(os.tmpdir(), 'jv-data-')),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !/loading weights has taken/.test(out)) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(
      /^\[ *\d+\.\ds\] loading weights has taken \d\.\d s \(more than the 1\.0 s it may take here\): vLLM may be stuck/m,
    );
    expect(out.match(/loading weights has taken/g)).toHaveLength(1);
    expect(out).not.toContain('stopping the server');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('docker on an AGX Orin with JetPack 7.2 (fake root, L4T 39.2): the r36 image is not started; exit 3, one line', async () => {
    const r = await runCliAsync(
      [
        'launch',
        '--root',
        path.join(ROOT, 'test', 'fixtures', 'roots', 'agx-orin-64gb-jp72'),
        '--model',
        'qwen2.5-0.5b-instruct',
      ],
      {
        PATH: `${BIN}:${process.env.PATH ?? ''}`,
        DOCKER_STANDIN_STATE: mkdtempSync(path.join(os.tmpdir(), 'jv-docker-')),
      },
    );
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      'jetson-vllm: not launched: ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin is built for L4T 36.4.0 up to (not including) 37.0.0, and this board runs L4T 39.2.0: its driver would refuse the container at start; --image vllm/vllm-openai:v0.31.0 (vLLM 0.31.0) is built for it',
    ]);
    expect(r.stdout).not.toContain('docker run');
  });

  it('--stage-timeout that is not a number of seconds: one line, exit 2', async () => {
    const r = await runCliAsync([...base, '--stage-timeout', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'jetson-vllm: --stage-timeout: "soon" is not a number of seconds (after which a start-up stage is said to look stuck)',
    );
  });

  it('an OOM kill (exit 137) is explained, with the re-planned fix and the retry command; exit 1', async () => {
    const r = await runCliAsync([...base, '--port', String(19950 + Math.floor(Math.random() * 40))], {
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      VLLM_STANDIN_EXIT: '137',
      HF_TOKEN: SECRET,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('vLLM failed: Killed');
    // The stand-in's shell says "Killed" and exits 137: the cause says that, then what it usually is.
    expect(r.stdout).toMatch(
      /cause: The log says "Killed" \(a SIGKILL\)\. On a Jetson that is almost always the kernel's OOM killer/,
    );
    expect(r.stdout).toMatch(/fix: .*→ (FITS|TIGHT)/);
    expect(r.stdout).toMatch(/retry: vllm serve Qwen\/Qwen2\.5-0\.5B-Instruct /);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('a plan that would not fit is not launched: exit 3', async () => {
    const r = await runCliAsync([
      'launch',
      '--device',
      'orin-nx-16gb',
      '--model',
      'qwen2-7b-instruct',
      '--quant',
      'gguf-q4_k_m',
      '--vllm-version',
      '0.6.3',
      '--vllm-defaults',
      '--runtime',
      'native',
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('WILL BE KILLED');
    expect(r.stderr).toMatch(/not launched: this plan would not fit/);
  });
});

describe('the start-up watchdog', () => {
  it('stops vLLM when MemAvailable (from the fake root) drops under the floor while it starts', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const root = mkdtempSync(path.join(os.tmpdir(), 'jv-wd-'));
    mkdirSync(path.join(root, 'proc'));
    const meminfo = (availableKiB: number): string =>
      `MemTotal:       16032708 kB\nMemFree:         ${availableKiB} kB\nMemAvailable:   ${availableKiB} kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n`;
    writeFileSync(path.join(root, 'proc', 'meminfo'), meminfo(12_000_000));
    const pidFile = path.join(root, 'vllm.pid');
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'jetson-vllm.js'),
        ...base,
        '--port',
        String(19000 + Math.floor(Math.random() * 400)),
        '--root',
        root,
        '--memory-floor',
        '256',
      ],
      {
        env: {
          PATH: `${BIN}:${process.env.PATH ?? ''}`,
          HOME: os.tmpdir(),
          VLLM_STANDIN_STARTUP_MS: '20000',
          VLLM_STANDIN_PIDFILE: pidFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (text: string): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !out.includes(text)) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain(text);
    };
    await until('loading weights');
    expect(out).not.toContain('watchdog');
    // The board's memory runs out while the model loads: 100 MiB available, no swap.
    writeFileSync(path.join(root, 'proc', 'meminfo'), meminfo(100 * 1024));
    expect(await exited).toBe(1);
    expect(out).toMatch(/watchdog: available memory stayed under the 256 MiB floor for 750 ms \(lowest 100 MiB\)/);
    expect(out).toContain('stopped by the watchdog');
    // The plan (a 0.5B model on 16 GB) predicted gigabytes to spare: the memory went elsewhere, and doctor names
    // what holds it; no smaller KV cache is offered.
    expect(out).toMatch(/the memory went elsewhere — another process, the page cache, or an estimate that was wrong/);
    expect(out).toMatch(/^ {2}run: jetson-vllm doctor$/m);
    expect(out).not.toMatch(/retry: vllm serve /);
    expect(isRunning(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });
});

describe('launch --recipe', () => {
  it('launches what a saved recipe says (re-planned for the same choices)', async () => {
    const { writeFileSync } = await import('node:fs');
    const { buildRecipe } = await import('../../src/plan/core/recipe.js');
    const { planFor } = await import('../helpers/catalog.js');
    const plan = planFor({
      device: 'orin-nx-16gb',
      model: 'qwen2.5-0.5b-instruct',
      runtime: 'native',
      maxModelLen: '2048',
    });
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'jv-recipe-')), 'r.json');
    writeFileSync(
      file,
      JSON.stringify(buildRecipe(plan, { maxModelLen: 2048 }, 'planner', '2026-11-25T00:00:00.000Z')),
    );
    const port = 18600 + Math.floor(Math.random() * 300);
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'jetson-vllm.js'), 'launch', '--recipe', file, '--port', String(port)],
      {
        env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, HOME: os.tmpdir() },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !out.includes('ready: http')) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('running vllm serve Qwen/Qwen2.5-0.5B-Instruct --max-model-len 2048');
    expect(out).toContain(`ready: http://127.0.0.1:${port}`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('a file that is not a recipe → one line, exit 2', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'jv-recipe-')), 'r.json');
    writeFileSync(file, '{"hello": 1}');
    const r = await runCliAsync(['launch', '--recipe', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`jetson-vllm: --recipe: ${file} is not a jetson-vllm recipe (version 1)`);
  });
});
