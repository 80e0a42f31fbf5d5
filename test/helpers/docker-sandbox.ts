/**
 * A sandbox for the CLI against the stand-in `docker` (test/fixtures/bin/docker): its own HOME and XDG folders,
 * the stand-in's state, the docker calls it records (DOCKER_STANDIN_CALLS) and the stand-in vLLM's pid file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from './standin.js';

export interface DockerSandbox {
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Every docker call made so far, as argv. */
  calls: () => string[][];
  /** The stand-in vLLM's pid (once a container runs it). */
  vllmPid: () => number;
}

/** Reads a JSON-lines file (none: an empty list). */
export function readJsonLines(file: string): unknown[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** Creates a sandbox under the temp folder (`prefix`), with `extra` added to its environment. */
export function createDockerSandbox(prefix: string, extra: NodeJS.ProcessEnv = {}): DockerSandbox {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const d of ['home', 'state', 'data', 'docker']) mkdirSync(path.join(dir, d));
  const callsFile = path.join(dir, 'calls.jsonl');
  const pidFile = path.join(dir, 'vllm.pid');
  return {
    dir,
    env: {
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      HOME: path.join(dir, 'home'),
      XDG_STATE_HOME: path.join(dir, 'state'),
      XDG_DATA_HOME: path.join(dir, 'data'),
      DOCKER_STANDIN_STATE: path.join(dir, 'docker'),
      DOCKER_STANDIN_CALLS: callsFile,
      VLLM_STANDIN_PIDFILE: pidFile,
      ...extra,
    },
    calls: () => readJsonLines(callsFile) as string[][],
    vllmPid: () => Number(readFileSync(pidFile, 'utf8')),
  };
}
