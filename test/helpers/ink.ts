/**
 * Driving Ink screens in tests (ink-testing-library): one key per write, and waiting for the frame
 * to show what the test expects instead of sleeping a fixed time.
 */
import { stripVTControlCharacters } from 'node:util';

/** Key codes as a terminal sends them. */
export const KEY = {
  enter: '\r',
  escape: '\u001b',
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const;

/** The part of ink-testing-library's stdin the helpers use. */
export interface TestStdin {
  write: (data: string) => void;
}

/** The last frame without colour or style codes ('' before the first frame). */
export function plain(frame: string | undefined): string {
  return stripVTControlCharacters(frame ?? '');
}

/** Lets pending I/O callbacks, effects and renders run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Sends one key press (Ink parses one write as one key press). */
export function press(stdin: TestStdin, key: string): void {
  stdin.write(key);
}

/** Polls `condition` (letting I/O and renders run between polls) until it holds; fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 4000, what = 'the condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await tick();
  }
}

/**
 * Polls the last frame (colour codes stripped) until `predicate` holds; fails with the last frame
 * when it does not within `timeoutMs`. Returns the matching frame.
 */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  predicate: (frame: string) => boolean,
  timeoutMs = 4000,
): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const frame = plain(lastFrame());
    if (predicate(frame)) {
      // One more turn so effects that subscribe to input after this render are in place.
      await tick();
      return frame;
    }
    if (performance.now() > deadline) {
      throw new Error(`the frame did not become what the test waits for within ${timeoutMs} ms:\n${frame}`);
    }
    await tick();
  }
}

/** Presses a key and waits until the frame satisfies `predicate`. */
export async function pressAndWait(
  stdin: TestStdin,
  lastFrame: () => string | undefined,
  key: string,
  predicate: (frame: string) => boolean,
  timeoutMs = 4000,
): Promise<string> {
  press(stdin, key);
  return waitForFrame(lastFrame, predicate, timeoutMs);
}

/** The first line of a frame that contains `text` (undefined when none does). */
export function lineWith(frame: string, text: string): string | undefined {
  return frame.split('\n').find((l) => l.includes(text));
}

/** The frame with every run of white space (line breaks from wrapping too) turned into one space. */
export function flat(frame: string): string {
  return frame.replace(/\s+/g, ' ');
}
