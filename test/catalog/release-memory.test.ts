/**
 * MemTotal per JetPack release (presets/devices.yaml memTotalByRelease): the figures recorded, the lookup, and a plan
 * made off the board for a named release (`--jetpack`) that uses that release's MemTotal.
 */
import { describe, expect, it } from 'vitest';
import { findReleaseMemTotal, parseReleaseRef } from '../../src/catalog/core/release-memory.js';
import { resolvePlanRequest } from '../../src/plan/core/request.js';
import { loadTestCatalog, planFor } from '../helpers/catalog.js';

const catalog = loadTestCatalog();
const device = (id: string) => {
  const d = catalog.devices.find((x) => x.id === id);
  if (d === undefined) throw new Error(id);
  return d;
};
const MiB = 1048576;
const env = { detected: null, described: null, hfCacheDir: '/hf', workDir: '/work' };

describe('the releases recorded', () => {
  it('Orin NX 16GB on JetPack 6.2 (L4T 36.4.3): 15368 MiB = 16,114,515,968 B', () => {
    const e = findReleaseMemTotal(device('orin-nx-16gb'), { kind: 'jetpack', version: '6.2' });
    expect(e?.memTotalBytes).toBe(15368 * MiB);
    expect(e?.memTotalBytes).toBe(16_114_515_968);
    expect(e?.l4t).toBe('36.4.3');
    // The preset's default stays the CUDA total of the seed log (15.29 GiB), which the recorded cases were run with.
    expect(device('orin-nx-16gb').memTotalBytes).toBe(16_417_492_992);
  });
  it('AGX Orin 64GB: 62841 MiB on JetPack 6.2.1, 62817 MiB on JetPack 7.2 (L4T r39.2)', () => {
    const orin = device('agx-orin-64gb');
    expect(findReleaseMemTotal(orin, { kind: 'jetpack', version: '6.2.1' })?.memTotalBytes).toBe(62841 * MiB);
    expect(findReleaseMemTotal(orin, { kind: 'jetpack', version: '7.2' })?.memTotalBytes).toBe(62817 * MiB);
    expect(findReleaseMemTotal(orin, { kind: 'l4t', version: '39.2' })?.memTotalBytes).toBe(62817 * MiB);
    expect(findReleaseMemTotal(orin, { kind: 'jetpack', version: '7.1' })).toBeNull();
  });
  it('every recorded figure is within 5 % of the preset default (a carve-out moves, the module does not)', () => {
    for (const d of catalog.devices)
      for (const e of d.memTotalByRelease) expect(Math.abs(e.memTotalBytes / d.memTotalBytes - 1)).toBeLessThan(0.05);
  });
});

describe('--jetpack values', () => {
  it('a JetPack version, or an L4T one with its r; 6.2 and 6.2.0 are the same release', () => {
    expect(parseReleaseRef('6.2')).toEqual({ kind: 'jetpack', version: '6.2' });
    expect(parseReleaseRef('r36.4.3')).toEqual({ kind: 'l4t', version: '36.4.3' });
    expect(parseReleaseRef('six')).toBeNull();
    expect(parseReleaseRef('6')).toBeNull();
    const nx = device('orin-nx-16gb');
    expect(findReleaseMemTotal(nx, { kind: 'jetpack', version: '6.2.0' })?.memTotalBytes).toBe(15368 * MiB);
  });
});

describe('a plan off the board for a named release', () => {
  const base = { device: 'orin-nx-16gb', model: 'qwen3-4b', quant: 'awq', maxModelLen: '8192' };
  it('--jetpack 6.2 plans Orin NX 16GB with 15368 MiB and says whose figure it is', () => {
    const p = planFor({ ...base, jetpack: '6.2' });
    expect(p.device.memTotalBytes).toBe(16_114_515_968);
    expect(p.budget.limitBytes).toBe(16_114_515_968);
    expect(p.notes.some((n) => n.startsWith('MemTotal 15368 MiB as JetPack 6.2 (L4T r36.4.3)'))).toBe(true);
    // The same plan without --jetpack uses the preset's 15.29 GiB: 303 MiB more to plan with.
    const plain = planFor(base);
    expect(plain.device.memTotalBytes - p.device.memTotalBytes).toBe(16_417_492_992 - 16_114_515_968);
  });
  it('--jetpack r36.4.3 names the same release by its L4T', () => {
    expect(planFor({ ...base, jetpack: 'r36.4.3' }).device.memTotalBytes).toBe(16_114_515_968);
  });
  it('a release with no figure keeps the preset figure and says so; --device-memory still wins', () => {
    const p = planFor({ ...base, jetpack: '7.2' });
    expect(p.device.memTotalBytes).toBe(16_417_492_992);
    expect(p.notes).toContain(
      "no MemTotal is recorded for Jetson Orin NX 16GB on JetPack 7.2: the preset's 15657 MiB is used (recorded: JetPack 6.2); run on the board to measure it",
    );
    const what = planFor({ ...base, jetpack: '6.2', deviceMemory: '14' });
    expect(what.device.memTotalBytes).toBe(14 * 1024 * MiB);
  });
  it('refuses a value that is no release, and a discrete GPU', () => {
    const bad = resolvePlanRequest({ ...base, jetpack: 'six' }, catalog, env);
    expect(bad).toEqual({
      ok: false,
      message: '--jetpack: "six" is not a JetPack release (e.g. 6.2, 7.2) or an L4T one (r36.4.3)',
    });
    const gpu = resolvePlanRequest({ ...base, device: 'rtx-3090', jetpack: '6.2' }, catalog, env);
    expect(gpu).toEqual({ ok: false, message: '--jetpack: rtx-3090 is not a Jetson' });
  });
});
