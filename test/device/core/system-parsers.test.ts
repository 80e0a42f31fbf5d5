/**
 * The system parsers and the L4T → JetPack table on real output: test/fixtures/recorded/devices.json (device-tree
 * strings, nv_tegra_release lines, jtop's L4T table, module part numbers, nvidia-smi on Jetson), plus recorded or
 * format-exact odd outputs written inline, each with a note saying where its format comes from.
 */
import { readFileSync } from 'node:fs';
import { recordedPath } from '../../helpers/recorded.js';
import { describe, expect, it } from 'vitest';
import {
  L4T_TO_JETPACK,
  compareL4t,
  expectedCudaForL4t,
  lookupJetpack,
  parseL4tVersion,
} from '../../../src/device/core/jetpack.js';
import {
  classifyDockerError,
  parseCompatible,
  parseCudaVersionJson,
  parseCudaVersionTxt,
  parseCudartFileName,
  parseDeviceTreeStrings,
  parseDf,
  parseDockerInfoJson,
  parseDpkgVersion,
  parseIdGroups,
  parseMeminfo,
  parseNvccVersion,
  parseNvidiaSmiGpuCsv,
  parseNvpmodelQuery,
  parseNvTegraRelease,
  parseOsRelease,
  parseProcMounts,
  parseProcSwaps,
  parsePs,
  parseSystemctlGetDefault,
  parseSystemctlIsActive,
  parseVllmVersionOutput,
  type CompatibleInfo,
} from '../../../src/device/core/system-parsers.js';

interface DevicesFixture {
  device_tree_models: { source_url: string; string: string; notes: string }[];
  nv_tegra_release: { source_url: string; line: string; device: string; notes: string }[];
  l4t_to_jetpack: { l4t: string; jetpack: string; source_url: string; notes: string }[];
  modules: { name: string; part_number?: string | null }[];
  nvidia_smi_on_jetson: { source_url: string; text: string; notes: string }[];
}

const devices = JSON.parse(readFileSync(recordedPath('devices.json'), 'utf8')) as DevicesFixture;

const KiB = 1024;

// ---------------------------------------------------------------------------------------------------------------
// Device tree
// ---------------------------------------------------------------------------------------------------------------

describe('parseDeviceTreeStrings', () => {
  it.each(devices.device_tree_models.map((m) => [m.string]))('reads the model %j with its NUL and newline', (model) => {
    expect(parseDeviceTreeStrings(`${model}\0`)).toEqual([model]);
    expect(parseDeviceTreeStrings(`${model}\0\n`)).toEqual([model]);
    expect(parseDeviceTreeStrings(model)).toEqual([model]);
  });

  it.each([
    ['nvidia,p3834-0008\0nvidia,tegra264\0', ['nvidia,p3834-0008', 'nvidia,tegra264']],
    ['a\0\0b\0', ['a', 'b']],
    ['\0\0\n', []],
    ['', []],
  ])('splits %j', (text, expected) => {
    expect(parseDeviceTreeStrings(text)).toEqual(expected);
  });
});

