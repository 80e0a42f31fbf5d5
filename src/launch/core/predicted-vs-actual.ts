/**
 * vLLM's own figures (read from its log) next to the plan's: what the launch prints once the server is
 * ready, and again with a failure. Pure.
 */
import type { Plan } from '../../plan/core/plan.js';
import { GiB } from '../../shared/units.js';
import type { LogState } from './log/state.js';

const gib = (b: number | null): string => (b === null ? 'n/a' : `${(b / GiB).toFixed(2)} GiB`);

/**
 * Returns what a difference means in words, for one too large to be rounding: "2.2× the plan" for +118 %, "4.7× the
 * plan" for +367 %, "over the plan", "under the plan", "under half the plan"; '' within 25 %. Short: the row with
 * its words stays within 80 columns.
 */
export function describeDifference(predicted: number, actual: number): string {
  if (predicted <= 0) return actual > 0 ? 'not in the plan' : '';
  const ratio = actual / predicted;
  if (ratio >= 2) return `${ratio.toFixed(1)}× the plan`;
  if (ratio >= 1.25) return 'over the plan';
  if (ratio <= 0.5) return 'under half the plan';
  if (ratio <= 0.75) return 'under the plan';
  return '';
}

/** Returns vLLM's figures next to the plan's, with the difference (only the ones the log printed; [] when none). */
export function formatPredictedVsActual(plan: Plan, log: LogState): string[] {
  const f = log.figures;
  const rows: [string, string, string][] = [];
  // The percentage in parentheses, then what it means when it is large (a bare +367 % says little).
  const diff = (p: number, a: number): string => {
    const words = describeDifference(p, a);
    return `(${a >= p ? '+' : ''}${(((a - p) / Math.max(p, 1)) * 100).toFixed(1)} %)${words === '' ? '' : ` ${words}`}`;
  };
  if (f.weightsBytes !== null)
    rows.push([
      'weights',
      gib(plan.quant.weightBytes),
      `${gib(f.weightsBytes)} ${diff(plan.quant.weightBytes, f.weightsBytes)}`,
    ]);
  if (f.gpuBlocks !== null)
    rows.push([
      'GPU KV blocks',
      String(plan.kvCache.gpuBlocks),
      `${f.gpuBlocks} ${diff(plan.kvCache.gpuBlocks, f.gpuBlocks)}`,
    ]);
  if (f.cpuBlocks !== null) rows.push(['CPU KV blocks', String(plan.kvCache.cpuBlocks), String(f.cpuBlocks)]);
  if (f.kvTokens !== null)
    rows.push([
      'KV cache tokens',
      String(plan.kvCache.tokens),
      `${f.kvTokens} ${diff(plan.kvCache.tokens, f.kvTokens)}`,
    ]);
  if (f.availableKvBytes !== null) {
    const predicted = plan.kvCache.gpuBlocks * plan.kvCache.bytesPerBlock;
    rows.push(['KV cache memory', gib(predicted), `${gib(f.availableKvBytes)} ${diff(predicted, f.availableKvBytes)}`]);
  }
  if (f.maxConcurrency !== null)
    rows.push(['max concurrency', `${plan.kvCache.maxConcurrency}x`, `${f.maxConcurrency}x`]);
  if (rows.length === 0) return [];
  return ['predicted vs actual:', ...rows.map(([what, p, a]) => `  ${what.padEnd(16)} plan ${p.padEnd(12)} vLLM ${a}`)];
}
