import { describe, expect, it } from 'vitest';
import { findDiscretePreset, identifyDevice } from '../../../src/device/core/identify.js';
import { known, unknown, type SystemFacts } from '../../../src/device/core/system-facts.js';
import { GiB } from '../../../src/shared/units.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();

function facts(over: Partial<SystemFacts>): SystemFacts {
  const none = unknown<never>('not in this test');
  return {
    root: '/',
    areCommandsChecked: true,
    isJetson: false,
    model: none,
    moduleParts: none,
    carrier: none,
    soc: none,
    l4t: none,
    jetpack: none,
    cuda: none,
    os: none,
    memTotalBytes: none,
    memAvailableBytes: none,
    memFreeBytes: none,
    nvmapBytes: none,
    swaps: none,
    powerMode: none,
    areClocksPinned: none,
    defaultTarget: none,
    displayManagers: none,
    processes: none,
    docker: { isInstalled: none, daemon: none, isUserInGroup: none, hasNvidiaRuntime: none, rootDir: none },
    hfCacheDir: none,
    disks: none,
    gpus: none,
    vllmVersion: none,
    ...over,
  };
}

describe('identifyDevice', () => {
  it('maps a part number onto its preset, with measured memory and OS use', () => {
    const id = identifyDevice(
      facts({
        isJetson: true,
        moduleParts: known(['p3767-0000'], '/proc/device-tree/compatible'),
        soc: known('t234', '/proc/device-tree/compatible'),
        memTotalBytes: known(15 * GiB, '/proc/meminfo MemTotal'),
        memAvailableBytes: known(13 * GiB, '/proc/meminfo MemAvailable'),
      }),
      catalog,
    );
    expect(id.presetId).toBe('orin-nx-16gb');
    expect(id.source).toBe('part number p3767-0000 in /proc/device-tree/compatible');
    expect(id.isFamilyOnly).toBe(false);
    expect(id.device).toMatchObject({
      memTotalBytes: 15 * GiB,
      osUsedBytes: 2 * GiB,
      source: 'detected',
      isUnified: true,
    });
  });

  it('decides the ambiguous AGX Orin devkit part p3701-0000 by MemTotal', () => {
    const big = identifyDevice(
      facts({ isJetson: true, moduleParts: known(['p3701-0000'], 'x'), memTotalBytes: known(61 * GiB, 'x') }),
      catalog,
    );
    expect(big.presetId).toBe('agx-orin-64gb');
    const small = identifyDevice(
      facts({ isJetson: true, moduleParts: known(['p3701-0000'], 'x'), memTotalBytes: known(29.8 * GiB, 'x') }),
      catalog,
    );
    expect(small.presetId).toBe('agx-orin-32gb');
  });

  it('degrades an unknown part number to the family, labelled so, never a guess stated as fact', () => {
    const id = identifyDevice(
      facts({
        isJetson: true,
        moduleParts: known(['p3767-0099'], 'x'),
        soc: known('t234', 'x'),
        memTotalBytes: known(7.44 * GiB, 'x'),
      }),
      catalog,
    );
    expect(id.name).toBe('Orin family (unknown module p3767-0099)');
    expect(id.isFamilyOnly).toBe(true);
    expect(id.source).toMatch(
      /^SoC t234 \+ MemTotal 7\.4 GiB: planned as orin-(nano|nx)-8gb \(the module itself is not known\)$/,
    );
  });

  it('a Jetson with no readable module or SoC has no preset', () => {
    const id = identifyDevice(
      facts({ isJetson: true, model: known('NVIDIA Jetson Orin NX Developer Kit', '/proc/device-tree/model') }),
      catalog,
    );
    expect(id).toMatchObject({ kind: 'jetson', presetId: null, device: null });
  });

  it('a desktop GPU from nvidia-smi maps onto its preset by name and memory', () => {
    const gpu = {
      name: 'NVIDIA GeForce RTX 4090',
      memTotalBytes: 24564 * 1024 ** 2,
      computeCapability: '8.9',
      driverVersion: '550.54.14',
    };
    const id = identifyDevice(facts({ gpus: known([gpu], 'nvidia-smi') }), catalog);
    expect(id).toMatchObject({ kind: 'discrete', presetId: 'rtx-4090', name: 'NVIDIA GeForce RTX 4090' });
    expect(id.device?.memTotalBytes).toBe(24564 * 1024 ** 2);
    expect(id.device?.isUnified).toBe(false);
  });

  it('an unknown GPU is planned from what nvidia-smi reports', () => {
    const gpu = {
      name: 'NVIDIA L40S',
      memTotalBytes: 46068 * 1024 ** 2,
      computeCapability: '8.9',
      driverVersion: '550',
    };
    const id = identifyDevice(facts({ gpus: known([gpu], 'nvidia-smi') }), catalog);
    expect(id.presetId).toBeNull();
    expect(id.device).toMatchObject({ id: 'detected-gpu', computeCapability: '8.9', memTotalBytes: 46068 * 1024 ** 2 });
  });

  it('no Jetson and no GPU: kind none', () => {
    expect(
      identifyDevice(facts({ gpus: unknown('no NVIDIA GPU: nvidia-smi is not installed') }), catalog),
    ).toMatchObject({ kind: 'none', device: null });
  });

  it.each([
    ['NVIDIA A100-SXM4-80GB', 79.15 * GiB, 'a100-80gb'],
    ['NVIDIA A100-PCIE-40GB', 39.4 * GiB, 'a100-40gb'],
    ['NVIDIA GeForce RTX 2080 Ti', 10.75 * GiB, 'rtx-2080-ti'],
    ['NVIDIA A10G', 22.2 * GiB, 'a10g'],
    ['NVIDIA L4', 22 * GiB, 'l4'],
  ])('%s → %s', (name, mem, id) => {
    expect(findDiscretePreset(name, mem, catalog)?.id).toBe(id);
  });
  it('whole tokens only: an L40S is not an L4', () => {
    expect(findDiscretePreset('NVIDIA L40S', 44 * GiB, catalog)).toBeUndefined();
  });
});

