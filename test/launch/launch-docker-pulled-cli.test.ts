/**
 * `jetson-vllm launch --runtime docker` of a moving tag (`latest-jetson-orin`) that is not here yet: once pulled,
 * the vLLM the image carries is read before its container starts, and the plan made again for it when it is not
 * the version the catalog listed the tag with (issue 12 §3: a moving tag is never trusted). And `--detach`'s
 * container, held without a restart policy until it is ready (an OOM-killed start is not restarted in a loop).
 * Driven through the stand-in `docker` (test/fixtures/bin/docker), whose `docker images` lists an image only once
 * it was pulled, and whose image's python prints VLLM_STANDIN_VERSION.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildImageVersionArgv } from '../../src/launch/core/image-version.js';
import { runCliAsync } from '../helpers/cli.js';
import { createDockerSandbox, readJsonLines, type DockerSandbox } from '../helpers/docker-sandbox.js';

const ORIN_IMAGE = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin';
// The version read (its argv is checked word for word in test/launch/core/image-version.test.ts).
const VERSION_READ = buildImageVersionArgv(ORIN_IMAGE);
const base = ['launch', '--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct'];
const nameFor = (port: number): string => `jetson-vllm-qwen2.5-0.5b-instruct-${port}`;
let nextPort = 19500 + Math.floor(Math.random() * 2000);
const freshPort = (): number => (nextPort += 7);

interface Sandbox extends DockerSandbox {
  containers: () => string[];
  servers: () => { name: string; plan: { vllmVersion: string; command: string } }[];
  history: () => { vllmVersion: string; outcome: string }[];
}

function sandbox(extra: NodeJS.ProcessEnv = {}): Sandbox {
  const box = createDockerSandbox('jv-pulled-', extra);
  const serversFile = path.join(box.dir, 'state', 'jetson-vllm', 'servers.json');
  return {
    ...box,
    containers: () => readdirSync(path.join(box.dir, 'docker', 'containers')).filter((f) => f.endsWith('.json')),
    servers: () =>
      existsSync(serversFile)
        ? (JSON.parse(readFileSync(serversFile, 'utf8')) as { servers: ReturnType<Sandbox['servers']> }).servers
        : [],
    history: () =>
      readJsonLines(path.join(box.dir, 'data', 'jetson-vllm', 'history.jsonl')) as ReturnType<Sandbox['history']>,
  };
}

/** The index of the first call that starts with `prefix` (-1: none). */
const callIndex = (calls: string[][], prefix: string[]): number =>
  calls.findIndex((c) => prefix.every((p, i) => c[i] === p));
const serveCall = (calls: string[][]): string[] => calls.find((c) => c[0] === 'run' && c.includes('--name')) ?? [];

async function stopServer(box: Sandbox, name: string): Promise<void> {
  expect((await runCliAsync(['launch', '--stop', name], box.env)).code).toBe(0);
  expect(box.containers()).toEqual([]);
}

