/**
 * Text output for plans and preset lists. Pure string building; colour only when asked.
 */
import type { Plan } from './plan.js';
import type { Catalog } from '../../catalog/core/presets-schema.js';
import { computeParams } from '../../model/core/architecture.js';
import { estimateWeightBytes } from '../../model/core/quantization.js';
import { formatGiB, GiB } from '../../shared/units.js';
import { paint, type Style } from '../../shared/style.js';

const gib = formatGiB;

/** The verdict in words a user acts on. */
export function describeVerdict(verdict: Plan['verdict'], isUnified: boolean): string {
  switch (verdict) {
    case 'fits':
      return 'FITS';
    case 'tight':
      return 'TIGHT (fits, with little headroom)';
    case 'oom':
      return isUnified ? 'WILL BE KILLED (out of memory)' : 'OUT OF MEMORY';
    case 'max-len':
      return 'vLLM WILL REFUSE TO START';
    case 'startup-check':
      return 'vLLM WILL REFUSE TO START AT ITS FREE-MEMORY CHECK';
    case 'unsupported':
      return 'vLLM WILL REFUSE THIS MODEL (its release cannot load it)';
    default: {
      const unreachable: never = verdict;
      return String(unreachable);
    }
  }
}

const BAR_WIDTH = 24;

/** The plan as a readable report: budget table with bars, verdict, what fits, command, notes. */
export function formatPlan(plan: Plan, style: Style, lead: readonly string[] = []): string {
  const lines: string[] = [];
  const limit = plan.budget.limitBytes;
  lines.push(paint(style, 'bold', `${plan.model.name} (${plan.quant.id}) on ${plan.device.name}`));
  lines.push(
    `vLLM ${plan.vllm.version} (${plan.vllm.engine.toUpperCase()} engine), ${plan.runtime}${plan.image !== null ? ` ${plan.image}` : ''}; memory ${gib(limit)} (${plan.device.source})`,
  );
  // What must be said first (holders.ts: the OS and other processes as the largest item).
  if (lead.length > 0) lines.push('', ...lead.map((l) => paint(style, 'yellow', l)));
  lines.push('');
  lines.push(`  ${'item'.padEnd(30)} ${'size'.padStart(10)}  of ${gib(limit)}`);
  let used = 0;
  // A row of 0.00 GiB ("Sampler warm-up 0.00 GiB") reads as a figure that matters: zero items are named once,
  // dimmed, under the table instead.
  const zero: string[] = [];
  for (const item of plan.budget.items) {
    if (!plan.device.isUnified && item.key === 'swapSpace') continue;
    if (item.bytes === 0) {
      zero.push(item.label);
      continue;
    }
    const start = Math.min(BAR_WIDTH, Math.round((used / limit) * BAR_WIDTH));
    used += item.bytes;
    const end = Math.min(BAR_WIDTH, Math.round((used / limit) * BAR_WIDTH));
    const bar = ' '.repeat(start) + '█'.repeat(Math.max(item.bytes > 0 ? 1 : 0, end - start));
    const over = used > limit ? '▶' : '';
    const label = `${item.isEstimate ? '~' : ' '}${item.label}`;
    lines.push(
      `  ${label.padEnd(30)} ${gib(item.bytes).padStart(10)}  ${paint(style, used > limit ? 'red' : 'cyan', (bar + over).padEnd(BAR_WIDTH))}`,
    );
  }
  lines.push(`  ${'─'.repeat(30)} ${'─'.repeat(10)}`);
  const head = plan.budget.headroomBytes;
  lines.push(
    `  ${' Total'.padEnd(30)} ${gib(plan.budget.totalBytes).padStart(10)}  ${head >= 0 ? `${gib(head)} left` : paint(style, 'red', `${gib(-head)} over`)}`,
  );
  if (zero.length > 0) lines.push(paint(style, 'dim', `  none in this plan: ${zero.join(', ')}`));
  lines.push(`  ~ marks an estimate; the rest is vLLM's own arithmetic.`);
  lines.push('');
  const verdictColor = plan.verdict === 'fits' ? 'green' : plan.verdict === 'tight' ? 'yellow' : 'red';
  lines.push(`Verdict: ${paint(style, verdictColor, describeVerdict(plan.verdict, plan.device.isUnified))}`);
  if (plan.refusal !== null) lines.push(`  vLLM would say: ${plan.refusal.message}`);
  const check = plan.refusal?.check;
  if (check !== undefined)
    lines.push(
      `  start-up check: ${check.freeSource} ${gib(check.freeBytes)} free < ${check.utilization} × ${gib(check.totalBytes)} = ${gib(check.requestedBytes)}; in use then: ${check.inUse.map((i) => `${i.label} ${gib(i.bytes)} (${i.source})`).join(', ')}`,
    );
  const kv = plan.kvCache;
  lines.push(
    `KV cache: ${kv.gpuBlocks} GPU blocks = ${kv.tokens} tokens (${gib(kv.gpuBlocks * kv.bytesPerBlock)})${kv.cpuBlocks > 0 ? `, ${kv.cpuBlocks} CPU blocks` : ''}; max concurrency ${kv.maxConcurrency}x at ${plan.settings.maxModelLen} tokens`,
  );
  lines.push(formatFits(plan));
  lines.push('');
  lines.push('Command:');
  lines.push(`  ${plan.command}`);
  if (plan.notes.length > 0) {
    lines.push('');
    lines.push('Notes:');
    for (const note of plan.notes) lines.push(`  - ${note}`);
  }
  return lines.join('\n');
}

