/**
 * What makes a launch "ready": /health answers 200, /v1/models lists the model under the name vLLM
 * serves it as, and the answering server is ours (the shell checks the process or container). Another
 * server on the port — an older vLLM, anything else — must not pass for ours. Pure.
 */

/**
 * Returns the name vLLM serves the model as: the first `--served-model-name` (vLLM's
 * vllm/entrypoints/openai/cli_args.py: nargs="+", the first is the one /v1/models reports first), else
 * the model argument of `vllm serve MODEL` (`--model MODEL` in older argvs). Null when the argv has none.
 */
export function findServedModelName(argv: readonly string[]): string | null {
  const named = argv.indexOf('--served-model-name');
  if (named >= 0 && argv[named + 1] !== undefined && !argv[named + 1]?.startsWith('--')) return argv[named + 1] ?? null;
  const serve = argv.indexOf('serve');
  const positional = serve >= 0 ? argv[serve + 1] : undefined;
  if (positional !== undefined && !positional.startsWith('-')) return positional;
  const model = argv.indexOf('--model');
  return model >= 0 ? (argv[model + 1] ?? null) : null;
}

/** Returns whether a /v1/models body (`{"data": [{"id": …}, …]}`) lists `name`; a body that is not such JSON does not. */
export function isModelListed(body: string, name: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data)) return false;
  return data.some((m) => typeof m === 'object' && m !== null && (m as { id?: unknown }).id === name);
}

/** Who listens on the port, as /proc tells: our process (or a child of it), someone else, or /proc cannot say. */
export type ListenerOwner = 'ours' | 'other' | 'unknown';

/**
 * Returns whether the pids owning the listening socket are ours: each owner's ancestry (pid → parent
 * pid…, from /proc/<pid>/stat) reaching `ourPid` makes it ours; owners found but none ours: another
 * process answers. No owner found (no socket listed, or fds unreadable): unknown.
 */
export function classifyListener(
  ourPid: number,
  owners: readonly number[],
  parentOf: (pid: number) => number | null,
): ListenerOwner {
  if (owners.length === 0) return 'unknown';
  for (const owner of owners) {
    let pid: number | null = owner;
    // A bounded walk: a pid table can change under the reader.
    for (let depth = 0; depth < 64 && pid !== null && pid > 1; depth++) {
      if (pid === ourPid) return 'ours';
      pid = parentOf(pid);
    }
  }
  return 'other';
}
