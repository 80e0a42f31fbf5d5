/**
 * `jetson-vllm launch --runtime native` against the stand-in `vllm` failing in each catalogued way, and
 * replaying each recorded start-up of test/fixtures/recorded/vllm-logs.json.
 * For a failure: the diagnosis title, the cause and the fix re-planned for the Orin NX 16 GB (the changed
 * flags and the retry command exactly as src/launch/core/diagnosis/ computes them for what the stand-in printed),
 * exit 1, and HF_TOKEN nowhere. For a case: the stages the log reaches, in order, and every figure vLLM
 * printed next to the plan's.
 */
import { describe, expect, it } from 'vitest';
import { DIAGNOSES } from '../../src/launch/core/diagnosis/catalog.js';
import { diagnose } from '../../src/launch/core/diagnosis/diagnose.js';
import { buildKillEvidence } from '../../src/launch/core/diagnosis/kill.js';
import type { FailureKind } from '../../src/launch/core/diagnosis/types.js';
import { buildPlan, type Plan, type PlanRequest } from '../../src/plan/core/plan.js';
import { resolvePlanRequest, type PlanOptions } from '../../src/plan/core/request.js';
import { GiB } from '../../src/shared/units.js';
import { markExited, parseLog } from '../../src/launch/core/log/reducer.js';
import type { LaunchStage } from '../../src/launch/core/log/state.js';
import { loadTestCatalog, loadVllmLogCases } from '../helpers/catalog.js';
import { findFreePort, followCli, followStandin } from '../helpers/standin.js';
import { TEST_HOME } from '../helpers/home.js';

const catalog = loadTestCatalog();
const SECRET = 'hf_launchFailuresNeverPrintThis9431';
const HOME = TEST_HOME;
const OPTIONS: PlanOptions = { runtime: 'native', device: 'orin-nx-16gb', model: 'qwen2.5-0.5b-instruct' };
const cliArgs = (port: number): string[] => [
  'launch',
  '--runtime',
  'native',
  '--device',
  'orin-nx-16gb',
  '--model',
  'qwen2.5-0.5b-instruct',
  '--port',
  String(port),
];

