/**
 * `jetson-vllm launch --runtime docker`, `--detach`, `monitor --server` and `launch --stop`, driven through
 * the stand-in `docker` (test/fixtures/bin/docker), whose containers run the stand-in `vllm`. Every docker
 * call the CLI makes is recorded by the stand-in (DOCKER_STANDIN_CALLS), so the argv is checked as run.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildImageVersionArgv } from '../../src/launch/core/image-version.js';
import { ROOT } from '../helpers/catalog.js';
import { runCliAsync } from '../helpers/cli.js';
import { BIN } from '../helpers/standin.js';
import { createDockerSandbox, type DockerSandbox } from '../helpers/docker-sandbox.js';

const CLI = path.join(ROOT, 'bin', 'jetson-vllm.js');
const SECRET = 'hf_docker_secret_never_shown_4711';
const ORIN_IMAGE = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin';
const base = ['launch', '--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct'];
const nameFor = (port: number): string => `jetson-vllm-qwen2.5-0.5b-instruct-${port}`;
let nextPort = 17000 + Math.floor(Math.random() * 2000);
const freshPort = (): number => (nextPort += 7);

type Sandbox = DockerSandbox;

/** A docker sandbox whose environment carries a token that must never be shown. */
const sandbox = (extra: NodeJS.ProcessEnv = {}): Sandbox =>
  createDockerSandbox('jv-docker-', { HF_TOKEN: SECRET, ...extra });

interface Running {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  exited: Promise<number | null>;
  until: (text: string | RegExp, ms?: number) => Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const has = (t: string | RegExp): boolean => (typeof t === 'string' ? out.includes(t) : t.test(out));
  return {
    child,
    out: () => out,
    exited,
    async until(text, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && !has(text)) await new Promise((r) => setTimeout(r, 40));
      if (!has(text)) throw new Error(`never printed ${String(text)}; output:\n${out}`);
    },
  };
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
};

/** Live processes whose command line mentions `text` (the docker run client, the shim, a vllm). */
function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(text) && isRunning(Number(entry))) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

/** Every file under `dir`, as text. */
function allFileText(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    text += statSync(p).isDirectory() ? allFileText(p) : readFileSync(p, 'utf8');
  }
  return text;
}

const health = async (port: number): Promise<number | null> => {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return r.status;
  } catch {
    return null;
  }
};

const waitFor = async (check: () => boolean, ms = 5000): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !check()) await new Promise((r) => setTimeout(r, 40));
  return check();
};

