/**
 * Command-line parsing: the sub-command and its options (DESIGN.md §1). Errors are UserErrors.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { PlanOptions } from '../plan/core/request.js';
import { UserError } from '../shared/errors.js';
import { parseDecimal } from '../shared/units.js';

export type Command =
  | 'wizard'
  | 'plan'
  | 'launch'
  | 'monitor'
  | 'doctor'
  | 'diagnose'
  | 'devices'
  | 'models'
  | 'help'
  | 'version'
  | 'compile-presets';

export interface ParsedArgs {
  command: Command;
  plan: PlanOptions;
  json: boolean;
  noColor: boolean;
  help: boolean;
  root: string | undefined;
  /** Where the wizard saves recipes (default: the XDG config folder). */
  recipeDir: string | undefined;
  /** monitor's own options, as strings. */
  monitor: Record<string, string | undefined>;
  /** plan --export: compose | systemd | script (validated by the command). */
  export: string | undefined;
  /** launch --detach: the server outlives the launch. */
  detach: boolean;
  /** `diagnose <log file | ->`: the log to read ("-": stdin). */
  input: string | undefined;
  /** --stop-grace in milliseconds (checked: 0–3600 s), for `launch` and `launch --stop`; null when not given. */
  stopGraceMs: number | null;
  /** --memory-floor in MiB (checked), for `launch` and the wizard's launch; null when not given. */
  memoryFloorMiB: number | null;
  /** --stage-timeout in seconds (checked); null when not given. */
  stageTimeoutS: number | null;
}

/**
 * The launch options that are amounts, with the range each accepts. Checked here, where the text comes
 * in, for every command that takes them (`launch`, `launch --stop`, the wizard): a value past the range
 * would reach a timer (setTimeout clamps anything above 2^31 − 1 ms to 1 ms: `--stop-grace 1e308` would
 * be SIGKILL at once) or the watchdog as Infinity.
 */
export const LAUNCH_AMOUNTS = {
  'stop-grace': {
    min: 0,
    max: 3600,
    unit: 'seconds',
    what: 'a number of seconds (how long vLLM has to exit after SIGTERM; default 10)',
  },
  'memory-floor': { min: 0, max: 1_048_576, unit: 'MiB', what: 'a size in MiB (0 turns the watchdog off)' },
  'stage-timeout': {
    min: 0,
    max: 86_400,
    unit: 'seconds',
    what: 'a number of seconds (after which a start-up stage is said to look stuck)',
  },
} as const;

/**
 * Returns the amount an option gives, checked against its range; null when the option is absent. Text
 * that is no number keeps the plain message; a number out of range (1e308, -1, Infinity) names the range.
 */