/** The plan and request the CLI builds for these options (its HOME's HF cache, its working directory). */
function planAsCli(port: number): { plan: Plan; request: PlanRequest } {
  const resolved = resolvePlanRequest({ ...OPTIONS, port: String(port) }, catalog, {
    detected: null,
    described: null,
    hfCacheDir: `${HOME}/.cache/huggingface`,
    workDir: process.cwd(),
  });
  if (!resolved.ok) throw new Error(resolved.message);
  const outcome = buildPlan(resolved.request, catalog);
  if (!outcome.ok) throw new Error(outcome.message);
  return { plan: outcome.plan, request: resolved.request };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const flagValue = (command: string, flag: string): string | null =>
  new RegExp(`(?:^| )${flag} (\\S+)`).exec(command)?.[1] ?? null;

describe('launch: every catalogued failure is diagnosed with the fix for this device', () => {
  it.concurrent.each(Object.keys(DIAGNOSES) as FailureKind[])('%s', async (kind) => {
    const port = await findFreePort();
    const { plan, request } = planAsCli(port);
    // What the stand-in prints for this plan's argv, read by the log parser: the failure to expect.
    const alone = followStandin(plan.argv.slice(1), { VLLM_STANDIN_FAIL: kind, HF_TOKEN: SECRET });
    const ended = await alone.exited;
    const state = markExited(parseLog(alone.lines.map((l) => l.text)), ended.code, ended.signal, 0);
    const failure = state.failure;
    expect(failure?.kind).toBe(kind);
    if (failure === null) return;
    // The CLI runs with HF_TOKEN set: a gated model is then the account's or the token's access. The launcher
    // passes what it saw of the start (vLLM's figures, its stage) as the evidence of a kill.
    const evidence = buildKillEvidence(state, null);
    const d = diagnose({ ...failure, hasHfToken: true, evidence }, request, plan, catalog);
    expect(d.title).toBe(DIAGNOSES[kind].title);

    const run = followCli(cliArgs(port), { VLLM_STANDIN_FAIL: kind, HF_TOKEN: SECRET });
    const exit = await run.exited;
    const out = run.lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
    const err = run.lines.filter((l) => l.stream === 'stderr').map((l) => l.text);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(err).toEqual([]);
    expect(out[0]).toBe(`jetson-vllm: running ${plan.command}`);
    // The line that said so (its timestamp is of the other run).
    const logLine = escape(failure.line.trim()).replace(
      /\d\d-\d\d \d\d:\d\d:\d\d/g,
      String.raw`\d\d-\d\d \d\d:\d\d:\d\d`,
    );
    expect(out.some((l) => new RegExp(`^  log: ${logLine}$`).test(l))).toBe(true);
    expect(out.find((l) => l.includes('vLLM failed:'))).toMatch(
      new RegExp(`^\\[ *\\d+\\.\\ds\\] vLLM failed: ${escape(d.title)}$`),
    );
    expect(out).toContain(`  cause: ${d.cause}`);
    switch (d.fix.kind) {
      case 'replan': {
        const retry = d.fix.plan.command;
        expect(d.fix.changedFlags.length).toBeGreaterThan(0);
        expect(['fits', 'tight']).toContain(d.fix.plan.verdict);
        expect(out).toContain(`  fix: ${d.fix.changedFlags.join(' ')} → ${d.fix.plan.verdict.toUpperCase()}`);
        expect(out).toContain(`  retry: ${retry}`);
        expect(retry).not.toBe(plan.command);
        // What each fix must do, whatever figures the planner picks.
        const num = (c: string, f: string): number => Number(flagValue(c, f));
        if (kind === 'max-len')
          expect(num(retry, '--max-model-len')).toBeLessThanOrEqual(num(plan.command, '--max-model-len') / 2);
        if (kind === 'cuda-oom') expect(num(retry, '--max-num-seqs')).toBeLessThan(num(plan.command, '--max-num-seqs'));
        if (kind === 'unknown-argument') expect(retry).not.toContain('--swap-space');
        if (kind === 'profiling-error') expect(retry).toContain('--enforce-eager');
        if (kind === 'startup-free-memory')
          expect(num(retry, '--gpu-memory-utilization')).toBeLessThan(num(plan.command, '--gpu-memory-utilization'));
        if (kind === 'swap-too-large') expect(flagValue(retry, '--swap-space') ?? '0').toBe('0');
        break;
      }
      case 'command':
        expect(out).toContain(`  fix: ${d.fix.explanation}`);
        expect(out).toContain(`  run: ${d.fix.command}`);
        if (kind === 'port-in-use') expect(flagValue(d.fix.command, '--port')).toBe(String(port + 1));
        if (kind === 'bf16-unsupported') expect(flagValue(d.fix.command, '--dtype')).toBe('half');
        if (kind === 'gated-model') expect(d.fix.command).toContain('HF_TOKEN');
        break;
      case 'none': {
        expect(out).toContain(`  ${d.fix.explanation}`);
        // "the error … is in the lines above": the launcher shows them, the stand-in's last lines.
        const tailAt = out.indexOf("  last lines of vLLM's log:");
        expect(tailAt).toBeGreaterThan(0);
        const lastOwn = alone.lines.at(-1)?.text ?? '';
        expect(out.slice(tailAt + 1).map((l) => l.trim())).toContain(lastOwn.trim());
        break;
      }
      default: {
        const unreachable: never = d.fix;
        throw new Error(`unknown fix ${String(unreachable)}`);
      }
    }
    expect(run.text()).not.toContain(SECRET);
  });
});

/** What launch prints for each stage (a native launch has no image or container stages). */
const STAGE_WORDS: Partial<Record<LaunchStage, string>> = {
  'engine-config': 'engine configured',
  'weights-loading': 'loading weights',
  'memory-profiling': 'profiling memory',
  'kv-cache': 'allocating the KV cache',
  'cuda-graphs': 'capturing CUDA graphs',
  'api-server': 'starting the API server',
  ready: 'ready',
  failed: 'failed',
};
const STAGE_LINE = /^\[ *\d+\.\ds\] (.+)$/;
const UVICORN_UP = [
  'INFO:     Started server process [1]',
  'INFO:     Waiting for application startup.',
  'INFO:     Application startup complete.',
];

/** The first number a regex captures in the case's lines (independent of src/launch/core/log/). */
function firstNumber(lines: string[], re: RegExp): number | null {
  for (const line of lines) {
    const m = re.exec(line);
    if (m?.[1] !== undefined) return Number(m[1].replace(/,/g, ''));
  }
  return null;
}
const gib = (bytes: number): string => `${(bytes / GiB).toFixed(2)} GiB`;

describe('launch replays each recorded start-up: stages in order, vLLM figures next to the plan', () => {
  const cases = loadVllmLogCases().map((c, i) => ({ c, i }));
  it.concurrent.each(cases)('case $i ($c.outcome, $c.source_url)', async ({ c, i }) => {
    const port = await findFreePort();
    const { plan } = planAsCli(port);
    const isReady = c.outcome === 'ready';
    const run = followCli(cliArgs(port), { VLLM_STANDIN_CASE: String(i), VLLM_STANDIN_SPEED: '0' });
    if (isReady) {
      await run.waitForLine(`ready: http://127.0.0.1:${port} (/health 200, /v1/models answers)`, 15_000);
      run.child.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    } else {
      expect((await run.exited).code).toBe(1);
    }
    const out = run.lines.filter((l) => l.stream === 'stdout').map((l) => l.text);

    // Stages: those the log reaches (and, once ready, the uvicorn lines the stand-in adds), in order.
    const expected = parseLog(isReady ? [...c.log_lines, ...UVICORN_UP] : c.log_lines)
      .stages.map((s) => STAGE_WORDS[s.stage])
      .filter((w) => w !== undefined);
    const shown = out
      .map((l) => STAGE_LINE.exec(l)?.[1])
      .filter((w) => w !== undefined && Object.values(STAGE_WORDS).includes(w));
    expect(shown).toEqual(expected);
    if (i === 0) expect(shown).toEqual(['loading weights', 'profiling memory', 'allocating the KV cache', 'failed']);

    // Predicted vs actual: every figure the log printed, next to the plan's.
    const lines = c.log_lines;
    const rows: [string, string, string][] = [];
    const weights = firstNumber(
      lines,
      /(?:Loading model weights took|Model loading took|model weights take)\s+([\d.]+)\s*Gi?B/,
    );
    if (weights !== null) rows.push(['weights', gib(plan.quant.weightBytes), `${weights.toFixed(2)} GiB`]);
    const gpuBlocks = firstNumber(lines, /# (?:GPU|CUDA) blocks: (\d+)/);
    if (gpuBlocks !== null) rows.push(['GPU KV blocks', String(plan.kvCache.gpuBlocks), String(gpuBlocks)]);
    const cpuBlocks = firstNumber(lines, /# CPU blocks: (\d+)/);
    if (cpuBlocks !== null) rows.push(['CPU KV blocks', String(plan.kvCache.cpuBlocks), String(cpuBlocks)]);
    const tokens = firstNumber(lines, /GPU KV cache size: ([\d,]+) tokens/);
    if (tokens !== null) rows.push(['KV cache tokens', String(plan.kvCache.tokens), String(tokens)]);
    const kvGiB = firstNumber(
      lines,
      /(?:Available KV cache memory: |available_kv_cache_memory\s+|available KV cache memory \()([\d.]+) ?GiB/,
    );
    if (kvGiB !== null)
      rows.push([
        'KV cache memory',
        gib(plan.kvCache.gpuBlocks * plan.kvCache.bytesPerBlock),
        `${kvGiB.toFixed(2)} GiB`,
      ]);
    const concurrency = firstNumber(lines, /Maximum concurrency for [\d,]+ tokens per request: ([\d.]+)x/);
    if (concurrency !== null) rows.push(['max concurrency', `${plan.kvCache.maxConcurrency}x`, `${concurrency}x`]);

    const text = out.join('\n');
    if (rows.length === 0) expect(text).not.toContain('predicted vs actual');
    else expect(text).toContain('predicted vs actual:');
    for (const [what, predicted, actual] of rows)
      expect(text).toMatch(
        new RegExp(`^ +${escape(what)} +plan ${escape(predicted)} +vLLM ${escape(actual)}(?: \\(|$)`, 'm'),
      );
    expect(
      text.match(
        /^ +(?:weights|GPU KV blocks|CPU KV blocks|KV cache tokens|KV cache memory|max concurrency) +plan /gm,
      ) ?? [],
    ).toHaveLength(rows.length);
  });
});
