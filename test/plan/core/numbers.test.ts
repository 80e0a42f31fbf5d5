/**
 * Issue 13 item 8: every number from the command line is finite, in range and whole where it must be, at
 * its boundary (the bounds accepted, one step past refused); the planner's 0.99 utilization cap; and the
 * last guard, a plan whose argv would carry a non-finite number is refused.
 */
import { describe, expect, it } from 'vitest';
import { parseKnobs, parseLaunchTarget, resolvePlanRequest, type PlanOptions } from '../../../src/plan/core/request.js';
import { chooseUtilization, MAX_PLANNED_UTILIZATION } from '../../../src/plan/core/planner.js';
import { buildPlan } from '../../../src/plan/core/plan.js';
import { buildDockerArgv, buildDockerRunArgv, findBadArgvNumber, readServePort } from '../../../src/plan/core/flags.js';
import { GiB } from '../../../src/shared/units.js';
import { loadTestCatalog, planFor, requestAndPlanFor } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();
const base: PlanOptions = { device: 'orin-nx-16gb', model: 'qwen2.5-0.5b-instruct' };
const resolve = (o: PlanOptions) =>
  resolvePlanRequest({ ...base, ...o }, catalog, { detected: null, described: null, hfCacheDir: '/hf', workDir: '/w' });
