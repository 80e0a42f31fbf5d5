/**
 * Detection on fake board roots (test/fixtures/roots/, built from test/fixtures/recorded/devices.json and
 * reference/jetson-platform.md): files read under the root, commands answered from recorded output.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Check } from '../../src/doctor/core/checks.js';
import { examineSystem } from '../../src/doctor/doctor-command.js';
import { identifyDevice } from '../../src/device/core/identify.js';
import { detectSystem } from '../../src/device/detect.js';
import { createFileHost } from '../../src/device/host.js';
import { run } from '../../src/process/exec.js';
import { GiB, MiB } from '../../src/shared/units.js';
import { loadTestCatalog, ROOT } from '../helpers/catalog.js';
import { recordedHost, ROOTS } from '../helpers/recorded-host.js';

const catalog = loadTestCatalog();

async function examine(board: string) {
  const host = recordedHost(board);
  const { facts, identification, checks } = await examineSystem(host, catalog);
  const status = (id: string): Check['status'] | undefined => checks.find((c) => c.id === id)?.status;
  return { facts, identification, checks, status, host };
}

describe.each([
  // board, preset, L4T, JetPack, MemTotal MiB
  ['nano-jp46', 'nano-4gb', '32.7.1', '4.6.1', 3964],
  ['tx2-jp46', 'tx2', '32.7.', '4.6.', 7854],
  ['xavier-nx-jp51', 'xavier-nx-8gb', '35.3.1', '5.1.1', 6854],
  ['orin-nano-8gb-jp62', 'orin-nano-8gb', '36.4.3', '6.2', 7620],
  ['orin-nx-16gb-jp62', 'orin-nx-16gb', '36.4.3', '6.2', null],
  ['agx-orin-64gb-jp72', 'agx-orin-64gb', '39.2.0', '7.2', 62817],
  ['agx-thor-jp70', 'agx-thor', '38.2.0', '7.0', 125748],
])('%s', (board, preset, l4t, jetpack, memMiB) => {
  it(`is ${preset}, L4T ${l4t}, JetPack ${jetpack}`, async () => {
    const { facts, identification } = await examine(board);
    expect(facts.isJetson).toBe(true);
    expect(identification.presetId).toBe(preset);
    expect(identification.isFamilyOnly).toBe(false);
    expect(facts.l4t.value?.startsWith(l4t)).toBe(true);
    expect(facts.jetpack.value?.startsWith(jetpack)).toBe(true);
    if (memMiB !== null) expect(facts.memTotalBytes.value).toBe(memMiB * MiB);
    else {
      // The Orin NX root's MemTotal is the preset's total in whole kB (what /proc/meminfo prints).
      const presetBytes = catalog.devices.find((d) => d.id === preset)?.memTotalBytes ?? NaN;
      expect(facts.memTotalBytes.value).toBe(Math.floor(presetBytes / 1024) * 1024);
    }
    expect(identification.device?.osUsedBytes).toBeGreaterThan(0);
    expect(facts.memTotalBytes.source).toBe('/proc/meminfo MemTotal');
  });
});

describe('doctor on the boards', () => {
  it('Nano (JetPack 4.6): vLLM cannot run; JetPack too old for any image', async () => {
    const { status, checks } = await examine('nano-jp46');
    expect(status('device')).toBe('fail');
    expect(checks.find((c) => c.id === 'device')?.summary).toMatch(/vLLM cannot run here/);
    expect(status('jetpack')).toBe('fail');
    expect(status('swap')).toBe('warn');
  });

  it('TX2 and Xavier NX: vLLM cannot run', async () => {
    expect((await examine('tx2-jp46')).status('device')).toBe('fail');
    expect((await examine('xavier-nx-jp51')).status('device')).toBe('fail');
    expect((await examine('tx2-jp46')).status('power-mode')).toBe('warn');
  });

  it('Orin Nano 8 GB: desktop running (measured), zram only, not MAXN, not in the docker group, cache on the SD card', async () => {
    const { status, checks } = await examine('orin-nano-8gb-jp62');
    expect(status('device')).toBe('pass');
    expect(status('jetpack')).toBe('pass');
    expect(status('desktop')).toBe('warn');
    expect(checks.find((c) => c.id === 'desktop')?.summary).toMatch(/holding \d+ MiB now/);
    expect(checks.find((c) => c.id === 'desktop')?.fix).toContain('systemctl set-default multi-user.target');
    expect(status('swap')).toBe('warn');
    expect(checks.find((c) => c.id === 'swap')?.summary).toMatch(/swap never holds GPU memory/);
    expect(status('power-mode')).toBe('warn');
    expect(status('docker')).toBe('warn');
    expect(checks.find((c) => c.id === 'docker')?.fix).toContain('usermod -aG docker');
    expect(status('hf-cache-medium')).toBe('warn');
  });

  it('Orin NX 16 GB (the good board): nothing fails or warns', async () => {
    const { checks } = await examine('orin-nx-16gb-jp62');
    // Every check passes; only "predictions" is skipped (no launch recorded in this test).
    const notPass = checks.filter((c) => c.status !== 'pass');
    expect(notPass.map((c) => [c.id, c.status])).toEqual([['predictions', 'skipped']]);
  });

  it('AGX Orin 64 GB on JetPack 7.2: other GPU users (ollama, a second vLLM), experimental JetPack', async () => {
    const { status, checks } = await examine('agx-orin-64gb-jp72');
    expect(status('gpu-users')).toBe('warn');
    expect(checks.find((c) => c.id === 'gpu-users')?.summary).toMatch(
      /ollama \d+ MiB.*vllm \d+ MiB|vllm \d+ MiB.*ollama \d+ MiB/,
    );
    expect(status('jetpack')).toBe('warn');
  });

  it('AGX Thor: 120W mode is not MAXN; no NvMapMemUsed', async () => {
    const { status, facts } = await examine('agx-thor-jp70');
    expect(status('device')).toBe('pass');
    expect(status('power-mode')).toBe('warn');
    expect(facts.nvmapBytes.value).toBeNull();
  });
});

describe('not a Jetson', () => {
  it('an x86 box with an RTX 4090: nvidia-smi (a fixture program on PATH) gives the preset', async () => {
    const bin = path.join(ROOT, 'test', 'fixtures', 'bin');
    const host = createFileHost(
      path.join(ROOTS, 'x86-rtx4090'),
      (cmd, args) => run(cmd, args, { env: { PATH: `${bin}:${path.dirname(process.execPath)}` } }),
      {},
      '/home/dev',
    );
    const facts = await detectSystem(host);
    expect(facts.isJetson).toBe(false);
    const id = identifyDevice(facts, catalog);
    expect(id).toMatchObject({ kind: 'discrete', presetId: 'rtx-4090', name: 'NVIDIA GeForce RTX 4090' });
    expect(id.device?.memTotalBytes).toBe(24564 * MiB);
    expect(facts.l4t.value).toBeNull();
  });

  it('a plain x86 box: never reported as a Jetson; "no NVIDIA GPU"', async () => {
    const { facts, identification, status } = await examine('x86-plain');
    expect(facts.isJetson).toBe(false);
    expect(facts.jetpack.value).toBeNull();
    expect(identification.kind).toBe('none');
    expect(status('device')).toBe('fail');
    expect(status('jetpack')).toBe('skipped');
  });
});

describe('a damaged root', () => {
  it('gives "unknown" with the reason, never a crash', async () => {
    const { facts, identification, status } = await examine('damaged');
    expect(facts.isJetson).toBe(true);
    expect(facts.l4t.value).toBeNull();
    expect(facts.l4t.source).toMatch(/nv_tegra_release/);
    expect(facts.moduleParts.value).toBeNull();
    expect(facts.moduleParts.source).toMatch(/compatible: missing/);
    expect(facts.powerMode.value).toBeNull();
    expect(facts.powerMode.source).toMatch(/nvpmodel -q: failed \(exit 1\)/);
    expect(identification.presetId).toBeNull();
    expect(status('device')).toBe('warn');
  });

  it('--root skips commands and says so', async () => {
    const host = createFileHost(path.join(ROOTS, 'orin-nx-16gb-jp62'), null, {}, '/home/nvidia');
    const facts = await detectSystem(host);
    expect(facts.areCommandsChecked).toBe(false);
    expect(facts.powerMode.source).toBe('not checked (commands are skipped with --root)');
    expect(identifyDevice(facts, catalog).presetId).toBe('orin-nx-16gb');
    expect(facts.memTotalBytes.value).toBeGreaterThan(14 * GiB);
  });

  it('reads MemFree and carries it into the detected device (vLLM 0.6.3 sizes its KV cache near it)', async () => {
    const { facts, identification } = await examine('orin-nx-16gb-jp62-pagecache');
    expect(facts.memFreeBytes).toEqual({ value: 3928800 * 1024, source: '/proc/meminfo MemFree' });
    expect(identification.presetId).toBe('orin-nx-16gb');
    expect(identification.device?.memFreeBytes).toBe(3928800 * 1024);
    // Page cache is reclaimable: MemAvailable (and so the measured OS use) is the same as on the roomy copy.
    const roomy = await examine('orin-nx-16gb-jp62');
    expect(roomy.facts.memFreeBytes.value).toBe(12891424 * 1024);
    expect(identification.device?.osUsedBytes).toBe(roomy.identification.device?.osUsedBytes);
    const damaged = await examine('damaged');
    expect(damaged.identification.device?.memFreeBytes).toBeUndefined();
  });
});
