/** The launch history file: $XDG_DATA_HOME/jetson-vllm/history.jsonl (one JSON object per line). */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseHistory, type HistoryEntry } from './core/history.js';
import { resolveJetsonVllmDir } from '../shared/xdg.js';

export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(resolveJetsonVllmDir('data', env, os.homedir()), 'history.jsonl');
}

export async function appendHistoryEntry(entry: HistoryEntry, file = historyFile()): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(entry)}\n`);
}

/** The recorded launches (none when there is no file yet). */
export async function readHistory(file = historyFile()): Promise<HistoryEntry[]> {
  return parseHistory(await readFile(file, 'utf8').catch(() => ''));
}
