/**
 * The monitor on a terminal, as decisions and text: what a key press does, the escape sequences that
 * redraw only the lines that changed, the line under the panel, and the one-line text form of a sample
 * when there is no terminal. Pure: the shell (monitor-command.ts) writes what these return.
 */
import type { Sample } from './sample.js';

/** The question q asks when the panel watches a server it launched. */
export const STOP_QUESTION = 'Stop the vLLM server and quit? y stop and quit · n keep watching';
/** The question q asks when that server can also be left running (the wizard's launch). */
export const LEAVE_QUESTION = 'Stop the vLLM server and quit? y stop · l leave it running · n keep watching';

/** The alternate screen, cursor hidden: the panel's own screen. */
export const ENTER_PANEL_SCREEN = '\u001b[?1049h\u001b[?25l';
/** Back to the terminal as it was, cursor shown. */
export const LEAVE_PANEL_SCREEN = '\u001b[?25h\u001b[?1049l';

/** What a key press does: ask before stopping a server this process launched, stop it, leave it running, quit… */
export type MonitorKeyAction =
  'ask' | 'stopAndQuit' | 'leaveAndQuit' | 'keepWatching' | 'quit' | 'pause' | 'toggleLog' | 'none';

/**
 * Returns what `key` does, while the stop question is asked or not, with or without a server of ours running;
 * `isLeavable`: that server can be left running (l answers the question).
 */
export function decideMonitorKey(
  key: string,
  isAsking: boolean,
  isOwnServerRunning: boolean,
  isLeavable = false,
): MonitorKeyAction {
  if (isAsking) {
    if (key === 'y' || key === 'Y' || key === 's' || key === 'S') return 'stopAndQuit';
    if (key === 'l' || key === 'L') return isLeavable ? 'leaveAndQuit' : 'none';
    if (key === 'n' || key === 'N' || key === '\u001b' || key === 'q') return 'keepWatching';
    return 'none';
  }
  if (key === 'q' || key === '\u0003') return isOwnServerRunning ? 'ask' : 'quit';
  if (key === 'p') return 'pause';
  if (key === 'l') return 'toggleLog';
  return 'none';
}

/**
 * Returns the escape sequences that turn the screen showing `shown` into `lines` ('' when nothing
 * changed): one write per frame, and only the lines that changed (cursor to the row, the line, clear
 * to its end); `isFull` redraws every line (a resize).
 */
export function formatFrameUpdate(lines: readonly string[], shown: readonly string[], isFull: boolean): string {
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (isFull || shown[i] !== line) out += `\u001b[${i + 1};1H${line}\u001b[K`;
  }
  if (isFull || lines.length < shown.length) out += `\u001b[${lines.length + 1};1H\u001b[J`;
  return out;
}

/** Returns the row for the line under the panel (its last line on a full screen). */
export function computeAskRow(shownLines: number, rows: number): number {
  return Math.min(shownLines + 1, rows);
}

/** Returns `text` written on `row`, the rest of the row cleared. */
export function formatRowText(row: number, text: string): string {
  return `\u001b[${row};1H${text}\u001b[K`;
}

/** Returns the one-line text form of a sample (no terminal, no --json). */
export function formatSampleText(sample: Sample): string {
  const ram = sample.ram !== null ? `RAM ${sample.ram.usedMiB}/${sample.ram.totalMiB} MiB` : 'RAM N/A';
  const gpu = sample.gpu !== null ? `GPU ${sample.gpu.loadPct ?? 'N/A'}%@${sample.gpu.freqMHz ?? 'N/A'}MHz` : 'GPU N/A';
  const vllm = sample.vllm !== null ? ` vLLM running ${sample.vllm.running ?? 'N/A'}` : '';
  return `${sample.time ?? ''} ${sample.source} ${ram} ${gpu}${vllm}`;
}

/** Whether a server URL is on this machine (its processes' memory can be measured here). */
export function isLocalUrl(url: string): boolean {
  return /^https?:\/\/(localhost|127\.|\[::1\])/.test(url);
}
