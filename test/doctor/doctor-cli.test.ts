/** `jetson-vllm doctor` and detection through the built CLI, on fake board roots (commands skipped). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/catalog.js';
import { runCli } from '../helpers/cli.js';

const root = (board: string): string => path.join(ROOT, 'test', 'fixtures', 'roots', board);

interface Report {
  device: Record<string, { value: unknown; source: string }>;
  checks: { id: string; status: string; summary: string; fix: string | null }[];
}

describe('jetson-vllm doctor (built CLI)', () => {
  it('--json on the Orin NX 16 GB root: the device with sources, checks, exit 0', () => {
    const r = runCli(['doctor', '--json', '--root', root('orin-nx-16gb-jp62')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    for (const key of [
      'id',
      'name',
      'module',
      'partNumber',
      'soc',
      'l4t',
      'jetpack',
      'cuda',
      'memTotalBytes',
      'memAvailableBytes',
    ]) {
      expect(report.device[key], key).toHaveProperty('source');
    }
    expect(report.device.id).toEqual({
      value: 'orin-nx-16gb',
      source: 'part number p3767-0000 in /proc/device-tree/compatible',
    });
    expect(report.device.l4t).toEqual({ value: '36.4.3', source: '/etc/nv_tegra_release' });
    expect(report.device.jetpack?.value).toBe('6.2');
    expect(report.device.powerMode?.source).toBe('not checked (commands are skipped with --root)');
    const statuses = new Set(report.checks.map((c) => c.status));
    expect([...statuses].every((s) => ['pass', 'warn', 'fail', 'skipped'].includes(s))).toBe(true);
    expect(report.checks.find((c) => c.id === 'power-mode')?.status).toBe('skipped');
  });

  it('a Nano: the failing checks give exit 1 and each failure carries a fix', () => {
    const r = runCli(['doctor', '--root', root('nano-jp46')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}device +Jetson Nano.*vLLM cannot run here/m);
    const fails = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
    expect(fails.length).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/fix: {3}use an Orin module/);
  });

  it('plan without --device plans for the detected board with its measured memory', () => {
    const r = runCli(['plan', '--model', 'qwen2.5-1.5b-instruct', '--root', root('orin-nx-16gb-jp62'), '--json']);
    expect(r.stderr).toBe('');
    const plan = JSON.parse(r.stdout) as {
      device: { id: string; source: string; memTotalBytes: number };
      budget: { items: { key: string; bytes: number; isEstimate: boolean }[] };
    };
    expect(plan.device).toMatchObject({ id: 'orin-nx-16gb', source: 'detected', memTotalBytes: 16417492992 });
    const os = plan.budget.items.find((i) => i.key === 'os');
    // MemTotal − MemAvailable of the root's /proc/meminfo, measured, not assumed.
    expect(os).toMatchObject({ bytes: 16417492992 - 14923419648, isEstimate: false });
  });

  it('a damaged root never crashes: unknowns with reasons', () => {
    const r = runCli(['doctor', '--json', '--root', root('damaged')]);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Report;
    expect(report.device.l4t?.value).toBeNull();
    expect(report.device.l4t?.source).toMatch(/nv_tegra_release/);
    expect(report.device.partNumber?.value).toBeNull();
  });

  it('a root that does not exist: one line, exit 2', () => {
    const r = runCli(['doctor', '--json', '--root', '/nonexistent-board']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "jetson-vllm: --root: /nonexistent-board is not a folder (give the folder a board's files were copied into)",
    );
  });
});