export function parseLaunchAmount(name: keyof typeof LAUNCH_AMOUNTS, text: string | undefined): number | null {
  if (text === undefined) return null;
  const spec = LAUNCH_AMOUNTS[name];
  const value = parseDecimal(text);
  if (value !== null && value >= spec.min && value <= spec.max) return value;
  const looksNumeric = text.trim() !== '' && !Number.isNaN(Number(text.trim().replace(/^-/, '')));
  if (!looksNumeric) throw new UserError(`--${name}: "${text}" is not ${spec.what}`);
  const [head, tail] = spec.what.split(' (');
  throw new UserError(
    `--${name}: "${text}" is not ${head} from ${spec.min} to ${spec.max}${tail !== undefined ? ` (${tail}` : ''}`,
  );
}

const planOptionSpec = {
  device: { type: 'string' },
  'device-memory': { type: 'string' },
  jetpack: { type: 'string' },
  model: { type: 'string' },
  quant: { type: 'string' },
  'vllm-version': { type: 'string' },
  'max-model-len': { type: 'string' },
  'max-num-seqs': { type: 'string' },
  'max-num-batched-tokens': { type: 'string' },
  'gpu-memory-utilization': { type: 'string' },
  'swap-space': { type: 'string' },
  'kv-cache-dtype': { type: 'string' },
  dtype: { type: 'string' },
  'speculative-config': { type: 'string' },
  'limit-mm-per-prompt': { type: 'string' },
  'optimization-level': { type: 'string' },
  'max-cudagraph-capture-size': { type: 'string' },
  'cudagraph-capture-sizes': { type: 'string' },
  'performance-mode': { type: 'string' },
  'kv-cache-memory-bytes': { type: 'string' },
  'enforce-eager': { type: 'boolean' },
  'no-enforce-eager': { type: 'boolean' },
  'block-size': { type: 'string' },
  'num-gpu-blocks-override': { type: 'string' },
  runtime: { type: 'string' },
  image: { type: 'string' },
  port: { type: 'string' },
  'vllm-defaults': { type: 'boolean' },
  root: { type: 'string' },
  'recipe-dir': { type: 'string' },
  gguf: { type: 'string' },
  tokenizer: { type: 'string' },
  source: { type: 'string' },
  interval: { type: 'string' },
  url: { type: 'string' },
  'poll-interval': { type: 'string' },
  replay: { type: 'string' },
  speed: { type: 'string' },
  record: { type: 'string' },
  'memory-floor': { type: 'string' },
  'stop-grace': { type: 'string' },
  'stage-timeout': { type: 'string' },
  recipe: { type: 'string' },
  export: { type: 'string' },
  detach: { type: 'boolean' },
  stop: { type: 'string' },
  server: { type: 'string' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies ParseArgsConfig['options'];

/** Every option the command line accepts, without its dashes. */
export const OPTION_NAMES: readonly string[] = Object.keys(planOptionSpec);

/** `compile-presets` is internal: the build runs it. */
const COMMANDS: readonly string[] = [
  'plan',
  'launch',
  'monitor',
  'doctor',
  'diagnose',
  'devices',
  'models',
  'help',
  'compile-presets',
];

/** Parses process.argv.slice(2). */
export function parseCliArgs(argv: string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: planOptionSpec,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new UserError(
      message.replace(/^Unknown option '(.+?)'.*/, "unknown option '$1'"),
      'jetson-vllm --help lists the options',
    );
  }
  const first = positionals[0];
  if (positionals.length > (first === 'diagnose' ? 2 : 1))
    throw new UserError(`unexpected argument "${positionals[1] ?? ''}"`, 'jetson-vllm --help lists the commands');
  if (first !== undefined && !COMMANDS.includes(first)) {
    throw new UserError(
      `"${first}" is not a command: use plan, launch, monitor, doctor, diagnose, devices or models`,
      'jetson-vllm --help lists the commands',
    );
  }
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const bool = (k: string): boolean => values[k] === true;
  let command: Command = (first as Command | undefined) ?? 'wizard';
  if (bool('version')) command = 'version';
  const plan: PlanOptions = {};
  const map: [keyof PlanOptions, string][] = [
    ['device', 'device'],
    ['deviceMemory', 'device-memory'],
    ['jetpack', 'jetpack'],
    ['model', 'model'],
    ['quant', 'quant'],
    ['vllmVersion', 'vllm-version'],
    ['maxModelLen', 'max-model-len'],
    ['maxNumSeqs', 'max-num-seqs'],
    ['maxNumBatchedTokens', 'max-num-batched-tokens'],
    ['gpuMemoryUtilization', 'gpu-memory-utilization'],
    ['swapSpace', 'swap-space'],
    ['kvCacheDtype', 'kv-cache-dtype'],
    ['dtype', 'dtype'],
    ['speculativeConfig', 'speculative-config'],
    ['limitMmPerPrompt', 'limit-mm-per-prompt'],
    ['optimizationLevel', 'optimization-level'],
    ['maxCudagraphCaptureSize', 'max-cudagraph-capture-size'],
    ['cudagraphCaptureSizes', 'cudagraph-capture-sizes'],
    ['performanceMode', 'performance-mode'],
    ['kvCacheMemoryBytes', 'kv-cache-memory-bytes'],
    ['blockSize', 'block-size'],
    ['numGpuBlocksOverride', 'num-gpu-blocks-override'],
    ['runtime', 'runtime'],
    ['image', 'image'],
    ['port', 'port'],
    ['gguf', 'gguf'],
    ['tokenizer', 'tokenizer'],
  ];
  for (const [key, flag] of map) {
    const v = str(flag);
    if (v !== undefined) (plan as Record<string, string>)[key] = v;
  }
  if (bool('enforce-eager')) plan.enforceEager = true;
  if (bool('no-enforce-eager')) plan.noEnforceEager = true;
  if (bool('vllm-defaults')) plan.vllmDefaults = true;
  const stopGraceS = parseLaunchAmount('stop-grace', str('stop-grace'));
  const memoryFloorMiB = parseLaunchAmount('memory-floor', str('memory-floor'));
  const stageTimeoutS = parseLaunchAmount('stage-timeout', str('stage-timeout'));
  return {
    command,
    plan,
    json: bool('json'),
    noColor: bool('no-color'),
    help: bool('help') || command === 'help',
    root: str('root'),
    recipeDir: str('recipe-dir'),
    export: str('export'),
    input: first === 'diagnose' ? positionals[1] : undefined,
    detach: bool('detach'),
    stopGraceMs: stopGraceS === null ? null : Math.round(stopGraceS * 1000),
    memoryFloorMiB,
    stageTimeoutS,
    monitor: {
      source: str('source'),
      interval: str('interval'),
      url: str('url'),
      pollInterval: str('poll-interval'),
      replay: str('replay'),
      speed: str('speed'),
      record: str('record'),
      recipe: str('recipe'),
      stop: str('stop'),
      server: str('server'),
    },
  };
}
