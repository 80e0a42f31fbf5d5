/**
 * `jetson-vllm launch --stop NAME [--stop-grace S]`: stops a detached server (`launch --detach`) — a native
 * one as a whole process group, its engine core and workers too — and forgets its record.
 */
import { UserError } from '../shared/errors.js';
import { describeServerPlace } from './core/servers.js';
import { forgetServers, isHolderAlive, isServerTreeAlive, readServers, stopServer } from './detached.js';

/** The default of --stop-grace: how long vLLM has to exit after SIGTERM. */
const DEFAULT_STOP_GRACE_MS = 10_000;

/** --stop-grace's seconds as ms (default 10 s); anything but a non-negative number is bad input. */
/**
 * `launch --stop NAME`: stops a detached server and forgets it, giving it `options.stopGraceMs`
 * (--stop-grace, checked by the argument parser) between SIGTERM (docker stop) and SIGKILL (docker kill). Exit 0; an unknown name is bad input.
 */
export async function runStop(
  name: string,
  out: (line: string) => void,
  options: { stopGraceMs?: number | null } = {},
): Promise<number> {
  const graceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  const { servers } = await readServers();
  const record = servers.find((s) => s.name === name);
  if (record === undefined) {
    const names = servers.map((s) => s.name);
    throw new UserError(
      `--stop: no detached server is called "${name}"`,
      names.length > 0 ? `recorded: ${names.join(', ')}` : 'none is recorded (launch --detach records them)',
    );
  }
  const isAlive = await isServerTreeAlive(record);
  if (isAlive) {
    // A wizard's server: said whether that wizard still runs (one killed with SIGKILL left it behind).
    out(`jetson-vllm: stopping ${record.name} (${describeServerPlace(record, isHolderAlive(record))})`);
    const { isKilled } = await stopServer(record, graceMs);
    if (isKilled)
      out(
        `jetson-vllm: ${record.name} did not exit within ${graceMs / 1000} s of ${record.runtime === 'docker' ? 'docker stop' : 'SIGTERM'}: killed it (${record.runtime === 'docker' ? 'docker kill' : 'SIGKILL'})`,
      );
  }
  if (await isServerTreeAlive(record)) {
    throw new UserError(`--stop: ${record.name} is still running (${describeServerPlace(record)})`, undefined, 1);
  }
  await forgetServers([record.name]);
  out(
    isAlive
      ? `stopped ${record.name}${record.logPath !== null ? ` (its log stays in ${record.logPath})` : ''}`
      : `${record.name} had already ended (${describeServerPlace(record)}): its record was removed`,
  );
  return 0;
}
