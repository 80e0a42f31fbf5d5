/**
 * Recognising vLLM's processes in /proc and reading their memory, as decisions on file texts: which `comm`
 * is worth reading the command line of, which command line is vLLM's, a status file's VmRSS, the GPU memory a
 * Jetson's meminfo reports (NvMap), and the board's fan (hwmon pwm-fan). Pure: the shell (vllm-processes.ts)
 * reads the files.
 */
import { parseMeminfo } from '../../device/core/system-parsers.js';

/** What a process's `comm` says about it: vLLM's own (named by vLLM), worth reading its command line, or not. */
export type CommVerdict = 'vllm' | 'maybe' | 'no';

/**
 * Returns what a `comm` (the kernel's 15-character process name) tells: vLLM ≥ 0.8 names its workers
 * ("VLLM::EngineCore", vllm/utils bind_process_name / set_process_title); the API server runs as the `vllm`
 * console script or a Python interpreter (`python3 -m vllm.entrypoints.openai.api_server`); `node` is this
 * project's stand-in server in tests. Anything else (most of a board's hundreds of processes) is never read further.
 */
export function classifyComm(comm: string): CommVerdict {
  const name = comm.trim();
  if (name.startsWith('VLLM::') || name.startsWith('VLLM')) return 'vllm';
  if (/^(vllm|python[\d.]*|pt_main_thread|uvicorn|node)$/.test(name)) return 'maybe';
  return 'no';
}

/** Returns whether a /proc/<pid>/cmdline text (NUL-separated arguments) runs a vLLM server. */
export function isVllmCmdline(cmdline: string): boolean {
  const args = cmdline.split('\0').join(' ');
  return /(^|[\s/])vllm\s+serve\b|vllm\.entrypoints/.test(args);
}

/** Returns the resident memory in bytes from a /proc/<pid>/status text, or null when it has no VmRSS line. */
export function parseVmRssBytes(status: string): number | null {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) return null;
  const bytes = Number(kb) * 1024;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/**
 * Returns the GPU memory a Jetson's kernel has handed out through NvMap ("NvMapMemUsed" in /proc/meminfo,
 * JetPack 4–6), in bytes, or null where the line is absent (a PC, JetPack 7). CUDA allocations on a Jetson
 * are NvMap buffers, not part of any process's RSS: this is the figure that grows as vLLM loads weights.
 */
export function parseNvMapUsedBytes(meminfo: string): number | null {
  const mem = parseMeminfo(meminfo);
  return Object.hasOwn(mem, 'NvMapMemUsed') ? (mem.NvMapMemUsed ?? null) : null;
}

/**
 * Returns a fan's duty in percent from its hwmon `pwm1` text (0–255, the kernel's pwm-fan scale), or null for a
 * text that is not one integer in that range.
 */
export function parseFanPwmPct(text: string): number | null {
  const match = /^\s*(\d{1,3})\s*$/.exec(text);
  if (match?.[1] === undefined) return null;
  const pwm = Number(match[1]);
  return pwm <= 255 ? (pwm / 255) * 100 : null;
}

/** Returns whether an hwmon device's `name` is a PWM fan's (pwm-fan on JetPack 5+, pwmfan on JetPack 4). */
export function isFanHwmonName(name: string): boolean {
  return /^pwm-?fan$/.test(name.trim());
}
