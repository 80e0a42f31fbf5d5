/** Real data recorded by others (test/fixtures/recorded/, each record with its source URL): the one place tests
 * find it, so a test file can move without its relative paths. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/recorded/ of this repository. */
export const RECORDED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'recorded');

/** The absolute path of a recorded file: `tegrastats.json`, `vllm-logs.json`, `devices.json`. */
export function recordedPath(name: 'tegrastats.json' | 'vllm-logs.json' | 'devices.json'): string {
  return path.join(RECORDED_DIR, name);
}
