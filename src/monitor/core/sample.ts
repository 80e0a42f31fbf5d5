/**
 * One telemetry sample: the live panel's data and `monitor --json`'s line format (one object per line).
 * Absent fields are null (or left out of a map), never 0. Pure types.
 */

export type SampleSource = 'tegrastats' | 'nvidia-smi' | 'proc' | 'replay';

export interface LoadFreq {
  /** Load in percent (0–100); null when the source does not say. */
  loadPct: number | null;
  /** Clock in MHz; null when the source does not say (e.g. tegrastats without root). */
  freqMHz: number | null;
}

export interface EngineState {
  state: 'on' | 'off';
  loadPct: number | null;
  freqMHz: number | null;
}

export interface PowerRail {
  /** Instantaneous power in milliwatts. */
  nowMW: number;
  /** Running average in milliwatts. */
  avgMW: number;
}

/** vLLM's own figures, from /health and /metrics. */
export interface VllmMetrics {
  /** /health answered 200. */
  isHealthy: boolean;
  running: number | null;
  waiting: number | null;
  /** KV cache use as a fraction 0–1 (vllm:gpu_cache_usage_perc or vllm:kv_cache_usage_perc). */
  kvCacheUsage: number | null;
  /** KV cache in use, in bytes (usage × blocks × bytes per block), when the block figures are known. */
  kvCacheUsedBytes: number | null;
  /** Prompt and generation tokens per second, from counter deltas. */
  promptTokensPerSec: number | null;
  generationTokensPerSec: number | null;
  /** Mean time to first token over the last interval, in seconds. */
  ttftSeconds: number | null;
  /** /metrics values left out as out of range (NaN, ±Inf, negative, absurd), each with why; absent when none. */
  rejected?: string[];
}

export interface Sample {
  /** ISO-8601 time of the sample as the source printed it (tegrastats: local time, no zone); null if none. */
  time: string | null;
  source: SampleSource;
  ram: { usedMiB: number; totalMiB: number } | null;
  swap: { usedMiB: number; totalMiB: number; cachedMiB: number | null } | null;
  /** One entry per core; null for a core that is off. Empty when the source has no CPU data. */
  cpu: (LoadFreq | null)[];
  gpu: LoadFreq | null;
  emc: LoadFreq | null;
  engines: Record<string, EngineState>;
  /** Valid temperatures in °C by sensor name (invalid readings such as -256 left out). */
  temps: Record<string, number>;
  power: Record<string, PowerRail>;
  vllm: VllmMetrics | null;
}

/** A sample with nothing in it (the shape every parser starts from). */
export function emptySample(source: SampleSource): Sample {
  return {
    time: null,
    source,
    ram: null,
    swap: null,
    cpu: [],
    gpu: null,
    emc: null,
    engines: {},
    temps: {},
    power: {},
    vllm: null,
  };
}
