/**
 * The local history of launches: what the plan predicted and what vLLM logged, so a later plan (and
 * `doctor`) can say how far off this board's predictions have been. Pure: the shell reads and appends.
 */
import type { Plan } from '../../plan/core/plan.js';
import type { LogFigures } from './log/state.js';

export interface HistoryEntry {
  /** ISO-8601 time of the launch (given by the shell). */
  at: string;
  device: string;
  model: string;
  quant: string;
  vllmVersion: string;
  outcome: 'ready' | 'failed' | 'stopped';
  predicted: { weightsBytes: number; gpuBlocks: number; kvTokens: number; totalBytes: number };
  actual: { weightsBytes: number | null; gpuBlocks: number | null; kvTokens: number | null };
  /** vLLM's logged figures for the budget's estimated terms (read back by plan/core/calibration.ts). */
  terms?: {
    nonTorchBytes: number | null;
    activationPeakBytes: number | null;
    batchedTokens: number;
    cudaGraphBytes: number | null;
    predictedGraphBytes: number;
  };
}

/** The entry for one launch. */
export function buildHistoryEntry(
  plan: Plan,
  figures: LogFigures,
  outcome: HistoryEntry['outcome'],
  at: string,
): HistoryEntry {
  return {
    at,
    device: plan.device.id,
    model: plan.model.id,
    quant: plan.quant.id,
    vllmVersion: plan.vllm.version,
    outcome,
    predicted: {
      weightsBytes: plan.quant.weightBytes,
      gpuBlocks: plan.kvCache.gpuBlocks,
      kvTokens: plan.kvCache.tokens,
      totalBytes: plan.budget.totalBytes,
    },
    actual: { weightsBytes: figures.weightsBytes, gpuBlocks: figures.gpuBlocks, kvTokens: figures.kvTokens },
    terms: {
      nonTorchBytes: figures.nonTorchBytes,
      activationPeakBytes: figures.activationPeakBytes,
      batchedTokens: plan.settings.maxNumBatchedTokens,
      cudaGraphBytes: figures.cudaGraphBytes ?? figures.cudaGraphEstimateBytes,
      predictedGraphBytes: plan.budget.items.find((i) => i.key === 'cudaGraphs')?.bytes ?? 0,
    },
  };
}

/** Parses the history file (JSON lines); lines that are not entries are skipped. */
export function parseHistory(text: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as Partial<HistoryEntry>;
      if (
        typeof e.at === 'string' &&
        typeof e.device === 'string' &&
        e.predicted !== undefined &&
        e.actual !== undefined
      )
        entries.push(e as HistoryEntry);
    } catch {
      // a damaged line: skipped
    }
  }
  return entries;
}

export interface PredictionAccuracy {
  launches: number;
  /** Mean relative error of the weights (actual vs predicted), as a fraction; null without data. */
  weightsError: number | null;
  /** Mean relative error of the KV cache tokens; null without data. */
  kvTokensError: number | null;
}

/** "N launch(es) recorded: weights +1.4 %, KV cache tokens +17.9 % against the plans"; null without any. */
export function describeAccuracy(accuracy: PredictionAccuracy | null | undefined): string | null {
  if (accuracy === undefined || accuracy === null || accuracy.launches === 0) return null;
  const pct = (e: number | null): string => (e === null ? 'n/a' : `${e >= 0 ? '+' : ''}${(e * 100).toFixed(1)} %`);
  return `${accuracy.launches} launch(es) recorded: weights ${pct(accuracy.weightsError)}, KV cache tokens ${pct(accuracy.kvTokensError)} against the plans`;
}

/** How far this device's predictions have been off, over its recorded launches. */
export function summarizeAccuracy(entries: HistoryEntry[], device: string): PredictionAccuracy {
  const mine = entries.filter((e) => e.device === device);
  const mean = (pairs: [number, number | null][]): number | null => {
    const ok = pairs.filter((p): p is [number, number] => p[1] !== null && p[0] > 0);
    return ok.length === 0 ? null : ok.reduce((s, [p, a]) => s + (a - p) / p, 0) / ok.length;
  };
  return {
    launches: mine.length,
    weightsError: mean(mine.map((e) => [e.predicted.weightsBytes, e.actual.weightsBytes])),
    kvTokensError: mean(mine.map((e) => [e.predicted.kvTokens, e.actual.kvTokens])),
  };
}
