/**
 * What a vLLM log says about the run that wrote it, for `jetson-vllm diagnose`: the model, the vLLM version and
 * the knobs it ran with, read from the lines vLLM prints before it starts — the V0 engine config (`Initializing
 * an LLM engine (v0.6.3) with config: model='…', max_seq_len=4096, …`), V1's `non-default args: {'model': …}`
 * (vllm/entrypoints/utils.py `log_non_default_args`), a `vllm serve <model> --flag value` command line, the
 * loader's `Starting to load model <path>...` and the concurrency line (`Maximum concurrency for 200 tokens per
 * request`, which prints max_model_len); and the catalog preset a model path or id names. Pure.
 */
import type { Catalog } from '../../../catalog/core/presets-schema.js';
import type { PlanOptions } from '../../../plan/core/request.js';

/** The knobs a log shows, as the command line spells them (strings, as `plan` parses them). */
export type LogKnobs = Pick<
  PlanOptions,
  | 'maxModelLen'
  | 'maxNumSeqs'
  | 'maxNumBatchedTokens'
  | 'gpuMemoryUtilization'
  | 'swapSpace'
  | 'kvCacheDtype'
  | 'kvCacheMemoryBytes'
  | 'blockSize'
  | 'numGpuBlocksOverride'
  | 'enforceEager'
>;

/** What a log says about its run: the model as given to vLLM, its version, quantization and knobs. */
export interface LogSetup {
  model: string | null;
  vllmVersion: string | null;
  quantization: string | null;
  knobs: LogKnobs;
}

/** vLLM's argument names (engine config and CLI, dashes or underscores) → the knob they set. */
const KNOB_NAMES: Record<string, keyof Omit<LogKnobs, 'enforceEager'>> = {
  max_model_len: 'maxModelLen',
  max_seq_len: 'maxModelLen',
  max_num_seqs: 'maxNumSeqs',
  max_num_batched_tokens: 'maxNumBatchedTokens',
  gpu_memory_utilization: 'gpuMemoryUtilization',
  swap_space: 'swapSpace',
  kv_cache_dtype: 'kvCacheDtype',
  kv_cache_memory_bytes: 'kvCacheMemoryBytes',
  block_size: 'blockSize',
  num_gpu_blocks_override: 'numGpuBlocksOverride',
};

/** One `key=value` or `'key': value` pair of an engine config or a Python dict, unquoted. */
const PAIR_RE = /'?([a-z_]+)'?\s*[:=]\s*('[^']*'|"[^"]*"|[^,{}\s)]+)/g;

function unquote(value: string): string {
  return value.replace(/^['"]|['"]$/g, '');
}

/** Applies one vLLM argument (name with underscores, value as printed) to the setup. */
function applyArgument(setup: LogSetup, name: string, raw: string): void {
  const value = unquote(raw.trim());
  if (name === 'model') {
    if (value !== '' && value !== 'None') setup.model = value;
    return;
  }
  if (name === 'quantization') {
    if (value !== 'None' && value !== '') setup.quantization = value;
    return;
  }
  if (name === 'enforce_eager') {
    setup.knobs.enforceEager = value === 'True' || value === 'true' || value === '';
    return;
  }
  const knob = KNOB_NAMES[name];
  if (knob === undefined || value === 'None' || value === '') return;
  if (knob === 'kvCacheDtype') {
    setup.knobs.kvCacheDtype = value;
    return;
  }
  if (/^\d+(?:\.\d+)?(?:[kKmMgG]i?[bB]?)?$/.test(value)) setup.knobs[knob] = value;
}

/** Reads a `vllm serve <model> --flag value …` command line into the setup. */
function readServeLine(setup: LogSetup, line: string): void {
  const tokens = line
    .slice(line.indexOf('vllm serve') + 'vllm serve'.length)
    .trim()
    .split(/\s+/);
  const first = tokens[0];
  if (first !== undefined && first !== '' && !/^[-[<{]/.test(first)) setup.model = first;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (!token.startsWith('--')) continue;
    const [flag, inline] = token.slice(2).split('=', 2) as [string, string | undefined];
    const name = flag.replace(/-/g, '_');
    if (name === 'enforce_eager') {
      applyArgument(setup, name, 'True');
      continue;
    }
    const next = tokens[i + 1];
    const value = inline ?? (next !== undefined && !next.startsWith('--') ? next : undefined);
    if (value === undefined) continue;
    if (inline === undefined) i++;
    applyArgument(setup, name, value);
  }
}

/** Returns the model, version, quantization and knobs the log's lines show (later lines win). */
export function readLogSetup(lines: readonly string[]): LogSetup {
  const setup: LogSetup = { model: null, vllmVersion: null, quantization: null, knobs: {} };
  for (const line of lines) {
    const version =
      /vLLM API server version (\d+\.\d+\.\d+\S*)/.exec(line)?.[1] ??
      /LLM engine \(v(\d+\.\d+\.\d+[^)\s]*)\)/.exec(line)?.[1];
    if (version !== undefined) setup.vllmVersion = version;
    // argparse's `usage: vllm serve [model_tag] [options]` names placeholders, not what ran.
    if (/^\s*usage:/i.test(line)) continue;
    if (/vllm serve /.test(line) && !/non-default args/.test(line)) {
      readServeLine(setup, line);
      continue;
    }
    const config = /with config: (.*)$/.exec(line)?.[1] ?? /non-default args: (\{.*)$/.exec(line)?.[1];
    if (config !== undefined) {
      for (const m of config.matchAll(PAIR_RE)) applyArgument(setup, m[1] ?? '', m[2] ?? '');
      continue;
    }
    const loading = /Starting to load model (.+?)\.{3}\s*$/.exec(line)?.[1];
    if (loading !== undefined && setup.model === null) setup.model = loading.trim();
    const concurrency = /Maximum concurrency for ([\d,]+) tokens per request/.exec(line)?.[1];
    if (concurrency !== undefined && setup.knobs.maxModelLen === undefined)
      setup.knobs.maxModelLen = concurrency.replace(/,/g, '');
  }
  return setup;
}

/** Lower-case letters and digits only: "Qwen2-7B-Instruct.Q4_K_M.gguf" and "qwen2-7b-instruct-q4_k_m.gguf" agree. */
function normalise(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Returns the catalog preset (and quantization) a model path or id of a log names, or null. */
export function matchPreset(model: string, catalog: Catalog): { model: string; quant: string | null } | null {
  const base = normalise(model.replace(/\/+$/, '').split('/').at(-1) ?? model);
  const whole = normalise(model);
  for (const preset of catalog.models) {
    for (const quant of preset.quants) {
      const file = quant.file ?? null;
      if (file !== null && normalise(file) === base) return { model: preset.id, quant: quant.id };
      if (normalise(quant.repo) === whole && quant.repo.toLowerCase() !== preset.repo.toLowerCase())
        return { model: preset.id, quant: quant.id };
    }
  }
  for (const preset of catalog.models) {
    const repoBase = normalise(preset.repo.split('/').at(-1) ?? preset.repo);
    if (normalise(preset.id) === base || normalise(preset.repo) === whole || repoBase === base)
      return { model: preset.id, quant: null };
  }
  return null;
}
