/**
 * Whether a vLLM release can load a model at all: the first release whose model registry has the architecture
 * (vllm/model_executor/models/registry.py; `ModelRegistry._raise_for_unsupported` stops older ones with "Model
 * architectures [...] are not supported for now") and the first that has its quantization method
 * (vllm/model_executor/layers/quantization/__init__.py `QUANTIZATION_METHODS`; vllm/config `_verify_quantization`
 * stops older ones with "Unknown quantization method"). The rows and their sources are presets/vllm.yaml. Pure.
 */
import type { Architecture, ContainerImage, VllmData } from '../../catalog/core/presets-schema.js';
import type { QuantScheme } from '../../catalog/core/quant-schemes.js';
import { compareVersions, isAtLeast, parseVersion, type Version } from '../../shared/units.js';

const NO_VERSION: Version = [0, 0, 0];

/** One minimum a model needs: what needs it (an architecture, a quantization), the release, and its source. */
export interface SupportMinimum {
  /** What needs the release, in words ("Gemma4ForConditionalGeneration", "mxfp4 quantization"). */
  what: string;
  kind: 'architecture' | 'quantization';
  since: string;
  source: string;
  /** The --quantization method the row is limited to. */
  method?: string;
}

/**
 * Returns every minimum release the architecture and scheme (with its --quantization method, when rows depend on it)
 * need; empty: every listed release loads them.
 */
export function listSupportMinimums(
  data: VllmData,
  arch: Architecture,
  scheme: QuantScheme,
  method: string | null = null,
): SupportMinimum[] {
  const minimums: SupportMinimum[] = [];
  const row = data.architectures.find((a) => a.name === arch.architecture);
  if (row !== undefined) {
    minimums.push({ what: arch.architecture, kind: 'architecture', since: row.since, source: row.source });
    // A mixture-of-experts variant that came later (Nemotron-3-Nano's NemotronH with experts).
    if (row.moeSince !== undefined && arch.moe !== null)
      minimums.push({
        what: `${arch.architecture} with experts`,
        kind: 'architecture',
        since: row.moeSince,
        source: row.source,
      });
  }
  for (const q of data.quantizations) {
    if (q.scheme !== scheme || (q.architecture !== undefined && q.architecture !== arch.architecture)) continue;
    if (q.method !== undefined && q.method !== method) continue;
    const what =
      q.architecture !== undefined
        ? `${scheme} ${q.architecture}`
        : q.method !== undefined
          ? `${scheme} (${q.method}) quantization`
          : `${scheme} quantization`;
    minimums.push({
      what,
      kind: 'quantization',
      since: q.since,
      source: q.source,
      ...(q.method !== undefined ? { method: q.method } : {}),
    });
  }
  return minimums;
}

/** Returns the newest of the minimums (the release the model needs), or null when it has none. */
export function findSupportMinimum(
  data: VllmData,
  arch: Architecture,
  scheme: QuantScheme,
  method: string | null = null,
): SupportMinimum | null {
  return listSupportMinimums(data, arch, scheme, method).reduce<SupportMinimum | null>((best, m) => {
    if (best === null) return m;
    const [a, b] = [parseVersion(m.since), parseVersion(best.since)];
    return a !== null && b !== null && compareVersions(a, b) > 0 ? m : best;
  }, null);
}

/** Returns the minimums the version lacks (empty: the release loads the model). */
export function findMissingSupport(
  data: VllmData,
  arch: Architecture,
  scheme: QuantScheme,
  version: Version,
  method: string | null = null,
): SupportMinimum[] {
  return listSupportMinimums(data, arch, scheme, method).filter((m) => !isAtLeast(version, m.since));
}

/**
 * Returns the oldest image for the SoC whose vLLM has every minimum (the preferred one first), or null: where the
 * fix is an image rather than a version number.
 */
export function findSupportingImage(
  images: readonly ContainerImage[],
  minimum: string,
  soc: string | undefined,
): ContainerImage | null {
  const candidates = images
    .filter(
      (i) =>
        (soc === undefined || i.socs.includes(soc)) && isAtLeast(parseVersion(i.vllmVersion) ?? NO_VERSION, minimum),
    )
    .sort((a, b) => {
      if (a.isPreferred !== b.isPreferred) return a.isPreferred ? -1 : 1;
      return compareVersions(parseVersion(a.vllmVersion) ?? NO_VERSION, parseVersion(b.vllmVersion) ?? NO_VERSION);
    });
  return candidates[0] ?? null;
}

/**
 * Returns the message a release that cannot load the model gives, with the fix: the release it needs, the flag
 * that targets it and an image that carries it (null when the release loads the model).
 */
export function buildSupportRefusalMessage(
  data: VllmData,
  arch: Architecture,
  scheme: QuantScheme,
  versionLabel: string,
  soc: string | undefined,
  method: string | null = null,
): string | null {
  const version = parseVersion(versionLabel);
  if (version === null) return null;
  const missing = findMissingSupport(data, arch, scheme, version, method);
  if (missing.length === 0) return null;
  const needed = missing.reduce((a, b) =>
    compareVersions(parseVersion(b.since) ?? NO_VERSION, parseVersion(a.since) ?? NO_VERSION) > 0 ? b : a,
  );
  // vLLM's own words: registry.py `_raise_for_unsupported`, config `_verify_quantization`, and for a scheme the
  // method's loader does not know yet compressed_tensors.py `_get_scheme_from_parts`.
  const said = missing.some((m) => m.kind === 'architecture')
    ? `Model architectures ['${arch.architecture}'] are not supported for now.`
    : missing.some((m) => m.method === 'compressed-tensors')
      ? 'No compressed-tensors compatible scheme was found.'
      : `Unknown quantization method: ${method ?? scheme}.`;
  // On a Jetson the version comes with an image: name the one that carries it (--vllm-version picks it).
  const image = soc === undefined ? null : findSupportingImage(data.images, needed.since, soc);
  const fix =
    image === null || image.vllmVersion === needed.since
      ? `--vllm-version ${needed.since} or newer${image === null ? '' : ` (image ${image.image})`}`
      : `--vllm-version ${needed.since} or newer (image ${image.image}: --vllm-version ${image.vllmVersion})`;
  return `${said} ${needed.what} needs vLLM ≥ ${needed.since}, this is ${versionLabel}: ${fix}`;
}
