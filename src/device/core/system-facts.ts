/**
 * What detection found on a machine. Every value carries where it came from, or why it is unknown.
 * Pure types and small helpers; the probes in src/device/ fill them in.
 */

/** A detected value: `value` null means unknown, and `source` then says why. */
export interface Fact<T> {
  value: T | null;
  /** Where the value came from ("/proc/meminfo", "inferred from L4T 36.4.3") or why it is unknown. */
  source: string;
}

/** A known value with its source. */
export function known<T>(value: T, source: string): Fact<T> {
  return { value, source };
}

/** An unknown value and why. */
export function unknown<T>(why: string): Fact<T> {
  return { value: null, source: why };
}

/** The reason a command's fact is unknown under --root. */
export const NOT_CHECKED = 'not checked (commands are skipped with --root)';

export interface SwapFact {
  name: string;
  kind: 'zram' | 'file' | 'partition';
  sizeBytes: number;
  usedBytes: number;
}

export interface ProcessFact {
  pid: number;
  rssBytes: number;
  comm: string;
  args: string;
}

export interface DiskFact {
  /** The path asked about (the HF cache, docker's root, /). */
  path: string;
  source: string;
  target: string;
  availBytes: number;
  sizeBytes: number;
  /** What the filesystem sits on. */
  medium: 'sd-card' | 'emmc' | 'nvme' | 'other' | null;
}

export interface GpuFact {
  name: string;
  memTotalBytes: number | null;
  computeCapability: string | null;
  driverVersion: string | null;
}

export interface DockerFacts {
  isInstalled: Fact<boolean>;
  daemon: Fact<'up' | 'down' | 'permission-denied'>;
  isUserInGroup: Fact<boolean>;
  hasNvidiaRuntime: Fact<boolean>;
  rootDir: Fact<string>;
}

export interface SystemFacts {
  /** The folder files were read under ("/" on the device). */
  root: string;
  /** False with --root: commands were not run. */
  areCommandsChecked: boolean;
  /** True only with positive evidence (device tree or nv_tegra_release). */
  isJetson: boolean;
  model: Fact<string>;
  /** Module part numbers from /proc/device-tree/compatible (p3767-0000, …). */
  moduleParts: Fact<string[]>;
  carrier: Fact<string>;
  soc: Fact<string>;
  l4t: Fact<string>;
  jetpack: Fact<string>;
  cuda: Fact<string>;
  os: Fact<string>;
  memTotalBytes: Fact<number>;
  memAvailableBytes: Fact<number>;
  /** MemFree: RAM holding nothing, page cache excluded (what cudaMemGetInfo's free follows on Tegra). */
  memFreeBytes: Fact<number>;
  /** NvMapMemUsed: memory the GPU driver holds (JetPack 4–6). */
  nvmapBytes: Fact<number>;
  swaps: Fact<SwapFact[]>;
  powerMode: Fact<{ name: string; id: number | null }>;
  areClocksPinned: Fact<boolean>;
  defaultTarget: Fact<string>;
  /** Display managers found active. */
  displayManagers: Fact<string[]>;
  processes: Fact<ProcessFact[]>;
  docker: DockerFacts;
  hfCacheDir: Fact<string>;
  disks: Fact<DiskFact[]>;
  gpus: Fact<GpuFact[]>;
  vllmVersion: Fact<string>;
}

/** Process names of desktop sessions and display servers (reference jetson-platform.md §C.4). */
export const DESKTOP_PROCESSES = [
  'gnome-shell',
  'Xorg',
  'Xwayland',
  'gdm3',
  'gdm',
  'gdm-x-session',
  'gdm-wayland-ses',
  'lightdm',
  'lxsession',
  'lxpanel',
  'nautilus',
  'gnome-software',
  'gsd-xsettings',
  'evolution-alarm',
  'tracker-miner-f',
  'pulseaudio',
  'pipewire',
] as const;

/** Bytes the desktop session holds now: the sum of RSS of its processes. */
export function sumDesktopRss(processes: ProcessFact[]): number {
  const names: readonly string[] = DESKTOP_PROCESSES;
  return processes.filter((p) => names.includes(p.comm)).reduce((s, p) => s + p.rssBytes, 0);
}

/** Other users of GPU memory: ollama, another vLLM, llama.cpp servers. */
export function findGpuUsers(processes: ProcessFact[]): { name: string; pid: number; rssBytes: number }[] {
  const users: { name: string; pid: number; rssBytes: number }[] = [];
  for (const p of processes) {
    const args = p.args.toLowerCase();
    if (p.comm === 'ollama' || /(^|\/)ollama(\s|$)/.test(args))
      users.push({ name: 'ollama', pid: p.pid, rssBytes: p.rssBytes });
    // `vllm serve`, `python -m vllm.entrypoints…`, or the V1 engine core; not this tool (jetson-vllm).
    else if (/(^|[\s/])vllm\s+serve\b|vllm\.entrypoints/.test(args) || p.comm.startsWith('VLLM::') || p.comm === 'vllm')
      users.push({ name: 'vllm', pid: p.pid, rssBytes: p.rssBytes });
    else if (/llama-server|llama\.cpp|text-generation-launcher|tritonserver/.test(args))
      users.push({ name: p.comm, pid: p.pid, rssBytes: p.rssBytes });
  }
  return users;
}
