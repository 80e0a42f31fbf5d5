/**
 * `jetson-vllm diagnose` (built CLI) on a stand-in log of every failure kind the diagnosis catalog knows, in V1's
 * format and, for the kinds vLLM < 0.8 had, V0's (test/fixtures/bin/vllm VLLM_STANDIN_FAIL, VLLM_STANDIN_V0): from
 * a file and from stdin (the same report), each recognised (exit 0), with the exact flags of each re-planned fix; a
 * max-len fix never exceeds the tokens the log says fit. The recorded logs are diagnose-cli.test.ts's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSES } from '../../src/launch/core/diagnosis/catalog.js';
import type { FailureKind } from '../../src/launch/core/diagnosis/types.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { STANDIN } from '../helpers/standin.js';
import { TEST_HOME } from '../helpers/home.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'jv-diagnose-kinds-'));
const MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
type Format = 'V1' | 'V0';

/** The stand-in's log of one failure kind (both streams, in order), written to a file. */
function standinLog(kind: FailureKind, format: Format): { file: string; text: string } {
  const r = spawnSync(process.execPath, [STANDIN, 'serve', MODEL, '--max-model-len', '8192'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      VLLM_STANDIN_FAIL: kind,
      ...(format === 'V0' ? { VLLM_STANDIN_V0: '1', VLLM_STANDIN_VERSION: '0.6.3' } : {}),
    },
    timeout: 10_000,
  });
  // The stand-in pauses between streams, so stdout then stderr is the order of a V1 failure's last lines.
  const text = `${r.stdout}${r.stderr}`;
  const file = path.join(tmp, `${format}-${kind}.log`);
  writeFileSync(file, text);
  return { file, text };
}

const runCliStdin = (args: string[], input: string): CliResult => runCli(args, { HOME: TEST_HOME }, input);

interface Report {
  failure: { kind: string; line: string; figures: Record<string, number | string> } | null;
  setup: { model: string | null; vllmVersion: string | null };
  unplanned: string | null;
  diagnosis: {
    kind: string;
    fix:
      | { kind: 'replan'; changedFlags: string[]; plan: { settings: { maxModelLen: number }; verdict: string } }
      | { kind: 'command'; command: string }
      | { kind: 'none'; explanation: string };
  } | null;
}
const json = (stdout: string): Report => JSON.parse(stdout) as Report;

/** The kinds V0 (vLLM < 0.8) did not have: the start-up free-memory check and the EngineCore process are V1's. */
const V1_ONLY: readonly FailureKind[] = ['startup-free-memory', 'engine-failed'];
/** The log names no model (argparse, docker, the Hub, the port: before the engine config is printed). */
const NO_MODEL: readonly FailureKind[] = [
  'swap-too-large',
  'unknown-argument',
  'image-driver-mismatch',
  'unknown-runtime',
  'port-in-use',
  'model-not-found',
  'gated-model',
];

/** The planner's memory flags on the Orin NX 16 GB for the 0.5B model at 8192 tokens: V1 and V0. */
const V1_FLAGS = [
  '--max-num-seqs 4',
  '--max-num-batched-tokens 1024',
  '--gpu-memory-utilization 0.88',
  '--swap-space 0',
  '--kv-cache-memory-bytes 402653184',
];
const V0_FLAGS = [
  '--max-num-seqs 4',
  '--gpu-memory-utilization 0.12',
  '--swap-space 0',
  '--num-gpu-blocks-override 2048',
];

