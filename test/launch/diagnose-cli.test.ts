/**
 * `jetson-vllm diagnose <log | ->` through the built CLI, on every recorded vLLM log (test/fixtures/recorded/
 * vllm-logs.json: V0 and V1, each failure kind they hold, and the ones that got ready), from a file and from stdin,
 * with the exact figures of each fix.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadVllmLogCases } from '../helpers/catalog.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { TEST_HOME } from '../helpers/home.js';

const cases = loadVllmLogCases();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'jv-diagnose-'));

/** The recorded case whose source URL ends with `tail`, written to a file. */
function logFile(tail: string): { file: string; text: string } {
  const c = cases.find((x) => x.source_url.endsWith(tail));
  if (c === undefined) throw new Error(`no recorded case ${tail}`);
  const text = `${c.log_lines.join('\n')}\n`;
  const file = path.join(tmp, `${tail.replace(/\W+/g, '-')}.log`);
  writeFileSync(file, text);
  return { file, text };
}

const runCliStdin = (args: string[], input: string): CliResult => runCli(args, { HOME: TEST_HOME }, input);

interface Report {
  failure: { kind: string; line: string } | null;
  stage: string;
  setup: {
    model: string | null;
    preset: { model: string; quant: string | null } | null;
    knobs: Record<string, unknown>;
  };
  options: Record<string, unknown> | null;
  unplanned: string | null;
  diagnosis: {
    kind: string;
    cause: string;
    fix:
      | { kind: 'replan'; changedFlags: string[]; plan: { settings: Record<string, unknown>; verdict: string } }
      | { kind: 'command'; command: string }
      | { kind: 'none'; explanation: string };
  } | null;
}

const json = (stdout: string): Report => JSON.parse(stdout) as Report;

