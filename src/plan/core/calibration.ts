/**
 * Calibration from this board's own launches: the launch history (written by launch, read here through a small
 * type of its own: plan does not import launch) holds vLLM's logged figures for the terms the budget estimates.
 * When the board has logged launches of the same vLLM version family, those measurements replace the estimates.
 * Pure: the shell (src/plan/launch-records.ts) reads the file.
 */
import type { VllmData } from '../../catalog/core/presets-schema.js';
import { resolveVllmVersion, type MemoryAlgorithm } from './vllm-version.js';

/** vLLM's logged figures for the budget's estimated terms, with the settings they were measured at. */
export interface LaunchTerms {
  /** `non_torch_memory` / V1 `non-torch forward increase memory`. */
  nonTorchBytes: number | null;
  /** `PyTorch activation peak memory` / V1 `torch peak memory increase`. */
  activationPeakBytes: number | null;
  /** max_num_batched_tokens of that launch (the profile run's N). */
  batchedTokens: number | null;
  /** CUDA-graph bytes vLLM logged (capture or its 0.21+ estimate). */
  cudaGraphBytes: number | null;
  /** The plan's CUDA-graph estimate for that launch. */
  predictedGraphBytes: number | null;
}

/** One line of the launch history as the planner reads it (launch/core/history.ts HistoryEntry, a subset). */
export interface LaunchRecord {
  device: string;
  vllmVersion: string;
  outcome: string;
  terms: LaunchTerms | null;
}

/** What this board's launches measured, for one version family. */
export interface Calibration {
  /** Launches the figures come from. */
  launches: number;
  /** The version family (vLLM's memory algorithm) they ran. */
  family: MemoryAlgorithm;
  nonTorchBytes: number | null;
  activationBytesPerToken: number | null;
  /** Measured over estimated CUDA-graph bytes. */
  graphScale: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/** Parses the history file (JSON lines) into launch records; lines that are not records are skipped. */
export function parseLaunchRecords(text: string): LaunchRecord[] {
  const records: LaunchRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    if (typeof v.device !== 'string' || typeof v.vllmVersion !== 'string') continue;
    const t = typeof v.terms === 'object' && v.terms !== null ? (v.terms as Record<string, unknown>) : null;
    records.push({
      device: v.device,
      vllmVersion: v.vllmVersion,
      outcome: typeof v.outcome === 'string' ? v.outcome : 'unknown',
      terms:
        t === null
          ? null
          : {
              nonTorchBytes: num(t.nonTorchBytes),
              activationPeakBytes: num(t.activationPeakBytes),
              batchedTokens: num(t.batchedTokens),
              cudaGraphBytes: num(t.cudaGraphBytes),
              predictedGraphBytes: num(t.predictedGraphBytes),
            },
    });
  }
  return records;
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length);

/**
 * Returns the measured terms of this device's launches of the same version family (same memory algorithm as
 * `version`), or null when there are none with figures.
 */
export function computeCalibration(
  records: readonly LaunchRecord[],
  deviceId: string,
  version: string,
  data: VllmData,
): Calibration | null {
  const target = resolveVllmVersion(version, data);
  if (target === null) return null;
  const mine = records.filter(
    (r) =>
      r.device === deviceId &&
      r.terms !== null &&
      resolveVllmVersion(r.vllmVersion, data)?.algorithm === target.algorithm,
  );
  const terms = mine.map((r) => r.terms).filter((t): t is LaunchTerms => t !== null);
  const nonTorch = mean(terms.map((t) => t.nonTorchBytes).filter((x): x is number => x !== null));
  const perToken = mean(
    terms
      .filter((t) => t.activationPeakBytes !== null && t.batchedTokens !== null && t.batchedTokens > 0)
      .map((t) => (t.activationPeakBytes ?? 0) / (t.batchedTokens ?? 1)),
  );
  const graphScale = mean(
    terms
      .filter((t) => t.cudaGraphBytes !== null && t.predictedGraphBytes !== null && t.predictedGraphBytes > 0)
      .map((t) => (t.cudaGraphBytes ?? 0) / (t.predictedGraphBytes ?? 1)),
  );
  if (nonTorch === null && perToken === null && graphScale === null) return null;
  return {
    launches: mine.length,
    family: target.algorithm,
    nonTorchBytes: nonTorch,
    activationBytesPerToken: perToken,
    graphScale,
  };
}

/** The label every measured term carries: "measured on this board (N launches)". */
export function describeMeasured(calibration: Calibration): string {
  return `measured on this board (${calibration.launches} launch${calibration.launches === 1 ? '' : 'es'})`;
}
