/**
 * The kernel's own account of an OOM kill, read from `dmesg` / `journalctl -k` lines: the victim (pid, name,
 * anon-rss) and the task list the OOM killer prints before it chooses, so the diagnosis can say which processes
 * held the memory. Formats: linux mm/oom_kill.c `dump_task` ("[  pid  ]   uid  tgid total_vm      rss … name",
 * rss in pages) and `__oom_kill_process` ("Out of memory: Killed process 4321 (python3) total-vm:…kB,
 * anon-rss:…kB, file-rss:…kB, shmem-rss:…kB"). Pure.
 */
import { MiB } from '../../../shared/units.js';

/** One process of the kernel's task list: its pid, name and resident memory (bytes). */
export interface KernelTask {
  pid: number;
  name: string;
  rssBytes: number;
}

/** What the kernel said about one OOM kill: the victim and the largest tasks it listed, largest first. */
export interface KernelOomReport {
  victim: { pid: number; name: string; anonRssBytes: number; fileRssBytes: number } | null;
  tasks: KernelTask[];
}

/** The page size the task list's rss column counts in (4 KiB on every Jetson and x86 kernel). */
const PAGE_BYTES = 4096;

const KILLED_RE =
  /(?:Out of memory|Memory cgroup out of memory): Kill(?:ed)? process (\d+) \(([^)]*)\)(?:.*?anon-rss:\s*(\d+)kB)?(?:.*?file-rss:\s*(\d+)kB)?/;
/** `[   1234]  1000  1234  1234567   456789   123456        0             0 ollama` (pgtables, swapents optional). */
const TASK_RE = /\[\s*(\d+)\]\s+\d+\s+\d+\s+\d+\s+(\d+)(?:\s+-?\d+){1,3}\s+(\S.*?)\s*$/;

/** Returns the kernel's OOM-kill report found in the lines (the last kill), or null when they have none. */
export function parseKernelOom(lines: readonly string[]): KernelOomReport | null {
  let victim: KernelOomReport['victim'] = null;
  let tasks = new Map<number, KernelTask>();
  let isInList = false;
  for (const line of lines) {
    if (/Tasks state \(memory values in pages\)|\[\s*pid\s*\]\s+uid\s+tgid/.test(line)) {
      // A new task list: a later kill's list replaces an earlier one.
      if (!isInList) tasks = new Map();
      isInList = true;
      continue;
    }
    const killed = KILLED_RE.exec(line);
    if (killed !== null) {
      isInList = false;
      victim = {
        pid: Number(killed[1]),
        name: killed[2] ?? '',
        anonRssBytes: Number(killed[3] ?? 0) * 1024,
        fileRssBytes: Number(killed[4] ?? 0) * 1024,
      };
      continue;
    }
    const task = isInList ? TASK_RE.exec(line) : null;
    if (task !== null) {
      const pid = Number(task[1]);
      tasks.set(pid, { pid, name: task[3] ?? '', rssBytes: Number(task[2]) * PAGE_BYTES });
    }
  }
  if (victim === null && tasks.size === 0) return null;
  const sorted = [...tasks.values()].sort((a, b) => b.rssBytes - a.rssBytes);
  return { victim, tasks: sorted };
}

/** Returns the largest tasks other than the victim that held at least `minBytes` (256 MiB by default). */
export function findOtherHolders(report: KernelOomReport, minBytes = 256 * MiB): KernelTask[] {
  const victimPid = report.victim?.pid ?? -1;
  const victimName = report.victim?.name ?? null;
  return report.tasks.filter(
    (t) => t.pid !== victimPid && t.rssBytes >= minBytes && !isVllmProcess(t.name) && t.name !== victimName,
  );
}

/** Returns whether a process name is vLLM's own (the server, its engine core, its workers). */
export function isVllmProcess(name: string): boolean {
  return /^(?:vllm|python3?(?:\.\d+)?|VLLM::|EngineCore|pt_main_thread)/i.test(name.trim());
}
