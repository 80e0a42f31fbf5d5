/**
 * Finding a vLLM server when `monitor` is given none: what a /v1/models answer names, and the sentence the
 * panel (or stderr) says about what was found on localhost's default port. Pure.
 */

/** vLLM's default port (`vllm serve` without --port: vllm/entrypoints/openai/cli_args.py, make_arg_parser). */
export const DEFAULT_VLLM_PORT = 8000;

/** What a look at one URL found. */
export type Discovery =
  | { kind: 'found'; url: string; models: string[] }
  | { kind: 'not-vllm'; url: string; status: number }
  | { kind: 'none'; url: string; why: string };

/** Returns the model ids a /v1/models body lists (`{"data": [{"id": "…"}, …]}`); none for any other text. */
export function parseServedModels(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null || !('data' in parsed) || !Array.isArray(parsed.data)) return [];
  const ids: string[] = [];
  for (const entry of parsed.data as unknown[]) {
    if (typeof entry === 'object' && entry !== null && 'id' in entry && typeof entry.id === 'string')
      ids.push(entry.id);
  }
  return ids;
}

/** Returns the sentence for what the look found ("found vLLM on http://127.0.0.1:8000 serving Qwen/…"). */
export function describeDiscovery(d: Discovery): string {
  switch (d.kind) {
    case 'found':
      return `no --url given: found vLLM on ${d.url}${d.models.length > 0 ? ` serving ${d.models.join(', ')}` : ''}`;
    case 'not-vllm':
      return `no --url given: ${d.url} answers, but /health says ${d.status} (not a vLLM that is up)`;
    case 'none':
      return `no --url given, and no vLLM on ${d.url} (${d.why})`;
    default: {
      const unreachable: never = d;
      throw new Error(`unknown discovery ${String(unreachable)}`);
    }
  }
}