describe('the memory tolerance of identification by SoC (|preset − MemTotal| ≤ 10 % of MemTotal)', () => {
  const nano = catalog.devices.find((d) => d.id === 'orin-nano-8gb');
  if (nano === undefined) throw new Error('orin-nano-8gb preset missing');
  /** A catalog whose only t234 preset has `presetBytes`, so the closest is always it. */
  const only = (presetBytes: number) => ({
    ...catalog,
    devices: [...catalog.devices.filter((d) => d.soc !== 't234'), { ...nano, memTotalBytes: presetBytes }],
  });
  const identify = (presetBytes: number, memTotal: number) =>
    identifyDevice(
      facts({ isJetson: true, soc: known('t234', 'x'), memTotalBytes: known(memTotal, '/proc/meminfo MemTotal') }),
      only(presetBytes),
    ).presetId;

  it('MemTotal below the preset: exactly 10 % of MemTotal away is taken, one byte further is not', () => {
    // preset 11 GiB, MemTotal 10 GiB: 1 GiB apart = 10 % of MemTotal, exactly.
    expect(identify(11 * GiB, 10 * GiB)).toBe('orin-nano-8gb');
    expect(identify(11 * GiB, 10 * GiB - 1)).toBeNull();
  });

  it('MemTotal above the preset: exactly 10 % of MemTotal away is taken, one byte further is not', () => {
    // preset 9 GiB, MemTotal 10 GiB: 1 GiB apart = 10 % of MemTotal, exactly.
    expect(identify(9 * GiB, 10 * GiB)).toBe('orin-nano-8gb');
    expect(identify(9 * GiB, 10 * GiB + 1)).toBeNull();
  });
});
