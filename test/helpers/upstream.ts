/** Upstream truth (test/fixtures/upstream/: vLLM's format strings and metrics, jtop's test lines, each with its
 * source): the one place tests find it, so a test file can move without its relative paths. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/upstream/ of this repository. */
export const UPSTREAM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'upstream');

/** The absolute path of a file under test/fixtures/upstream/ (`vllm-log-formats.json`, `vllm-metrics/0.11.txt`). */
export function upstreamPath(name: string): string {
  return path.join(UPSTREAM_DIR, name);
}