/**
 * The "Fits" line: the longest context and the most sequences that run with the other knobs as planned (the same
 * defaults mode), or that nothing does — never a figure the plan's own settings contradict.
 */
export function formatFits(plan: Plan): string {
  const { maxModelLen, maxNumSeqs } = plan.fits;
  const seqs = plan.settings.maxNumSeqs;
  const len = plan.settings.maxModelLen;
  const knobs = plan.fits.knobs === 'vllm' ? " with vLLM's defaults" : '';
  if (plan.refusal?.reason === 'unsupported-model')
    return `Fits: nothing on vLLM ${plan.vllm.version}: it cannot load this model`;
  if (maxModelLen === null && maxNumSeqs === null)
    return `Fits: nothing${knobs} — no context runs with ${seqs} sequence(s), and no sequence count at ${len} tokens`;
  const lenText =
    maxModelLen === null
      ? `no context with ${seqs} sequence(s)`
      : `up to ${maxModelLen} tokens with ${seqs} sequence(s)`;
  const seqText =
    maxNumSeqs === null ? `no sequence count at ${len} tokens` : `up to ${maxNumSeqs} sequence(s) at ${len} tokens`;
  return `Fits${knobs}: ${lenText}; ${seqText}`;
}

/** `jetson-vllm devices`. */
export function formatDevices(catalog: Catalog): string {
  const rows = catalog.devices.map(
    (d) =>
      `${d.id.padEnd(18)} ${d.name.slice(0, 34).padEnd(34)} ${gib(d.memTotalBytes).padStart(10)}${d.isMemTotalDerived ? '*' : ' '} cc ${d.computeCapability.padEnd(4)} ${d.vllm.isSupported ? 'vLLM' : 'no vLLM'}`,
  );
  return [
    `${'id'.padEnd(18)} ${'name'.padEnd(34)} ${'memory'.padStart(10)}  compute`,
    ...rows,
    '* derived from the same family (no report seen)',
  ].join('\n');
}

/** `jetson-vllm models`. */
export function formatModels(catalog: Catalog): string {
  const rows = catalog.models.map((m) => {
    const params = computeParams(m.arch).total / 1e9;
    const sizes = m.quants
      .map((q) => `${q.id} ${(estimateWeightBytes(m.arch, q).weightBytes / GiB).toFixed(1)}G`)
      .join(', ');
    return `${m.id.padEnd(30)} ${params.toFixed(1).padStart(5)}B ctx ${String(m.arch.maxPositionEmbeddings).padStart(6)}  ${sizes}`;
  });
  return [`${'id'.padEnd(30)} params ${'context'.padStart(10)}  quantizations (weights)`, ...rows].join('\n');
}

/** One preset variant planned on a device (`jetson-vllm models --device <id>`). */
export interface VariantFit {
  model: string;
  quant: string;
  weightBytes: number;
  verdict: string;
  maxModelLen: number | null;
  reason: string | null;
}

/** "bf16 needs compute capability ≥ 8.0, this is 5.3": what the variant needs and this GPU's capability. */
const CAPABILITY_RE = /(\S+) needs compute capability ≥ ([\d.]+), this is ([\d.]+)/;

/**
 * Returns `jetson-vllm models --device <id>`: every variant with its verdict and the longest context that fits.
 * A GPU that runs no variant at all is said in one line, not once per row; this GPU's compute capability is
 * named once, under the table, and each refused row keeps what its variant needs.
 */
export function formatCatalogFits(rows: VariantFit[], deviceId: string): string {
  const head = `on ${deviceId} (planner's choices; the verdict is for the planned context):`;
  const capability = rows.map((r) => (r.reason === null ? null : CAPABILITY_RE.exec(r.reason)));
  const current = capability.find((m) => m !== null)?.[3] ?? null;
  if (rows.length > 0 && rows.every((r) => r.verdict === 'unsupported')) {
    const needs = capability.map((m) => (m === null ? null : Number(m[2])));
    if (current !== null && needs.every((n) => n !== null)) {
      const lowest = Math.min(...needs.map((n) => n ?? 0)).toFixed(1);
      return `${head}\nno preset variant runs here: each needs compute capability ${lowest} or more, and this GPU is ${current}.`;
    }
    const distinct = [...new Set(rows.map((r) => r.reason ?? r.verdict))];
    return [head, 'no preset variant runs here:', ...distinct.map((d) => `  ${d}`)].join('\n');
  }
  const lines = [
    head,
    `${'model'.padEnd(30)} ${'quant'.padEnd(14)} ${'weights'.padStart(9)}  ${'verdict'.padEnd(11)} longest context`,
  ];
  rows.forEach((r, i) => {
    const ctx = r.maxModelLen === null ? '-' : String(r.maxModelLen);
    const m = capability[i] ?? null;
    // This GPU's capability is said once below; the row keeps what its variant needs (and the advice after it).
    const why =
      m === null || r.reason === null
        ? (r.reason ?? ctx)
        : r.reason.replace(/^.*?: not supported on this GPU: /, '').replace(`, this is ${m[3]}`, '');
    const weights = r.verdict === 'unsupported' ? '-'.padStart(9) : `${(r.weightBytes / GiB).toFixed(1).padStart(8)}G`;
    lines.push(`${r.model.padEnd(30)} ${r.quant.padEnd(14)} ${weights}  ${r.verdict.padEnd(11)} ${why}`);
  });
  if (current !== null) lines.push(`unsupported: this GPU is compute capability ${current}`);
  return lines.join('\n');
}
