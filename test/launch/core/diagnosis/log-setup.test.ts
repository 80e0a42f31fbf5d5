/** What a vLLM log says about its run (model, version, knobs) and the preset a model path names. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matchPreset, readLogSetup } from '../../../../src/launch/core/diagnosis/log-setup.js';
import { loadTestCatalog } from '../../../helpers/catalog.js';

const catalog = loadTestCatalog();

describe('readLogSetup', () => {
  it("V0's engine config line", () => {
    const setup = readLogSetup([
      "INFO 01-23 07:31:58 llm_engine.py:237] Initializing an LLM engine (v0.6.3.post1) with config: model='Qwen/Qwen2-7B-Instruct-AWQ', speculative_config=None, tokenizer='Qwen/Qwen2-7B-Instruct-AWQ', dtype=torch.float16, max_seq_len=4096, download_dir=None, quantization=awq, enforce_eager=True, kv_cache_dtype=auto, seed=0",
    ]);
    expect(setup).toEqual({
      model: 'Qwen/Qwen2-7B-Instruct-AWQ',
      vllmVersion: '0.6.3.post1',
      quantization: 'awq',
      knobs: { maxModelLen: '4096', enforceEager: true, kvCacheDtype: 'auto' },
    });
  });

  it("V1's non-default args and the API server version", () => {
    const setup = readLogSetup([
      'INFO 05-25 18:30:00 [api_server.py:1043] vLLM API server version 0.8.6',
      "INFO 05-25 18:30:00 [cli_args.py:297] non-default args: {'model': './DeepSeek-R1-Distill-Qwen-1.5B', 'max_model_len': 8192, 'gpu_memory_utilization': 0.6, 'max_num_seqs': 8, 'swap_space': 0}",
    ]);
    expect(setup).toEqual({
      model: './DeepSeek-R1-Distill-Qwen-1.5B',
      vllmVersion: '0.8.6',
      quantization: null,
      knobs: { maxModelLen: '8192', gpuMemoryUtilization: '0.6', maxNumSeqs: '8', swapSpace: '0' },
    });
  });

  it('a vllm serve command line, flags with = or a space', () => {
    expect(
      readLogSetup(['$ vllm serve org/m --max-model-len=2048 --enforce-eager --kv-cache-dtype fp8 --port 8001']),
    ).toEqual({
      model: 'org/m',
      vllmVersion: null,
      quantization: null,
      knobs: { maxModelLen: '2048', enforceEager: true, kvCacheDtype: 'fp8' },
    });
  });

  it("argparse's usage line names placeholders, not a model", () => {
    const setup = readLogSetup([
      'usage: vllm serve [model_tag] [options]',
      'vllm serve: error: unrecognized arguments: --swap-space 0',
    ]);
    expect(setup.model).toBeNull();
    expect(readLogSetup(['$ vllm serve <model> --port 8000']).model).toBeNull();
  });

  it("the loader's model and the concurrency line's context (#795)", () => {
    const setup = readLogSetup([
      'INFO 01-23 07:32:01 model_runner.py:1060] Starting to load model ./Qwen2-7B-Instruct.Q4_K_M.gguf...',
      'INFO 01-23 07:34:26 gpu_executor.py:126] Maximum concurrency for 200 tokens per request: 946.88x',
    ]);
    expect(setup.model).toBe('./Qwen2-7B-Instruct.Q4_K_M.gguf');
    expect(setup.knobs).toEqual({ maxModelLen: '200' });
  });

  it('never throws; every knob it reads is a number (or a dtype), whatever the lines', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'vllm serve ',
        '--max-model-len ',
        'non-default args: {',
        "'max_num_seqs': ",
        'with config: ',
        'max_seq_len=',
        'Starting to load model ',
        '...',
        'Maximum concurrency for ',
        ' tokens per request',
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 6 }).map((p) => p.join(''))), (lines) => {
        const setup = readLogSetup(lines);
        for (const [key, value] of Object.entries(setup.knobs)) {
          if (key === 'enforceEager') expect(typeof value).toBe('boolean');
          else if (key !== 'kvCacheDtype') expect(String(value)).toMatch(/^\d+(?:\.\d+)?(?:[kKmMgG]i?[bB]?)?$/);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('matchPreset', () => {
  it('a GGUF file name, a quantized repository, a model folder', () => {
    expect(matchPreset('./Qwen2-7B-Instruct.Q4_K_M.gguf', catalog)).toEqual({
      model: 'qwen2-7b-instruct',
      quant: 'gguf-q4_k_m',
    });
    expect(matchPreset('Qwen/Qwen2-7B-Instruct-AWQ', catalog)).toEqual({ model: 'qwen2-7b-instruct', quant: 'awq' });
    expect(matchPreset('./DeepSeek-R1-Distill-Qwen-1.5B', catalog)).toEqual({
      model: 'deepseek-r1-distill-qwen-1.5b',
      quant: null,
    });
    expect(matchPreset('/data/something-else', catalog)).toBeNull();
  });
});
