/** plan names the real holder of memory when "OS and other processes" is the largest item (holders.ts). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeMemoryHolders } from '../../../src/plan/core/holders.js';
import { buildPlan } from '../../../src/plan/core/plan.js';
import { GiB } from '../../../src/shared/units.js';
import { loadTestCatalog, requestAndPlanFor, ROOT } from '../../helpers/catalog.js';
import { runCli } from '../../helpers/cli.js';

const catalog = loadTestCatalog();

/** The AGX Orin 64 GB plan of qwen2.5-14b-instruct with the OS holding `osGiB` (the jp72 root holds 45.23). */
function busy(osGiB: number) {
  const { request } = requestAndPlanFor({ device: 'agx-orin-64gb', model: 'qwen2.5-14b-instruct' });
  const busyRequest = { ...request, device: { ...request.device, osUsedBytes: osGiB * GiB } };
  const outcome = buildPlan(busyRequest, catalog);
  if (!outcome.ok) throw new Error(outcome.message);
  return { request: busyRequest, plan: outcome.plan };
}

describe('describeMemoryHolders', () => {
  it('the named processes: stop the largest and it fits, with the tokens it then gets', () => {
    const { request, plan } = busy(45.23);
    expect(plan.verdict).toBe('oom');
    const lines = describeMemoryHolders(plan, request, catalog, {
      processes: [
        { name: 'VLLM::EngineCor', bytes: 7.1 * GiB },
        { name: 'ollama', bytes: 12 * GiB },
        { name: 'sshd', bytes: 0.2 * GiB },
      ],
      nvmapBytes: 29 * GiB,
    });
    expect(lines[0]).toBe(
      'The largest item is the OS and other processes: 45.23 GiB of 61.37 GiB, 29.00 GiB of it GPU memory held by other processes (NvMapMemUsed).',
    );
    expect(lines[1]).toBe('Largest processes: ollama 12.00 GiB, VLLM::EngineCor 7.10 GiB.');
    expect(lines[2]).toMatch(
      /^Stop ollama \(12\.00 GiB\) and VLLM::EngineCor \(7\.10 GiB\) and it fits(, tight,)? with \d+ tokens \(\d+ sequences?\); jetson-vllm doctor lists the rest\.$/,
    );
  });

  it('nothing when the OS is not the largest item, or on a discrete GPU', () => {
    const { request, plan } = requestAndPlanFor({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'awq' });
    expect(describeMemoryHolders(plan, request, catalog, null)).toEqual([]);
    const gpu = requestAndPlanFor({ device: 'rtx-4090', model: 'qwen2-7b-instruct', quant: 'awq' });
    expect(describeMemoryHolders(gpu.plan, gpu.request, catalog, null)).toEqual([]);
  });

  it('without a process list: down to a typical OS', () => {
    const { request, plan } = busy(45.23);
    const lines = describeMemoryHolders(plan, request, catalog, null);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^Freed down to a typical 1\.20 GiB for the OS, it fits with \d+ tokens/);
  });
});

describe('plan on the busy AGX Orin 64 GB root (built CLI)', () => {
  it('says first that the OS and other processes hold 45.23 GiB, 29.00 GiB of it NvMap, and what freeing it allows', () => {
    const r = runCli([
      'plan',
      '--root',
      path.join(ROOT, 'test', 'fixtures', 'roots', 'agx-orin-64gb-jp72'),
      '--model',
      'qwen2.5-14b-instruct',
    ]);
    expect(r.code).toBe(3);
    const lines = r.stdout.split('\n');
    expect(lines[3]).toBe(
      'The largest item is the OS and other processes: 45.23 GiB of 61.34 GiB, 29.00 GiB of it GPU memory held by other processes (NvMapMemUsed).',
    );
    expect(lines[4]).toMatch(
      /^Free that GPU memory \(stop the processes that hold it; jetson-vllm doctor shows how\) and it fits with \d+ tokens/,
    );
    // Before the table.
    expect(r.stdout.indexOf('The largest item')).toBeLessThan(r.stdout.indexOf('OS and other processes  '));
  });
});