describe('launch: a moving tag pulled for the launch is asked which vLLM it carries before its container starts', () => {
  it('the vLLM it was listed with: said after the pull, before docker run; the plan kept', async () => {
    const box = sandbox();
    const port = freshPort();
    const r = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(r.code).toBe(0);
    const note = `jetson-vllm: ${ORIN_IMAGE} carries vLLM 0.11.2, as planned\n`;
    expect(r.stdout).toContain(note);
    // Not here before (`docker images` did not list it): pulled, read, then run — in that order.
    const calls = box.calls();
    const order = [['pull', ORIN_IMAGE], VERSION_READ, ['run', '-d', '--name', nameFor(port)]].map((p) =>
      callIndex(calls, p),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.stdout.indexOf(`running docker pull ${ORIN_IMAGE}`)).toBeLessThan(r.stdout.indexOf(note));
    expect(r.stdout.indexOf(note)).toBeLessThan(r.stdout.indexOf('jetson-vllm: running docker run -d'));
    expect(serveCall(calls)).toContain('--kv-cache-memory-bytes');
    expect(box.servers()).toEqual([
      expect.objectContaining({ plan: expect.objectContaining({ vllmVersion: '0.11.2' }) }),
    ]);
    await stopServer(box, nameFor(port));
  });

  it('another known vLLM (0.9.2): re-planned for it; its flags run, its figures are recorded', async () => {
    const box = sandbox({ VLLM_STANDIN_VERSION: '0.9.2' });
    const port = freshPort();
    const planned = await runCliAsync(['plan', ...base.slice(1), '--port', String(port), '--json'], box.env);
    const before = JSON.parse(planned.stdout) as { vllm: { version: string }; dockerArgv: string[] };
    expect(before.vllm.version).toBe('0.11.2');
    const r = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `jetson-vllm: ${ORIN_IMAGE} carries vLLM 0.9.2, not the 0.11.2 its tag was listed with: re-planned for 0.9.2\n`,
    );
    // The argv that ran is 0.9.2's plan (no --kv-cache-memory-bytes before 0.11), not the one printed before.
    const run = serveCall(box.calls());
    expect(before.dockerArgv).toContain('--kv-cache-memory-bytes');
    expect(run).not.toContain('--kv-cache-memory-bytes');
    expect(run).toContain('--gpu-memory-utilization');
    const replanned = JSON.parse(
      (
        await runCliAsync(
          [
            'plan',
            ...base.slice(1),
            '--port',
            String(port),
            '--image',
            ORIN_IMAGE,
            '--vllm-version',
            '0.9.2',
            '--json',
          ],
          box.env,
        )
      ).stdout,
    ) as { command: string; dockerArgv: string[] };
    // The command printed and run is the re-made plan's, word for word (with --detach's own -d, no --rm).
    expect(run.slice(run.indexOf(ORIN_IMAGE))).toEqual(
      replanned.dockerArgv.slice(replanned.dockerArgv.indexOf(ORIN_IMAGE)),
    );
    // The record and the history say the vLLM that ran.
    expect(box.servers()).toEqual([
      expect.objectContaining({ plan: expect.objectContaining({ vllmVersion: '0.9.2', command: replanned.command }) }),
    ]);
    expect(box.history()).toEqual([expect.objectContaining({ vllmVersion: '0.9.2', outcome: 'ready' })]);
    await stopServer(box, nameFor(port));
  });

  it('a vLLM whose plan would not fit (0.9.2 at --gpu-memory-utilization 0.9): not started, exit 3, nothing left', async () => {
    for (const detach of [[], ['--detach']]) {
      const box = sandbox({ VLLM_STANDIN_VERSION: '0.9.2' });
      const knobs = ['--port', String(freshPort()), '--gpu-memory-utilization', '0.9'];
      // As listed (0.11.2), the plan fits: the launch goes ahead and pulls.
      const planned = JSON.parse(
        (await runCliAsync(['plan', ...base.slice(1), ...knobs, '--json'], box.env)).stdout,
      ) as {
        verdict: string;
      };
      expect(planned.verdict).toBe('fits');
      const r = await runCliAsync([...base, ...knobs, ...detach], box.env);
      expect(r.code).toBe(3);
      expect(r.stdout).toContain(
        `jetson-vllm: ${ORIN_IMAGE} carries vLLM 0.9.2, not the 0.11.2 its tag was listed with: re-planned for 0.9.2\n`,
      );
      expect(r.stdout).toMatch(
        /\] not launched: the plan for vLLM 0\.9\.2 would not fit \(OOM: \d+\.\d\d GiB needed, \d+\.\d\d GiB there\); change the knobs or let the planner choose them\n/,
      );
      expect(r.stdout).not.toContain('not started:');
      // Pulled and read; no server container was ever run; no record, no history.
      expect(box.calls().filter((c) => c[0] === 'pull')).toHaveLength(1);
      expect(box.calls().filter((c) => callIndex([c], VERSION_READ) === 0)).toHaveLength(1);
      expect(box.calls().filter((c) => c[0] === 'run' && c.includes('--name'))).toEqual([]);
      expect(box.containers()).toEqual([]);
      expect(box.servers()).toEqual([]);
      expect(box.history()).toEqual([]);
    }
  });

  it('a vLLM that cannot load the model (Qwen3 needs 0.8.4, the image has 0.8.0): not started, exit 3, why', async () => {
    const box = sandbox({ VLLM_STANDIN_VERSION: '0.8.0' });
    const args = ['launch', '--device', 'orin-nx-16gb', '--model', 'qwen3-0.6b', '--port', String(freshPort())];
    const r = await runCliAsync(args, box.env);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      `jetson-vllm: ${ORIN_IMAGE} carries vLLM 0.8.0, not the 0.11.2 its tag was listed with: re-planned for 0.8.0\n`,
    );
    expect(r.stdout).toMatch(
      /\] not launched: the image carries vLLM 0\.8\.0: Model architectures \['Qwen3ForCausalLM'\] are not supported for now\. Qwen3ForCausalLM needs vLLM ≥ 0\.8\.4/,
    );
    expect(box.calls().filter((c) => c[0] === 'run' && c.includes('--name'))).toEqual([]);
    expect(box.containers()).toEqual([]);
    expect(box.history()).toEqual([]);
  });

  it('a version that cannot be read (no python3 in the image): said, the launch goes on as planned', async () => {
    const box = sandbox({ DOCKER_STANDIN_NO_PYTHON: '1' });
    const port = freshPort();
    const r = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `jetson-vllm: the vLLM version inside ${ORIN_IMAGE} could not be read (docker: Error response from daemon: failed to create task for container: exec: "python3": executable file not found in $PATH: unknown.): planned for 0.11.2, the version its tag was listed with\n`,
    );
    expect(serveCall(box.calls())).toContain('--kv-cache-memory-bytes');
    await stopServer(box, nameFor(port));
  });

  it('a tag that names its vLLM is not read after its pull', async () => {
    const box = sandbox();
    const port = freshPort();
    const image = 'dustynv/vllm:0.8.6-r36.4-cu128-24.04';
    const r = await runCliAsync([...base, '--port', String(port), '--image', image, '--detach'], box.env);
    expect(r.code).toBe(0);
    expect(box.calls().some((c) => c[0] === 'pull')).toBe(true);
    expect(box.calls().some((c) => c.includes('--entrypoint'))).toBe(false);
    expect(r.stdout).not.toContain('carries vLLM');
    await stopServer(box, nameFor(port));
  });
});

