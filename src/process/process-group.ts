/**
 * A process group as one thing to signal and wait for: a child started as a group leader (spawnLines'
 * `isGroupLeader`, spawnDetached's own session) has its group id equal to its pid, and every process it
 * starts (vLLM's engine core, its workers) stays in that group unless it leaves on purpose. Signalling
 * `-pgid` reaches all of them, so none outlives the stop holding the board's memory.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Sends `signal` to every process of the group; false when there is no such group any more. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: gone (EPERM: not ours to signal, nothing this process can do)
  }
}

/** "pid (comm) S ppid pgrp …": the state and the process group of one /proc/<pid>/stat. */
function readStat(pid: string): { state: string; pgrp: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return null; // gone meanwhile
  }
}

/**
 * The live members of a group (zombies excluded: an orphan that ended and waits for a reaper holds
 * nothing); null when /proc cannot tell.
 */
export function listGroupMembers(pgid: number): number[] | null {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  const members: number[] = [];
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const stat = readStat(name);
    if (stat !== null && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(name));
  }
  return members;
}

/** Whether any live process is still in the group. */
export function isGroupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // kill(2) also finds zombies: /proc says whether a member still runs.
  const members = listGroupMembers(pgid);
  return members === null || members.length > 0;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the group is gone or `ms` have passed; true when it is gone. */
export async function waitForGroupGone(pgid: number, ms: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

/**
 * Stops a whole group: SIGTERM, then SIGKILL once `graceMs` have passed with any member left (or at
 * once when `escalate` is called, e.g. by a second Ctrl-C). Resolves once the group is gone (or, for a
 * group that even SIGKILL does not empty — a process stuck in the kernel — after a last few seconds),
 * with whether SIGKILL had to be sent.
 */
export function stopGroup(pgid: number, graceMs: number): { done: Promise<{ isKilled: boolean }>; escalate(): void } {
  let isKilled = false;
  let wake: () => void = () => undefined;
  const kill = (): void => {
    if (isKilled) return;
    isKilled = true;
    signalGroup(pgid, 'SIGKILL');
    wake();
  };
  const done = (async () => {
    if (!isGroupAlive(pgid)) return { isKilled };
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + Math.max(0, graceMs);
    while (!isKilled && isGroupAlive(pgid)) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(50, left));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (isGroupAlive(pgid)) kill();
    await waitForGroupGone(pgid, 5000);
    return { isKilled };
  })();
  return { done, escalate: kill };
}