/** The exact flags of each re-planned fix, by format and kind (other kinds' fixes are commands or advice). */
const REPLANS: Record<Format, Partial<Record<FailureKind, string[]>>> = {
  V1: {
    'oom-killed': V1_FLAGS,
    'cuda-oom': V1_FLAGS,
    // The log: 8192 asked, "the estimated maximum model length is 4096".
    'max-len': [
      '--max-model-len 4096',
      '--max-num-seqs 4',
      '--max-num-batched-tokens 1024',
      '--gpu-memory-utilization 0.88',
      '--swap-space 0',
      '--kv-cache-memory-bytes 201326592',
    ],
    'no-cache-blocks': V1_FLAGS,
    // vLLM wanted 0.9 × 15.29 GiB with 12.26 GiB free: the share drops under what was free.
    'startup-free-memory': [
      '--max-num-seqs 4',
      '--max-num-batched-tokens 1024',
      '--gpu-memory-utilization 0.78',
      '--swap-space 0',
      '--kv-cache-memory-bytes 402653184',
    ],
    'profiling-error': V1_FLAGS,
    // With --model (the log names none): the planner's whole plan, --swap-space 0 in it.
    'swap-too-large': ['--max-model-len 8192', ...V1_FLAGS, '--enforce-eager'],
    'unsupported-quantization': [`vllm serve ${MODEL}-GPTQ-Int8`, ...V1_FLAGS],
  },
  V0: {
    'oom-killed': V0_FLAGS,
    'cuda-oom': V0_FLAGS,
    // The log: "the maximum number of tokens that can be stored in KV cache (4096)".
    'max-len': [
      '--max-model-len 4096',
      '--max-num-seqs 4',
      '--gpu-memory-utilization 0.1',
      '--swap-space 0',
      '--num-gpu-blocks-override 1024',
    ],
    'no-cache-blocks': V0_FLAGS,
    'profiling-error': V0_FLAGS,
    'swap-too-large': ['--max-model-len 8192', ...V0_FLAGS, '--enforce-eager'],
    'unsupported-quantization': [
      `vllm serve ${MODEL}-GPTQ-Int8`,
      '--max-num-seqs 4',
      '--gpu-memory-utilization 0.1',
      '--swap-space 0',
      '--num-gpu-blocks-override 2048',
    ],
  },
};

const KINDS = Object.keys(DIAGNOSES) as FailureKind[];

describe('jetson-vllm diagnose (built CLI) on a stand-in log of every failure kind', () => {
  it('the catalog lists the 16 kinds the log parser reports', () => {
    expect(KINDS).toHaveLength(16);
  });

  for (const format of ['V1', 'V0'] as const) {
    for (const kind of KINDS) {
      if (format === 'V0' && V1_ONLY.includes(kind)) continue;
      it(`${format} ${kind}: recognised from a file and from stdin alike, with the exact fix`, () => {
        const { file, text } = standinLog(kind, format);
        const fromFile = runCli(['diagnose', file, '--device', 'orin-nx-16gb', '--json']);
        expect(fromFile.stderr).toBe('');
        expect(fromFile.code, fromFile.stdout).toBe(0);
        const report = json(fromFile.stdout);
        expect(report.failure?.kind).toBe(kind);
        const fromStdin = runCliStdin(['diagnose', '-', '--device', 'orin-nx-16gb', '--json'], text);
        expect(fromStdin.code).toBe(0);
        const piped = json(fromStdin.stdout);
        expect({ ...piped, source: null }).toEqual({ ...report, source: null });

        // The version the log shows (V1's banner, V0's "Initializing an LLM engine (v0.6.3)"); the model where named.
        if (!['unknown-argument', 'image-driver-mismatch', 'unknown-runtime'].includes(kind))
          expect(report.setup.vllmVersion).toBe(format === 'V0' ? '0.6.3' : '0.11.2');
        let diagnosis = report.diagnosis;
        if (NO_MODEL.includes(kind)) {
          expect(report.setup.model).toBeNull();
          expect(diagnosis).toBeNull();
          expect(report.unplanned).toContain('give --model');
          const given = runCli([
            'diagnose',
            file,
            '--device',
            'orin-nx-16gb',
            '--model',
            'qwen2.5-0.5b-instruct',
            '--json',
          ]);
          expect(given.code).toBe(0);
          diagnosis = json(given.stdout).diagnosis;
        } else {
          expect(report.setup.model).toBe(MODEL);
        }
        expect(diagnosis?.kind).toBe(kind);
        const flags = REPLANS[format][kind];
        if (flags === undefined) {
          expect(diagnosis?.fix.kind).not.toBe('replan');
          return;
        }
        const fix = diagnosis?.fix;
        expect(fix?.kind).toBe('replan');
        if (fix?.kind !== 'replan') return;
        expect(fix.changedFlags).toEqual(flags);
        expect(fix.plan.verdict).toBe('fits');
        if (kind === 'max-len') {
          // Never more context than the log says fit.
          const fit = Number(report.failure?.figures.estimatedMaxModelLen ?? report.failure?.figures.kvTokens);
          expect(fit).toBe(4096);
          expect(fix.plan.settings.maxModelLen).toBeLessThanOrEqual(fit);
        }
      }, 30_000);
    }
  }
});