const messageOf = (o: PlanOptions): string => {
  const r = resolve(o);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(o)}`);
  return r.message;
};

describe('--port (1–65535)', () => {
  it('65535 and 1 are ports; 65536 and 0 are not', () => {
    expect(parseLaunchTarget({ port: '65535' })).toEqual({ ok: true, runtime: null, port: 65535 });
    expect(parseLaunchTarget({ port: '1' })).toEqual({ ok: true, runtime: null, port: 1 });
    for (const bad of ['65536', '0', '1e3', '-1', '8000.5', '99999999999999999999', 'Infinity']) {
      expect(parseLaunchTarget({ port: bad })).toEqual({
        ok: false,
        message: `--port: "${bad}" is not a port from 1 to 65535`,
      });
    }
    expect(planFor({ ...base, port: '65535' }).argv.slice(-2)).toEqual(['--port', '65535']);
  });

  it('readServePort: 65535 is a port, 65536 is not (vLLM 8000 then)', () => {
    expect(readServePort(['vllm', 'serve', 'm', '--port', '65535'])).toBe(65535);
    expect(readServePort(['vllm', 'serve', 'm', '--port', '65536'])).toBe(8000);
    expect(readServePort(['vllm', 'serve', 'm', '--port', '1'])).toBe(1);
    expect(readServePort(['vllm', 'serve', 'm', '--port', '0'])).toBe(8000);
  });
});

describe('the knobs: bounds accepted, one step past refused', () => {
  const counts: [keyof PlanOptions, string, number, number][] = [
    ['maxModelLen', '--max-model-len', 16, 10_000_000],
    ['maxNumSeqs', '--max-num-seqs', 1, 65536],
    ['maxNumBatchedTokens', '--max-num-batched-tokens', 1, 10_000_000],
    ['numGpuBlocksOverride', '--num-gpu-blocks-override', 1, 100_000_000],
  ];
  it.each(counts)('%s (%s): whole numbers from %i to %i', (key, flag, min, max) => {
    expect(parseKnobs({ [key]: String(min) })).toMatchObject({ ok: true });
    expect(parseKnobs({ [key]: String(max) })).toMatchObject({ ok: true });
    for (const bad of [String(min - 1), String(max + 1), '1e308', '9007199254740993', '12.5', 'Infinity', '0x10']) {
      const r = parseKnobs({ [key]: bad });
      expect(r).toEqual({
        ok: false,
        message: `${flag}: "${bad}" is not a whole number from ${min} to ${max} (e.g. 4096 or 4k)`,
      });
    }
  });

  it('--gpu-memory-utilization: (0, 1] as vLLM takes it; 0.99 and 1 accepted, 1.0001, 0, 1e308, hex refused', () => {
    for (const good of ['0.99', '0.991', '1', '1.0', '0.01', '.5', '5e-1']) {
      expect(parseKnobs({ gpuMemoryUtilization: good })).toMatchObject({ ok: true });
    }
    expect(parseKnobs({ gpuMemoryUtilization: '0.991' })).toEqual({ ok: true, knobs: { gpuMemoryUtilization: 0.991 } });
    for (const bad of ['1.0001', '0', '-0.5', '1e308', 'Infinity', 'NaN', '0x1', '', ' ']) {
      const r = parseKnobs({ gpuMemoryUtilization: bad });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/^--gpu-memory-utilization: ".*" is not a fraction between 0 and 1/);
    }
  });

  it('--swap-space: 0 to 1024 GiB', () => {
    expect(parseKnobs({ swapSpace: '0' })).toEqual({ ok: true, knobs: { swapSpaceGiB: 0 } });
    expect(parseKnobs({ swapSpace: '1024' })).toEqual({ ok: true, knobs: { swapSpaceGiB: 1024 } });
    for (const bad of ['1024.001', '-1', '1e308', 'Infinity', '0x4']) {
      expect(parseKnobs({ swapSpace: bad })).toEqual({
        ok: false,
        message: `--swap-space: "${bad}" is not a size in GiB from 0 to 1024 (e.g. 0)`,
      });
    }
  });

  it('--kv-cache-memory-bytes: 1 byte to 4T (4 TiB); past it, or past 2^53, refused — never Infinity in the command', () => {
    expect(parseKnobs({ kvCacheMemoryBytes: '1' })).toEqual({ ok: true, knobs: { kvCacheMemoryBytes: 1 } });
    expect(parseKnobs({ kvCacheMemoryBytes: '4T' })).toEqual({ ok: true, knobs: { kvCacheMemoryBytes: 4 * 2 ** 40 } });
    expect(parseKnobs({ kvCacheMemoryBytes: String(4 * 2 ** 40) })).toMatchObject({ ok: true });
    for (const bad of [String(4 * 2 ** 40 + 1), '0', '1e308', '9007199254740993', 'Infinity', '5T']) {
      expect(parseKnobs({ kvCacheMemoryBytes: bad })).toEqual({
        ok: false,
        message: `--kv-cache-memory-bytes: "${bad}" is not a byte size from 1 to 4T (e.g. 2G = 2 GiB, 512M, or 2147483648)`,
      });
    }
  });

  it("--block-size: one of vLLM's sizes", () => {
    expect(parseKnobs({ blockSize: '128' })).toEqual({ ok: true, knobs: { blockSize: 128 } });
    expect(parseKnobs({ blockSize: '256' }).ok).toBe(false);
    expect(parseKnobs({ blockSize: '1e308' }).ok).toBe(false);
  });

  it('--device-memory: 0.5 to 4096 GiB (1e-300 would be a board with 0 bytes: NaN everywhere)', () => {
    const device = (text: string) => {
      const r = resolve({ deviceMemory: text });
      return r.ok ? r.request.device.memTotalBytes : null;
    };
    expect(device('0.5')).toBe(0.5 * GiB);
    expect(device('4096')).toBe(4096 * GiB);
    for (const bad of ['0.49', '4096.01', '1e-300', '1e308', 'Infinity', '0x10', '0']) {
      expect(messageOf({ deviceMemory: bad })).toBe(
        `--device-memory: "${bad}" is not a size in GiB from 0.5 to 4096 (e.g. 15.3)`,
      );
    }
  });
});

describe("the planner's own --gpu-memory-utilization: rounded up, capped at 0.99", () => {
  it('0.99 stays 0.99; 0.98000001 rounds up to 0.99; 0.991 (and 1.2) is capped at 0.99, never 1', () => {
    expect(MAX_PLANNED_UTILIZATION).toBe(0.99);
    expect(chooseUtilization(0.99)).toBe(0.99);
    expect(chooseUtilization(0.98)).toBe(0.98);
    expect(chooseUtilization(0.98000001)).toBe(0.99);
    expect(chooseUtilization(0.9900001)).toBe(0.99);
    expect(chooseUtilization(0.991)).toBe(0.99);
    expect(chooseUtilization(1.2)).toBe(0.99);
    expect(chooseUtilization(0.01)).toBe(0.05);
  });

  it('a model that needs (nearly) all the memory is planned at 0.99, and the user may still give 1', () => {
    // vLLM 0.6.3 has no --kv-cache-memory-bytes: the planner sizes the cache through the utilization.
    const opts: PlanOptions = {
      device: 'orin-nano-8gb',
      model: 'qwen2-7b-instruct',
      quant: 'gguf-q4_k_m',
      vllmVersion: '0.6.3',
    };
    for (const len of ['4096', '16384', '32768']) {
      const plan = planFor({ ...opts, maxModelLen: len });
      expect(plan.settings.gpuMemoryUtilization).toBeLessThanOrEqual(0.99);
    }
    const big = planFor({ ...opts, maxModelLen: '32768', maxNumSeqs: '8' });
    expect(big.settings.gpuMemoryUtilization).toBe(0.99);
    const user = planFor({ ...opts, gpuMemoryUtilization: '1' });
    expect(user.settings.gpuMemoryUtilization).toBe(1);
  });
});

describe('the last guard: no argv with a number that is not finite', () => {
  it('findBadArgvNumber names the flag, never the value', () => {
    expect(
      findBadArgvNumber(['vllm', 'serve', 'm', '--max-model-len', '4096', '--gpu-memory-utilization', '0.9']),
    ).toBeNull();
    expect(findBadArgvNumber(['vllm', 'serve', 'm', '--swap-space', '1e-7'])).toBeNull();
    for (const [flag, value] of [
      ['--kv-cache-memory-bytes', 'Infinity'],
      ['--kv-cache-memory-bytes', 'NaN'],
      ['--max-model-len', '1e+21'],
      ['--max-num-seqs', '4.5'],
      ['--gpu-memory-utilization', 'NaN'],
      ['--swap-space', '-Infinity'],
      ['--port', '9007199254740993'],
    ] as const) {
      const problem = findBadArgvNumber(['vllm', 'serve', 'm', flag, value]);
      expect(problem).toMatch(new RegExp(`^${flag} would be given a value that is not a .*: this is a bug`));
      expect(problem).not.toMatch(/Infinity|NaN/);
    }
  });

  it('buildPlan refuses an architecture that slipped past the checks (here, built by hand) instead of printing Infinity', () => {
    const { request } = requestAndPlanFor(base);
    const arch = { ...request.model.arch, layers: Number.POSITIVE_INFINITY };
    const outcome = buildPlan({ ...request, model: { ...request.model, arch } }, catalog);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.message).toMatch(/would be given a value that is not a .*this is a bug/);
      expect(outcome.message).not.toMatch(/Infinity|NaN/);
    }
  });
});

describe('the docker run builder: one for the plan and the launcher', () => {
  const parts = {
    options: ['--runtime', 'nvidia', '-e', 'HF_TOKEN'],
    image: 'img:tag',
    command: ['vllm', 'serve', 'm'],
  };
  it('attached: --rm and the name, never -it; detached: -d and the name, no restart policy (set once ready)', () => {
    expect(buildDockerRunArgv(parts, { name: 'n', isDetached: false })).toEqual([
      'docker',
      'run',
      '--rm',
      '--name',
      'n',
      '--runtime',
      'nvidia',
      '-e',
      'HF_TOKEN',
      'img:tag',
      'vllm',
      'serve',
      'm',
    ]);
    expect(buildDockerRunArgv(parts, { name: 'n', isDetached: true })).toEqual([
      'docker',
      'run',
      '-d',
      '--name',
      'n',
      '--runtime',
      'nvidia',
      '-e',
      'HF_TOKEN',
      'img:tag',
      'vllm',
      'serve',
      'm',
    ]);
  });

  it("the plan's docker argv is the builder's attached argv, named for its port", () => {
    const docker = buildDockerArgv(
      'img:tag',
      ['vllm', 'serve', 'm', '--port', '9000'],
      '/hf',
      null,
      'jetson-vllm-m-9000',
    );
    expect(docker.slice(0, 5)).toEqual(['docker', 'run', '--rm', '--name', 'jetson-vllm-m-9000']);
    expect(docker).not.toContain('-it');
    const plan = planFor({ ...base, port: '9000' });
    expect(plan.dockerArgv?.slice(0, 5)).toEqual([
      'docker',
      'run',
      '--rm',
      '--name',
      'jetson-vllm-qwen2.5-0.5b-instruct-9000',
    ]);
    expect(planFor(base).dockerArgv?.[4]).toBe('jetson-vllm-qwen2.5-0.5b-instruct-8000');
  });
});
