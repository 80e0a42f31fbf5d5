/**
 * vLLM's own figures (read from its log) next to the plan's: what the launch prints once the server is
 * ready, and again with a failure. Pure.
 */
import type { Plan } from '../../plan/core/plan.js';
import { GiB } from '../../shared/units.js';
import type { LogState } from './log/state.js';

const gib = (b: number | null): string => (b === null ? 'n/a' : `${(b / GiB).toFixed(2)} GiB`);

/** Returns vLLM's figures next to the plan's, with the difference (only the ones the log printed; [] when none). */
export function formatPredictedVsActual(plan: Plan, log: LogState): string[] {
  const f = log.figures;
  const rows: [string, string, string][] = [];
  const diff = (p: number, a: number): string =>
    `${a >= p ? '+' : ''}${(((a - p) / Math.max(p, 1)) * 100).toFixed(1)} %`;
  if (f.weightsBytes !== null)
    rows.push([
      'weights',
      gib(plan.quant.weightBytes),
      `${gib(f.weightsBytes)} (${diff(plan.quant.weightBytes, f.weightsBytes)})`,
    ]);
  if (f.gpuBlocks !== null)
    rows.push([
      'GPU KV blocks',
      String(plan.kvCache.gpuBlocks),
      `${f.gpuBlocks} (${diff(plan.kvCache.gpuBlocks, f.gpuBlocks)})`,
    ]);
  if (f.cpuBlocks !== null) rows.push(['CPU KV blocks', String(plan.kvCache.cpuBlocks), String(f.cpuBlocks)]);
  if (f.kvTokens !== null)
    rows.push([
      'KV cache tokens',
      String(plan.kvCache.tokens),
      `${f.kvTokens} (${diff(plan.kvCache.tokens, f.kvTokens)})`,
    ]);
  if (f.availableKvBytes !== null) {
    const predicted = plan.kvCache.gpuBlocks * plan.kvCache.bytesPerBlock;
    rows.push([
      'KV cache memory',
      gib(predicted),
      `${gib(f.availableKvBytes)} (${diff(predicted, f.availableKvBytes)})`,
    ]);
  }
  if (f.maxConcurrency !== null)
    rows.push(['max concurrency', `${plan.kvCache.maxConcurrency}x`, `${f.maxConcurrency}x`]);
  if (rows.length === 0) return [];
  return ['predicted vs actual:', ...rows.map(([what, p, a]) => `  ${what.padEnd(16)} plan ${p.padEnd(12)} vLLM ${a}`)];
}
