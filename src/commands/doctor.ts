/**
 * `jetson-vllm doctor`: detect the device, run the checks, print them (text or --json).
 */
import { runDoctorChecks, TYPICAL_IMAGE_BYTES, TYPICAL_MODEL_BYTES, type Check } from '../core/doctor.js';
import { identifyDevice, type Identification } from '../core/identify.js';
import type { Catalog } from '../core/presets-schema.js';
import type { PredictionAccuracy } from '../core/history.js';
import type { Fact, SystemFacts } from '../core/system-facts.js';
import { detectSystem } from '../probe/detect.js';
import type { ProbeHost } from '../probe/host.js';

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

/** Detects the device, identifies it and runs the checks. */
export async function examineSystem(
  host: ProbeHost,
  catalog: Catalog,
  accuracyOf: (presetId: string) => Promise<PredictionAccuracy | null> = () => Promise.resolve(null),
): Promise<{ facts: SystemFacts; identification: Identification; checks: Check[] }> {
  const facts = await detectSystem(host);
  const identification = identifyDevice(facts, catalog);
  const accuracy = identification.presetId !== null ? await accuracyOf(identification.presetId) : null;
  const checks = runDoctorChecks({
    facts,
    identification,
    catalog,
    modelBytes: TYPICAL_MODEL_BYTES,
    imageBytes: TYPICAL_IMAGE_BYTES,
    accuracy,
  });
  return { facts, identification, checks };
}

/** Detects and checks; exit code 0 when nothing fails, 1 otherwise. */
export async function runDoctor(
  host: ProbeHost,
  catalog: Catalog,
): Promise<{ report: DoctorReport; identification: Identification; facts: SystemFacts; exitCode: number }> {
  // doctor shows how far this board's launches were from their plans (the local history).
  const { facts, identification, checks } = await examineSystem(host, catalog, async (presetId) => {
    const { readHistory } = await import('./history.js');
    const { summarizeAccuracy } = await import('../core/history.js');
    return summarizeAccuracy(await readHistory(), presetId);
  });
  return {
    report: buildDoctorReport(facts, identification, checks),
    identification,
    facts,
    exitCode: checks.some((c) => c.status === 'fail') ? 1 : 0,
  };
}
