/**
 * The linear layers a quantized checkpoint leaves unquantized (its quantization config's ignore list), matched the
 * way vLLM matches them and counted in parameters. Pure.
 *
 * - modelopt (`exclude_modules`, or `ignore` in config.json): vllm/model_executor/layers/quantization/modelopt.py
 *   `ModelOptQuantConfigBase.is_layer_excluded`: an exact module name, or a wildcard pattern (`*` = any run of
 *   characters) that matches the whole name.
 * - compressed-tensors (`ignore`) and FP8 (`ignored_layers`): compressed_tensors/utils.py `should_ignore_layer` /
 *   `_is_equal_or_regex_match`: "re:<regex>" matched from the start of the name, anything else the exact name.
 * - AWQ (`modules_to_not_convert`): awq.py `is_layer_skipped_awq`: any entry that is a substring of the name.
 * A fused layer (qkv_proj, gate_up_proj) is skipped when its shards are (quantization/utils/quant_utils.py
 * `is_layer_skipped`), so testing the checkpoint's unfused names (q_proj, k_proj, …) counts the same parameters.
 * Names are tested in both forms checkpoints write: `model.layers.N.…` and `model.language_model.layers.N.…`.
 */
import type { Architecture } from '../../catalog/core/presets-schema.js';
import { countFullAttentionLayers } from './architecture.js';

/** How a quantization method matches its ignore entries against module names. */
export type IgnoreMatching = 'wildcard' | 'regex-or-exact' | 'substring';

/** Returns how vLLM matches the ignore list of a --quantization method (null: the method has none). */
export function resolveIgnoreMatching(method: string | null): IgnoreMatching | null {
  if (method === null) return null;
  switch (method) {
    case 'modelopt':
    case 'modelopt_fp4':
      return 'wildcard';
    case 'compressed-tensors':
    case 'fp8':
      return 'regex-or-exact';
    case 'awq':
      return 'substring';
    default:
      return null;
  }
}

/**
 * Returns whether `name` matches a pattern whose `*` stands for any run of characters (modelopt's wildcards), by
 * the greedy two-pointer walk: linear in practice and never exponential, whatever the config holds (a RegExp of
 * many `.*` backtracks polynomially in their number).
 */