describe('jetson-vllm diagnose (built CLI) on the recorded logs', () => {
  it('every recorded log: a failure is recognised (exit 0) or the log shows none (exit 1), never bad input', () => {
    for (const c of cases) {
      const { file } = logFile(c.source_url.split('github.com/')[1] ?? c.source_url);
      const r = runCli(['diagnose', file, '--device', 'orin-nx-16gb', '--json']);
      expect(r.stderr, c.source_url).toBe('');
      const report = json(r.stdout);
      const failed = !['ready', 'other_error'].includes(c.outcome) || c.source_url.endsWith('issues/1568');
      expect(r.code, c.source_url).toBe(failed ? 0 : 1);
      expect(report.failure === null, c.source_url).toBe(!failed);
    }
  });

  it('V0, #795 (Orin NX, Qwen2-7B Q4_K_M GGUF, killed): the file names the preset; the fix keeps the 200 tokens', () => {
    const { file } = logFile('jetson-containers/issues/795');
    const r = runCli(['diagnose', file, '--device', 'orin-nx-16gb', '--vllm-version', '0.6.3', '--json']);
    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(report.failure?.kind).toBe('oom-killed');
    expect(report.setup.preset).toEqual({ model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m' });
    expect(report.setup.knobs).toEqual({ maxModelLen: '200' });
    const d = report.diagnosis;
    expect(d?.cause).toContain(
      "It ran with vLLM's defaults: 90 % of all the memory for vLLM (--gpu-memory-utilization 0.9), plus 4 GiB of pinned swap (--swap-space, V0).",
    );
    if (d?.fix.kind !== 'replan') throw new Error('expected a re-plan');
    expect(d.fix.changedFlags).toEqual([
      '--max-num-seqs 4',
      '--max-num-batched-tokens 200',
      '--gpu-memory-utilization 0.31',
      '--swap-space 0',
      '--num-gpu-blocks-override 52',
      '--enforce-eager',
    ]);
    expect(d.fix.plan.settings.maxModelLen).toBe(200);
    expect(d.fix.plan.verdict).toBe('fits');
  });

  it('V1, vllm#18679 (sampler warm-up with 256 dummy requests) from stdin: fewer sequences, exact flags', () => {
    const { text } = logFile('vllm-project/vllm/issues/18679');
    const r = runCliStdin(
      [
        'diagnose',
        '-',
        '--device',
        'agx-orin-64gb',
        '--model',
        'deepseek-r1-distill-qwen-1.5b',
        '--vllm-version',
        '0.8.6',
      ],
      text,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Failure: CUDA out of memory$/m);
    expect(r.stdout).toContain('It failed warming up the sampler for 256 dummy requests (--max-num-seqs).');
    expect(r.stdout).toContain(
      '  fix: --max-model-len 32768 --max-num-seqs 16 --gpu-memory-utilization 0.34 --swap-space 0 → FITS',
    );
    expect(r.stdout).toMatch(/^ {2}command: docker run .* vllm serve deepseek-ai\/DeepSeek-R1-Distill-Qwen-1\.5B /m);
  });

  it("V1 max-len, vllm#25350 (221000 asked, 122080 fit): the fix's context never exceeds what the log says fit", () => {
    const { file, text } = logFile('vllm-project/vllm/issues/25350');
    const args = [
      '--device',
      'agx-orin-64gb',
      '--model',
      'qwen3-30b-a3b',
      '--quant',
      'fp8',
      '--vllm-version',
      '0.11.2',
    ];
    const fromFile = runCli(['diagnose', file, ...args, '--json']);
    const fromStdin = runCliStdin(['diagnose', '-', ...args, '--json'], text);
    expect(fromStdin.stdout).toBe(fromFile.stdout.replace(JSON.stringify(file), '"-"'));
    const d = json(fromFile.stdout).diagnosis;
    expect(d?.cause).toContain(
      'Here 221000 tokens were asked for; about 122080 fit in the KV cache vLLM could allocate.',
    );
    if (d?.fix.kind !== 'replan') throw new Error('expected a re-plan');
    // The planner's longest context for this board: the model's own 40960 (the log's 221000 is past it, so the
    // plan as it ran is already clamped there and --max-model-len is not among the changed flags).
    expect(d.fix.plan.settings.maxModelLen).toBe(40960);
    expect(d.fix.plan.settings.maxModelLen).toBeLessThanOrEqual(122080);
    expect(d.fix.changedFlags).toEqual(['--max-num-seqs 6', '--swap-space 0', '--kv-cache-memory-bytes 24159191040']);
  });

  it('V1 engine failed (jetson-containers#1568) names the failure; without a model it says how to re-plan', () => {
    const { file } = logFile('jetson-containers/issues/1568');
    const r = runCli(['diagnose', file, '--device', 'orin-nano-8gb']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Failure: vLLM engine failed to start$/m);
    expect(r.stdout).toContain(
      '  not re-planned: the log names no model: give --model (a preset id, an HF id, a folder)',
    );
  });

  it('a log that got ready (vllm PR #10511): exit 1, no failure, the stage it reached', () => {
    const { file } = logFile('vllm-project/vllm/pull/10511');
    const r = runCli(['diagnose', file, '--device', 'orin-nx-16gb']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`No failure in ${file}: vLLM's last stage there is memory-profiling.\n`);
  });

  it("a kill pasted with the kernel's oom-kill lines names the process that held the memory", () => {
    const text = [
      'INFO 12-05 10:00:00 api_server.py:700] vllm serve Qwen/Qwen2-7B-Instruct-AWQ --max-model-len 8192 --max-num-seqs 4 --gpu-memory-utilization 0.77 --swap-space 0 --enforce-eager',
      'INFO 12-05 10:00:01 [loader.py:458] Loading weights took 3.44 seconds',
      '[ 8112.041470] Tasks state (memory values in pages):',
      '[ 8112.041473] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name',
      '[ 8112.041500] [    812]   998   812  2457612  1625292  14254080        0             0 ollama',
      '[ 8112.041530] [   4321]  1000  4321  9876543   310720  20480000        0             0 python3',
      '[ 8112.041900] Out of memory: Killed process 4321 (python3) total-vm:39506172kB, anon-rss:1242880kB, file-rss:1024kB, shmem-rss:0kB',
      'Killed',
    ].join('\n');
    const r = runCliStdin(['diagnose', '-', '--device', 'orin-nx-16gb', '--vllm-version', '0.11.2'], text);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Failure: Killed: the board ran out of memory$/m);
    expect(r.stdout).toContain('preset qwen2-7b-instruct awq');
    expect(r.stdout).toContain('Something else took the memory: ollama (pid 812) held 6.20 GiB.');
    expect(r.stdout).toContain('  run: jetson-vllm doctor');
    expect(r.stdout).not.toMatch(/--max-num-seqs 2\b/);
  });

  it('bad input: a missing file and no log at all exit 2', () => {
    const missing = runCli(['diagnose', path.join(tmp, 'nope.log')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/diagnose: cannot read .*nope\.log \(ENOENT\)/);
    expect(runCli(['diagnose']).code).toBe(2);
  });
});