describe('parseCompatible', () => {
  /** "compatible: …" as quoted (NULs lost) in the fixture notes, keyed by source. */
  const compatibleFromNotes = (url: string): string => {
    const note = devices.device_tree_models.find((m) => m.source_url === url && m.notes.includes('compatible:'));
    const text = /compatible: ([^;]+)/.exec(note?.notes ?? '')?.[1];
    if (text === undefined) throw new Error(`no compatible string for ${url} in devices.json`);
    return text.trim();
  };

  const orinNano: CompatibleInfo = {
    moduleParts: ['p3767-0003', 'p3767-0005'],
    carrier: 'p3768-0000',
    soc: 't234',
    entries: [
      'nvidia,p3768-0000+p3767-0003',
      'nvidia,p3768-0000+p3767-0005',
      'nvidia,p3767-0003',
      'nvidia,p3767-0005',
      'nvidia,tegra234',
      'nvidia,tegra23x',
    ],
  };
  const thor: CompatibleInfo = {
    moduleParts: ['p3834-0008'],
    carrier: 'p4071-0000',
    soc: 't264',
    entries: ['nvidia,p4071-0000+p3834-0008', 'nvidia,p3834-0008', 'nvidia,tegra264'],
  };

  it('finds every compatible string quoted in the fixture notes', () => {
    const quoted = devices.device_tree_models.filter((m) => m.notes.includes('compatible:')).map((m) => m.source_url);
    expect(quoted).toEqual([
      'https://github.com/rbonghi/jetson_stats/issues/400',
      'https://github.com/rbonghi/jetson_stats/issues/711',
    ]);
  });

  it.each([
    ['Orin Nano, L4T 35.3.1 (jetson_stats #400)', 'https://github.com/rbonghi/jetson_stats/issues/400', orinNano],
    ['AGX Thor, L4T 38.2.0 (jetson_stats #711)', 'https://github.com/rbonghi/jetson_stats/issues/711', thor],
  ])('reads the NUL-less string of the %s', (_board, url, expected) => {
    const text = compatibleFromNotes(url);
    expect(parseCompatible(text)).toEqual(expected);
    // The same entries as the kernel gives them: NUL-separated and NUL-terminated.
    expect(parseCompatible(`${expected.entries.join('\0')}\0`)).toEqual(expected);
  });

  it.each<[string, string, CompatibleInfo]>([
    [
      // Reference §A.1 #2: an AGX Orin image whose list ends in the generic "nvidia,tegra23x".
      'AGX Orin devkit with nvidia,tegra23x',
      'nvidia,p3737-0000+p3701-0000\0nvidia,p3701-0000\0nvidia,tegra234\0nvidia,tegra23x\0',
      {
        moduleParts: ['p3701-0000'],
        carrier: 'p3737-0000',
        soc: 't234',
        entries: ['nvidia,p3737-0000+p3701-0000', 'nvidia,p3701-0000', 'nvidia,tegra234', 'nvidia,tegra23x'],
      },
    ],
    [
      // Jetson Nano B01 (`cat /proc/device-tree/compatible` in a public notes file): P-numbers carry "-b00".
      'Jetson Nano with board revisions',
      'nvidia,p3449-0000-b00+p3448-0000-b00\0nvidia,jetson-nano\0nvidia,tegra210\0',
      {
        moduleParts: ['p3448-0000'],
        carrier: 'p3449-0000',
        soc: 't210',
        entries: ['nvidia,p3449-0000-b00+p3448-0000-b00', 'nvidia,jetson-nano', 'nvidia,tegra210'],
      },
    ],
    [
      // The AGX Xavier list (public test data): the carrier+module entry is not first.
      'AGX Xavier',
      'nvidia,galen\0nvidia,jetson-xavier\0nvidia,p2822-0000+p2888-0001\0nvidia,tegra194\0',
      {
        moduleParts: ['p2888-0001'],
        carrier: 'p2822-0000',
        soc: 't194',
        entries: ['nvidia,galen', 'nvidia,jetson-xavier', 'nvidia,p2822-0000+p2888-0001', 'nvidia,tegra194'],
      },
    ],
    [
      'TX2 (no P-number at all)',
      'nvidia,quill\0nvidia,tegra186\0',
      { moduleParts: [], carrier: null, soc: 't186', entries: ['nvidia,quill', 'nvidia,tegra186'] },
    ],
    [
      'a Raspberry Pi',
      'raspberrypi,4-model-b\0brcm,bcm2711\0',
      { moduleParts: [], carrier: null, soc: null, entries: ['raspberrypi,4-model-b', 'brcm,bcm2711'] },
    ],
    ['nothing', '', { moduleParts: [], carrier: null, soc: null, entries: [] }],
  ])('reads %s', (_name, text, expected) => {
    expect(parseCompatible(text)).toEqual(expected);
  });

  it.each(
    devices.modules
      .map((m) => m.part_number)
      .filter((p): p is string => typeof p === 'string' && /^p\d{4}-\d{4}$/.test(p))
      .map((p) => [p]),
  )('takes the module %s from "nvidia,<part>"', (part) => {
    expect(parseCompatible(`nvidia,${part}\0`).moduleParts).toEqual([part]);
  });

  it('ignores the TK1 "r375-0001" part number, which is not a P-number', () => {
    expect(devices.modules.some((m) => m.part_number === 'r375-0001')).toBe(true);
    expect(parseCompatible('nvidia,r375-0001\0').moduleParts).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------------------------

describe('parseNvTegraRelease', () => {
  /** What each fixture line must give, and the JetPack its source states (null when not stated). */
  const expected: Record<string, { l4t: string; board: string; jetpack: string | null }> = {
    'https://github.com/rbonghi/jetson_stats/issues/400': { l4t: '35.3.1', board: 't186ref', jetpack: '5.1.1' },
    'https://github.com/ArduCAM/MIPI_Camera/issues/108': { l4t: '32.5.1', board: 't186ref', jetpack: null },
    'https://github.com/rbonghi/jetson_stats/issues/711': { l4t: '38.2.0', board: 'generic', jetpack: '7.0' },
    'https://github.com/rbonghi/jetson_stats/issues/791': { l4t: '36.4.7', board: 'generic', jetpack: '6.2.1' },
    'https://github.com/dusty-nv/jetson-containers/issues/678': { l4t: '36.4.0', board: 'generic', jetpack: '6.1' },
  };

  it('has an expectation for every fixture line', () => {
    expect(devices.nv_tegra_release.map((r) => r.source_url).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(devices.nv_tegra_release.map((r) => [r.line, r.source_url]))('reads %j', (line, url) => {
    const want = expected[url];
    expect(parseNvTegraRelease(line)).toEqual({ l4t: want?.l4t, board: want?.board });
    if (want?.jetpack != null) expect(lookupJetpack(want.l4t)).toEqual({ jetpack: want.jetpack, isExact: true });
  });

  it('reads only the first line of the JetPack 6 file (lines from jetson-containers #678)', () => {
    const line = devices.nv_tegra_release.find((r) => r.source_url.endsWith('/678'))?.line ?? '';
    const text = `${line}\nKERNEL_VARIANT: oot\nTARGET_USERSPACE_LIB_DIR=nvidia\nTARGET_USERSPACE_LIB_DIR_PATH=usr/lib/aarch64-linux-gnu/nvidia\n`;
    expect(parseNvTegraRelease(text)).toEqual({ l4t: '36.4.0', board: 'generic' });
  });

  it.each([
    // Reference §B.1 example with a patch level in REVISION.
    [
      '# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64',
      { l4t: '36.4.3', board: 'generic' },
    ],
    ['# R32 (release), REVISION: 7.1, GCID: 29689809, BOARD: t186ref', { l4t: '32.7.1', board: 't186ref' }],
    ['\r\n# R35 (release), REVISION: 6.0\r\n', { l4t: '35.6.0', board: null }],
    ['# R39 (release), REVISION: 2', { l4t: '39.2.0', board: null }],
    ['', null],
    ['cat: /etc/nv_tegra_release: No such file or directory', null],
    ['# R36 (release)', null],
    ['# KERNEL_VARIANT: oot\n# R36 (release), REVISION: 4.3', null],
  ])('reads %j', (text, want) => {
    expect(parseNvTegraRelease(text)).toEqual(want);
  });
});

describe('parseDpkgVersion', () => {
  it.each([
    // dpkg-query -W -f '${Version}' nvidia-l4t-core (reference §A.1 #10).
    ['36.4.3-20250107174145', '36.4.3'],
    // nvidia-jetpack: "6.2+b77" (reference §B.1), "6.1+b123" (jetson-containers #678), "4.6.2-b5" (TX2 apt-cache).
    ['6.2+b77', '6.2'],
    ['6.1+b123', '6.1'],
    ['4.6.2-b5', '4.6.2'],
    ['1:2.3-4', '2.3'],
    ['  36.4.3-20250107174145\n', '36.4.3'],
    ['', null],
    ['dpkg-query: no packages found matching nvidia-l4t-core', null],
  ])('reads %j', (text, want) => {
    expect(parseDpkgVersion(text)).toBe(want);
  });
});

describe('CUDA version sources', () => {
  it.each([
    // /usr/local/cuda/version.json shape (CUDA ≥ 11.1), trimmed to the keys read.
    [
      '{"cuda":{"name":"CUDA SDK","version":"12.6.68"},"cuda_nvcc":{"name":"CUDA NVCC","version":"12.6.68"}}',
      '12.6.68',
    ],
    ['{"cuda_cudart":{"version":"12.6.68"},"cuda_nvcc":{"name":"CUDA NVCC","version":"12.6.77"}}', '12.6.77'],
    ['{"cuda":{"version":12.6},"cuda_nvcc":{"version":"12.6.68"}}', '12.6.68'],
    ['{"cuda":{"version":"garbage"}}', null],
    ['{"cuda":', null],
    ['[]', null],
    ['null', null],
    ['', null],
  ])('parseCudaVersionJson(%j)', (text, want) => {
    expect(parseCudaVersionJson(text)).toBe(want);
  });

  it.each([
    // /usr/local/cuda/version.txt on JetPack 4 (reference §B.3).
    ['CUDA Version 10.2.89\n', '10.2.89'],
    ['CUDA Version 10.0.326', '10.0.326'],
    ['cat: /usr/local/cuda/version.txt: No such file or directory', null],
    ['', null],
  ])('parseCudaVersionTxt(%j)', (text, want) => {
    expect(parseCudaVersionTxt(text)).toBe(want);
  });

  it.each([
    [
      // `nvcc --version` (the release line is the one jtop reads, reference §B.3).
      'nvcc: NVIDIA (R) Cuda compiler driver\nCopyright (c) 2005-2024 NVIDIA Corporation\nCuda compilation tools, release 12.6, V12.6.68\n',
      '12.6.68',
    ],
    ['Cuda compilation tools, release 10.2, V10.2.300', '10.2.300'],
    ['Cuda compilation tools, release 13.0', '13.0'],
    ['bash: nvcc: command not found', null],
    ['', null],
  ])('parseNvccVersion(%j)', (text, want) => {
    expect(parseNvccVersion(text)).toBe(want);
  });

  it.each([
    ['libcudart.so.12.6.68', '12.6.68'],
    ['/usr/local/cuda/targets/aarch64-linux/lib/libcudart.so.12.6.68', '12.6.68'],
    ['libcudart.so.12', null],
    ['libcudart.so', null],
    ['libcudart_static.a', null],
    ['libcudart.so.12.6.68.bak', null],
    ['', null],
  ])('parseCudartFileName(%j)', (name, want) => {
    expect(parseCudartFileName(name)).toBe(want);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Memory and swap
// ---------------------------------------------------------------------------------------------------------------

/**
 * `cat /proc/meminfo` recorded on a Jetson TX2 8 GB (L4T 32.7, kernel 4.9.253-tegra) in a public set-up notes
 * file: NvMapMemUsed/NvMapMemFree are the Jetson-only lines, HugePages_* have no unit.
 */
const TX2_MEMINFO = `MemTotal:        8038788 kB
MemFree:         4851052 kB
MemAvailable:    5642288 kB
Buffers:           38972 kB
Cached:           879052 kB
SwapCached:            0 kB
Active:          1251132 kB
Inactive:         673356 kB
Active(anon):    1008140 kB
Inactive(anon):   107000 kB
Active(file):     242992 kB
Inactive(file):   566356 kB
Unevictable:          48 kB
Mlocked:              48 kB
SwapTotal:       4019376 kB
SwapFree:        4019376 kB
Dirty:                32 kB
Writeback:             0 kB
AnonPages:        976304 kB
Mapped:           425608 kB
Shmem:            108680 kB
Slab:             155880 kB
SReclaimable:      68672 kB
SUnreclaim:        87208 kB
KernelStack:       11520 kB
PageTables:        17796 kB
NFS_Unstable:          0 kB
Bounce:                0 kB
WritebackTmp:          0 kB
CommitLimit:     8038768 kB
Committed_AS:    6074748 kB
VmallocTotal:   263061440 kB
VmallocUsed:           0 kB
VmallocChunk:          0 kB
AnonHugePages:    172032 kB
ShmemHugePages:        0 kB
ShmemPmdMapped:        0 kB
NvMapMemFree:      94784 kB
NvMapMemUsed:     805068 kB
CmaTotal:         753664 kB
CmaFree:          719864 kB
HugePages_Total:       0
HugePages_Free:        0
HugePages_Rsvd:        0
HugePages_Surp:        0
Hugepagesize:       2048 kB
`;

describe('parseMeminfo', () => {
  const tx2 = parseMeminfo(TX2_MEMINFO);

  it('reads every line of the TX2 capture', () => {
    expect(Object.keys(tx2)).toHaveLength(46);
  });

  it.each([
    ['MemTotal', 8038788 * KiB],
    ['MemAvailable', 5642288 * KiB],
    ['Active(anon)', 1008140 * KiB],
    ['SwapTotal', 4019376 * KiB],
    ['NvMapMemUsed', 805068 * KiB],
    ['NvMapMemFree', 94784 * KiB],
    ['HugePages_Total', 0],
    ['Hugepagesize', 2048 * KiB],
  ])('TX2 %s = %d bytes', (key, bytes) => {
    expect(tx2[key]).toBe(bytes);
  });

  it.each([
    ['MemTotal:       15657716 kB', { MemTotal: 16033501184 }],
    ['MemTotal:       15657716 kB\r\nHugePages_Free:        3\r\n', { MemTotal: 16033501184, HugePages_Free: 3 }],
    ['MemTotal: lots', {}],
    ['MemTotal:       15657716 MB', {}],
    ['cat: /proc/meminfo: No such file or directory', {}],
    ['', {}],
  ])('reads %j', (text, want) => {
    expect(parseMeminfo(text)).toEqual(want);
  });
});

/** One /proc/swaps row as the kernel prints it (mm/swapfile.c swap_show: name padded to 40, "file\t", tabs). */
function swapRow(name: string, isFile: boolean, sizeKiB: number, usedKiB: number, prio: number): string {
  const pad = ' '.repeat(Math.max(1, 40 - name.length));
  const type = isFile ? 'file\t' : 'partition';
  return `${name}${pad}${type}\t${sizeKiB}\t${sizeKiB < 10000000 ? '\t' : ''}${usedKiB}\t${usedKiB < 10000000 ? '\t' : ''}${prio}`;
}
const SWAPS_HEADER = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority';

/**
 * zram the way JetPack's nvzramconfig makes it: one /dev/zramN per CPU, each RAM/2/nCPU (disksize in bytes =
 * MemTotal kB / 2 / n × 1024), swapon priority 5; /proc/swaps shows whole 4 KiB pages of that.
 */
function jetpackZram(memTotalKiB: number, cpus: number, usedKiB: (i: number) => number): string {
  const perDeviceKiB = Math.floor(Math.floor(memTotalKiB / 2 / cpus) / 4) * 4;
  const rows = Array.from({ length: cpus }, (_, i) => swapRow(`/dev/zram${i}`, false, perDeviceKiB, usedKiB(i), 5));
  return `${SWAPS_HEADER}\n${rows.join('\n')}\n`;
}

describe('parseProcSwaps', () => {
  it('reads zram0..zram7 of an 8-CPU Orin NX 16 GB (MemTotal 15657716 kB)', () => {
    const swaps = parseProcSwaps(jetpackZram(15657716, 8, (i) => (i === 0 ? 102400 : 0)));
    expect(swaps).toHaveLength(8);
    expect(swaps[0]).toEqual({
      name: '/dev/zram0',
      kind: 'zram',
      sizeBytes: 978604 * KiB,
      usedBytes: 102400 * KiB,
      priority: 5,
    });
    expect(swaps.map((s) => s.name)).toEqual(Array.from({ length: 8 }, (_, i) => `/dev/zram${i}`));
    expect(swaps.every((s) => s.kind === 'zram' && s.sizeBytes === 978604 * KiB && s.priority === 5)).toBe(true);
  });

  it("adds up to the TX2 capture's SwapTotal (6 CPUs, 669896 KiB each)", () => {
    const swaps = parseProcSwaps(jetpackZram(8038788, 6, () => 0));
    expect(swaps.map((s) => s.sizeBytes)).toEqual(Array(6).fill(669896 * KiB));
    expect(swaps.reduce((sum, s) => sum + s.sizeBytes, 0)).toBe(parseMeminfo(TX2_MEMINFO).SwapTotal);
  });

  it('tells a swap file (with an escaped space) from a partition', () => {
    const text = [
      SWAPS_HEADER,
      swapRow('/mnt/swap\\040files/16GB.swap', true, 16777212, 0, -2),
      swapRow('/dev/nvme0n1p3', false, 8388604, 1024, -3),
      swapRow('/dev/zram0', false, 1954300, 0, 5),
    ].join('\n');
    expect(parseProcSwaps(text)).toEqual([
      { name: '/mnt/swap files/16GB.swap', kind: 'file', sizeBytes: 16777212 * KiB, usedBytes: 0, priority: -2 },
      { name: '/dev/nvme0n1p3', kind: 'partition', sizeBytes: 8388604 * KiB, usedBytes: 1024 * KiB, priority: -3 },
      { name: '/dev/zram0', kind: 'zram', sizeBytes: 1954300 * KiB, usedBytes: 0, priority: 5 },
    ]);
  });

  it.each([[SWAPS_HEADER], [''], ['/dev/zram0 partition lots 0 5'], ['cat: /proc/swaps: Permission denied']])(
    'gives [] for %j',
    (text) => {
      expect(parseProcSwaps(text)).toEqual([]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// nvpmodel
// ---------------------------------------------------------------------------------------------------------------

describe('parseNvpmodelQuery', () => {
  it.each([
    // `nvpmodel -q` (jetson-containers docs/setup.md): the name, then the id on its own line.
    ['NV Power Mode: MAXN\n0\n', { name: 'MAXN', id: 0 }],
    ['NV Power Mode: MODE_30W\n2\n', { name: 'MODE_30W', id: 2 }],
    // jtop's nvpmodel emulator prints a warning first (reference §C.1).
    ['NVPM WARN: fan mode is not set!\nNV Power Mode: MAXN\n0\n', { name: 'MAXN', id: 0 }],
    ['NVPM WARN: fan mode is not set!\nNVPM WARN: fan mode is not set!\nNV Power Mode: 15W\n0', { name: '15W', id: 0 }],
    ['NV Power Mode: MAXN_SUPER\nNVPM WARN: fan mode is not set!\n2\n', { name: 'MAXN_SUPER', id: 2 }],
    // jetson_release on Thor: id in brackets (jetson_stats #820).
    ['NV Power Mode[1]: 120W', { name: '120W', id: 1 }],
    ['NV Power Mode: 7W', { name: '7W', id: null }],
    ['NV Power Mode: MAXN\r\n0\r\n', { name: 'MAXN', id: 0 }],
    ['NV Power Mode: \n0', null],
    ['bash: nvpmodel: command not found', null],
    ['', null],
  ])('reads %j', (text, want) => {
    expect(parseNvpmodelQuery(text)).toEqual(want);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// nvidia-smi
// ---------------------------------------------------------------------------------------------------------------

describe('parseNvidiaSmiGpuCsv', () => {
  it.each(devices.nvidia_smi_on_jetson.map((s) => [s.source_url, s.text]))(
    'gives no GPU for the table view or error from %s',
    (_url, text) => {
      expect(parseNvidiaSmiGpuCsv(text)).toEqual([]);
    },
  );

  it.each([
    [
      // Orin on JetPack 6: name and compute_cap work, memory is [N/A] (reference §F.2; driver as in the fixture).
      'Orin (nvgpu), [N/A], 8.7, 540.4.0\n',
      [{ name: 'Orin (nvgpu)', memoryTotalMiB: null, computeCapability: '8.7', driverVersion: '540.4.0' }],
    ],
    [
      // Everything N/A, as reference §F.2 quotes for another query on Orin.
      'Orin (nvgpu), [N/A], [N/A], [N/A]',
      [{ name: 'Orin (nvgpu)', memoryTotalMiB: null, computeCapability: null, driverVersion: null }],
    ],
    [
      'NVIDIA Thor, [Not Supported], 11.0, 580.00',
      [{ name: 'NVIDIA Thor', memoryTotalMiB: null, computeCapability: '11.0', driverVersion: '580.00' }],
    ],
    [
      'NVIDIA Thor, N/A, [Unknown Error], Not Supported',
      [{ name: 'NVIDIA Thor', memoryTotalMiB: null, computeCapability: null, driverVersion: null }],
    ],
    [
      // Someone passed --format=csv with the header (and without nounits); blank lines around.
      '\nname, memory.total [MiB], compute_cap, driver_version\nNVIDIA GeForce RTX 4090, 24564 MiB, 8.9, 550.54.14\n\n',
      [
        {
          name: 'NVIDIA GeForce RTX 4090',
          memoryTotalMiB: 24564,
          computeCapability: '8.9',
          driverVersion: '550.54.14',
        },
      ],
    ],
    [
      'NVIDIA A100-SXM4-80GB, 81920, 8.0, 550.54.15\r\nNVIDIA A100-SXM4-80GB, 81920, 8.0, 550.54.15\r\n',
      [
        { name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920, computeCapability: '8.0', driverVersion: '550.54.15' },
        { name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920, computeCapability: '8.0', driverVersion: '550.54.15' },
      ],
    ],
    [
      'Some, GPU, 1024, 9.0, 560.1',
      [{ name: 'Some, GPU', memoryTotalMiB: 1024, computeCapability: '9.0', driverVersion: '560.1' }],
    ],
    [
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
      [],
    ],
    ['Field "compute_cap" is not a valid field to query.', []],
    ['', []],
  ])('reads %j', (text, want) => {
    expect(parseNvidiaSmiGpuCsv(text)).toEqual(want);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Docker
// ---------------------------------------------------------------------------------------------------------------

const DAEMON_DOWN = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
const PERMISSION_DENIED =
  'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info": dial unix /var/run/docker.sock: connect: permission denied';

describe('parseDockerInfoJson', () => {
  it('reads a daemon with the nvidia runtime (docker info JSON trimmed to the keys read)', () => {
    const text = JSON.stringify({
      ID: 'b3d1c0de',
      Containers: 2,
      Driver: 'overlay2',
      ServerVersion: '27.5.1',
      Runtimes: {
        'io.containerd.runc.v2': { path: 'runc' },
        nvidia: { path: 'nvidia-container-runtime' },
        runc: { path: 'runc' },
      },
      DefaultRuntime: 'nvidia',
      DockerRootDir: '/mnt/nvme/docker',
      Warnings: null,
    });
    expect(parseDockerInfoJson(`${text}\n`)).toEqual({
      serverVersion: '27.5.1',
      runtimes: ['io.containerd.runc.v2', 'nvidia', 'runc'],
      defaultRuntime: 'nvidia',
      rootDir: '/mnt/nvme/docker',
      errors: [],
    });
  });

  it.each([
    [DAEMON_DOWN, 'daemon-down'],
    [PERMISSION_DENIED, 'permission-denied'],
  ])('reads client-only output whose ServerErrors say %j (docker/cli PR #3594)', (error, kind) => {
    const text = JSON.stringify({
      ID: '',
      Containers: 0,
      ServerVersion: '',
      Runtimes: null,
      DefaultRuntime: '',
      DockerRootDir: '',
      ServerErrors: [error],
      ClientInfo: { Debug: false, Context: 'default' },
    });
    const info = parseDockerInfoJson(text);
    expect(info).toEqual({ serverVersion: null, runtimes: [], defaultRuntime: null, rootDir: null, errors: [error] });
    expect(classifyDockerError(info?.errors[0] ?? '')).toBe(kind);
  });

  it('finds the JSON after an error line when stderr was merged in', () => {
    const text = `${DAEMON_DOWN}\n{"ID":"","ServerVersion":"","ServerErrors":["${DAEMON_DOWN}"]}\n`;
    expect(parseDockerInfoJson(text)?.errors).toEqual([DAEMON_DOWN]);
  });

  it.each([[''], ['null'], ['[1,2]'], ['"text"'], ['{"ServerVersion":'], [DAEMON_DOWN]])(
    'gives null for %j',
    (text) => {
      expect(parseDockerInfoJson(text)).toBeNull();
    },
  );

  it('keeps only string errors and object runtimes', () => {
    expect(parseDockerInfoJson('{"ServerVersion":27,"Runtimes":["runc"],"ServerErrors":["x",1,null]}')).toEqual({
      serverVersion: null,
      runtimes: [],
      defaultRuntime: null,
      rootDir: null,
      errors: ['x'],
    });
  });
});

describe('classifyDockerError', () => {
  it.each([
    [PERMISSION_DENIED, 'permission-denied'],
    [
      // Docker 19/20 clients start the same message with "Got".
      'Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get http://%2Fvar%2Frun%2Fdocker.sock/v1.40/info: dial unix /var/run/docker.sock: connect: permission denied',
      'permission-denied',
    ],
    [DAEMON_DOWN, 'daemon-down'],
    [`${DAEMON_DOWN}\n`, 'daemon-down'],
    ['error during connect: dial unix /var/run/docker.sock: connect: no such file or directory', 'daemon-down'],
    ['bash: docker: command not found', 'not-installed'],
    ['docker: command not found', 'not-installed'],
    ['sh: 1: docker: not found', 'not-installed'],
    ["Command 'docker' not found, but can be installed with:\nsudo snap install docker", 'not-installed'],
    ['spawn docker ENOENT', 'not-installed'],
    ['/bin/sh: docker: No such file or directory', 'not-installed'],
    ['Error response from daemon: No such image: dustynv/vllm:latest', 'other'],
    ['', 'other'],
  ])('classifies %j', (stderr, kind) => {
    expect(classifyDockerError(stderr)).toBe(kind);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// User, services, processes, disks
// ---------------------------------------------------------------------------------------------------------------

describe('parseIdGroups', () => {
  it.each([
    [
      // `id -nG` for the default JetPack user plus docker.
      'nvidia adm cdrom sudo audio dip video plugdev i2c lpadmin gdm sambashare weston-launch gpio docker\n',
      [
        'nvidia',
        'adm',
        'cdrom',
        'sudo',
        'audio',
        'dip',
        'video',
        'plugdev',
        'i2c',
        'lpadmin',
        'gdm',
        'sambashare',
        'weston-launch',
        'gpio',
        'docker',
      ],
    ],
    ['root', ['root']],
    ['  a\tb  a\n', ['a', 'b']],
    ['', []],
  ])('reads %j', (text, want) => {
    expect(parseIdGroups(text)).toEqual(want);
  });
});

describe('parseSystemctlIsActive', () => {
  const units = ['gdm3', 'gdm', 'lightdm', 'sddm'];
  it.each([
    // `systemctl is-active gdm3 gdm lightdm sddm` on a JetPack desktop; unknown units read "inactive".
    [
      'active\ninactive\ninactive\ninactive\n',
      { gdm3: 'active', gdm: 'inactive', lightdm: 'inactive', sddm: 'inactive' },
    ],
    ['inactive\ninactive\nactive\nfailed', { gdm3: 'inactive', gdm: 'inactive', lightdm: 'active', sddm: 'failed' }],
    ['activating\n', { gdm3: 'activating', gdm: 'unknown', lightdm: 'unknown', sddm: 'unknown' }],
    [
      "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down",
      { gdm3: 'unknown', gdm: 'unknown', lightdm: 'unknown', sddm: 'unknown' },
    ],
    ['', { gdm3: 'unknown', gdm: 'unknown', lightdm: 'unknown', sddm: 'unknown' }],
  ])('reads %j', (text, want) => {
    expect(parseSystemctlIsActive(text, units)).toEqual(want);
  });

  it('gives {} for no units', () => {
    expect(parseSystemctlIsActive('active\n', [])).toEqual({});
  });
});

describe('parseSystemctlGetDefault', () => {
  it.each([
    ['graphical.target\n', 'graphical.target'],
    ['multi-user.target', 'multi-user.target'],
    ["System has not been booted with systemd as init system (PID 1). Can't operate.", null],
    ['graphical', null],
    ['', null],
  ])('reads %j', (text, want) => {
    expect(parseSystemctlGetDefault(text)).toBe(want);
  });
});

describe('parsePs', () => {
  it('reads `ps -eo pid=,rss=,comm=,args=` (right-aligned pids, kernel threads with 0 RSS)', () => {
    const text = [
      '      1 11784 systemd         /sbin/init splash',
      '      2     0 kthreadd        [kthreadd]',
      '   1834 215640 gnome-shell    /usr/bin/gnome-shell',
      '   4242 3145728 python3        /usr/bin/python3 -m vllm.entrypoints.openai.api_server --model Qwen/Qwen2.5-0.5B  ',
      '   4300   512 sleep',
      '',
    ].join('\n');
    expect(parsePs(text)).toEqual([
      { pid: 1, rssBytes: 11784 * KiB, comm: 'systemd', args: '/sbin/init splash' },
      { pid: 2, rssBytes: 0, comm: 'kthreadd', args: '[kthreadd]' },
      { pid: 1834, rssBytes: 215640 * KiB, comm: 'gnome-shell', args: '/usr/bin/gnome-shell' },
      {
        pid: 4242,
        rssBytes: 3145728 * KiB,
        comm: 'python3',
        args: '/usr/bin/python3 -m vllm.entrypoints.openai.api_server --model Qwen/Qwen2.5-0.5B',
      },
      { pid: 4300, rssBytes: 512 * KiB, comm: 'sleep', args: '' },
    ]);
  });

  it.each([['    PID   RSS COMMAND         COMMAND'], ['ps: error: unknown user-defined format specifier'], ['']])(
    'gives [] for %j',
    (text) => {
      expect(parsePs(text)).toEqual([]);
    },
  );
});

describe('parseDf', () => {
  it('reads `df -B1 --output=source,target,avail,size` with its "1B-blocks" header', () => {
    const text = [
      'Filesystem      Mounted on          Avail    1B-blocks',
      '/dev/mmcblk0p1  /             27153752064  62237065216',
      '/dev/nvme0n1p1  /mnt/nvme    412254208000 982141665280',
      '/dev/sda1       /media/nvidia/My Disk  1000  2000',
      '',
    ].join('\n');
    expect(parseDf(text)).toEqual([
      { source: '/dev/mmcblk0p1', target: '/', availBytes: 27153752064, sizeBytes: 62237065216 },
      { source: '/dev/nvme0n1p1', target: '/mnt/nvme', availBytes: 412254208000, sizeBytes: 982141665280 },
      { source: '/dev/sda1', target: '/media/nvidia/My Disk', availBytes: 1000, sizeBytes: 2000 },
    ]);
  });

  it.each([
    ['Filesystem      Mounted on          Avail    1B-blocks'],
    ['df: /data/models: No such file or directory'],
    ['overlay  /  -  -'],
    [''],
  ])('gives [] for %j', (text) => {
    expect(parseDf(text)).toEqual([]);
  });
});

describe('parseProcMounts', () => {
  it('reads /proc/mounts and decodes \\040', () => {
    const text = [
      '/dev/mmcblk0p1 / ext4 rw,relatime 0 0',
      'tmpfs /run tmpfs rw,nosuid,nodev,size=1589948k,mode=755 0 0',
      '/dev/nvme0n1p1 /mnt/my\\040models ext4 rw,relatime 0 0',
      '',
      'garbage',
    ].join('\n');
    expect(parseProcMounts(text)).toEqual([
      { source: '/dev/mmcblk0p1', target: '/', fstype: 'ext4' },
      { source: 'tmpfs', target: '/run', fstype: 'tmpfs' },
      { source: '/dev/nvme0n1p1', target: '/mnt/my models', fstype: 'ext4' },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// vLLM and the OS
// ---------------------------------------------------------------------------------------------------------------

describe('parseVllmVersionOutput', () => {
  it.each([
    ['0.6.3.post1\n', '0.6.3.post1'],
    ['0.11.2', '0.11.2'],
    [
      // vLLM ≥ 0.7 logs the platform detection before printing the version.
      'INFO 01-23 10:00:00 [__init__.py:216] Automatically detected platform cuda.\n0.11.2\n',
      '0.11.2',
    ],
    ['\u001b[32mINFO\u001b[0m 05-01 platform cuda.\n\u001b[0m0.8.6\u001b[0m\n', '0.8.6'],
    ['0.9.1.dev12+g1234abc', '0.9.1.dev12+g1234abc'],
    ['v0.10.0', '0.10.0'],
    ['bash: vllm: command not found', null],
    ["ModuleNotFoundError: No module named 'vllm'", null],
    ['', null],
  ])('reads %j', (text, want) => {
    expect(parseVllmVersionOutput(text)).toBe(want);
  });
});

describe('parseOsRelease', () => {
  it.each([
    [
      // /etc/os-release on JetPack 6 (Ubuntu 22.04).
      'PRETTY_NAME="Ubuntu 22.04.5 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.5 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n',
      { id: 'ubuntu', versionId: '22.04', prettyName: 'Ubuntu 22.04.5 LTS' },
    ],
    [
      '# comment\nID=\'debian\'\nPRETTY_NAME="Say \\"hi\\""\n',
      { id: 'debian', versionId: null, prettyName: 'Say "hi"' },
    ],
    ['ID=\nVERSION_ID=""', { id: null, versionId: null, prettyName: null }],
    ['', { id: null, versionId: null, prettyName: null }],
  ])('reads %j', (text, want) => {
    expect(parseOsRelease(text)).toEqual(want);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// L4T → JetPack, CUDA
// ---------------------------------------------------------------------------------------------------------------

describe('lookupJetpack', () => {
  it.each(devices.l4t_to_jetpack.map((r) => [r.l4t, r.jetpack, r.source_url]))(
    'maps fixture row %s to %j exactly (%s)',
    (l4t, jetpack) => {
      expect(lookupJetpack(l4t)).toEqual({ jetpack, isExact: true });
    },
  );

  it('holds every fixture row in the table, newest first', () => {
    const tableL4ts = L4T_TO_JETPACK.map((r) => r.l4t);
    for (const row of devices.l4t_to_jetpack) expect(tableL4ts).toContain(row.l4t);
    expect([...tableL4ts].sort(compareL4t).reverse()).toEqual(tableL4ts);
    expect(new Set(tableL4ts).size).toBe(tableL4ts.length);
  });

  it.each([
    ['36.4', { jetpack: '6.1', isExact: true }],
    ['R36.4.3', { jetpack: '6.2', isExact: true }],
    ['38.1.0', { jetpack: '7.0 EA', isExact: true }],
    ['39.2', { jetpack: '7.2 GA', isExact: true }],
    ['39.1.0', { jetpack: '7.2', isExact: false }],
    ['39.4.2', { jetpack: '7.2', isExact: false }],
    ['38.3.0', { jetpack: '7.0', isExact: false }],
    ['38.4.1', { jetpack: '7.1', isExact: false }],
    ['38.9.0', { jetpack: '7.1', isExact: false }],
    ['38.0.0', null],
    ['36.4.5', { jetpack: '6.2.1', isExact: false }],
    ['36.4.1', { jetpack: '6.1', isExact: false }],
    ['36.4.9', { jetpack: '6.2.1', isExact: false }],
    ['36.5.3', { jetpack: '6.2.2', isExact: false }],
    ['36.3.1', { jetpack: '6.0', isExact: false }],
    ['36.1.0', null],
    ['36.6.0', null],
    ['35.6.5', { jetpack: '5.1.6', isExact: false }],
    ['35.3.2', { jetpack: '5.1.1', isExact: false }],
    ['32.7.7', { jetpack: '4.6.6', isExact: false }],
    ['32.5.3', { jetpack: '4.5.1', isExact: false }],
    ['32.0.0', null],
    ['34.1.2', null],
    ['28.2.2', null],
    ['40.0.0', null],
    ['36', null],
    ['36.4.3-20250107174145', null],
    ['garbage', null],
    ['', null],
  ])('lookupJetpack(%j)', (l4t, want) => {
    expect(lookupJetpack(l4t)).toEqual(want);
  });
});

describe('expectedCudaForL4t', () => {
  it.each([
    ['39.2.0', '13.2'],
    ['39', '13.2'],
    ['38.2.0', '13.0'],
    ['R38.4', '13.0'],
    ['36.5.0', '12.6'],
    ['36.4.7', '12.6'],
    // jetson-containers #678: R36.4.0 with CUDA 12.6.68.
    ['36.4.0', '12.6'],
    ['36.3.0', '12.4'],
    ['36.2.0', '12.2'],
    ['36', null],
    ['35.3.1', '11.4'],
    ['32.7.1', '10.2'],
    ['34.1.1', null],
    ['28.2.0', null],
    ['garbage', null],
    ['', null],
  ])('expectedCudaForL4t(%j) = %j', (l4t, want) => {
    expect(expectedCudaForL4t(l4t)).toBe(want);
  });
});

describe('compareL4t and parseL4tVersion', () => {
  it.each([
    ['36.4', '36.4.0', 0],
    ['R36.4.3', '36.4.3', 0],
    ['36.10.0', '36.9.0', 1],
    ['35.6.4', '36.0.0', -1],
    ['38.2.0', '36.4.0', 1],
    ['garbage', '32.1.0', -1],
    ['32.1.0', 'garbage', 1],
    ['x', 'x', 0],
  ])('compareL4t(%j, %j) has sign %d', (a, b, sign) => {
    expect(Math.sign(compareL4t(a, b))).toBe(sign);
  });

  it.each([
    ['36.4.3', [36, 4, 3]],
    ['36.4', [36, 4, 0]],
    ['r32.7.1', [32, 7, 1]],
    ['36', null],
    ['36.4.3.1', null],
    ['', null],
  ])('parseL4tVersion(%j)', (text, want) => {
    expect(parseL4tVersion(text)).toEqual(want);
  });
});