export function matchWildcard(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === name[n]) {
      p += 1;
      n += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = n;
      p += 1;
    } else if (star !== -1) {
      p = star + 1;
      resume += 1;
      n = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/**
 * Returns whether a config's "re:" pattern is safe to run: at most 200 characters, no back-reference, and no quantified
 * group that holds a quantifier or an alternation ((a+)+, (a|ab)*: the shapes that backtrack exponentially). A
 * Hub config is untrusted input; a pattern refused here matches nothing, as one JavaScript cannot read.
 */
export function isSafeRegexSource(source: string): boolean {
  // The length cap also bounds this test's own (polynomial) backtracking.
  if (source.length > 200 || /\\[1-9]/.test(source)) return false;
  return !/\((?:[^()\\]|\\.)*[*+}|](?:[^()\\]|\\.)*\)[*+{]/.test(source);
}

/** Returns a test of one module name against the ignore list, as the method matches it. */
export function buildIgnoreMatcher(patterns: readonly string[], matching: IgnoreMatching): (name: string) => boolean {
  const tests: ((name: string) => boolean)[] = patterns.map((p) => {
    switch (matching) {
      case 'wildcard':
        return (name) => matchWildcard(p, name);
      case 'regex-or-exact': {
        if (!p.startsWith('re:')) return (name) => name === p;
        let re: RegExp | null;
        try {
          re = isSafeRegexSource(p.slice(3)) ? new RegExp(`^(?:${p.slice(3)})`) : null;
        } catch {
          re = null; // A pattern JavaScript cannot read matches nothing rather than failing the plan.
        }
        return (name) => re !== null && re.test(name);
      }
      case 'substring':
        return (name) => name.includes(p);
      default: {
        const unreachable: never = matching;
        throw new Error(`unknown matching ${String(unreachable)}`);
      }
    }
  });
  return (name) => tests.some((t) => t(name));
}

/** Unquantized linear parameters in the text model, and the layers whose K projection stays unquantized. */
export interface IgnoredLinear {
  /** Parameters of the ignored attention and MLP projections (of those computeParams counts as linear). */
  params: number;
  /** Full-attention layers whose k_proj is ignored (their K = V copy stays in 16 bits too). */
  globalKLayers: number;
  /** What was found, for the plan's explanation ("attention in 60 of 60 layers"). */
  attentionLayers: number;
  mlpLayers: number;
}

/** Whether layer i attends to the full context: Gemma's pattern puts a global layer every layers / global. */
function isFullAttentionLayer(arch: Architecture, i: number): boolean {
  const full = countFullAttentionLayers(arch);
  if (full >= arch.layers) return true;
  if (full <= 0) return false;
  const every = Math.round(arch.layers / full);
  return (i + 1) % every === 0;
}

/**
 * Returns the linear parameters the ignore list keeps unquantized in the text model's attention and dense MLP
 * projections (routed experts: the `mlp.experts` / `experts` module), or null for architectures whose linear count
 * is not a sum of those (hybrid state layers, MLA). Embeddings, lm_head, norms, routers and the vision/audio towers
 * are in 16 bits already.
 */
export function computeIgnoredLinear(
  arch: Architecture,
  patterns: readonly string[],
  matching: IgnoreMatching,
): IgnoredLinear | null {
  if (patterns.length === 0) return { params: 0, globalKLayers: 0, attentionLayers: 0, mlpLayers: 0 };
  if ((arch.stateLayers ?? null) !== null || arch.mla !== null) return null;
  const ignored = buildIgnoreMatcher(patterns, matching);
  const h = arch.hiddenSize;
  const isIgnored = (i: number, suffix: string): boolean =>
    ignored(`model.layers.${i}.${suffix}`) || ignored(`model.language_model.layers.${i}.${suffix}`);
  let params = 0;
  let globalKLayers = 0;
  let attentionLayers = 0;
  let mlpLayers = 0;
  for (let i = 0; i < arch.layers; i++) {
    const g = arch.globalAttention ?? null;
    const isGlobal = g !== null && isFullAttentionLayer(arch, i);
    const headDim = isGlobal ? g.headDim : arch.headDim;
    const kvHeads = isGlobal ? g.kvHeads : arch.kvHeads;
    const q = h * arch.attentionHeads * headDim;
    const kv = h * kvHeads * headDim;
    const projections: [string, number][] = [
      ['self_attn.q_proj', q],
      ['self_attn.k_proj', kv],
      // With attention_k_eq_v the checkpoint's global layers have no v_proj (computeParams counts none).
      ['self_attn.v_proj', isGlobal && g.kEqV ? 0 : kv],
      ['self_attn.o_proj', q],
    ];
    let attention = 0;
    for (const [name, n] of projections) {
      if (n > 0 && isIgnored(i, name)) {
        attention += n;
        if (isGlobal && g.kEqV && name === 'self_attn.k_proj') globalKLayers++;
      }
    }
    let mlp = 0;
    const isDoubleWide = i >= arch.layers - (arch.doubleWideMlpLayers ?? 0);
    const dense =
      arch.moe === null ? arch.intermediateSize * (isDoubleWide ? 2 : 1) : (arch.moe.denseIntermediateSize ?? 0);
    for (const name of ['mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']) {
      if (dense > 0 && isIgnored(i, name)) mlp += h * dense;
    }
    if (arch.moe !== null && (isIgnored(i, 'mlp.experts') || isIgnored(i, 'experts'))) {
      mlp += (arch.moe.experts + arch.moe.sharedExperts) * 3 * h * arch.moe.expertIntermediateSize;
    }
    if (attention > 0) attentionLayers++;
    if (mlp > 0) mlpLayers++;
    params += attention + mlp;
  }
  return { params, globalKLayers, attentionLayers, mlpLayers };
}
