/**
 * The built CLI: exit codes, one-line errors without stack traces, --json contract, NO_COLOR.
 * Needs `npm run build:bundle` first (npm test does it).
 */
import { cpSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/catalog.js';
import { runCli } from '../helpers/cli.js';

const orin = [
  'plan',
  '--device',
  'orin-nx-16gb',
  '--model',
  'qwen2-7b-instruct',
  '--quant',
  'gguf-q4_k_m',
  '--vllm-version',
  '0.6.3',
];

function expectOneLineError(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^jetson-vllm: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('jetson-vllm plan (built CLI)', () => {
  it('a release without the architecture: exit 3, "vLLM WILL REFUSE THIS MODEL" with the fix, the same in --json', () => {
    const args = ['plan', '--device', 'agx-orin-64gb', '--model', 'qwen3.5-9b', '--vllm-version', '0.16.0'];
    const text = runCli(args);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('Verdict: vLLM WILL REFUSE THIS MODEL (its release cannot load it)');
    expect(text.stdout).toContain(
      "vLLM would say: Model architectures ['Qwen3_5ForConditionalGeneration'] are not supported for now. Qwen3_5ForConditionalGeneration needs vLLM ≥ 0.17.0, this is 0.16.0: --vllm-version 0.17.0 or newer (image vllm/vllm-openai:v0.31.0: --vllm-version 0.31.0)",
    );
    expect(text.stdout).toContain('Fits: nothing on vLLM 0.16.0: it cannot load this model');
    const json = runCli([...args, '--json']);
    expect(json.code).toBe(3);
    const plan = JSON.parse(json.stdout) as { verdict: string; refusal: { reason: string } | null; fits: unknown };
    expect(plan.verdict).toBe('unsupported');
    expect(plan.refusal?.reason).toBe('unsupported-model');
    expect(plan.fits).toEqual({ maxModelLen: null, maxNumSeqs: null, knobs: 'planner' });
  });

  it('the Orin NX case as the user ran it: exit 3, "WILL BE KILLED", 4681 CPU blocks', () => {
    const r = runCli([...orin, '--max-model-len', '200', '--max-num-seqs', '1', '--vllm-defaults']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Verdict: WILL BE KILLED');
    expect(r.stdout).toContain('4681 CPU blocks');
    expect(r.stdout).toContain('Pinned CPU swap space');
  });

  it('planner-chosen knobs: exit 0, FITS, and the command carries --swap-space 0', () => {
    const r = runCli(orin);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Verdict: FITS');
    expect(r.stdout).toMatch(/vllm serve \/models\/qwen2-7b-instruct-q4_k_m\.gguf .*--swap-space 0/);
    // The command shown is the command the launcher runs: named, no -it (item 9 of issue 13).
    expect(r.stdout).toContain('docker run --rm --name jetson-vllm-qwen2-7b-instruct-8000 --runtime nvidia');
    expect(r.stdout).not.toContain(' -it ');
  });

  it('says how far this device’s plans have been off, from the launches recorded here', () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'jv-history-'));
    mkdirSync(path.join(data, 'jetson-vllm'));
    const entry = (device: string, weights: number, kvTokens: number): string =>
      JSON.stringify({
        at: '2026-11-25T04:00:00.000Z',
        device,
        model: 'qwen2-7b-instruct',
        quant: 'gguf-q4_k_m',
        vllmVersion: '0.6.3',
        outcome: 'ready',
        predicted: { weightsBytes: 4e9, gpuBlocks: 1000, kvTokens: 16000, totalBytes: 1e10 },
        actual: { weightsBytes: weights, gpuBlocks: null, kvTokens },
      });
    writeFileSync(
      path.join(data, 'jetson-vllm', 'history.jsonl'),
      [entry('orin-nx-16gb', 4.2e9, 18000), entry('orin-nx-16gb', 4.0e9, 16000), entry('agx-orin-64gb', 9e9, 1)].join(
        '\n',
      ),
    );
    const r = runCli(orin, { XDG_DATA_HOME: data });
    // Weights +5 % and 0 % → +2.5 %; KV tokens +12.5 % and 0 % → +6.3 % (the AGX Orin's launch is another board's).
    expect(r.stdout).toContain(
      'On this device so far: 2 launch(es) recorded: weights +2.5 %, KV cache tokens +6.3 % against the plans.',
    );
    expect(runCli(orin, { XDG_DATA_HOME: mkdtempSync(path.join(os.tmpdir(), 'jv-empty-')) }).stdout).not.toContain(
      'On this device so far',
    );
  });

  it("calibrates the estimated terms from this board's logged launches of the same vLLM family", () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'jv-calibration-'));
    mkdirSync(path.join(data, 'jetson-vllm'));
    const entry = JSON.stringify({
      at: '2026-12-01T00:00:00.000Z',
      device: 'orin-nx-16gb',
      model: 'qwen2-7b-instruct',
      quant: 'gguf-q4_k_m',
      vllmVersion: '0.6.3',
      outcome: 'ready',
      predicted: { weightsBytes: 4e9, gpuBlocks: 1000, kvTokens: 16000, totalBytes: 1e10 },
      actual: { weightsBytes: 4e9, gpuBlocks: 1000, kvTokens: 16000 },
      terms: {
        nonTorchBytes: 0.2 * 2 ** 30,
        activationPeakBytes: 0.3 * 2 ** 30,
        batchedTokens: 2048,
        cudaGraphBytes: null,
        predictedGraphBytes: 0,
      },
    });
    writeFileSync(path.join(data, 'jetson-vllm', 'history.jsonl'), `${entry}\n`);
    // On the board (detection on a copy of an Orin NX's files): its launches calibrate the plan.
    const onBoard = [
      'plan',
      '--root',
      path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62'),
      ...orin.slice(3),
    ];
    const r = runCli(onBoard, { XDG_DATA_HOME: data });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/measured on this board \(1 launch\) of the vLLM 0\.6\.3 family \(v0-free-delta\)/);
    expect(runCli(onBoard, { XDG_DATA_HOME: mkdtempSync(path.join(os.tmpdir(), 'jv-none-')) }).stdout).not.toContain(
      'measured on this board',
    );
    // A preset plan (--device) is a what-if for any such board: not calibrated by this one's launches.
    expect(runCli(orin, { XDG_DATA_HOME: data }).stdout).not.toContain('measured on this board');
  });

  it("on the board, 0.6.3's KV cache follows the MemFree it reads: the 11836 blocks of jetson-containers #795", () => {
    // The fake root's MemFree is the one the #795 log implies (its README derives it); a preset plan keeps the bound.
    const seed = [...orin.slice(3), '--max-model-len', '200', '--max-num-seqs', '1', '--vllm-defaults'];
    const board = path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62-pagecache');
    const r = runCli(['plan', '--root', board, ...seed, '--runtime', 'native', '--json']);
    expect(r.code).toBe(3);
    const plan = JSON.parse(r.stdout) as { kvCache: { gpuBlocks: number }; notes: string[] };
    expect(Math.abs(plan.kvCache.gpuBlocks - 11836) / 11836).toBeLessThan(0.01);
    expect(plan.notes.join('\n')).toMatch(/measured on the board \(\/proc\/meminfo\)/);
    const preset = runCli([...orin, '--max-model-len', '200', '--max-num-seqs', '1', '--vllm-defaults', '--json']);
    const presetPlan = JSON.parse(preset.stdout) as { kvCache: { gpuBlocks: number }; notes: string[] };
    expect(presetPlan.kvCache.gpuBlocks).toBeLessThan(plan.kvCache.gpuBlocks);
    expect(presetPlan.notes.join('\n')).toMatch(/no-reclaim bound, since a plan for a preset cannot read/);
  });

  it('--json prints the DESIGN §2 object', () => {
    const r = runCli([...orin, '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of [
      'verdict',
      'device',
      'model',
      'quant',
      'vllm',
      'settings',
      'budget',
      'kvCache',
      'argv',
      'command',
      'fits',
      'notes',
    ]) {
      expect(plan, key).toHaveProperty(key);
    }
    expect(plan.argv).toEqual(expect.arrayContaining(['vllm', 'serve']));
    expect((plan.argv as string[]).slice(0, 2)).toEqual(['vllm', 'serve']);
    expect(plan.vllm).toEqual({ version: '0.6.3', engine: 'v0', algorithm: 'v0-free-delta', isKnownRelease: true });
    const kv = plan.kvCache as Record<string, number>;
    expect(Object.keys(kv)).toEqual(
      expect.arrayContaining(['bytesPerToken', 'bytesPerBlock', 'gpuBlocks', 'cpuBlocks', 'tokens', 'maxConcurrency']),
    );
  });

  it('prints no colour codes when NO_COLOR is set or stdout is not a terminal', () => {
    const r = runCli(orin, { NO_COLOR: '1' });
    expect(r.stdout).not.toContain('\u001b[');
  });

  it.each([
    [
      ['plan', '--device', 'orin-nx-15gb', '--model', 'qwen2-7b-instruct'],
      /--device: "orin-nx-15gb" is not a device id; did you mean orin-nx-16gb/,
    ],
    [['plan', '--device', 'orin-nx-16gb', '--model', 'qwen9-7b'], /--model: "qwen9-7b" is not a model id or a folder/],
    [
      ['plan', '--device', 'orin-nx-16gb', '--model', 'qwen2-7b-instruct', '--quant', 'q4'],
      /--quant: "q4" is not a quantization of qwen2-7b-instruct; it has .*gguf-q4_k_m/,
    ],
    [
      ['plan', '--device', 'orin-nx-16gb', '--model', 'qwen2-7b-instruct', '--max-model-len', 'lots'],
      /--max-model-len: "lots" is not a whole number/,
    ],
    [
      ['plan', '--device', 'orin-nx-16gb', '--model', 'qwen2-7b-instruct', '--gpu-memory-utilization', '1.5'],
      /--gpu-memory-utilization: "1.5" is not a fraction between 0 and 1/,
    ],
    [
      ['plan', '--device', 'orin-nx-16gb', '--model', 'qwen2-7b-instruct', '--vllm-version', 'newest'],
      /--vllm-version: "newest" is not a version/,
    ],
    [
      [
        'plan',
        '--device',
        'orin-nx-16gb',
        '--model',
        'qwen2-7b-instruct',
        '--vllm-version',
        '0.21.0',
        '--swap-space',
        '0',
      ],
      /--swap-space: vLLM 0\.21\.0 has no such flag/,
    ],
    [
      [
        'plan',
        '--device',
        'orin-nx-16gb',
        '--model',
        'qwen2-7b-instruct',
        '--vllm-version',
        '0.8.6',
        '--kv-cache-memory-bytes',
        '1G',
      ],
      /--kv-cache-memory-bytes: vLLM 0\.8\.6 has no such flag \(it exists from vLLM 0\.11\.0\)/,
    ],
    [
      ['plan', '--device', 'orin-nx-16gb', '--model', 'qwen2-7b-instruct', '--frobnicate'],
      /unknown option '--frobnicate'/,
    ],
    [
      ['plan', '--model', 'qwen2-7b-instruct'],
      /--device is needed: no NVIDIA GPU here; plan for a device with --device orin-/,
    ],
    [['launchpad'], /"launchpad" is not a command/],
  ])('bad input %j → one line, exit 2', (args, pattern) => {
    expectOneLineError(runCli(args), pattern);
  });

  it('a folder without config.json → one line, exit 2', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-model-'));
    expectOneLineError(runCli(['plan', '--device', 'orin-nx-16gb', '--model', dir]), /has no config\.json/);
  });

  it('a local folder with config.json is planned from its own architecture and quantization', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-model-'));
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        architectures: ['Qwen2ForCausalLM'],
        num_hidden_layers: 28,
        hidden_size: 3584,
        intermediate_size: 18944,
        num_attention_heads: 28,
        num_key_value_heads: 4,
        vocab_size: 152064,
        max_position_embeddings: 32768,
        torch_dtype: 'float16',
        quantization_config: { quant_method: 'awq', bits: 4, group_size: 128 },
      }),
    );
    const r = runCli(['plan', '--device', 'orin-nx-16gb', '--model', dir, '--vllm-version', '0.11.2', '--json']);
    expect(r.stderr).toBe('');
    const plan = JSON.parse(r.stdout) as {
      quant: { id: string };
      model: { layers: number; source: string };
      kvCache: { bytesPerBlock: number };
    };
    expect(plan.quant.id).toBe('awq');
    expect(plan.model).toMatchObject({ layers: 28, source: 'folder' });
    expect(plan.kvCache.bytesPerBlock).toBe(917_504);
  });

  it('a broken preset file → names the file, the path inside it and the reason; exit 2', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-presets-'));
    mkdirSync(dir, { recursive: true });
    cpSync(path.join(ROOT, 'presets'), dir, { recursive: true });
    const devices = readFileSync(path.join(dir, 'devices.yaml'), 'utf8').replace(
      /memTotalBytes: \d+/,
      'memTotalBytes: lots',
    );
    writeFileSync(path.join(dir, 'devices.yaml'), devices);
    const r = runCli(orin, { JETSON_VLLM_PRESETS: dir });
    expectOneLineError(
      r,
      new RegExp(
        `preset file ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/devices\\.yaml: devices\\.0\\.memTotalBytes: `,
      ),
    );
  });

  it('devices and models list the presets', () => {
    const d = runCli(['devices']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/orin-nx-16gb\s+Jetson Orin NX 16GB/);
    const m = runCli(['models']);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain('qwen2-7b-instruct');
    expect(m.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(26);
  });

  it('--version and --help', () => {
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('jetson-vllm plan');
  });
});