describe('launch --detach (docker): held without a restart policy until ready', () => {
  it('docker run -d has no --restart; the policy is set once /health answered', async () => {
    const box = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE });
    const port = freshPort();
    const name = nameFor(port);
    const r = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`jetson-vllm: running docker run -d --name ${name} --runtime nvidia`);
    const calls = box.calls();
    expect(serveCall(calls)).not.toContain('--restart');
    const update = callIndex(calls, ['update', '--restart', 'unless-stopped', name]);
    // After the readiness check that found the container running (it comes with /health's answer).
    const running = calls.findLastIndex((c) => c[0] === 'inspect' && c.includes('{{.State.Running}}'));
    expect(running).toBeGreaterThan(callIndex(calls, ['run', '-d']));
    expect(update).toBeGreaterThan(running);
    // The container's policy as docker holds it now.
    const inspect = JSON.parse(
      readFileSync(path.join(box.env.DOCKER_STANDIN_STATE ?? '', 'containers', `${name}.json`), 'utf8'),
    ) as { restart: string };
    expect(inspect.restart).toBe('unless-stopped');
    await stopServer(box, name);
  });

  it('killed by the OOM killer while loading: diagnosed, removed, never given the restart policy', async () => {
    const box = sandbox({ DOCKER_STANDIN_IMAGES: ORIN_IMAGE, VLLM_STANDIN_UNTIL: 'loading', VLLM_STANDIN_EXIT: '137' });
    const port = freshPort();
    const name = nameFor(port);
    const r = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/vLLM failed: /);
    expect(serveCall(box.calls())).not.toContain('--restart');
    expect(box.calls().some((c) => c[0] === 'update')).toBe(false);
    expect(box.calls()).toContainEqual(['rm', '-f', name]);
    expect(box.containers()).toEqual([]);
    expect(box.servers()).toEqual([]);
  });
});
