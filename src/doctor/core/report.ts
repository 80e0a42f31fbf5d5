/**
 * `jetson-vllm doctor`'s report: the device facts each with its source, then the checks; as JSON or as text. Pure.
 */
import type { Check } from './checks.js';
import type { Identification } from '../../device/core/identify.js';
import type { Fact, SystemFacts } from '../../device/core/system-facts.js';
import { formatGiB } from '../../shared/units.js';
import { paint, type Style } from '../../shared/style.js';

export interface DoctorReport {
  device: Record<string, Fact<unknown>>;
  checks: Check[];
}

/** The --json shape: device facts each with their source, then the checks. */
export function buildDoctorReport(facts: SystemFacts, identification: Identification, checks: Check[]): DoctorReport {
  return {
    device: {
      id: { value: identification.presetId, source: identification.source },
      name: { value: identification.name, source: identification.source },
      kind: { value: identification.kind, source: identification.source },
      module: facts.model,
      partNumber: { value: facts.moduleParts.value?.[0] ?? null, source: facts.moduleParts.source },
      carrier: facts.carrier,
      soc: facts.soc,
      l4t: facts.l4t,
      jetpack: facts.jetpack,
      cuda: facts.cuda,
      os: facts.os,
      memTotalBytes: facts.memTotalBytes,
      memAvailableBytes: facts.memAvailableBytes,
      nvmapBytes: facts.nvmapBytes,
      swaps: facts.swaps,
      powerMode: facts.powerMode,
      areClocksPinned: facts.areClocksPinned,
      defaultTarget: facts.defaultTarget,
      displayManagers: facts.displayManagers,
      dockerInstalled: facts.docker.isInstalled,
      dockerDaemon: facts.docker.daemon,
      dockerUserInGroup: facts.docker.isUserInGroup,
      dockerNvidiaRuntime: facts.docker.hasNvidiaRuntime,
      dockerRootDir: facts.docker.rootDir,
      hfCacheDir: facts.hfCacheDir,
      disks: facts.disks,
      gpus: facts.gpus,
      vllmVersion: facts.vllmVersion,
    },
    checks,
  };
}

const STATUS_LABEL: Record<Check['status'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skipped: 'SKIP' };
const STATUS_COLOR: Record<Check['status'], 'green' | 'yellow' | 'red' | 'dim'> = {
  pass: 'green',
  warn: 'yellow',
  fail: 'red',
  skipped: 'dim',
};

function describeFact(fact: Fact<unknown>, render: (v: never) => string): string {
  return fact.value === null ? `unknown (${fact.source})` : `${render(fact.value as never)}  (${fact.source})`;
}

/** `jetson-vllm doctor` as text: the device with where each fact came from, then the checks. */
export function formatDoctor(report: DoctorReport, style: Style): string {
  const d = report.device;
  const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v));
  const gibOf = (v: number): string => formatGiB(v);
  const lines: string[] = [];
  lines.push(paint(style, 'bold', str(d.name?.value ?? 'unknown device')));
  const rows: [string, Fact<unknown> | undefined, (v: never) => string][] = [
    ['preset', d.id, str],
    ['module', d.module, str],
    ['part number', d.partNumber, str],
    ['SoC', d.soc, str],
    ['L4T', d.l4t, str],
    ['JetPack', d.jetpack, str],
    ['CUDA', d.cuda, str],
    ['memory', d.memTotalBytes, gibOf],
    ['available', d.memAvailableBytes, gibOf],
    ['power mode', d.powerMode, (v: { name: string }) => v.name],
    ['OS', d.os, str],
  ];
  for (const [name, fact, render] of rows) {
    if (fact === undefined) continue;
    lines.push(`  ${name.padEnd(12)} ${describeFact(fact, render)}`);
  }
  lines.push('');
  for (const c of report.checks) {
    lines.push(`${paint(style, STATUS_COLOR[c.status], STATUS_LABEL[c.status])}  ${c.id.padEnd(22)} ${c.summary}`);
    // A fix given as steps keeps one step a line, under the first.
    if (c.fix !== null)
      c.fix.split('\n').forEach((step, i) => lines.push(`${i === 0 ? '      fix:   ' : '             '}${step}`));
    if (c.gain !== null) lines.push(`      gains: ${c.gain}`);
  }
  const count = (s: Check['status']): number => report.checks.filter((c) => c.status === s).length;
  lines.push('');
  lines.push(`${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail, ${count('skipped')} skipped`);
  return lines.join('\n');
}