describe('launch --runtime docker (stand-in docker)', () => {
  it('pulls with a progress line, starts the named container, follows the stages to ready; SIGTERM → docker stop, nothing left', async () => {
    const box = sandbox();
    const port = freshPort();
    const name = nameFor(port);
    const run = start([...base, '--port', String(port)], box.env);
    await run.until(`ready: http://127.0.0.1:${port} (/health 200, /v1/models answers)`);
    // The ready line and the predicted-vs-actual rows after it are separate writes: wait for the last row.
    await run.until(/ready: http:\/\/127\.0\.0\.1[^]*max concurrency .*\n/);
    const out = run.out();
    // The stand-in's layers: one shared ("Already exists"), four pulled of 29.7 MB, 1.06 GB, 812 MB and 4.2 kB.
    const pulled = 29.7e6 + 1.06e9 + 812e6 + 4.2e3;
    const gb = `${(pulled / 1e9).toPrecision(3)} GB`;
    const order = [
      'pulling the image',
      `jetson-vllm: running docker pull ${ORIN_IMAGE}`,
      `  pull: 5/5 layers, ${gb} of ${gb} downloaded, done`,
      'starting the container',
      `jetson-vllm: running docker run --rm --name ${name} --runtime nvidia --network host --shm-size 8g -v `,
      'engine configured',
      'loading weights',
      'allocating the KV cache',
      'starting the API server',
      `ready: http://127.0.0.1:${port}`,
    ];
    const at = order.map((text) => out.indexOf(text));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // One line per pulled layer as it completes (the shared one counts as done from the start), then the end.
    expect(out.split('\n').filter((l) => l.startsWith('  pull: '))).toEqual([
      ...[2, 3, 4, 5].map((n) => `  pull: ${n}/5 layers, ${gb} of ${gb} downloaded`),
      `  pull: 5/5 layers, ${gb} of ${gb} downloaded, done`,
    ]);
    expect(out).toMatch(/weights +plan 0\.92 GiB +vLLM 0\.93 GiB \(\+1\.\d %\)/);
    // The argv docker was given: the image, then exactly the plan's serve argv; HF_TOKEN by name only.
    const runCall = box.calls().find((c) => c[0] === 'run' && c.includes('--name')) ?? [];
    expect(runCall.slice(0, 3)).toEqual(['run', '--rm', '--name']);
    expect(runCall).not.toContain('-it');
    expect(runCall).not.toContain('-t');
    const token = runCall.indexOf('HF_TOKEN');
    expect(runCall[token - 1]).toBe('-e');
    expect(runCall[runCall.indexOf(ORIN_IMAGE) + 1]).toBe('vllm');
    expect(runCall.slice(runCall.indexOf(ORIN_IMAGE) + 1).join(' ')).toMatch(
      new RegExp(`^vllm serve Qwen/Qwen2\\.5-0\\.5B-Instruct .*--port ${port}$`),
    );
    const vllmPid = box.vllmPid();
    expect(isRunning(vllmPid)).toBe(true);
    expect(processesWith(name).length).toBeGreaterThan(0);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('stopped');
    expect(box.calls()).toContainEqual(['stop', '-t', '10', name]);
    expect(isRunning(vllmPid)).toBe(false);
    expect(await waitFor(() => processesWith(name).length === 0)).toBe(true);
    expect(await health(port)).toBeNull();
    // The token's value is nowhere: not printed, not in any argv, not in any state or log file.
    expect(run.out()).not.toContain(SECRET);
    expect(JSON.stringify(box.calls())).not.toContain(SECRET);
    expect(allFileText(box.dir)).not.toContain(SECRET);
  });

  it('a moving tag here (latest-jetson-orin) is asked which vLLM it carries; another than listed → re-planned for it', async () => {
    const box = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE, VLLM_STANDIN_VERSION: '0.9.2' });
    const port = freshPort();
    const run = start([...base, '--port', String(port)], box.env);
    await run.until(`ready: http://127.0.0.1:${port}`);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain(
      `jetson-vllm: ${ORIN_IMAGE} carries vLLM 0.9.2, not the 0.11.2 its tag was listed with: re-planned for 0.9.2\n`,
    );
    // The version read (its argv is checked word for word in test/launch/core/image-version.test.ts).
    expect(box.calls()).toContainEqual(buildImageVersionArgv(ORIN_IMAGE));
    const runCall = box.calls().find((c) => c[0] === 'run' && c.includes('--name')) ?? [];
    // 0.9.2 has no --kv-cache-memory-bytes (0.11+): the plan that runs is 0.9.2's.
    expect(runCall).not.toContain('--kv-cache-memory-bytes');
    expect(runCall).toContain('--gpu-memory-utilization');
  });

  it('the same version as listed: said in one line, the plan kept; an image without python3: said, planned as listed', async () => {
    const same = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE });
    const a = await runCliAsync([...base, '--port', String(freshPort()), '--detach'], same.env);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain(`jetson-vllm: ${ORIN_IMAGE} carries vLLM 0.11.2, as planned\n`);
    expect(
      (await runCliAsync(['launch', '--stop', /launch --stop (\S+)/.exec(a.stdout)?.[1] ?? '?'], same.env)).code,
    ).toBe(0);

    const bare = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE, DOCKER_STANDIN_NO_PYTHON: '1' });
    const b = await runCliAsync([...base, '--port', String(freshPort()), '--detach'], bare.env);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain(
      `jetson-vllm: the vLLM version inside ${ORIN_IMAGE} could not be read (docker: Error response from daemon: failed to create task for container: exec: "python3": executable file not found in $PATH: unknown.): planned for 0.11.2, the version its tag was listed with\n`,
    );
    expect(
      (await runCliAsync(['launch', '--stop', /launch --stop (\S+)/.exec(b.stdout)?.[1] ?? '?'], bare.env)).code,
    ).toBe(0);
  });

  it("an image already here is used without a pull: the plan's own", async () => {
    const box = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE });
    const port = freshPort();
    const run = start([...base, '--port', String(port)], box.env);
    await run.until(`ready: http://127.0.0.1:${port}`);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain(`jetson-vllm: image ${ORIN_IMAGE} is here (no pull)`);
    expect(run.out()).not.toContain('pulling the image');
    expect(run.out()).toContain('starting the container');
    expect(box.calls().some((c) => c[0] === 'pull')).toBe(false);
    expect(box.calls()).toContainEqual(['image', 'inspect', '--format', '{{.Id}}', ORIN_IMAGE]);
  });

  it('the command `plan` prints is the argv docker is given, exactly (the printed command is the command run)', async () => {
    const box = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE });
    const port = freshPort();
    const planned = await runCliAsync(['plan', ...base.slice(1), '--port', String(port), '--json'], box.env);
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout) as { dockerArgv: string[]; command: string };
    expect(plan.dockerArgv.slice(0, 5)).toEqual(['docker', 'run', '--rm', '--name', nameFor(port)]);
    expect(plan.dockerArgv).not.toContain('-it');
    const run = start([...base, '--port', String(port)], box.env);
    await run.until(`ready: http://127.0.0.1:${port}`);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const runCall = box.calls().find((c) => c[0] === 'run' && c.includes('--name'));
    expect(['docker', ...(runCall ?? [])]).toEqual(plan.dockerArgv);
    // …and the line the launcher prints is the plan's command, word for word.
    expect(run.out()).toContain(`jetson-vllm: running ${plan.command}\n`);
  });

  it('…or another image of the rule for this board, re-planned for its vLLM (unless --image pins one)', async () => {
    const other = 'dustynv/vllm:0.8.6-r36.4-cu128-24.04';
    const box = sandbox({ DOCKER_STANDIN_IMAGES: `${other},vllm/vllm-openai:latest`, VLLM_STANDIN_VERSION: '0.8.6' });
    const port = freshPort();
    const run = start([...base, '--port', String(port)], box.env);
    await run.until(`ready: http://127.0.0.1:${port}`);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain(
      `jetson-vllm: ${other} is here already: using it instead of pulling ${ORIN_IMAGE} (re-planned for vLLM 0.8.6`,
    );
    const runCall = box.calls().find((c) => c[0] === 'run' && c.includes('--name')) ?? [];
    expect(runCall).toContain(other);
    // dustynv images keep the Hugging Face cache under /data/models/huggingface.
    expect(runCall.some((a) => a.endsWith(':/data/models/huggingface'))).toBe(true);
    // 0.8.6 has no --kv-cache-memory-bytes: the plan was made again for that version.
    expect(runCall).not.toContain('--kv-cache-memory-bytes');
    expect(box.calls().some((c) => c[0] === 'pull')).toBe(false);

    // Pinned with --image: the pinned one is pulled.
    const pinned = await runCliAsync([...base, '--port', String(freshPort()), '--image', ORIN_IMAGE], {
      ...box.env,
      DOCKER_STANDIN_PULL_FAIL: 'manifest unknown',
    });
    expect(pinned.code).toBe(1);
    expect(pinned.stdout).toContain(
      `not started: docker pull ${ORIN_IMAGE} failed: Error response from daemon: manifest unknown`,
    );
  });

  it('docker without the NVIDIA runtime: its error reaches the log parser and the diagnosis says how to fix it', async () => {
    const box = sandbox({ DOCKER_STANDIN_NO_NVIDIA: '1', DOCKER_STANDIN_IMAGES: ORIN_IMAGE });
    const r = await runCliAsync([...base, '--port', String(freshPort())], box.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  docker: Error response from daemon: unknown or invalid runtime name: nvidia.');
    expect(r.stdout).toContain('vLLM failed: Docker has no NVIDIA runtime');
    expect(r.stdout).toContain(
      'run: sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker',
    );
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('a CUDA 13 image on a JetPack 6 driver: the hook error is read from stderr and diagnosed', async () => {
    const box = sandbox({ DOCKER_STANDIN_RUN_ERROR: 'cuda13', DOCKER_STANDIN_IMAGES: ORIN_IMAGE });
    const r = await runCliAsync([...base, '--port', String(freshPort())], box.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("vLLM failed: Container image too new for the board's driver");
    expect(r.stdout).toMatch(/log: .*unsatisfied condition: cuda>=13\.0/);
  });

  it('docker not installed: one line saying so, exit 1', async () => {
    const r = await runCliAsync([...base, '--port', String(freshPort())], { PATH: '/usr/bin:/bin' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('not started: docker is not on PATH');
  });
});

describe('launch --detach, monitor --server, launch --stop', () => {
  it('docker: exits 0 once ready and leaves it serving; monitor re-attaches to its metrics and log; --stop leaves nothing', async () => {
    const box = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE });
    const port = freshPort();
    const name = nameFor(port);
    const launched = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(launched.code).toBe(0);
    // Held without a restart policy until ready (an OOM kill while loading is not restarted in a loop), then given it.
    expect(launched.stdout).toContain(`jetson-vllm: running docker run -d --name ${name} --runtime nvidia`);
    expect(box.calls()).toContainEqual(['update', '--restart', 'unless-stopped', name]);
    expect(launched.stdout).toContain(`left running: ${name} (a docker container) at http://127.0.0.1:${port}`);
    expect(launched.stdout).toContain(`jetson-vllm monitor --server ${name}`);
    expect(launched.stdout).toContain(`jetson-vllm launch --stop ${name}`);
    // The launch is gone, the server is not.
    expect(await health(port)).toBe(200);
    const vllmPid = box.vllmPid();
    expect(isRunning(vllmPid)).toBe(true);
    const servers = JSON.parse(
      readFileSync(path.join(box.env.XDG_STATE_HOME ?? '', 'jetson-vllm', 'servers.json'), 'utf8'),
    ) as { servers: { name: string; runtime: string; container: string; url: string }[] };
    expect(servers.servers).toEqual([
      expect.objectContaining({ name, runtime: 'docker', container: name, url: `http://127.0.0.1:${port}` }),
    ]);
    // It follows `docker logs -f` until ready, then lets go.
    expect(box.calls()).toContainEqual(['logs', '-f', name]);
    // A second launch on the same port does not touch it: refused before anything starts, the holder named.
    const twice = await runCliAsync([...base, '--port', String(port)], box.env);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toContain(
      `jetson-vllm: not launched: port ${port} is taken by ${name}, a server of ours launched with --detach (container ${name}); stop it: jetson-vllm launch --stop ${name}, or launch on the next free port: --port `,
    );
    expect(box.calls().filter((c) => c[0] === 'run' && c.includes('--name'))).toHaveLength(1);

    const monitor = start(
      ['monitor', '--server', name, '--json', '--source', 'proc', '--interval', '250', '--poll-interval', '250'],
      box.env,
    );
    await monitor.until(/"vllm":\{[^\n]*"running":1/);
    await monitor.until('"line":"INFO:     Application startup complete."');
    monitor.child.kill('SIGTERM');
    expect(await monitor.exited).toBe(0);
    const lines = monitor
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { log?: { server: string; line: string }; vllm?: { running: number } | null });
    expect(lines.filter((l) => l.log !== undefined).every((l) => l.log?.server === name)).toBe(true);
    expect(box.calls()).toContainEqual(['logs', '-f', '--tail', '50', name]);

    const stopped = await runCliAsync(['launch', '--stop', name], box.env);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`stopped ${name}`);
    expect(box.calls()).toContainEqual(['stop', '-t', '10', name]);
    expect(box.calls()).toContainEqual(['rm', '-f', name]);
    expect(isRunning(vllmPid)).toBe(false);
    expect(await waitFor(() => processesWith(name).length === 0)).toBe(true);
    expect(await health(port)).toBeNull();
    expect(readdirSync(path.join(box.env.DOCKER_STANDIN_STATE ?? '', 'containers'))).toEqual([]);
    const after = JSON.parse(
      readFileSync(path.join(box.env.XDG_STATE_HOME ?? '', 'jetson-vllm', 'servers.json'), 'utf8'),
    ) as { servers: unknown[] };
    expect(after.servers).toEqual([]);
    for (const text of [launched.stdout, launched.stderr, monitor.out(), stopped.stdout, JSON.stringify(box.calls())])
      expect(text).not.toContain(SECRET);
    expect(allFileText(box.dir)).not.toContain(SECRET);
  });

  it('native: its own session and a log file under XDG_STATE_HOME; monitor picks the only recorded server; --stop ends it', async () => {
    const box = sandbox();
    const port = freshPort();
    const name = nameFor(port);
    const launched = await runCliAsync([...base, '--runtime', 'native', '--port', String(port), '--detach'], box.env);
    expect(launched.code).toBe(0);
    // Its own log: logs/<name>-<time>.log.
    const logs = path.join(box.env.XDG_STATE_HOME ?? '', 'jetson-vllm', 'logs');
    const logFiles = readdirSync(logs);
    expect(logFiles).toEqual([
      expect.stringMatching(new RegExp(`^${name.replaceAll('.', '\\.')}-\\d{8}T\\d{6}\\.\\d{3}Z\\.log$`)),
    ]);
    const logPath = path.join(logs, logFiles[0] ?? '');
    expect(launched.stdout).toContain(`(detached: its own session, log ${logPath})`);
    const vllmPid = box.vllmPid();
    expect(launched.stdout).toContain(`left running: ${name} (pid ${vllmPid}) at http://127.0.0.1:${port}`);
    expect(await health(port)).toBe(200);
    expect(readFileSync(logPath, 'utf8')).toContain('Application startup complete.');
    // setsid: the server leads its own session, apart from the launch's.
    const stat = readFileSync(`/proc/${vllmPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(fields[3])).toBe(vllmPid);
    const record = (
      JSON.parse(readFileSync(path.join(box.env.XDG_STATE_HOME ?? '', 'jetson-vllm', 'servers.json'), 'utf8')) as {
        servers: { pid: number; logPath: string; runtime: string }[];
      }
    ).servers[0];
    expect(record).toEqual(expect.objectContaining({ pid: vllmPid, logPath, runtime: 'native' }));

    const monitor = start(
      ['monitor', '--json', '--source', 'proc', '--interval', '250', '--poll-interval', '250'],
      box.env,
    );
    await monitor.until(
      `jetson-vllm monitor: following ${name} at http://127.0.0.1:${port} (the only detached server recorded)`,
    );
    await monitor.until('"line":"INFO:     Application startup complete."');
    await monitor.until(/"vllm":\{[^\n]*"running":1/);
    monitor.child.kill('SIGTERM');
    expect(await monitor.exited).toBe(0);

    const stopped = await runCliAsync(['launch', '--stop', name], box.env);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`stopped ${name} (its log stays in ${logPath})`);
    expect(isRunning(vllmPid)).toBe(false);
    expect(await health(port)).toBeNull();
    expect(allFileText(box.dir)).not.toContain(SECRET);
    // Stopping it again: it is no longer recorded.
    const again = await runCliAsync(['launch', '--stop', name], box.env);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe(
      `jetson-vllm: --stop: no detached server is called "${name}" (none is recorded (launch --detach records them))`,
    );
  });

  it('the SSH session dropping (SIGHUP) while it starts lets go of a detached server: it comes up on its own', async () => {
    const box = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE, VLLM_STANDIN_STARTUP_MS: '3000' });
    const port = freshPort();
    const name = nameFor(port);
    const run = start([...base, '--port', String(port), '--detach'], box.env);
    await run.until('loading weights');
    run.child.kill('SIGHUP');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain(
      `left running (not ready yet): ${name} (a docker container) at http://127.0.0.1:${port}`,
    );
    expect(box.calls().some((c) => c[0] === 'stop')).toBe(false);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await health(port)) !== 200) await new Promise((r) => setTimeout(r, 100));
    expect(await health(port)).toBe(200);
    const stopped = await runCliAsync(['launch', '--stop', name], box.env);
    expect(stopped.code).toBe(0);
    expect(await health(port)).toBeNull();
    expect(await waitFor(() => processesWith(name).length === 0)).toBe(true);
  });

  it('Ctrl-C during the pull of a detached launch stops the pull and starts nothing', async () => {
    const box = sandbox({ DOCKER_STANDIN_PULL_MS: '6000' });
    const run = start([...base, '--port', String(freshPort()), '--detach'], box.env);
    await run.until('pulling the image');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.out()).toMatch(/stopped \(nothing had been started yet\)/);
    expect(box.calls().some((c) => c[0] === 'run')).toBe(false);
    expect(await waitFor(() => processesWith(`${BIN}/docker pull`).length === 0)).toBe(true);
    const file = path.join(box.env.XDG_STATE_HOME ?? '', 'jetson-vllm', 'servers.json');
    expect(existsSync(file)).toBe(false);
  });

  it('a detached server that dies before ready is diagnosed, removed (no restart loop) and not recorded', async () => {
    const box = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE, VLLM_STANDIN_EXIT: '137' });
    const port = freshPort();
    const name = nameFor(port);
    const r = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('vLLM failed: Killed');
    expect(r.stdout).toMatch(/retry: docker run /);
    expect(box.calls()).toContainEqual(['rm', '-f', name]);
    expect(readdirSync(path.join(box.env.DOCKER_STANDIN_STATE ?? '', 'containers'))).toEqual([]);
    const file = path.join(box.env.XDG_STATE_HOME ?? '', 'jetson-vllm', 'servers.json');
    expect((JSON.parse(readFileSync(file, 'utf8')) as { servers: unknown[] }).servers).toEqual([]);
  });

  it('records whose server is gone are reported and pruned; --server on one of them fails clearly', async () => {
    const box = sandbox();
    const dir = path.join(box.env.XDG_STATE_HOME ?? '', 'jetson-vllm');
    mkdirSync(dir, { recursive: true });
    const plan = {
      device: 'orin-nx-16gb',
      model: 'm',
      quant: 'q',
      vllmVersion: '0.11.2',
      image: null,
      verdict: 'fits',
      totalBytes: 1,
      bytesPerBlock: 1,
      command: 'x',
    };
    // A pid that cannot be alive: a child that has ended.
    const ended = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => ended.on('exit', r));
    writeFileSync(
      path.join(dir, 'servers.json'),
      JSON.stringify({
        version: 1,
        servers: [
          {
            name: 'gone-docker',
            runtime: 'docker',
            url: 'http://127.0.0.1:1',
            pid: null,
            container: 'gone-docker',
            logPath: null,
            startedAt: '',
            plan,
          },
          {
            name: 'gone-native',
            runtime: 'native',
            url: 'http://127.0.0.1:2',
            pid: ended.pid,
            container: null,
            logPath: '/nonexistent',
            startedAt: '',
            plan,
          },
        ],
      }),
    );
    const r = await runCliAsync(['monitor', '--server', 'gone-docker', '--json', '--source', 'proc'], box.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'jetson-vllm monitor: gone-docker is gone (container gone-docker no longer runs): its record was removed',
    );
    expect(r.stderr).toContain('jetson-vllm: --server: gone-docker is no longer running');
    const left = JSON.parse(readFileSync(path.join(dir, 'servers.json'), 'utf8')) as { servers: { name: string }[] };
    expect(left.servers.map((s) => s.name)).toEqual(['gone-native']);
    const stop = await runCliAsync(['launch', '--stop', 'gone-native'], box.env);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`gone-native had already ended (pid ${ended.pid ?? ''}): its record was removed`);
  });
});
