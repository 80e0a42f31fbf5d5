/**
 * Reads this board's launch history for the planner's calibration: the file launch appends to
 * ($XDG_DATA_HOME/jetson-vllm/history.jsonl), parsed with the planner's own small type (plan does not import launch).
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseLaunchRecords, type LaunchRecord } from './core/calibration.js';
import { resolveJetsonVllmDir } from '../shared/xdg.js';

/** The launch history file, the same path launch/history-file.ts writes. */
export function findLaunchHistoryFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(resolveJetsonVllmDir('data', env, os.homedir()), 'history.jsonl');
}

/** The recorded launches (none when there is no file yet, or it cannot be read). */
export async function readLaunchRecords(file = findLaunchHistoryFile()): Promise<LaunchRecord[]> {
  return parseLaunchRecords(await readFile(file, 'utf8').catch(() => ''));
}
