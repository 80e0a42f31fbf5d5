/**
 * vLLM's own share of the GPU's memory, as decisions on the texts that tell it per process: nvidia-smi's compute
 * apps (Thor / JetPack 7 and desktop GPUs: the nvidia.ko stack) and the nvmap debugfs clients table (the nvgpu stack
 * of Xavier and Orin, root-only). CUDA memory is in no process's RSS, so a vLLM whose RSS is a few hundred MiB may
 * hold most of the board's memory: this is the figure that says how much. Pure: the shell (vllm-processes.ts)
 * runs nvidia-smi and reads the files.
 */

/** vLLM's GPU memory as the panel shows it: a figure (and where it came from), or why there is none. */
export type GpuShare =
  | { kind: 'bytes'; bytes: number; from: GpuShareSource }
  /** The nvmap clients table exists but this user cannot read it (debugfs is root-only). */
  | { kind: 'needsRoot' };

/** Where a per-process GPU memory figure comes from. */
export type GpuShareSource = 'nvidia-smi' | 'nvmap';

/** The nvidia-smi arguments of the per-process query (one CSV row per compute app: pid, MiB). */
export const COMPUTE_APPS_ARGS = ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'] as const;

/**
 * Returns each process's GPU memory in bytes from `nvidia-smi --query-compute-apps=pid,used_memory
 * --format=csv,noheader,nounits` ("1234, 5120" per row, MiB); a row whose memory is not a number ("[N/A]", which
 * the driver prints where it cannot account per process) is left out. A process listed twice is summed.
 */
export function parseComputeApps(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const pid = Number(m[1]);
    const bytes = Math.round(Number(m[2]) * 1024 * 1024);
    if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(bytes)) continue;
    out.set(pid, (out.get(pid) ?? 0) + bytes);
  }
  return out;
}

const UNIT_BYTES: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * Returns each process's GPU memory in bytes from the nvmap debugfs table (/sys/kernel/debug/nvmap/iovmm/maps, or
 * …/clients on older kernels): rows "CLIENT PROCESS PID SIZE" such as "user python3 4242 1536000K", then a "total"
 * row (left out). The row grammar is jtop's (rbonghi/jetson_stats jtop/core/processes.py read_process_table,
 * MEM_TABLE_REG: user, process, PID, size and a one-letter unit). A process listed twice is summed.
 */
export function parseNvmapClients(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+(\S+)\s+(\d+)\s+(\d+)([BKMG])\s*$/.exec(line.trim());
    if (m?.[3] === undefined || m[4] === undefined || m[5] === undefined) continue;
    const pid = Number(m[3]);
    const bytes = Number(m[4]) * (UNIT_BYTES[m[5]] ?? 1);
    if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(bytes)) continue;
    out.set(pid, (out.get(pid) ?? 0) + bytes);
  }
  return out;
}

/**
 * Returns the GPU memory of the vLLM processes `pids` summed from a per-process table, or null when none of them is
 * in it (not "0": a table that does not list vLLM says nothing about what vLLM holds).
 */
export function sumGpuShare(perPid: ReadonlyMap<number, number>, pids: readonly number[]): number | null {
  let total = 0;
  let found = 0;
  for (const pid of new Set(pids)) {
    const bytes = perPid.get(pid);
    if (bytes === undefined) continue;
    total += bytes;
    found++;
  }
  return found > 0 ? total : null;
}

/** Returns the panel's words for vLLM's GPU share: "vLLM GPU 3.2 GiB (nvidia-smi)", or that it needs root. */
export function formatGpuShare(share: GpuShare): string {
  switch (share.kind) {
    case 'bytes':
      return `vLLM GPU ${(share.bytes / 1024 ** 3).toFixed(1)} GiB (${share.from === 'nvmap' ? 'nvmap clients' : 'nvidia-smi per process'})`;
    case 'needsRoot':
      return 'vLLM GPU share: needs root (nvmap clients are in debugfs)';
    default: {
      const unreachable: never = share;
      throw new Error(`unknown GPU share ${String(unreachable)}`);
    }
  }
}
