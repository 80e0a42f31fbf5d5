/**
 * `jetson-vllm doctor`: detect the device, run the checks, print them (text or --json).
 */
import { runDoctorChecks, TYPICAL_IMAGE_BYTES, TYPICAL_MODEL_BYTES, type Check } from './core/checks.js';
import { identifyDevice, type Identification } from '../device/core/identify.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import type { PredictionAccuracy } from '../launch/core/history.js';
import type { SystemFacts } from '../device/core/system-facts.js';
import { buildDoctorReport, type DoctorReport } from './core/report.js';
import { detectSystem } from '../device/detect.js';
import type { ProbeHost } from '../device/host.js';

/** Detects the device, identifies it and runs the checks. */
export async function examineSystem(
  host: ProbeHost,
  catalog: Catalog,
  accuracyOf: (presetId: string) => Promise<PredictionAccuracy | null> = () => Promise.resolve(null),
  need: { bytes: number; what: string } | null = null,
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
    need,
  });
  return { facts, identification, checks };
}

/** Detects and checks; exit code 0 when nothing fails, 1 otherwise. */
export async function runDoctor(
  host: ProbeHost,
  catalog: Catalog,
  need: { bytes: number; what: string } | null = null,
): Promise<{ report: DoctorReport; identification: Identification; facts: SystemFacts; exitCode: number }> {
  // doctor shows how far this board's launches were from their plans (the local history).
  const { facts, identification, checks } = await examineSystem(
    host,
    catalog,
    async (presetId) => {
      const { readHistory } = await import('../launch/history-file.js');
      const { summarizeAccuracy } = await import('../launch/core/history.js');
      return summarizeAccuracy(await readHistory(), presetId);
    },
    need,
  );
  return {
    report: buildDoctorReport(facts, identification, checks),
    identification,
    facts,
    exitCode: checks.some((c) => c.status === 'fail') ? 1 : 0,
  };
}
