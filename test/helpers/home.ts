/**
 * A private HOME for the CLI runs of one test file: a temporary folder made when the file first imports this
 * module and removed after its tests (vitest's afterAll, registered on the importing file). One shared folder (it was /tmp/jetson-vllm-test-home) kept every
 * run's launch history and records across test runs, so a plan's calibration ("measured on this board") and the
 * recorded servers depended on what earlier runs had left there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

export const TEST_HOME = mkdtempSync(path.join(os.tmpdir(), 'jetson-vllm-test-home-'));

afterAll(() => {
  rmSync(TEST_HOME, { recursive: true, force: true });
});
