/**
 * A lock for read-change-write of a small file shared by parallel jetson-vllm processes (servers.json):
 * `<file>.lock`, created atomically with O_CREAT|O_EXCL and holding its owner's pid. A lock whose
 * owner is gone (a launch killed mid-write) or that is older than STALE_MS is stale and taken over.
 */
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';

/** A lock held longer than this is stale whatever its pid says (holders keep it for milliseconds). */
const STALE_MS = 30_000;

/** How long a caller waits for the lock before failing. */
const WAIT_MS = 20_000;

/** Whether a pid is a live process (signal 0; EPERM: alive, another user's). */
function isProcessThere(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether the lock file at `lockPath` is stale: its pid is not a live process, or it is too old. */
async function isStale(lockPath: string): Promise<boolean> {
  const [text, info] = await Promise.all([
    readFile(lockPath, 'utf8').catch(() => null),
    stat(lockPath).catch(() => null),
  ]);
  if (info === null) return false; // gone already: just try again
  if (Date.now() - info.mtimeMs > STALE_MS) return true;
  const pid = Number(text?.trim());
  // A lock just created may not hold its pid yet: only an old one without a pid is stale.
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > 2000;
  return pid !== process.pid && !isProcessThere(pid);
}

/** Takes the lock of `file` (waiting for another holder), runs `body`, and lets go of the lock whatever happens. */
export async function withFileLock<T>(file: string, body: () => Promise<T>): Promise<T> {
  const lockPath = `${file}.lock`;
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStale(lockPath)) {
      // Renamed first: of two processes finding it stale, one takes it away; the other's rename fails.
      const aside = `${lockPath}.stale-${process.pid}`;
      if (
        await rename(lockPath, aside).then(
          () => true,
          () => false,
        )
      )
        await unlink(aside).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lockPath} is held by another jetson-vllm for too long`);
    await sleep(Math.min(200, 10 + attempt * 10));
  }
  try {
    return await body();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
